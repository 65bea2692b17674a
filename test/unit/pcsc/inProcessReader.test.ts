import { describe, expect, it } from 'vitest';
import { PcscError } from '../../../src/pcsc/errors.ts';
import { InProcessReader } from '../../../src/pcsc/inProcessReader.ts';
import type { ReaderEvent } from '../../../src/pcsc/readerMonitor.ts';
import { PivSession } from '../../../src/piv/pivSession.ts';
import { createCardImage } from '../../../src/virtual/cardImage.ts';
import { VirtualPivCard } from '../../../src/virtual/pivCard.ts';
import type { SoftwareCard } from '../../../src/pcsc/cardTransport.ts';

const image = await createCardImage({ name: 'Tolvan Tolvansson', personnummer: '191212121212' });

/** A card that answers 90 00 after a delay and records the order it saw commands in. */
class SlowCard implements SoftwareCard {
  readonly atr = Uint8Array.of(0x3b, 0x00);
  readonly seen: number[] = [];
  resets = 0;
  reset(): void {
    this.resets++;
  }
  async process(apdu: Uint8Array): Promise<Uint8Array> {
    await new Promise((r) => setTimeout(r, 5));
    this.seen.push(apdu[1]!);
    return Uint8Array.of(0x90, 0x00);
  }
}

describe('InProcessReader', () => {
  it('reports the card as a PC/SC reader does: state, identity and events', async () => {
    const reader = new InProcessReader('Test reader');
    const events: ReaderEvent[] = [];
    reader.on('event', (e) => events.push(e));
    expect(reader.state()).toEqual({ name: 'Test reader', present: false, mute: false, exclusive: false });

    const card = new VirtualPivCard(image);
    reader.insert(card);
    const state = reader.state();
    expect(state.present).toBe(true);
    expect(state.atr).toEqual(card.atr);
    expect(state.identity?.name).toBe('e-kort virtual PIV card');
    expect(events).toEqual([{ type: 'card-inserted', reader: 'Test reader', atr: card.atr, identity: state.identity }]);

    // A PIV session runs on its connection as on a real reader.
    const transport = await reader.connect();
    const session = await PivSession.open(transport);
    expect((await session.pinStatus()).retriesLeft).toBe(3);
    await transport.close();

    reader.remove();
    expect(events.at(-1)).toEqual({ type: 'card-removed', reader: 'Test reader' });
    expect(reader.state().present).toBe(false);
  });

  it('refuses a connection without a card (NO_CARD), and open connections fail with CARD_REMOVED once it is out', async () => {
    const reader = new InProcessReader('Test reader');
    await expect(reader.connect()).rejects.toMatchObject({ code: 'NO_CARD' });
    reader.insert(new SlowCard());
    const transport = await reader.connect();
    reader.remove();
    const failure = await transport.transmit(Uint8Array.of(0, 0xa4, 4, 0)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PcscError);
    expect(failure).toMatchObject({ code: 'CARD_REMOVED' });
  });

  it('powers the card up on insert and never interleaves two connections’ transactions', async () => {
    const reader = new InProcessReader('Test reader');
    const card = new SlowCard();
    reader.insert(card);
    expect(card.resets).toBe(1);
    const a = await reader.connect();
    const b = await reader.connect();
    await Promise.all([
      a.transaction(async (tx) => {
        await tx(Uint8Array.of(0, 1, 0, 0));
        await tx(Uint8Array.of(0, 2, 0, 0));
      }),
      b.transmit(Uint8Array.of(0, 9, 0, 0)),
      a.transaction(async (tx) => {
        await tx(Uint8Array.of(0, 3, 0, 0));
      }),
    ]);
    expect(card.seen).toEqual([1, 2, 9, 3]);
  });

  it('a second insert takes the first card out first', () => {
    const reader = new InProcessReader('Test reader');
    const events: string[] = [];
    reader.on('event', (e) => events.push(e.type));
    reader.insert(new SlowCard());
    reader.insert(new SlowCard());
    expect(events).toEqual(['card-inserted', 'card-removed', 'card-inserted']);
  });
});
