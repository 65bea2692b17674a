/**
 * Disputes (reklamation, card terms §10-11) on both stores: SQLite and PostgreSQL. The
 * figures of the terms are asserted: 13 months at the boundary, 400 kr, 12 000 kr.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createCustomer } from '../../src/bank/customers.ts';
import { claimDeadline } from '../../src/bank/disputes.ts';
import { EkortService } from '../../src/bank/service.ts';
import type { ActiveSession } from '../../src/bank/sessions.ts';
import { openBankPair } from '../support/bankPair.ts';
import { requirePostgres, storeTargets } from '../support/postgres.ts';

const START = Date.UTC(2026, 10, 22, 10, 0, 0); // 22 Nov 2026 11:00 Stockholm
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ekort-disputes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const stores = storeTargets(tmp, 'disputes');

await requirePostgres();

describe.each(stores)('disputes on $name', (store) => {
  let service: EkortService;
  let other: EkortService;
  let now = START;
  let anna: ActiveSession;
  let sven: ActiveSession;
  let cardId: string;
  let secret: { pan: string; expiry: string; cvc: string };

  beforeEach(async () => {
    now = START;
    const bank = await openBankPair(store, { now: () => now, sweepIntervalMs: 0 });
    ({ service, other, anna, cardId } = bank);
    sven = { customerId: (await createCustomer(service.ctx, '198507153990', 'Sven Svensson')).id, method: 'card', authenticatedAt: now };
    secret = (await service.createEnummer(anna, { cardId, merchant: 'Webbutiken AB', recurring: true, months: 12 })).secret;
    return bank.close;
  });

  const purchase = async (amount: number, extra: { sca?: boolean; merchant?: string } = {}) => {
    now += 1;
    const r = await service.authorize({ pan: secret.pan, expiry: secret.expiry, cvc: secret.cvc, merchant: extra.merchant ?? 'Webbutiken AB', amount, ...(extra.sca === undefined ? {} : { sca: extra.sca }) });
    return r;
  };

  it('unauthorised with strong authentication: at most 400 kr, 12 000 kr for gross negligence, and the card block offered', async () => {
    const { transactionId } = await purchase(15_000_00, { sca: true });
    const d = await service.disputeTransaction(anna, transactionId, { kind: 'unauthorised', description: 'Inte mitt köp' });
    expect(d).toMatchObject({
      transactionId,
      kind: 'unauthorised',
      state: 'received',
      resolution: null,
      description: 'Inte mitt köp',
      merchant: 'Webbutiken AB',
      amount: 15_000_00,
      liability: { maxSelfRiskOre: 400_00, reason: 'self_risk', section: '§10.2', grossNegligenceMaxOre: 12_000_00 },
      offerCardBlock: true,
      cardId,
    });
    expect(new Date(d.createdAt).getTime()).toBe(now);
    // Blocked in the same flow: the offer goes; what the holder risks does not change.
    await service.blockCard(anna, cardId);
    const after = await service.dispute(anna, d.id);
    expect(after.offerCardBlock).toBeUndefined();
    expect(after.liability.maxSelfRiskOre).toBe(400_00);
  });

  it('nothing where strong authentication was missing or not reported (§10.6)', async () => {
    const without = await purchase(500_00, { sca: false });
    const unknown = await purchase(500_00);
    for (const t of [without, unknown]) {
      expect((await service.disputeTransaction(anna, t.transactionId, { kind: 'unauthorised' })).liability).toEqual({ maxSelfRiskOre: 0, reason: 'sca_missing', section: '§10.6' });
    }
  });

  it('nothing for a purchase after the card was blocked (§10.5)', async () => {
    // An approval after a block (e.g. an offline one) is what §10.5 is about: the block is set back in time here.
    const { transactionId } = await purchase(900_00, { sca: true });
    await service.db.run('UPDATE payment_cards SET blocked_at = ? WHERE id = ?', [now - 60_000, cardId]);
    const d = await service.disputeTransaction(anna, transactionId, { kind: 'unauthorised' });
    expect(d.liability).toEqual({ maxSelfRiskOre: 0, reason: 'after_card_block', section: '§10.5' });
  });

  it('incorrect: nothing to risk; goods: pointed to the merchant, not binding', async () => {
    const a = await purchase(300_00, { sca: true });
    expect(await service.disputeTransaction(anna, a.transactionId, { kind: 'incorrect', description: 'Dragen två gånger' })).toMatchObject({
      state: 'received',
      liability: { maxSelfRiskOre: 0, reason: 'incorrect_execution' },
    });
    const b = await purchase(200_00, { sca: true });
    const goods = await service.disputeTransaction(anna, b.transactionId, { kind: 'goods' });
    expect(goods).toMatchObject({ state: 'referred_to_merchant', liability: { maxSelfRiskOre: 200_00, reason: 'goods_merchant_first', section: '§11.2' } });
    expect(goods.offerCardBlock).toBeUndefined();
    // Asking again answers the same referral; a claim of another kind is still possible, once.
    expect((await service.disputeTransaction(anna, b.transactionId, { kind: 'goods' })).id).toBe(goods.id);
    expect((await service.disputeTransaction(anna, b.transactionId, { kind: 'incorrect' })).state).toBe('received');
    await expect(service.disputeTransaction(anna, b.transactionId, { kind: 'unauthorised' })).rejects.toMatchObject({ code: 'ALREADY_DISPUTED', status: 409 });
    await expect(service.advanceDispute(goods.id, 'refund')).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
  });

  it('refuses a declined purchase, a second claim, and others’ transactions', async () => {
    const declined = await purchase(100_00, { merchant: 'Other Shop' });
    expect(declined.approved).toBe(false);
    await expect(service.disputeTransaction(anna, declined.transactionId, { kind: 'unauthorised' })).rejects.toMatchObject({ code: 'TRANSACTION_DECLINED' });
    const ok = await purchase(100_00);
    await service.disputeTransaction(anna, ok.transactionId, { kind: 'unauthorised' });
    await expect(service.disputeTransaction(anna, ok.transactionId, { kind: 'incorrect' })).rejects.toMatchObject({ code: 'ALREADY_DISPUTED' });
    await expect(service.disputeTransaction(sven, ok.transactionId, { kind: 'unauthorised' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(service.disputeTransaction(anna, 'nosuchtransaction', { kind: 'unauthorised' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await service.disputes(sven)).toEqual([]);
    const [mine] = await service.disputes(anna);
    await expect(service.dispute(sven, mine!.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('two claims on one purchase at once from two instances: one is taken', async () => {
    const { transactionId } = await purchase(100_00);
    const results = await Promise.allSettled([
      service.disputeTransaction(anna, transactionId, { kind: 'unauthorised' }),
      other.disputeTransaction(anna, transactionId, { kind: 'incorrect' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'ALREADY_DISPUTED' } });
  });

  it('13 months from the booking: the last millisecond is taken, the next is refused', async () => {
    const early = await purchase(100_00);
    const booked = now;
    const late = await purchase(100_00);
    const deadline = claimDeadline(booked);
    // Booked 22 Nov 2026 11:00 Stockholm: the last day is 22 Dec 2027 (13 months), to its end.
    expect(new Date(deadline).toISOString()).toBe('2027-12-22T23:00:00.000Z');
    now = deadline - 1;
    expect((await service.disputeTransaction(anna, early.transactionId, { kind: 'unauthorised' })).state).toBe('received');
    now = claimDeadline(booked + 1);
    await expect(service.disputeTransaction(anna, late.transactionId, { kind: 'unauthorised' })).rejects.toMatchObject({ code: 'DISPUTE_TOO_LATE', status: 409 });
  });

  it('the bank moves a claim: received → under investigation → resolved (refunded / rejected)', async () => {
    const a = await service.disputeTransaction(anna, (await purchase(100_00)).transactionId, { kind: 'unauthorised' });
    const b = await service.disputeTransaction(anna, (await purchase(100_00)).transactionId, { kind: 'incorrect' });
    now += 1000;
    expect(await other.advanceDispute(a.id, 'investigate')).toMatchObject({ state: 'under_investigation', resolution: null });
    const refunded = await other.advanceDispute(a.id, 'refund');
    expect(refunded).toMatchObject({ state: 'resolved', resolution: 'refunded' });
    expect(refunded.offerCardBlock).toBeUndefined();
    expect(await other.advanceDispute(b.id, 'reject')).toMatchObject({ state: 'resolved', resolution: 'rejected' });
    await expect(other.advanceDispute(a.id, 'reject')).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
    await expect(other.advanceDispute(a.id, 'investigate')).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
    await expect(other.advanceDispute('nosuchdispute', 'refund')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const list = await service.disputes(anna);
    expect(list.map((d) => d.id)).toEqual([b.id, a.id]);
    expect(list[1]!.updatedAt).toBe(new Date(now).toISOString());
  });

  describe('the bank asks for a police report (§10.4), extends the investigation (§10.7), reclaims a refund (§10.8)', () => {
    it('a police report: asked once, the holder gives the number, both told and shown', async () => {
      const { transactionId } = await purchase(500_00, { sca: true });
      const d = await service.disputeTransaction(anna, transactionId, { kind: 'unauthorised' });
      expect(d).toMatchObject({ policeReport: null, extendedAt: null, repaymentRequiredAt: null });
      await expect(service.submitPoliceReport(anna, d.id, '5000-K123456-26')).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
      now += 1000;
      const asked = await other.advanceDispute(d.id, 'police-report');
      expect(asked.policeReport).toEqual({ requestedAt: new Date(now).toISOString(), reference: null, submittedAt: null });
      await expect(service.advanceDispute(d.id, 'police-report')).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
      const [message] = await service.notifications(anna);
      expect(message).toMatchObject({ kind: 'dispute', refId: d.id, title: { sv: 'Banken behöver en polisanmälan för din reklamation (Webbutiken AB, 500,00\u00a0kr)' } });
      expect(message!.text.sv).toContain('lämna polisens diarienummer i e-kort under Reklamationer (kortvillkor punkt 10.4)');
      await expect(service.submitPoliceReport(sven, d.id, '5000-K123456-26')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      now += 1000;
      const given = await service.submitPoliceReport(anna, d.id, ' 5000-K123456-26 ');
      expect(given.policeReport).toEqual({ requestedAt: asked.policeReport!.requestedAt, reference: '5000-K123456-26', submittedAt: new Date(now).toISOString() });
      expect((await other.dispute(anna, d.id)).policeReport?.reference).toBe('5000-K123456-26');
    });

    it('extended: under investigation, Finansinspektionen told, the holder told; only for an open unauthorised claim', async () => {
      const { transactionId } = await purchase(500_00, { sca: true });
      const d = await service.disputeTransaction(anna, transactionId, { kind: 'unauthorised' });
      const extended = await service.advanceDispute(d.id, 'extend');
      expect(extended).toMatchObject({ state: 'under_investigation', extendedAt: new Date(now).toISOString() });
      expect((await service.notifications(anna))[0]!.text.sv).toContain('Banken har underrättat Finansinspektionen.');
      await expect(service.advanceDispute(d.id, 'extend')).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
      const wrong = await service.disputeTransaction(anna, (await purchase(100_00, { sca: true })).transactionId, { kind: 'incorrect' });
      await expect(service.advanceDispute(wrong.id, 'extend')).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
      await expect(service.advanceDispute(wrong.id, 'police-report')).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
      await service.advanceDispute(d.id, 'reject');
      await expect(service.advanceDispute(d.id, 'police-report')).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
    });

    it('a refund found wrong afterwards: the holder repays, told so; only after a refund, once', async () => {
      const { transactionId } = await purchase(500_00, { sca: true });
      const d = await service.disputeTransaction(anna, transactionId, { kind: 'unauthorised' });
      await expect(service.advanceDispute(d.id, 'reclaim')).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
      await service.advanceDispute(d.id, 'refund');
      now += 1000;
      const reclaimed = await other.advanceDispute(d.id, 'reclaim');
      expect(reclaimed).toMatchObject({ state: 'resolved', resolution: 'refunded', repaymentRequiredAt: new Date(now).toISOString() });
      await expect(service.advanceDispute(d.id, 'reclaim')).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
      const [message] = await service.notifications(anna);
      expect(message!.title.sv).toBe('Du behöver betala tillbaka 500,00\u00a0kr (Webbutiken AB)');
      expect(message!.text.sv).toContain('Enligt kortvillkoren punkt 10.8 är du återbetalningsskyldig');
    });
  });
});
