/**
 * Readers and cards as typed events, over pcsclite. It survives pcscd going away: the
 * readers are reported gone, and the monitor reconnects to the service every `retryMs`
 * until it is back, then reports what is there. State is true again within a retry period
 * plus pcscd's own start-up.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { identifyCard, type CardIdentity } from '../iso7816/index.ts';
import { PcscError, fromPcscError } from './errors.ts';
import { loadPcsclite, type PcscliteContext, type PcscliteFactory, type PcscliteReader } from './pcscliteBinding.ts';
import { DEFAULT_TRANSMIT_TIMEOUT_MS, PcscCardConnection, type ConnectOptions, type PcscliteTransport } from './pcscliteTransport.ts';

export interface ReaderState {
  name: string;
  present: boolean;
  /** A card is in but does not answer (inserted the wrong way, or broken). */
  mute: boolean;
  /** Another process holds the card exclusively. */
  exclusive: boolean;
  atr?: Uint8Array;
  identity?: CardIdentity;
}

export type ReaderEvent =
  | { type: 'pcsc-up' }
  | { type: 'pcsc-down'; error: PcscError }
  | { type: 'reader-added'; reader: string }
  | { type: 'reader-removed'; reader: string }
  | { type: 'card-inserted'; reader: string; atr: Uint8Array; identity?: CardIdentity }
  | { type: 'card-mute'; reader: string }
  | { type: 'card-removed'; reader: string };

/** pcsc-lite's client socket (PCSCLITE_CSOCK_NAME overrides it, as in libpcsclite). */
const PCSCD_SOCKET = '/run/pcscd/pcscd.comm';
const PROBE_TIMEOUT_MS = 1000;

export interface ReaderMonitorOptions {
  /** How often to try pcscd again while it is not running. Default 500 ms. */
  retryMs?: number;
  /** For tests of the recovery logic only; the real binding otherwise. */
  factory?: PcscliteFactory;
  connect?: ConnectOptions;
}

interface Tracked {
  reader: PcscliteReader;
  state: ReaderState;
  eventCount: number;
  seen: boolean;
}

/**
 * The binding lists pcscd's readers in one batch (one SCardListReaders, a 'reader' event each in
 * the same tick), so once a listed reader has reported its state the first picture is whole.
 * With no reader there is no "that was all": wait this long for one.
 */
const SETTLE_MS = 150;

/**
 * pcsclite's context and reader objects, closed, kept from the garbage collector. Their
 * destructors call SCardReleaseContext, synchronously, on the event loop, in the middle of a
 * garbage collection; pcscd answers that only after the reader's current exchange, and when
 * the card in that reader is one this process serves through vpcd (the agent's virtual card
 * put in through pcscd, the tests), that exchange waits for the very event loop that is
 * waiting for pcscd: the process froze for good (seen in the suite, the stack in ~CardReader).
 * Kept, they cost a little memory and one idle pcscd client each until the process ends or
 * pcscd restarts; the newest RETIRED_MAX are kept, so a reader plugged in and out for days
 * cannot use up pcscd's clients.
 */
const RETIRED_MAX = 256;
const retired: object[] = [];
function retire(binding: object): void {
  retired.push(binding);
  if (retired.length > RETIRED_MAX) retired.splice(0, retired.length - RETIRED_MAX);
}

export class ReaderMonitor extends EventEmitter<{ event: [ReaderEvent] }> {
  private context: PcscliteContext | undefined;
  private readonly tracked = new Map<string, Tracked>();
  private readonly connections = new Map<string, PcscCardConnection>();
  /** Per reader object, its latest connection, alive or not: native calls may still be pending. */
  private readonly lastConnection = new WeakMap<PcscliteReader, PcscCardConnection>();
  private retryTimer: NodeJS.Timeout | undefined;
  private up: boolean | undefined;
  private started = false;
  private lastError: PcscError | undefined;
  private readonly retryMs: number;
  private lastChange = 0;
  /** The pending settled() calls' checks. */
  private readonly settleChecks = new Set<() => void>();

  constructor(private readonly options: ReaderMonitorOptions = {}) {
    super();
    this.retryMs = options.retryMs ?? 500;
  }

