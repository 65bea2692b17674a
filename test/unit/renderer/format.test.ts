import { describe, expect, it } from 'vitest';
import {
  daysLeft,
  formatCardNumber,
  formatDate,
  lastValidDay,
  formatKronor,
  formatPersonnummer,
  groupsOfFour,
  isValidExpiry,
  isValidPin,
  kontrollnummerGroups,
  maskedLast4,
  MAX_ORE,
  NBSP,
  normalizeSerial,
  normalizeSvarskod,
  parseKronor,
  spokenDigits,
} from '../../../renderer/src/lib/format.ts';

const nb = (s: string) => s.replace(/ /g, NBSP);

describe('money', () => {
  it('formats öre as "1 234,50 kr" with no-break spaces', () => {
    expect(formatKronor(123450)).toBe(nb('1 234,50 kr'));
    expect(formatKronor(0)).toBe(nb('0,00 kr'));
    expect(formatKronor(5)).toBe(nb('0,05 kr'));
    expect(formatKronor(100_000_000_00)).toBe(nb('100 000 000,00 kr'));
    expect(formatKronor(-250)).toBe(nb('−2,50 kr'));
  });

  it('parses what people type into öre', () => {
    const ok = (text: string) => parseKronor(text);
    expect(ok('1234,50')).toEqual({ ok: true, ore: 123450 });
    expect(ok('1234.5')).toEqual({ ok: true, ore: 123450 });
    expect(ok('1 234,50')).toEqual({ ok: true, ore: 123450 });
    expect(ok(nb('1 234,50 kr'))).toEqual({ ok: true, ore: 123450 });
    expect(ok('500')).toEqual({ ok: true, ore: 50000 });
    expect(ok('500 kr')).toEqual({ ok: true, ore: 50000 });
    expect(ok('0,5')).toEqual({ ok: true, ore: 50 });
    expect(ok(' 12 ')).toEqual({ ok: true, ore: 1200 });
    expect(ok('100000000')).toEqual({ ok: true, ore: MAX_ORE });
  });

  it('refuses the rest with a reason', () => {
    expect(parseKronor('')).toEqual({ ok: false, reason: 'empty' });
    expect(parseKronor('kr')).toEqual({ ok: false, reason: 'empty' });
    expect(parseKronor('-5')).toEqual({ ok: false, reason: 'negative' });
    expect(parseKronor('1,234')).toEqual({ ok: false, reason: 'too-many-decimals' });
    expect(parseKronor('12a')).toEqual({ ok: false, reason: 'format' });
    expect(parseKronor('1 23,00')).toEqual({ ok: false, reason: 'format' });
    expect(parseKronor('1e5')).toEqual({ ok: false, reason: 'format' });
    expect(parseKronor('0')).toEqual({ ok: false, reason: 'zero' });
    expect(parseKronor('100000000,01')).toEqual({ ok: false, reason: 'too-large' });
    expect(parseKronor('99999999999999999')).toEqual({ ok: false, reason: 'too-large' });
  });

  it('round-trips formatted amounts', () => {
    for (const ore of [1, 99, 100, 123450, 9_999_999, MAX_ORE]) expect(parseKronor(formatKronor(ore))).toEqual({ ok: true, ore });
  });
});

describe('numbers in groups', () => {
  it('groups card numbers in fours', () => {
    expect(groupsOfFour('4571123412341234')).toEqual(['4571', '1234', '1234', '1234']);
    expect(formatCardNumber('4571 1234-1234 1234')).toBe('4571 1234 1234 1234');
    expect(formatCardNumber('457112341234123')).toBe('4571 1234 1234 123');
  });

  it('splits the kontrollnummer in two groups of four and spells it out', () => {
    expect(kontrollnummerGroups('12345678')).toEqual(['1234', '5678']);
    expect(kontrollnummerGroups('1234 5678')).toEqual(['1234', '5678']);
    expect(spokenDigits('1234 5678')).toBe('1 2 3 4 5 6 7 8');
  });

  it('masks to the last four', () => {
    expect(maskedLast4('1234')).toBe(`••••${NBSP}1234`);
  });

  it('checks PIN, svarskod, serial and expiry', () => {
    expect(isValidPin('123456')).toBe(true);
    expect(isValidPin('12345678')).toBe(true);
    expect(isValidPin('12345')).toBe(false);
    expect(isValidPin('123456789')).toBe(false);
    expect(isValidPin('12345a')).toBe(false);
    expect(normalizeSvarskod('1234 5678')).toBe('12345678');
    expect(normalizeSvarskod('1234567')).toBeNull();
    expect(normalizeSerial('123 456')).toBe('123456');
    expect(normalizeSerial('12345')).toBeNull();
    expect(isValidExpiry('05/27')).toBe(true);
    expect(isValidExpiry('13/27')).toBe(false);
    expect(formatPersonnummer('199001012385')).toBe('19900101-2385');
  });
});

describe('dates', () => {
  const now = new Date(2026, 10, 22, 15, 0); // 22 Nov 2026, local time

  it('counts whole calendar days left', () => {
    expect(daysLeft(new Date(2026, 10, 22, 23, 59).toISOString(), now)).toBe(0);
    expect(daysLeft(new Date(2026, 10, 23, 0, 1).toISOString(), now)).toBe(1);
    expect(daysLeft(new Date(2026, 11, 22, 12, 0).toISOString(), now)).toBe(30);
    expect(daysLeft(new Date(2026, 10, 21, 12, 0).toISOString(), now)).toBe(-1);
    expect(daysLeft('not a date', now)).toBeNull();
  });

  it('formats ISO dates', () => {
    expect(formatDate(new Date(2026, 0, 5, 10).toISOString())).toBe('2026-01-05');
    expect(formatDate('nonsense')).toBe('nonsense');
  });
});

describe('lastValidDay', () => {
  it('names the day before the exclusive end, in words, Swedish time', () => {
    expect(lastValidDay('2027-01-31T23:00:00.000Z', 'sv')).toBe('31 januari 2027');
    expect(lastValidDay('2027-01-31T23:00:00.000Z', 'en')).toBe('31 January 2027');
    expect(lastValidDay('2027-06-30T22:00:00.000Z', 'sv')).toBe('30 juni 2027');
    expect(lastValidDay('not a date', 'sv')).toBe('not a date');
  });
});

