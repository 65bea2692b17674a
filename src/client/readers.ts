/**
 * Readers and cards for the UI: the app's own in-process reader (where the demo's virtual
 * card goes, with no pcscd and no vpcd) first, then a ReaderMonitor's (pcscd, surviving its
 * restarts), turned into ReaderInfo lists and announced after every change (card in or out,
 * reader added or removed, pcscd gone: the readers last seen are then "unavailable"). Bursts
 * of monitor events (pcscd going away removes every reader at once) are announced as one list.
 */
import { toHex } from '../iso7816/index.ts';
import { type CardTransport, InProcessReader, PcscError, type ReaderEvent, ReaderMonitor, type ReaderState } from '../pcsc/index.ts';
import { ekortReaderSlot } from '../virtual/index.ts';
import type { ReaderInfo } from './api.ts';
import { AgentError } from './failure.ts';

/** The app's own reader: always there, virtual cards only. */
export const IN_APP_READER = 'e-kort Virtual Reader';

/** vsmartcard's vpcd readers and ekort's own driver's are virtual too, though they come through pcscd. */
const isVpcdReader = (name: string): boolean => /^Virtual PCD \d\d \d\d$/.test(name) || ekortReaderSlot(name) !== undefined;

/** Readers listed this long before pcscd was seen gone count as its own (see list()). */
const RECENT_MS = 5000;

/**
 * connect() waits at most this long for a first read (readFirst) still running on the reader;
 * then it goes ahead, and the card's queue keeps the two from interleaving APDUs.
 */
export const FIRST_READ_WAIT_MS = 10_000;

/** How long an announcement waits for the first status of readers pcscd has just added. */
const FIRST_STATUS_WAIT_MS = 500;

export class Readers {
  readonly monitor: ReaderMonitor;
  readonly inApp = new InProcessReader(IN_APP_READER);
  private readonly pinPads = new Map<string, boolean>();
  /** When each pcscd reader was last listed (ms). */
  private readonly seenAt = new Map<string, number>();
  /** Since when pcscd has been seen down (ms), while it is. */
  private downSince: number | undefined;
  private scheduled = false;
  private closed = false;
  /** Per reader, a first read still running (settles, never rejects); see readFirst(). */
  private readonly firstReads = new Map<string, Promise<void>>();
  /** Per reader, how many connections connect() has made: see useCount(). */
  private readonly uses = new Map<string, number>();
  private readonly cardListeners = new Set<(event: ReaderEvent) => void>();

  constructor(
    private readonly onChange: (readers: ReaderInfo[]) => void,
    options: { retryMs?: number; monitor?: ReaderMonitor; cardTimeoutMs?: number } = {},
  ) {
    this.monitor = options.monitor ?? new ReaderMonitor({ retryMs: options.retryMs ?? 1000, ...(options.cardTimeoutMs === undefined ? {} : { connect: { transmitTimeoutMs: options.cardTimeoutMs, connectTimeoutMs: options.cardTimeoutMs } }) });
    const forward = (event: ReaderEvent): void => {
      this.schedule();
      for (const listener of [...this.cardListeners]) listener(event);
    };
    this.monitor.on('event', forward);
    this.inApp.on('event', forward);
  }

