/**
 * Refunds of approved purchases whose exact amount was not given (card terms §20) on both
 * stores: eight weeks to ask, not for an exchange-rate difference, the bank's answer within
 * ten banking days, told to the holder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { Rates } from '../../src/bank/currency.ts';
import type { EkortService } from '../../src/bank/service.ts';
import type { ActiveSession } from '../../src/bank/sessions.ts';
import { openBankPair } from '../support/bankPair.ts';
import { requirePostgres, storeTargets } from '../support/postgres.ts';

const START = Date.UTC(2026, 10, 22, 10, 0, 0); // Sunday 22 November 2026, 11:00 in Stockholm
const DAY = 86_400_000;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ekort-refunds-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

await requirePostgres();

describe.each(storeTargets(tmp, 'refunds'))('refunds (§20) on $name', (store) => {
  let now = START;
  let service: EkortService;
  let other: EkortService;
  let anna: ActiveSession;
  let secret: { pan: string; expiry: string; cvc: string };

  beforeEach(async () => {
    now = START;
    const bank = await openBankPair(store, { now: () => now, sweepIntervalMs: 0, rates: Rates.from({ date: '2026-11-20', rates: { EUR: 11.2345 } }) });
    ({ service, other, anna } = bank);
    secret = (await service.createEnummer(anna, { cardId: bank.cardId, merchant: 'Hotellet', recurring: true, months: 6 })).secret;
    return bank.close;
  });

  const buy = (amount: number, currency?: string) => {
    now += 1;
    return service.authorize({ pan: secret.pan, expiry: secret.expiry, cvc: secret.cvc, merchant: 'Hotellet', amount, ...(currency ? { currency } : {}) });
  };

  it('takes a request for more than expected, to be answered within ten banking days', async () => {
    const { transactionId } = await buy(500_00);
    const r = await service.requestRefund(anna, transactionId, { expectedAmount: 300_00, reason: 'Hotellet drog för minibaren två gånger.' });
    expect(r).toMatchObject({ transactionId, merchant: 'Hotellet', amount: 500_00, expectedAmount: 300_00, state: 'received', answerReason: null, answeredAt: null });
    // Ten banking days after Sunday 22 November: Friday 4 December, to its end in Stockholm.
    expect(r.answerBy).toBe('2026-12-04T23:00:00.000Z');
    await expect(other.requestRefund(anna, transactionId, { expectedAmount: 300_00 })).rejects.toMatchObject({ code: 'ALREADY_REQUESTED' });
    expect((await other.refunds(anna)).map((x) => x.id)).toEqual([r.id]);
  });

  it('refuses what is not above the expectation, an exchange-rate difference, a declined purchase, and after eight weeks', async () => {
    const sek = await buy(500_00);
    await expect(service.requestRefund(anna, sek.transactionId, { expectedAmount: 500_00 })).rejects.toMatchObject({ code: 'REFUND_NOT_DUE', reason: 'not_above_expected' });
    const eur = await buy(12_50, 'EUR');
    await expect(service.requestRefund(anna, eur.transactionId, { expectedAmount: 12_50 })).rejects.toMatchObject({ code: 'REFUND_NOT_DUE', reason: 'exchange_rate' });
    expect(await service.requestRefund(anna, eur.transactionId, { expectedAmount: 10_00 })).toMatchObject({ originalAmount: 12_50, currency: 'EUR', expectedAmount: 10_00 });
    const declined = await buy(999_999_00);
    await expect(service.requestRefund(anna, declined.transactionId, { expectedAmount: 1_00 })).rejects.toMatchObject({ code: 'TRANSACTION_DECLINED' });
    // Booked 22 November (Stockholm): the last day is 17 January 2027, 56 days later.
    now = Date.UTC(2027, 0, 17, 22, 59, 59);
    const late = await service.requestRefund(anna, sek.transactionId, { expectedAmount: 1_00 });
    expect(late.state).toBe('received');
    const another = await buy(100_00);
    now = Date.UTC(2027, 2, 14, 23, 0, 0); // 15 March 00:00 in Stockholm: booked 17 January, its last day was 14 March
    await expect(service.requestRefund(anna, another.transactionId, { expectedAmount: 1_00 })).rejects.toMatchObject({ code: 'REFUND_TOO_LATE', lastDay: '2027-03-14' });
  });

  it("the bank's answer: the whole amount back, or refused with reasons and where to go on; told to the holder, once", async () => {
    const a = await service.requestRefund(anna, (await buy(500_00)).transactionId, { expectedAmount: 300_00 });
    const b = await service.requestRefund(anna, (await buy(400_00)).transactionId, { expectedAmount: 200_00 });
    now += DAY;
    expect(await other.answerRefund(a.id, { refund: true })).toMatchObject({ state: 'refunded', answeredAt: new Date(now).toISOString() });
    await expect(service.answerRefund(a.id, { refund: false, reason: 'Nej.' })).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
    now += 1;
    await expect(service.answerRefund(b.id, { refund: false, reason: ' ' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await service.answerRefund(b.id, { refund: false, reason: 'Beloppet motsvarar bokningen du godkände.' })).toMatchObject({ state: 'refused', answerReason: 'Beloppet motsvarar bokningen du godkände.' });
    const [refused, refunded] = await service.notifications(anna);
    expect(refunded).toMatchObject({ kind: 'refund', refId: a.id, title: { sv: 'Du får tillbaka 500,00\u00a0kr (Hotellet)' } });
    expect(refused).toMatchObject({ kind: 'refund', refId: b.id, title: { sv: 'Banken avslår din begäran om återbetalning (Hotellet, 400,00\u00a0kr)' } });
    expect(refused!.text.sv).toBe('Skäl: Beloppet motsvarar bokningen du godkände. Om du inte är nöjd kan du gå vidare med ärendet till Allmänna reklamationsnämnden (ARN), www.arn.se, eller Konsumenternas Bank- och finansbyrå (kortvillkor punkt 20).');
  });
});
