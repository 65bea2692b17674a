import { type CardQueue, QueuedTransport } from './cardQueue.ts';
import type { SoftwareCard } from './cardTransport.ts';
import { PcscError } from './errors.ts';

/**
 * A software card wired straight to the stack, no daemon: for tests and for engineers who
 * want a card without pcscd. `remove()` behaves like pulling the card out of a reader.
 */
export class InProcessTransport extends QueuedTransport {
  private state: 'present' | 'removed' | 'closed' = 'present';

  /** `queue`: shared by every connection to one card (InProcessReader); `onClose`: told once at close. */
  constructor(
    private readonly card: SoftwareCard,
    readonly readerName = 'In-process card',
    queue?: CardQueue,
    private readonly onClose?: () => void,
  ) {
    super(queue);
  }

  get atr(): Uint8Array {
    return this.card.atr;
  }

  protected async exchange(apdu: Uint8Array): Promise<Uint8Array> {
    if (this.state === 'removed') {
      throw new PcscError('CARD_REMOVED', `The card was removed in "${this.readerName}". Insert it again and start over.`, { reader: this.readerName });
    }
    if (this.state === 'closed') throw new PcscError('TRANSPORT_CLOSED', 'This card connection was closed.', { reader: this.readerName });
    // A copy, so neither side can change the other's bytes afterwards.
    return Uint8Array.from(await this.card.process(Uint8Array.from(apdu)));
  }

  /** Simulates pulling the card out: every later exchange fails with CARD_REMOVED. */
  remove(): void {
    this.state = 'removed';
  }

  async close(): Promise<void> {
    if (this.state === 'present') this.state = 'closed';
    this.onClose?.();
  }
}
