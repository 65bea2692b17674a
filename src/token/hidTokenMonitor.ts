/**
 * Hot-plug of security tokens by polling. node-hid (hidapi) has no device-arrival events on
 * Linux (nor a portable API for them elsewhere), so the monitor enumerates every `intervalMs`
 * and compares: a descriptor that appears is `token-added`, one that disappears
 * `token-removed`. A token is known by path, vendor, product and serial, so a different token
 * that gets the same /dev/hidrawN between two polls shows as a removal and an addition.
 *
 * A failing enumeration changes nothing (it does not mean the tokens are gone): it is an
 * `error` event once per run of failures, when someone listens for `error`, and polling goes
 * on. Timers are unref'd: a monitor alone never keeps the process alive.
 */
import { EventEmitter } from 'node:events';
import type { HidTokenDescriptor } from './hidDevice.ts';

export interface HidTokenMonitorEvents {
  'token-added': [HidTokenDescriptor];
  'token-removed': [HidTokenDescriptor];
  error: [Error];
}

export interface HidTokenMonitorOptions {
  /** Lists connected tokens, e.g. `() => new NodeHidTransport().devices()`. */
  enumerate: () => HidTokenDescriptor[] | Promise<HidTokenDescriptor[]>;
  /** Poll interval. Default 1000 ms. */
  intervalMs?: number;
}

const keyOf = (d: HidTokenDescriptor): string => JSON.stringify([d.path, d.vendorId, d.productId, d.serial ?? null]);

export class HidTokenMonitor extends EventEmitter<HidTokenMonitorEvents> {
  readonly #enumerate: HidTokenMonitorOptions['enumerate'];
  readonly #intervalMs: number;
  #known = new Map<string, HidTokenDescriptor>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #failing = false;
  #polling: Promise<void> | undefined;

  constructor(options: HidTokenMonitorOptions) {
    super();
    const interval = options.intervalMs ?? 1000;
    if (!(interval > 0)) throw new RangeError('intervalMs must be positive');
    this.#enumerate = options.enumerate;
    this.#intervalMs = interval;
  }

  /** The tokens seen by the last successful poll. */
  tokens(): HidTokenDescriptor[] {
    return [...this.#known.values()];
  }

  get running(): boolean {
    return this.#running;
  }

  /** Polls at once (tokens already plugged in are `token-added`), then every interval. */
  start(): this {
    if (this.#running) return this;
    this.#running = true;
    this.#schedule(0);
    return this;
  }

  /** Stops polling; the known tokens are kept. Resolves when a poll under way has finished. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#polling;
  }

  /** One enumeration and its events; for tests and for a caller who wants an answer now. */
  poll(): Promise<void> {
    this.#polling ??= this.#pollOnce().finally(() => {
      this.#polling = undefined;
    });
    return this.#polling;
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.poll().finally(() => {
        // stop() + start() during this poll has scheduled a new chain already: keep only one
        if (this.#running && this.#timer === undefined) this.#schedule(this.#intervalMs);
      });
    }, ms);
    this.#timer.unref();
  }

  async #pollOnce(): Promise<void> {
    let now: HidTokenDescriptor[];
    try {
      now = await this.#enumerate();
      if (!Array.isArray(now)) throw new TypeError('the enumeration did not return a list');
    } catch (e) {
      if (!this.#failing && this.listenerCount('error') > 0) this.emit('error', e instanceof Error ? e : new Error(String(e)));
      this.#failing = true;
      return;
    }
    this.#failing = false;
    const next = new Map(now.map((d) => [keyOf(d), d] as const));
    const before = this.#known;
    this.#known = next;
    for (const [key, d] of before) if (!next.has(key)) this.#emitSafely('token-removed', d);
    for (const [key, d] of next) if (!before.has(key)) this.#emitSafely('token-added', d);
  }

  /** A listener that throws must not stop the monitor: its error goes to `error` listeners. */
  #emitSafely(event: 'token-added' | 'token-removed', d: HidTokenDescriptor): void {
    try {
      this.emit(event, { ...d });
    } catch (e) {
      if (this.listenerCount('error') > 0) this.emit('error', e instanceof Error ? e : new Error(String(e)));
    }
  }
}
