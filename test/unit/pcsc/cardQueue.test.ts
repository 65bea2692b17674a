import { describe, expect, it } from 'vitest';
import { CardQueue } from '../../../src/pcsc/cardQueue.ts';
import { InProcessTransport } from '../../../src/pcsc/inProcessTransport.ts';
import type { SoftwareCard } from '../../../src/pcsc/cardTransport.ts';
import { fromHex, toHex } from '../../../src/iso7816/hex.ts';

/** A card that answers after a delay and logs what it saw, to see interleaving. */
function slowCard(log: string[]): SoftwareCard {
  return {
    atr: fromHex('3b00'),
    reset() {},
    async process(apdu) {
      log.push(`in ${toHex(apdu)}`);
      await new Promise((r) => setTimeout(r, 2));
      log.push(`out ${toHex(apdu)}`);
      return fromHex('9000');
    },
  };
}

describe('CardQueue', () => {
  it('runs jobs one at a time in the order asked', async () => {
    const queue = new CardQueue();
    const log: number[] = [];
    const job = (n: number, ms: number) => queue.run(async () => {
      log.push(n);
      await new Promise((r) => setTimeout(r, ms));
      log.push(-n);
      return n;
    });
    expect(await Promise.all([job(1, 5), job(2, 0), job(3, 1)])).toEqual([1, 2, 3]);
    expect(log).toEqual([1, -1, 2, -2, 3, -3]);
  });

  it('keeps going after a failed job', async () => {
    const queue = new CardQueue();
    await expect(queue.run(async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(await queue.run(async () => 7)).toBe(7);
  });
});

describe('transaction', () => {
  it('holds the card: a concurrent transmit waits until the transaction ends', async () => {
    const log: string[] = [];
    const transport = new InProcessTransport(slowCard(log));
    const inTransaction = transport.transaction(async (tx) => {
      await tx(fromHex('01'));
      await tx(fromHex('02'));
      return 'done';
    });
    const other = transport.transmit(fromHex('ff'));
    await Promise.all([inTransaction, other]);
    expect(log).toEqual(['in 01', 'out 01', 'in 02', 'out 02', 'in ff', 'out ff']);
  });

  it('reports a removed card as CARD_REMOVED, and a closed one as TRANSPORT_CLOSED', async () => {
    const transport = new InProcessTransport(slowCard([]));
    transport.remove();
    await expect(transport.transmit(fromHex('00'))).rejects.toMatchObject({ code: 'CARD_REMOVED' });
    const other = new InProcessTransport(slowCard([]));
    await other.close();
    await expect(other.transmit(fromHex('00'))).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
  });
});
