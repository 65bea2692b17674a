import { CardQueue, QueuedTransport } from './cardQueue.ts';
import { PcscError, SCARD, fromPcscError, pcscCodeOf } from './errors.ts';
import { MAX_RESPONSE_LENGTH, type PcscliteReader } from './pcscliteBinding.ts';

export type ShareMode = 'shared' | 'exclusive';

export interface ConnectOptions {
  /** Shared by default: other middleware (OpenSC, a browser) may use the card too. */
  share?: ShareMode;
  /** How long one APDU may take before the connection is given up. Default 10 s (DEFAULT_TRANSMIT_TIMEOUT_MS). */
  transmitTimeoutMs?: number;
  /** How long connecting may take. Default 10 s. */
  connectTimeoutMs?: number;
}

/**
 * How long a card may take to answer one command. Signing with RSA-2048 takes about a second on
 * a real card; well inside the UI's 30 s call timeout, so a card that stops answering is named
 * as such instead of the program being blamed.
 */
export const DEFAULT_TRANSMIT_TIMEOUT_MS = 10_000;

/** How long closing a connection waits for pcscd to confirm the disconnect. */
const RELEASE_WAIT_MS = 1000;

/**
 * The line to the card lost mid-exchange: no status word came back, or the reader driver failed
 * the exchange (SCARD_E_NOT_TRANSACTED, as vpcd does when its card's connection closes and CCID
 * readers do when a card slips out). For the holder that is a card taken out.
 */
const lineLost = (reader: string): PcscError =>
  new PcscError('CARD_REMOVED', `The card in "${reader}" stopped answering in the middle of an exchange: it was taken out or lost contact. Insert it again and start over.`, { reader });

/** Runs a pcsclite call with a deadline; a late answer after the deadline is ignored. */
function withDeadline<T>(ms: number, onTimeout: () => PcscError, start: (done: (err: unknown, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(onTimeout());
    }, ms);
    start((err, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value as T);
    });
  });
}

/**
 * One PC/SC card handle of one reader, shared by every transport this process opens on that
 * reader (pcsclite keeps a single handle per reader object), with the one queue of that card.
 * Once the card is removed, the reader gone or pcscd stopped, it is dead for good: callers get
 * the typed reason and must connect again.
 */
export class PcscCardConnection {
  readonly queue = new CardQueue();
  private protocol = 0;
  private refs = 0;
  private dead: PcscError | undefined;
  /** Native calls not yet called back; see whenNativeIdle(). */
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private opened: Promise<void> | undefined;
  /** Settles once SCardDisconnect has come back for this handle (or RELEASE_WAIT_MS passed). */
  private disconnected: Promise<void> | undefined;

  /**
   * `after`: the previous handle on this reader disconnecting. Closing a connection does not
   * wait for pcscd's confirmation (the caller's answer need not), so the next handle waits for
   * it instead: pcsclite keeps one handle per reader object, and a connect that overtook the
   * disconnect in the thread pool would have its new handle closed under it.
   */
  constructor(
    private readonly reader: PcscliteReader,
    readonly atr: Uint8Array,
    private readonly options: Required<Omit<ConnectOptions, 'share'>> & { share: ShareMode },
    private readonly onClosed: (connection: PcscCardConnection) => void,
    private readonly after: Promise<void> = Promise.resolve(),
  ) {}

  get alive(): boolean {
    return this.dead === undefined;
  }

  get readerName(): string {
    return this.reader.name;
  }

  /**
   * Connects the handle. Leases taken while it is still connecting (a second caller on the
   * same reader) wait for it through ready(): a transmit before SCardConnect has answered
   * would go out with no protocol.
   */
  open(): Promise<void> {
    this.opened ??= this.connect();
    return this.opened;
  }

  /** Resolves when the handle is connected; rejects as open() did. */
  ready(): Promise<void> {
    return this.opened ?? Promise.reject(new PcscError('TRANSPORT_CLOSED', `The connection to "${this.reader.name}" was never opened.`, { reader: this.reader.name }));
  }

  private async connect(): Promise<void> {
    await this.after;
    const r = this.reader;
    // A handle left over from a card that was pulled out would make pcsclite skip connecting.
    if (r.connected) (r as { connected: boolean }).connected = false;
    const shareMode = this.options.share === 'exclusive' ? r.SCARD_SHARE_EXCLUSIVE : r.SCARD_SHARE_SHARED;
    // pcscd answers SCardConnect at once, with a handle or an error (an exclusive holder, a
    // mute card), except while another program holds a PC/SC transaction on the card: then it
    // waits for SCardEndTransaction, however long that takes. So a connect past its deadline is
    // a busy card, not a broken one. The call stays in the thread pool until pcscd answers:
    // tracked, so that nothing closes the reader under it (close() would wait for it).
    this.protocol = await withDeadline<number>(
      this.options.connectTimeoutMs,
      () =>
        new PcscError(
          'CARD_BUSY',
          `Another program has kept the card in "${r.name}" busy for over ${this.options.connectTimeoutMs / 1000} s (pcscd lets nobody else in while a program holds a transaction on it). Finish what it is doing or close it, then try again.`,
          { reader: r.name },
        ),
      (done) =>
        r.connect(
          { share_mode: shareMode, protocol: r.SCARD_PROTOCOL_T0 | r.SCARD_PROTOCOL_T1 },
          this.tracked((err: unknown, protocol?: number) => done(err && fromPcscError(err, r.name), protocol)),
        ),
    );
  }

  lease(): PcscliteTransport {
    this.refs++;
    return new PcscliteTransport(this);
  }

