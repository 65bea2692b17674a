import type { Transmit } from '../iso7816/index.ts';

// Transmit, the one call every card medium offers, is declared in iso7816 (the layer that
// frames APDUs over it); pcsc implements it and passes the name on to the layers above.
export type { Transmit };

export interface CardTransport {
  /** The card's answer to reset, as the reader reported it when the card was connected. */
  readonly atr: Uint8Array;

  /** Sends one command APDU and returns the response APDU (data || SW1 SW2). Queued per card. */
  transmit(apdu: Uint8Array): Promise<Uint8Array>;

  /**
   * Holds the card for a logical operation of several APDUs: nothing else this process sends
   * goes in between. `fn` must use the `transmit` it is given (calling the transport's own
   * `transmit` inside would wait for the transaction itself).
   */
  transaction<T>(fn: (transmit: Transmit) => Promise<T>): Promise<T>;

  /** Releases the card (left powered, for other middleware). Safe to call twice. */
  close(): Promise<void>;
}

/**
 * The card side of an in-process or virtual connection: what a software card implements.
 * vpcd and the in-process transport both drive a card through this.
 */
export interface SoftwareCard {
  readonly atr: Uint8Array;
  /** Power-on or warm reset: volatile state (selected application, verified PIN) is lost. */
  reset(): void;
  /** One command APDU in, one response APDU out. Never throws for a bad command: answers a SW. */
  process(apdu: Uint8Array): Uint8Array | Promise<Uint8Array>;
}