  /** Starts watching. Idempotent. Events for what is already there follow shortly. */
  start(): this {
    if (!this.started) {
      this.started = true;
      this.open();
    }
    return this;
  }

  get available(): boolean {
    return this.up === true;
  }

  /** Why pcscd is not available, when it is not. */
  get unavailableReason(): PcscError | undefined {
    return this.up === false ? this.lastError : undefined;
  }

  /**
   * Resolves once the first picture is complete: pcscd answered (or is known to be down) and
   * every reader reported its card state. For one-shot commands such as `ekort readers`.
   */
  async settled(timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // Checked again on every change the monitor sees (not on a polling period, which a
    // one-shot command such as `ekort readers` would wait out), and by the clock only for the
    // quiet wait with no reader and for the deadline.
    await new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const check = (): void => {
        clearTimeout(timer);
        const now = Date.now();
        const allSeen = [...this.tracked.values()].every((t) => t.seen);
        const quietAt = this.lastChange + SETTLE_MS;
        if (this.up === false || (this.up === true && allSeen && (this.tracked.size > 0 || now >= quietAt)) || now >= deadline) {
          this.settleChecks.delete(check);
          resolve();
          return;
        }
        timer = setTimeout(check, Math.max(1, (this.up === true && allSeen ? Math.min(quietAt, deadline) : deadline) - now));
      };
      this.settleChecks.add(check);
      check();
    });
  }

  /** Something settled() looks at changed. */
  private changed(): void {
    for (const check of [...this.settleChecks]) check();
  }

  /** True while pcscd is up and a reader it added has not reported its first card state yet. */
  get firstStatusPending(): boolean {
    return this.up === true && [...this.tracked.values()].some((t) => !t.seen);
  }

  readers(): ReaderState[] {
    return [...this.tracked.values()].map((t) => ({ ...t.state }));
  }

  /**
   * Resolves with the first event that satisfies `predicate` (checked also against the
   * current state, so nothing is missed), or rejects after `timeoutMs`.
   */
  waitFor(predicate: (event: ReaderEvent) => boolean, timeoutMs: number): Promise<ReaderEvent> {
    for (const event of this.currentEvents()) if (predicate(event)) return Promise.resolve(event);
    return new Promise((resolve, reject) => {
      const listener = (event: ReaderEvent) => {
        if (!predicate(event)) return;
        clearTimeout(timer);
        this.off('event', listener);
        resolve(event);
      };
      const timer = setTimeout(() => {
        this.off('event', listener);
        reject(new PcscError('TRANSMIT_TIMEOUT', `No matching reader event within ${timeoutMs} ms.`));
      }, timeoutMs);
      this.on('event', listener);
    });
  }

  /** The present state as the events that would lead to it. */
  currentEvents(): ReaderEvent[] {
    const events: ReaderEvent[] = [];
    if (this.up === true) events.push({ type: 'pcsc-up' });
    if (this.up === false && this.lastError) events.push({ type: 'pcsc-down', error: this.lastError });
    for (const { state } of this.tracked.values()) {
      events.push({ type: 'reader-added', reader: state.name });
      if (state.present && state.atr) events.push({ type: 'card-inserted', reader: state.name, atr: state.atr, identity: state.identity });
      else if (state.mute) events.push({ type: 'card-mute', reader: state.name });
    }
    return events;
  }

  /** Connects to the card in `readerName` (shared mode unless told otherwise). */
  async connect(readerName: string, options: ConnectOptions = {}): Promise<PcscliteTransport> {
    if (!this.context || !this.up) {
      throw this.lastError ?? new PcscError('PCSC_UNAVAILABLE', 'The smart-card service (pcscd) is not running. Start it and try again.');
    }
    const tracked = this.tracked.get(readerName);
    if (!tracked) {
      const names = [...this.tracked.keys()];
      throw new PcscError(
        'READER_NOT_FOUND',
        `No reader named "${readerName}". ${names.length ? `Readers: ${names.map((n) => `"${n}"`).join(', ')}.` : 'No readers are connected.'}`,
        { reader: readerName },
      );
    }
    if (!tracked.state.present || !tracked.state.atr) {
      throw new PcscError(tracked.state.mute ? 'CARD_UNRESPONSIVE' : 'NO_CARD', tracked.state.mute ? `The card in "${readerName}" does not answer. Take it out and insert it again.` : `There is no card in "${readerName}". Insert your card.`, { reader: readerName });
    }
    let connection = this.connections.get(readerName);
    if (!connection?.alive) {
      const opts = this.options.connect ?? {};
      const merged = {
        share: options.share ?? opts.share ?? 'shared',
        transmitTimeoutMs: options.transmitTimeoutMs ?? opts.transmitTimeoutMs ?? DEFAULT_TRANSMIT_TIMEOUT_MS,
        connectTimeoutMs: options.connectTimeoutMs ?? opts.connectTimeoutMs ?? 10_000,
      } as const;
      const previous = this.lastConnection.get(tracked.reader);
      const created = new PcscCardConnection(
        tracked.reader,
        tracked.state.atr,
        merged,
        (c) => {
          if (this.connections.get(readerName) === c) this.connections.delete(readerName);
        },
        previous?.whenDisconnected(),
      );
      this.connections.set(readerName, created);
      this.lastConnection.set(tracked.reader, created);
      try {
        await created.open();
      } catch (error) {
        created.invalidate(fromPcscError(error, readerName));
        throw fromPcscError(error, readerName);
      }
      connection = created;
    } else {
      // Another caller is connecting this reader right now: share its handle once it is up.
      try {
        await connection.ready();
      } catch (error) {
        throw fromPcscError(error, readerName);
      }
    }
    return connection.lease();
  }

  /** Stops watching and releases the service. Open transports fail from then on. */
  async close(): Promise<void> {
    this.started = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const closed = new PcscError('TRANSPORT_CLOSED', 'The reader monitor was closed.');
    for (const c of [...this.connections.values()]) c.invalidate(closed);
    this.dropContext();
    this.tracked.clear();
    this.up = undefined;
  }

  private emitEvent(event: ReaderEvent): void {
    this.emit('event', event);
  }

  private open(): void {
    this.retryTimer = undefined;
    if (!this.started) return;
    let context: PcscliteContext;
    try {
      context = (this.options.factory ?? loadPcsclite())();
    } catch (error) {
      this.down(fromPcscError(error));
      return;
    }
    this.context = context;
    this.lastChange = Date.now();
    context.on('error', (error: unknown) => {
      if (this.context === context) this.down(fromPcscError(error));
    });
    context.on('reader', (reader: PcscliteReader) => this.onReader(context, reader));
    if (this.up !== true) {
      this.up = true;
      this.lastError = undefined;
      this.emitEvent({ type: 'pcsc-up' });
    }
    this.changed();
  }

  private onReader(context: PcscliteContext, reader: PcscliteReader): void {
    // Status threads report errors when pcscd goes away; the context error handles that.
    reader.on('error', () => undefined);
    if (context !== this.context) {
      reader.close();
      retire(reader);
      return;
    }
    const tracked: Tracked = { reader, state: { name: reader.name, present: false, mute: false, exclusive: false }, eventCount: -1, seen: false };
    this.tracked.set(reader.name, tracked);
    this.lastChange = Date.now();
    this.emitEvent({ type: 'reader-added', reader: reader.name });
    this.changed();
    reader.on('status', (status: { state: number; atr?: Buffer }) => {
      if (this.tracked.get(reader.name) !== tracked) return;
      this.onStatus(tracked, status);
      this.changed();
    });
    reader.on('end', () => {
      if (this.tracked.get(reader.name) === tracked) this.removeReader(tracked, new PcscError('READER_GONE', `The card reader "${reader.name}" was unplugged. Plug it in again.`, { reader: reader.name }));
    });
  }

  private onStatus(tracked: Tracked, status: { state: number; atr?: Buffer }): void {
    const r = tracked.reader;
    const s = tracked.state;
    tracked.seen = true;
    const present = (status.state & r.SCARD_STATE_PRESENT) !== 0;
    const mute = present && (status.state & r.SCARD_STATE_MUTE) !== 0;
    // pcsc-lite counts insertions and removals in the high word: a change while "present"
    // both times means the card was swapped between two looks.
    const eventCount = status.state >>> 16;
    const swapped = present && s.present && tracked.eventCount >= 0 && eventCount !== tracked.eventCount;
    tracked.eventCount = eventCount;
    s.exclusive = (status.state & r.SCARD_STATE_EXCLUSIVE) !== 0;
    if (s.present && (!present || swapped)) {
      s.present = false;
      s.atr = undefined;
      s.identity = undefined;
      this.connections.get(s.name)?.invalidate(new PcscError('CARD_REMOVED', `The card was removed from "${s.name}". Insert it again and start over.`, { reader: s.name }));
      this.emitEvent({ type: 'card-removed', reader: s.name });
    }
    if (mute && !s.mute) {
      s.mute = true;
      this.emitEvent({ type: 'card-mute', reader: s.name });
    } else if (!present) {
      s.mute = false;
    }
    if (present && !mute && !s.present && status.atr && status.atr.length > 0) {
      s.present = true;
      s.mute = false;
      s.atr = new Uint8Array(status.atr);
      s.identity = identifyCard(s.atr);
      this.emitEvent({ type: 'card-inserted', reader: s.name, atr: s.atr, identity: s.identity });
    }
  }

  private removeReader(tracked: Tracked, reason: PcscError): void {
    const name = tracked.state.name;
    this.tracked.delete(name);
    this.connections.get(name)?.invalidate(reason);
    if (tracked.state.present) this.emitEvent({ type: 'card-removed', reader: name });
    this.emitEvent({ type: 'reader-removed', reader: name });
    closeReader(tracked.reader, this.lastConnection.get(tracked.reader));
    // Only with the real binding: a test's factory has no pcscd behind it.
    if (this.tracked.size === 0 && this.context && reason.code === 'READER_GONE' && !this.options.factory) this.probeService(this.context);
    this.changed();
  }

  /**
   * Every reader went at once: pcscd removes its readers as it stops, and pcsclite does not
   * always report the stop itself. Ask pcscd's socket: refused or gone is pcscd down (said as
   * such, whichever came first), answered is readers unplugged.
   */
  private probeService(context: PcscliteContext): void {
    const socketPath = process.env.PCSCLITE_CSOCK_NAME ?? PCSCD_SOCKET;
    const probe = net.connect({ path: socketPath });
    probe.setTimeout(PROBE_TIMEOUT_MS);
    const done = (up: boolean): void => {
      probe.destroy();
      if (!up && this.context === context && this.tracked.size === 0) {
        this.down(new PcscError('PCSC_UNAVAILABLE', 'The smart-card service (pcscd) is not running. Start it (sudo systemctl start pcscd) and try again.'));
      }
    };
    probe.once('connect', () => done(true));
    probe.once('timeout', () => done(true));
    probe.once('error', (error: NodeJS.ErrnoException) => done(!['ECONNREFUSED', 'ENOENT'].includes(error.code ?? '')));
  }

  private down(error: PcscError): void {
    const reason = error.code === 'PCSC_UNAVAILABLE' ? error : new PcscError('PCSC_UNAVAILABLE', `The smart-card service stopped answering: ${error.message}`, { cause: error });
    for (const tracked of [...this.tracked.values()]) this.removeReader(tracked, reason);
    this.dropContext();
    this.lastError = reason;
    if (this.up !== false) {
      this.up = false;
      this.emitEvent({ type: 'pcsc-down', error: reason });
    }
    if (this.started && !this.retryTimer) this.retryTimer = setTimeout(() => this.open(), this.retryMs);
    this.changed();
  }

  private dropContext(): void {
    const context = this.context;
    this.context = undefined;
    for (const { reader } of this.tracked.values()) closeReader(reader, this.lastConnection.get(reader));
    if (context) {
      context.removeAllListeners('reader');
      try {
        context.close();
      } catch {
        // The binding's status thread may already have stopped on its own.
      }
      retire(context);
    }
  }
}

/**
 * Stops a reader object's status thread. Never synchronously: pcsclite emits 'end' and
 * 'status' while holding the reader's lock, which close() takes too (a self-deadlock of the
 * event loop); and not while a transmit is pending in the thread pool, which holds it as well.
 */
function closeReader(reader: PcscliteReader, connection?: PcscCardConnection): void {
  reader.removeAllListeners('status');
  const close = () => {
    try {
      reader.close();
    } catch {
      // Already closed by the binding.
    }
  };
  retire(reader);
  setImmediate(() => (connection ? connection.whenNativeIdle(close) : close()));
}