  async exchange(apdu: Uint8Array): Promise<Uint8Array> {
    if (this.dead) throw this.dead.notSent();
    const r = this.reader;
    let response: Buffer;
    try {
      response = await withDeadline<Buffer>(
        this.options.transmitTimeoutMs,
        () => new PcscError('TRANSMIT_TIMEOUT', `The card in "${r.name}" did not answer within ${this.options.transmitTimeoutMs / 1000} s. Take it out and insert it again (if another program is using the card, close that program first).`, { reader: r.name }),
        (done) => r.transmit(Buffer.from(apdu.buffer, apdu.byteOffset, apdu.byteLength), MAX_RESPONSE_LENGTH, this.protocol, this.tracked(done)),
      );
    } catch (error) {
      const typed = (pcscCodeOf(error) === SCARD.E_NOT_TRANSACTED ? lineLost(r.name) : fromPcscError(error, r.name)).afterSending();
      // After these the handle is useless; later calls fail at once with the same reason.
      if (['CARD_REMOVED', 'READER_GONE', 'PCSC_UNAVAILABLE', 'TRANSMIT_TIMEOUT', 'CARD_RESET'].includes(typed.code)) {
        this.invalidate(typed);
      }
      throw typed;
    }
    if (response.byteLength < 2) {
      // No status word: the line to the card closed mid-exchange (vpcd answers so when its card
      // goes; a reader whose card slips out may too). That is a removed card, not a bad answer.
      const removed = lineLost(r.name).afterSending();
      this.invalidate(removed);
      throw removed;
    }
    return new Uint8Array(response.buffer, response.byteOffset, response.byteLength);
  }

  /** SCardControl, for reader features such as PIN pads (PC/SC part 10). */
  async control(controlCode: number, data: Uint8Array, maxResponse = 512): Promise<Uint8Array> {
    if (this.dead) throw this.dead.notSent();
    const r = this.reader;
    const response = await withDeadline<Buffer>(
      // A PIN pad waits for the holder's typing: give it a generous deadline.
      Math.max(this.options.transmitTimeoutMs, 120_000),
      () => new PcscError('TRANSMIT_TIMEOUT', `The reader "${r.name}" did not answer a control request in time.`, { reader: r.name }),
      (done) => r.control(Buffer.from(data), controlCode, maxResponse, this.tracked((err: unknown, out?: Buffer) => done(err && fromPcscError(err, r.name).afterSending(), out))),
    );
    return new Uint8Array(response);
  }

  /** Counts a native call until pcsclite calls back (even after our deadline gave up on it). */
  private tracked<A extends unknown[]>(callback: (...args: A) => void): (...args: A) => void {
    this.inFlight++;
    return (...args: A) => {
      this.inFlight--;
      if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
      callback(...args);
    };
  }

  /**
   * Runs `fn` once no native call is pending. pcsclite's reader close() takes the lock that a
   * pending SCardTransmit holds: closing earlier would block the whole event loop.
   */
  whenNativeIdle(fn: () => void): void {
    if (this.inFlight === 0) fn();
    else this.idleWaiters.push(fn);
  }

  /** Marks the connection dead (card removed, reader gone, pcscd stopped) and drops the handle. */
  invalidate(reason: PcscError): void {
    if (this.dead) return;
    this.dead = reason;
    this.onClosed(this);
    void this.disconnect();
  }

  release(): Promise<void> {
    this.refs--;
    if (this.refs > 0 || this.dead) return Promise.resolve();
    this.dead = new PcscError('TRANSPORT_CLOSED', `The connection to "${this.reader.name}" was closed.`, { reader: this.reader.name });
    this.onClosed(this);
    return this.disconnect();
  }

  /** Settles once this handle is disconnected (bounded); at once if it never was asked to. */
  whenDisconnected(): Promise<void> {
    return this.disconnected ?? Promise.resolve();
  }

  private disconnect(): Promise<void> {
    this.disconnected ??= new Promise((resolve) => {
      // Leave the card powered: other middleware may be using it, and a reset would log it out.
      // SCardDisconnect waits behind a transmit still pending on a card that stopped answering:
      // that wait is not the caller's (the handle is dead to us already).
      const bound = setTimeout(resolve, RELEASE_WAIT_MS);
      this.reader.disconnect(
        this.reader.SCARD_LEAVE_CARD,
        this.tracked(() => {
          clearTimeout(bound);
          resolve();
        }),
      );
    });
    return this.disconnected;
  }
}

/** A CardTransport over a real PC/SC reader. Obtained from ReaderMonitor.connect(). */
export class PcscliteTransport extends QueuedTransport {
  private closed = false;

  constructor(private readonly connection: PcscCardConnection) {
    super(connection.queue);
  }

  get atr(): Uint8Array {
    return this.connection.atr;
  }

  get readerName(): string {
    return this.connection.readerName;
  }

  protected exchange(apdu: Uint8Array): Promise<Uint8Array> {
    if (this.closed) {
      return Promise.reject(new PcscError('TRANSPORT_CLOSED', 'This card connection was closed.', { reader: this.readerName }));
    }
    return this.connection.exchange(apdu);
  }

  /**
   * SCardControl (PIN pads, reader features). It waits in the card's queue like an APDU, so do
   * not call it from inside a `transaction` on the same card: that would wait for itself.
   */
  control(controlCode: number, data: Uint8Array, maxResponse?: number): Promise<Uint8Array> {
    return this.connection.queue.run(() => this.connection.control(controlCode, data, maxResponse));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.connection.release();
  }
}
