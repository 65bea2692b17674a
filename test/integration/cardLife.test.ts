/**
 * A payment card's life (card terms §12) on both stores: valid to the end of the month printed
 * on it, Stockholm time; an exchange or replacement card takes over its e-nummer, and the old
 * card is blocked when the new one is first used.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addPaymentCard, CARD_VALIDITY_MONTHS, connectCard, issueReplacementCard } from '../../src/bank/customers.ts';
import { eachBankPair } from '../support/bankPair.ts';
import { requirePostgres, storeTargets } from '../support/postgres.ts';

const START = Date.UTC(2026, 10, 22, 10, 0, 0); // 22 November 2026, 11:00 in Stockholm
const END_OF_2026 = Date.UTC(2026, 11, 31, 23, 0, 0); // 1 January 2027, 00:00 in Stockholm
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ekort-cardlife-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

await requirePostgres();

describe.each(storeTargets(tmp, 'cardlife'))("a card's life on $name", (store) => {
  const t = eachBankPair(store, START);

  it(`a new card is valid ${CARD_VALIDITY_MONTHS} months, to the end of the month printed on it`, async () => {
    const [card] = await t.service.paymentCards(t.anna);
    // November 2030 ends at midnight starting 1 December, Stockholm (CET: 23:00 UTC).
    expect(card).toMatchObject({ expiresAt: '2030-11-30T23:00:00.000Z', expired: false, replaces: null });
  });

  it('works until its month has ended, Swedish time; then no purchase goes through and no e-nummer is made', async () => {
    const { id: cardId } = await addPaymentCard(t.service.ctx, t.anna.customerId, { expiresAt: END_OF_2026 });
    await connectCard(t.service.ctx, t.anna.customerId, cardId, (await t.service.terms()).version);
    const { secret } = await t.service.createEnummer(t.anna, { cardId, merchant: 'Webbutiken', recurring: true, months: 6 });
    t.now = END_OF_2026 - 2;
    expect(await t.buy(secret)).toMatchObject({ approved: true });
    t.now = END_OF_2026;
    expect(await t.buy(secret)).toMatchObject({ approved: false, declineCode: 'CARD_EXPIRED' });
    await expect(t.service.createEnummer(t.anna, { cardId, merchant: 'Bokhandeln' })).rejects.toMatchObject({ code: 'CARD_EXPIRED' });
    expect((await t.service.paymentCards(t.anna)).find((c) => c.id === cardId)).toMatchObject({ expired: true });
  });

  it('a replacement card takes over the open and paused e-nummer; the old card is blocked at its first use', async () => {
    const open = await t.service.createEnummer(t.anna, { cardId: t.bank.cardId, merchant: 'Webbutiken', recurring: true, months: 12 });
    const paused = await t.service.createEnummer(t.anna, { cardId: t.bank.cardId, merchant: 'Strömningstjänsten', recurring: true, months: 12 });
    await t.service.changeEnummer(t.anna, paused.enummer.id, 'pause');
    const closed = await t.service.createEnummer(t.anna, { cardId: t.bank.cardId, merchant: 'Bokhandeln' });
    await t.service.changeEnummer(t.anna, closed.enummer.id, 'close');
    const [old] = await t.service.paymentCards(t.anna);

    const issued = await issueReplacementCard(t.service.ctx, t.bank.cardId);
    expect(issued.moved).toBe(2);
    await expect(issueReplacementCard(t.service.ctx, t.bank.cardId)).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
    const cards = await t.bank.other.paymentCards(t.anna);
    const fresh = cards.find((c) => c.id === issued.id)!;
    expect(fresh).toMatchObject({ connected: true, state: 'active', last4: issued.pan.slice(-4), replaces: { id: t.bank.cardId, last4: old!.last4 } });
    expect(cards.find((c) => c.id === t.bank.cardId)!.state).toBe('active');
    const [message] = await t.service.notifications(t.anna);
    expect(message).toMatchObject({ kind: 'card_replaced', refId: issued.id, title: { sv: `Ditt nya kort som slutar på ${issued.pan.slice(-4)} ersätter kortet som slutar på ${old!.last4}` } });
    expect(message!.text.sv).toBe('Dina 2 e-nummer drar nu från det nya kortet och fungerar som förut. Det gamla kortet spärras när du använder det nya kortet första gången (kortvillkor punkt 12).');

    // The subscription goes on with the new card: its first use blocks the old one.
    expect(await t.buy(open.secret)).toMatchObject({ approved: true });
    const after = await t.service.paymentCards(t.anna);
    expect(after.find((c) => c.id === t.bank.cardId)!.state).toBe('blocked');
    expect(after.find((c) => c.id === issued.id)!.state).toBe('active');
    expect((await t.service.enummers(t.anna)).find((e) => e.id === paused.enummer.id)).toMatchObject({ state: 'paused', cardLast4: issued.pan.slice(-4) });
    const [tx] = await t.service.transactions(t.anna);
    expect(tx).toMatchObject({ decision: 'approved', enummerId: open.enummer.id });
  });
});
