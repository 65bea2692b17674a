/**
 * Purchases in other currencies (card terms §17, the price list's 1,65 %) on both stores:
 * conversion at the reference rate plus the markup, the limits in SEK with the fee, what the
 * transaction keeps, and the EEA conversion notice once per currency and month.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { Rates } from '../../src/bank/currency.ts';
import { EkortService } from '../../src/bank/service.ts';
import type { ActiveSession } from '../../src/bank/sessions.ts';
import { type BankPair, openBankPair } from '../support/bankPair.ts';
import { requirePostgres, storeTargets } from '../support/postgres.ts';

const START = Date.UTC(2026, 10, 22, 10, 0, 0);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ekort-currency-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const RATES = Rates.from({ date: '2026-11-20', base: 'SEK', rates: { EUR: 11.2345, DKK: 1.5062, USD: 10.5, JPY: 0.0712 } });

const stores = storeTargets(tmp, 'currency');

await requirePostgres();

describe.each(stores)('foreign currency on $name', (store) => {
  let service: EkortService;
  let plain: EkortService;
  let bank: BankPair;
  let now = START;
  let anna: ActiveSession;
  let cardId: string;
  let secret: { pan: string; expiry: string; cvc: string };

  beforeEach(async () => {
    now = START;
    bank = await openBankPair(store, { now: () => now, sweepIntervalMs: 0, rates: RATES }, { otherOptions: { now: () => now, sweepIntervalMs: 0 }, limits: { limitPerPurchase: 1_000_00, limitPerMonth: 2_000_00 } });
    ({ service, other: plain, anna, cardId } = bank);
    secret = (await service.createEnummer(anna, { cardId, merchant: 'Boutique Paris', recurring: true, months: 12 })).secret;
    return bank.close;
  });

  const buy = (amount: number, currency?: string, on: EkortService = service) => {
    now += 1;
    return on.authorize({ pan: secret.pan, expiry: secret.expiry, cvc: secret.cvc, merchant: 'Boutique Paris', amount, ...(currency ? { currency } : {}) });
  };

  it('converts at the reference rate plus 1.65 % and keeps both amounts, the rate and the fee', async () => {
    const r = await buy(12_50, 'EUR');
    expect(r.approved).toBe(true);
    const [t] = await service.transactions(anna);
    expect(t).toMatchObject({ id: r.transactionId, amount: 142_75, originalAmount: 12_50, currency: 'EUR', rate: 11.2345, rateDate: '2026-11-20', fee: 2_32 });
    // 140,43 kr at the reference rate; the fee is 1.65 % of it.
    expect(t!.fee).toBe(Math.round((t!.amount - t!.fee!) * 0.0165));
    const jpy = await buy(1500, 'JPY');
    expect((await service.transactions(anna)).find((x) => x.id === jpy.transactionId)).toMatchObject({ amount: 108_56, originalAmount: 1500, currency: 'JPY', fee: 1_76 });
  });

  it('SEK purchases, with or without currency SEK, keep no currency fields', async () => {
    await buy(100_00);
    await buy(100_00, 'SEK');
    for (const t of await service.transactions(anna)) {
      expect(t.amount).toBe(100_00);
      expect(t).not.toHaveProperty('currency');
      expect(t).not.toHaveProperty('fee');
    }
  });

  it('checks the limits in SEK, fee included', async () => {
    // Per purchase 1 000 kr: EUR 88,00 is 988,64 kr + 16,31 kr fee = 1 004,95 kr.
    const over = await buy(88_00, 'EUR');
    expect(over).toMatchObject({ approved: false, declineCode: 'LIMIT_EXCEEDED' });
    expect((await service.transactions(anna))[0]).toMatchObject({ amount: 1_004_95, fee: 16_31, originalAmount: 88_00 });
    expect(await buy(87_00, 'EUR')).toMatchObject({ approved: true }); // 993,54 kr
    // Per month 2 000 kr: 993,54 spent, the SEK amount counted.
    expect(await buy(900_00)).toMatchObject({ approved: true });
    expect(await buy(1_000, 'EUR')).toMatchObject({ approved: false, declineCode: 'LIMIT_EXCEEDED' }); // 114,20 kr > 106,46 left
    expect(await buy(9_00, 'EUR')).toMatchObject({ approved: true }); // 102,78 kr
  });

  it('declines a currency without a rate, or any currency without a rates file: CURRENCY_NOT_SUPPORTED', async () => {
    expect(await buy(1000, 'GBP')).toMatchObject({ approved: false, declineCode: 'CURRENCY_NOT_SUPPORTED' });
    expect(await buy(1000, 'XYZ')).toMatchObject({ approved: false, declineCode: 'CURRENCY_NOT_SUPPORTED' });
    expect(await buy(1000, 'EUR', plain)).toMatchObject({ approved: false, declineCode: 'CURRENCY_NOT_SUPPORTED' });
    expect(await buy(100_00, undefined, plain)).toMatchObject({ approved: true });
    const [, ...declined] = await service.transactions(anna);
    expect(declined[0]).toMatchObject({ currency: 'EUR', originalAmount: 1000, amount: 0 });
    expect(declined[0]).not.toHaveProperty('fee');
    // A blocked card still says so first.
    await service.blockCard(anna, cardId);
    expect(await buy(1000, 'GBP')).toMatchObject({ declineCode: 'CARD_BLOCKED' });
  });

  it('notifies the conversion cost for EEA currencies once per currency and month, declined purchases too', async () => {
    await buy(10_00, 'EUR');
    await buy(20_00, 'EUR');
    await buy(10_00, 'USD'); // not an EEA currency
    await buy(100_00); // SEK
    let list = await service.notifications(anna);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ kind: 'currency_conversion', currency: 'EUR', month: '2026-11', markupPercent: '1.65', rate: 11.2345, rateDate: '2026-11-20' });
    expect(list[0]!.text.sv).toContain('1,65 %');
    expect(list[0]!.text.en).toContain('1.65 %');
    await buy(100_00, 'DKK');
    now = Date.UTC(2026, 11, 1, 9, 0); // December in Stockholm
    expect(await buy(500_00, 'EUR')).toMatchObject({ approved: false, declineCode: 'LIMIT_EXCEEDED' });
    list = await service.notifications(anna);
    expect(list.map((n) => `${n.month} ${n.currency}`)).toEqual(['2026-12 EUR', '2026-11 DKK', '2026-11 EUR']);
  });

  it('the holder may turn the message off (§17), and on again', async () => {
    expect(await plain.preferences(anna)).toEqual({ currencyNotices: true });
    expect(await plain.setPreferences(anna, { currencyNotices: false })).toEqual({ currencyNotices: false });
    expect(await buy(10_00, 'EUR')).toMatchObject({ approved: true });
    expect(await service.notifications(anna)).toEqual([]);
    await service.setPreferences(anna, { currencyNotices: true });
    await buy(10_00, 'EUR');
    expect((await service.notifications(anna)).map((n) => n.currency)).toEqual(['EUR']);
  });

  it('states the markup over the ECB reference rate when the rates file has it (EU regulation 2019/518)', async () => {
    const withEcb = await EkortService.open(bank.target, { now: () => now, sweepIntervalMs: 0, rates: Rates.from({ date: '2026-11-20', rates: { EUR: 11.2345 }, ecb: { EUR: 11.2 } }) });
    try {
      expect(await buy(12_50, 'EUR', withEcb)).toMatchObject({ approved: true });
    } finally {
      await withEcb.close();
    }
    const [notice] = await service.notifications(anna);
    // 11,2345 × 1,0165 / 11,2 = 1,01963…: 1,96 % over the ECB rate.
    expect(notice).toMatchObject({ currency: 'EUR', markupPercent: '1.96', ecbRate: 11.2, rate: 11.2345 });
    expect(notice!.text.sv).toContain('Den totala valutaväxlingsavgiften är 1,96 % över Europeiska centralbankens referensväxelkurs (11,2 kr per EUR den 2026-11-20); bankens växelkurs var 11,2345 kr plus påslaget 1,65 %.');
  });
});
