import type { CardTransport, Transmit } from './cardTransport.ts';

/**
 * A mutex for one card: callers run one after another, in the order they asked, so two
 * callers never interleave APDUs. A failed job does not break the queue.
 */
export class CardQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/**
 * The part every card transport shares: the queue. An implementation supplies `exchange`,
 * the raw one-APDU round trip, and gets `transmit` and `transaction` with queueing.
 */
export abstract class QueuedTransport implements CardTransport {
  abstract readonly atr: Uint8Array;
  private readonly exchangeFn: Transmit = (apdu) => this.exchange(apdu);

  constructor(private readonly queue: CardQueue = new CardQueue()) {}

  protected abstract exchange(apdu: Uint8Array): Promise<Uint8Array>;

  transmit(apdu: Uint8Array): Promise<Uint8Array> {
    return this.queue.run(() => this.exchange(apdu));
  }

  transaction<T>(fn: (transmit: Transmit) => Promise<T>): Promise<T> {
    return this.queue.run(() => fn(this.exchangeFn));
  }

  abstract close(): Promise<void>;
}

/**
 * A transport that sits on another and sees every exchange (trace, recorder). It holds the
 * inner transport's queue for each of its own calls, so it never reorders anything.
 */
export abstract class WrappingTransport implements CardTransport {
  constructor(protected readonly inner: CardTransport) {}

  get atr(): Uint8Array {
    return this.inner.atr;
  }

  protected abstract wrap(transmit: Transmit): Transmit;

  transmit(apdu: Uint8Array): Promise<Uint8Array> {
    return this.inner.transaction((tx) => this.wrap(tx)(apdu));
  }

  transaction<T>(fn: (transmit: Transmit) => Promise<T>): Promise<T> {
    return this.inner.transaction((tx) => fn(this.wrap(tx)));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
