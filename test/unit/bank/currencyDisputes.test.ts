/**
 * The pure rules: conversion and rounding (card terms §17, price list 1,65 %), the rates file,
 * amounts in a currency's minor units, the 13-month claim window in Stockholm's calendar
 * (§10.4, §11.1) and what the holder risks (§10.2, §10.3, §10.5, §10.6, §11).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addBankingDays, lastBankingDayBefore, swedishBankHolidays } from '../../../src/bank/calendar.ts';
import { divHalfUp, EEA_CURRENCIES, formatMinorUnits, MARKUP_BASIS_POINTS, markupOver, parseMinorUnits, Rates } from '../../../src/bank/currency.ts';
import { claimDeadline, GROSS_NEGLIGENCE_MAX_ORE, liabilityFor, SELF_RISK_ORE } from '../../../src/bank/disputes.ts';

const rates = (r: Record<string, number>) => Rates.from({ date: '2026-11-20', base: 'SEK', rates: r });

describe('conversion to SEK with the 1.65 % markup', () => {
  it('the price list figure: 1,65 % is 165 basis points', () => {
    expect(MARKUP_BASIS_POINTS).toBe(165);
    expect(rates({ EUR: 1 }).convert(1_000_000, 'EUR')).toMatchObject({ converted: 1_000_000, fee: 16_500, amount: 1_016_500 });
  });

  it('EUR 12,50 at 11.2345: 140,43 kr + fee 2,32 kr = 142,75 kr', () => {
    expect(rates({ EUR: 11.2345 }).convert(1250, 'EUR')).toEqual({
      originalAmount: 1250,
      currency: 'EUR',
      rate: '11.2345',
      rateDate: '2026-11-20',
      converted: 14_043, // 140,43125 kr
      fee: 232, // 1.65 % of 140,43 = 2,317095 kr
      amount: 14_275,
    });
  });

  it('respects the exponent: JPY has no minor unit, KWD three decimals', () => {
    expect(rates({ JPY: 0.0712 }).convert(1500, 'JPY')).toMatchObject({ converted: 10_680, fee: 176, amount: 10_856 });
    expect(rates({ KWD: 34.5 }).convert(1_000, 'KWD')).toMatchObject({ converted: 3_450, fee: 57, amount: 3_507 });
  });

  it('rounds half up to öre (not bankers): 2,5 öre → 3, a fee of 16,5 öre → 17', () => {
    expect(rates({ JPY: 0.025 }).convert(1, 'JPY')).toMatchObject({ converted: 3 });
    expect(rates({ JPY: 0.015 }).convert(1, 'JPY')).toMatchObject({ converted: 2 });
    expect(rates({ EUR: 1 }).convert(1000, 'EUR')).toMatchObject({ converted: 1000, fee: 17, amount: 1017 });
    expect(rates({ EUR: 1 }).convert(3000, 'EUR')).toMatchObject({ fee: 50 }); // 49,5 → 50
    expect(divHalfUp(5n, 2n)).toBe(3n);
    expect(divHalfUp(4n, 2n)).toBe(2n);
    expect(divHalfUp(149n, 100n)).toBe(1n);
  });

  it('is exact where floating point is not: 0.1 + 0.2 style rates', () => {
    // 3 × 0.29 = 0.87 exactly (floating point: 0.8699999999999999).
    expect(rates({ EUR: 0.29 }).convert(300, 'EUR')).toMatchObject({ converted: 87 });
  });

  it('no rate, or not a currency it knows: undefined', () => {
    expect(rates({ EUR: 11 }).convert(100, 'USD')).toBeUndefined();
    expect(rates({ EUR: 11 }).convert(100, 'XYZ')).toBeUndefined();
  });

  it('the EEA currencies', () => {
    for (const c of ['EUR', 'DKK', 'NOK', 'ISK', 'PLN', 'CZK', 'HUF', 'RON', 'BGN', 'CHF']) expect(EEA_CURRENCIES.has(c)).toBe(true);
    for (const c of ['USD', 'GBP', 'JPY']) expect(EEA_CURRENCIES.has(c)).toBe(false);
  });
});

describe('the rates file', () => {
  it('takes the documented format, base optional', () => {
    const r = Rates.from({ date: '2026-11-20', rates: { EUR: 11.2345, USD: 10.5, JPY: 0.071234 } });
    expect(r.date).toBe('2026-11-20');
    expect(r.currencies()).toEqual(['EUR', 'JPY', 'USD']);
    expect(r.rateText('JPY')).toBe('0.071234');
  });

  it.each([
    ['not an object', 42],
    ['no date', { rates: { EUR: 11 } }],
    ['a bad date', { date: '2026-02-30', rates: { EUR: 11 } }],
    ['another base', { date: '2026-11-20', base: 'EUR', rates: { SEK: 0.09 } }],
    ['an unknown field', { date: '2026-11-20', rates: { EUR: 11 }, source: 'ecb' }],
    ['a zero rate', { date: '2026-11-20', rates: { EUR: 0 } }],
    ['a negative rate', { date: '2026-11-20', rates: { EUR: -11 } }],
    ['a rate as text', { date: '2026-11-20', rates: { EUR: '11.2' } }],
    ['too many decimals', { date: '2026-11-20', rates: { EUR: 11.123456789 } }],
    ['an unknown currency', { date: '2026-11-20', rates: { XYZ: 1 } }],
    ['a lower-case code', { date: '2026-11-20', rates: { eur: 11 } }],
    ['SEK listed', { date: '2026-11-20', rates: { SEK: 1 } }],
  ])('refuses %s with RATES_INVALID', (_what, json) => {
    expect(() => Rates.from(json)).toThrow(expect.objectContaining({ code: 'RATES_INVALID' }));
  });

  it('loads a file, and says which file is wrong', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-rates-'));
    try {
      const good = path.join(dir, 'rates.json');
      await writeFile(good, JSON.stringify({ date: '2026-11-20', base: 'SEK', rates: { EUR: 11.2345 } }));
      expect((await Rates.load(good)).rateText('EUR')).toBe('11.2345');
      const bad = path.join(dir, 'bad.json');
      await writeFile(bad, '{"date": "2026-11-20", "rates": {"EUR": 11,}}');
      await expect(Rates.load(bad)).rejects.toMatchObject({ code: 'RATES_INVALID', message: expect.stringContaining('bad.json') });
      await expect(Rates.load(path.join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'RATES_INVALID', message: expect.stringContaining('ENOENT') });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('amounts in minor units', () => {
  it('parses with the currency’s decimals', () => {
    expect(parseMinorUnits('12,50', 'EUR')).toBe(1250);
    expect(parseMinorUnits('12.5', 'EUR')).toBe(1250);
    expect(parseMinorUnits('1 500', 'JPY')).toBe(1500);
    expect(parseMinorUnits('1,234', 'KWD')).toBe(1234);
    expect(() => parseMinorUnits('1500,5', 'JPY')).toThrow(/more than 0 decimals/);
    expect(() => parseMinorUnits('12,505', 'EUR')).toThrow(/more than 2 decimals/);
    expect(() => parseMinorUnits('-1', 'EUR')).toThrow(expect.objectContaining({ code: 'INVALID_AMOUNT' }));
    expect(() => parseMinorUnits('1', 'XYZ')).toThrow(expect.objectContaining({ code: 'CURRENCY_NOT_SUPPORTED' }));
  });

  it('formats with the currency’s decimals', () => {
    expect(formatMinorUnits(1250, 'EUR')).toBe('12,50\u00a0EUR');
    expect(formatMinorUnits(150_000, 'JPY')).toBe('150\u00a0000\u00a0JPY');
    expect(formatMinorUnits(5, 'EUR')).toBe('0,05\u00a0EUR');
  });
});

describe('the 13-month claim window (§10.4, §11.1), in Stockholm’s calendar', () => {
  it('ends with the Stockholm day 13 months after the booking (winter)', () => {
    const booked = Date.UTC(2026, 10, 22, 10, 0); // 22 Nov 2026 11:00 Stockholm
    expect(new Date(claimDeadline(booked)).toISOString()).toBe('2027-12-22T23:00:00.000Z'); // 23 Dec 2027 00:00 Stockholm
  });

  it('clamps to the month’s last day: booked 31 January 2025 → until 28 February 2026', () => {
    expect(new Date(claimDeadline(Date.UTC(2025, 0, 31, 10))).toISOString()).toBe('2026-02-28T23:00:00.000Z');
  });

  it('uses the Stockholm date of the booking, in summer time too', () => {
    // 15 June 2025 22:30 UTC is 16 June 00:30 in Stockholm: the window runs to 16 July 2026 (CEST).
    expect(new Date(claimDeadline(Date.UTC(2025, 5, 15, 22, 30))).toISOString()).toBe('2026-07-16T22:00:00.000Z');
  });
});

describe('what the holder risks', () => {
  const base = { amount: 1_000_00, createdAt: 1_000, blockedAt: null, sca: 1 };

  it('unauthorised with strong authentication: at most 400 kr self-risk (§10.2); up to 12 000 kr for gross negligence (§10.3)', () => {
    expect(SELF_RISK_ORE).toBe(400_00);
    expect(GROSS_NEGLIGENCE_MAX_ORE).toBe(12_000_00);
    expect(liabilityFor({ ...base, kind: 'unauthorised' })).toEqual({ maxSelfRiskOre: 400_00, reason: 'self_risk', section: '§10.2', grossNegligenceMaxOre: 1_000_00 });
    expect(liabilityFor({ ...base, kind: 'unauthorised', amount: 20_000_00 })).toMatchObject({ maxSelfRiskOre: 400_00, grossNegligenceMaxOre: 12_000_00 });
    expect(liabilityFor({ ...base, kind: 'unauthorised', amount: 150_00 })).toMatchObject({ maxSelfRiskOre: 150_00 });
  });

  it('nothing for a purchase after the card was blocked (§10.5), or without strong authentication (§10.6)', () => {
    expect(liabilityFor({ ...base, kind: 'unauthorised', blockedAt: 999 })).toEqual({ maxSelfRiskOre: 0, reason: 'after_card_block', section: '§10.5' });
    expect(liabilityFor({ ...base, kind: 'unauthorised', blockedAt: 1_001 })).toMatchObject({ reason: 'self_risk' });
    expect(liabilityFor({ ...base, kind: 'unauthorised', sca: 0 })).toEqual({ maxSelfRiskOre: 0, reason: 'sca_missing', section: '§10.6' });
    expect(liabilityFor({ ...base, kind: 'unauthorised', sca: null })).toMatchObject({ maxSelfRiskOre: 0, reason: 'sca_missing' });
  });

  it('incorrect: nothing (§11.1); goods: the purchase stands, the merchant first (§11.2)', () => {
    expect(liabilityFor({ ...base, kind: 'incorrect' })).toEqual({ maxSelfRiskOre: 0, reason: 'incorrect_execution', section: '§11.1' });
    expect(liabilityFor({ ...base, kind: 'goods' })).toEqual({ maxSelfRiskOre: 1_000_00, reason: 'goods_merchant_first', section: '§11.2' });
  });
});

describe('the ECB markup and stale rates (§17, EU regulation 2019/518)', () => {
  it('states the total charge over the ECB rate: rate × 1.0165 / ECB − 1, two decimals, half up', () => {
    const withEcb = Rates.from({ date: '2026-11-20', rates: { EUR: 11.2345, DKK: 1.5 }, ecb: { EUR: 11.2, DKK: 1.5 } });
    expect(withEcb.convert(1250, 'EUR')).toMatchObject({ amount: 14_275, ecbRate: '11.2', markupOverEcb: '1.96' });
    expect(withEcb.convert(1000, 'DKK')).toMatchObject({ markupOverEcb: '1.65' });
    expect(rates({ EUR: 11.2345 }).convert(1250, 'EUR')).not.toHaveProperty('ecbRate');
    // A bank rate below the ECB's: the charge may be less than the markup, or negative.
    expect(markupOver(98_000_000n, 100_000_000n)).toBe('-0.38');
    expect(() => Rates.from({ date: '2026-11-20', rates: { EUR: 11 }, ecb: { XYZ: 1 } })).toThrow(/XYZ is not a supported currency/);
  });

  it('knows the Swedish bank holidays and the last banking day', () => {
    expect([...swedishBankHolidays(2027)].sort()).toEqual(['2027-01-01', '2027-01-06', '2027-03-26', '2027-03-29', '2027-05-01', '2027-05-06', '2027-06-06', '2027-06-25', '2027-12-24', '2027-12-25', '2027-12-26', '2027-12-31']);
    expect(lastBankingDayBefore('2026-11-23')).toBe('2026-11-20'); // Monday → Friday
    expect(lastBankingDayBefore('2026-12-28')).toBe('2026-12-23'); // after jul
    expect(lastBankingDayBefore('2027-03-30')).toBe('2027-03-25'); // after påsk
    expect(lastBankingDayBefore('2027-01-07')).toBe('2027-01-05'); // after trettondedag jul
    // §20: "inom tio bankdagar": from Friday 18 December 2026 over jul and nyår.
    expect(addBankingDays('2026-12-18', 10)).toBe('2027-01-08');
    expect(addBankingDays('2026-11-23', 10)).toBe('2026-12-07');
  });

  it('rates older than the last banking day before today are stale (Stockholm time)', () => {
    const friday = Rates.from({ date: '2026-11-20', rates: { EUR: 11 } });
    expect(friday.staleOn(Date.UTC(2026, 10, 23, 22, 59))).toBe(false); // Monday 23:59 in Stockholm
    expect(friday.staleOn(Date.UTC(2026, 10, 23, 23, 0))).toBe(true); // Tuesday 00:00 in Stockholm
  });
});