  /**
   * A connection to the card in `reader`, in-app or through pcscd; after a first read of that
   * card (readFirst) if one is running.
   */
  async connect(reader: string): Promise<CardTransport> {
    const first = this.firstReads.get(reader);
    if (first) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([first, new Promise<void>((resolve) => (timer = setTimeout(resolve, FIRST_READ_WAIT_MS)))]).finally(() => clearTimeout(timer));
    }
    this.uses.set(reader, this.useCount(reader) + 1);
    return this.connectNow(reader);
  }

  private connectNow(reader: string): Promise<CardTransport> {
    return reader === IN_APP_READER ? this.inApp.connect() : this.monitor.connect(reader);
  }

  /**
   * Runs `read` on the card in `reader` before anyone else: connect() calls for that reader wait
   * until it has ended (bounded by FIRST_READ_WAIT_MS). `read` connects with the function it is
   * given, which does not wait for itself and is not counted in useCount().
   */
  readFirst<T>(reader: string, read: (connect: () => Promise<CardTransport>) => Promise<T>): Promise<T> {
    const run = read(() => this.connectNow(reader));
    const ended = run.then(
      () => undefined,
      () => undefined,
    );
    this.firstReads.set(reader, ended);
    void ended.then(() => {
      if (this.firstReads.get(reader) === ended) this.firstReads.delete(reader);
    });
    return run;
  }

  /** How many connections connect() has made to `reader`: a changed count means the card was used since. */
  useCount(reader: string): number {
    return this.uses.get(reader) ?? 0;
  }

  /** Every reader event, of the app's own reader and of pcscd's; returns the unsubscribe. */
  onEvent(listener: (event: ReaderEvent) => void): () => void {
    this.cardListeners.add(listener);
    return () => this.cardListeners.delete(listener);
  }

  start(): void {
    this.monitor.start();
  }

  /** The first complete picture (bounded), then the list. */
  async settledList(): Promise<ReaderInfo[]> {
    await this.monitor.settled(3000);
    return this.list();
  }

  list(): ReaderInfo[] {
    const inApp = this.info(this.inApp.state(), 'in-app');
    const now = Date.now();
    if (!this.monitor.available) {
      // pcscd removes its readers one by one as it stops, before it is seen gone: the readers
      // listed shortly before show as unavailable, not unplugged, whatever the order was.
      this.downSince ??= now;
      const recent = [...this.seenAt].filter(([, at]) => at >= (this.downSince ?? now) - RECENT_MS).map(([name]) => name);
      return [inApp, ...recent.map((name): ReaderInfo => ({ name, state: 'unavailable', pinPad: this.pinPads.get(name) ?? false, virtual: isVpcdReader(name), source: 'pcsc' }))];
    }
    this.downSince = undefined;
    const states = this.monitor.readers();
    for (const s of states) this.seenAt.set(s.name, now);
    return [inApp, ...states.map((s) => this.info(s, 'pcsc'))];
  }

  private info(s: ReaderState, source: ReaderInfo['source']): ReaderInfo {
    const info: ReaderInfo = {
      name: s.name,
      state: s.present || s.mute ? 'card' : 'empty',
      pinPad: this.pinPads.get(s.name) ?? false,
      virtual: source === 'in-app' || isVpcdReader(s.name),
      source,
    };
    if (s.present && s.atr) info.atr = toHex(s.atr, '');
    if (s.present && s.identity) info.cardKind = s.identity.name;
    return info;
  }

  /** What PinPad.detect found for a reader's card (kept for the reader). */
  setPinPad(reader: string, pinPad: boolean): void {
    if (this.pinPads.get(reader) === pinPad) return;
    this.pinPads.set(reader, pinPad);
    this.schedule();
  }

  /** True while the monitor shows a card in `reader`. */
  hasCard(reader: string): boolean {
    if (reader === IN_APP_READER) return this.inApp.state().present;
    return this.monitor.readers().some((r) => r.name === reader && r.present);
  }

  /**
   * Rejects with CARD_REMOVED when the card leaves `reader` (or the reader, or pcscd, goes);
   * dispose() when the operation is over.
   */
  watchRemoval(reader: string): { gone: Promise<never>; isGone: () => boolean; dispose: () => void } {
    let gone = false;
    let reject!: (e: Error) => void;
    const promise = new Promise<never>((_resolve, r) => (reject = r));
    promise.catch(() => undefined);
    const source = reader === IN_APP_READER ? this.inApp : this.monitor;
    const listener = (event: ReaderEvent): void => {
      const ours = (event.type === 'card-removed' || event.type === 'reader-removed') && event.reader === reader;
      if (!ours && event.type !== 'pcsc-down') return;
      gone = true;
      reject(cardRemoved(reader));
    };
    source.on('event', listener);
    return { gone: promise, isGone: () => gone, dispose: () => source.off('event', listener) };
  }

  /**
   * Waits up to `ms` until the list shows a card in `reader` (and the 'readers' event saying so
   * has gone out); true if it does.
   */
  async waitCard(reader: string, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (this.list().some((r) => r.name === reader && r.state === 'card')) {
        // The announcement is scheduled with setImmediate when the monitor saw the card: let it go out first.
        await new Promise((r) => setImmediate(r));
        return true;
      }
      if (this.closed || Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Waits up to `ms` for the card to be reported gone; true if it was. */
  async waitGone(reader: string, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    const gone = (): boolean => !this.hasCard(reader) || (reader !== IN_APP_READER && !this.monitor.available);
    while (Date.now() < deadline) {
      if (gone()) return true;
      await new Promise((r) => setTimeout(r, 25));
    }
    return gone();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.inApp.remove();
    await this.monitor.close();
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      // A reader pcscd has just added shows no card until its first status comes (a few ms
      // later): announced now, a card pcscd never reported gone would look taken out.
      const ready = this.monitor.firstStatusPending ? this.monitor.settled(FIRST_STATUS_WAIT_MS) : undefined;
      const announce = (): void => {
        this.scheduled = false;
        if (!this.closed) this.onChange(this.list());
      };
      if (ready) void ready.then(announce, announce);
      else announce();
    });
  }
}

export const cardRemoved = (reader: string, pinMayBeSpent = false): AgentError =>
  pinMayBeSpent
    ? new AgentError('CARD_REMOVED', `The card was taken out of "${reader}" while it was checking the PIN: one try may have been spent. Insert it again: the tries left are read from the card.`, { pinMayBeSpent })
    : new AgentError('CARD_REMOVED', `The card was taken out of "${reader}" during the operation. Insert it again and start over.`);

/** Transport failures that mean the card (or its reader, or pcscd) went away mid-operation. */
export function isCardGone(error: unknown): boolean {
  return error instanceof PcscError && ['CARD_REMOVED', 'READER_GONE', 'PCSC_UNAVAILABLE', 'TRANSPORT_CLOSED', 'CARD_RESET', 'TRANSMIT_TIMEOUT', 'PCSC_ERROR', 'NO_CARD'].includes(error.code);
}
