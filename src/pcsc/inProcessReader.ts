/**
 * A reader that lives in this process: a software card is inserted and removed by calling
 * it, with no pcscd and no vpcd. It reports the same ReaderState and ReaderEvents as the
 * pcsclite ReaderMonitor, and its connections are InProcessTransports that share one queue
 * per card, so two callers never interleave APDUs (as two PC/SC handles on one card don't).
 */
import { EventEmitter } from 'node:events';
import { identifyCard } from '../iso7816/index.ts';
import { CardQueue } from './cardQueue.ts';
import type { SoftwareCard } from './cardTransport.ts';
import { PcscError } from './errors.ts';
import { InProcessTransport } from './inProcessTransport.ts';
import type { ReaderEvent, ReaderState } from './readerMonitor.ts';

interface Inserted {
  card: SoftwareCard;
  queue: CardQueue;
  transports: Set<InProcessTransport>;
}

export class InProcessReader extends EventEmitter<{ event: [ReaderEvent] }> {
  private inserted: Inserted | undefined;

  constructor(readonly name: string) {
    super();
  }

  get card(): SoftwareCard | undefined {
    return this.inserted?.card;
  }

  state(): ReaderState {
    const card = this.inserted?.card;
    if (!card) return { name: this.name, present: false, mute: false, exclusive: false };
    const identity = identifyCard(card.atr);
    return { name: this.name, present: true, mute: false, exclusive: false, atr: Uint8Array.from(card.atr), ...(identity ? { identity } : {}) };
  }

  /** Powers the card up in this reader (a card already in is taken out first). */
  insert(card: SoftwareCard): void {
    if (this.inserted) this.remove();
    card.reset();
    this.inserted = { card, queue: new CardQueue(), transports: new Set() };
    const { atr, identity } = this.state();
    this.emit('event', { type: 'card-inserted', reader: this.name, atr: atr!, ...(identity ? { identity } : {}) });
  }

  /** Takes the card out: open connections fail with CARD_REMOVED from now on. */
  remove(): void {
    const inserted = this.inserted;
    if (!inserted) return;
    this.inserted = undefined;
    for (const transport of inserted.transports) transport.remove();
    this.emit('event', { type: 'card-removed', reader: this.name });
  }

  async connect(): Promise<InProcessTransport> {
    const inserted = this.inserted;
    if (!inserted) throw new PcscError('NO_CARD', `There is no card in "${this.name}". Insert your card.`, { reader: this.name });
    const transport = new InProcessTransport(inserted.card, this.name, inserted.queue, () => inserted.transports.delete(transport));
    inserted.transports.add(transport);
    return transport;
  }
}
