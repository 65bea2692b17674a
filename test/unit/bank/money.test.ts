import { describe, expect, it } from 'vitest';
import { formatKronor, KRONOR_SPACE, MAX_ORE, MoneyError, parseKronor } from '../../../src/bank/money.ts';
import { EkortError } from '../../../src/errors.ts';

const nb = (text: string): string => text.replace(/ /g, KRONOR_SPACE);

function refusal(text: string): MoneyError {
  try {
    parseKronor(text);
  } catch (error) {
    expect(error).toBeInstanceOf(MoneyError);
    expect(error).toBeInstanceOf(EkortError);
    expect((error as MoneyError).code).toBe('INVALID_AMOUNT');
    return error as MoneyError;
  }
  throw new Error(`parseKronor(${JSON.stringify(text)}) was accepted`);
}

describe('parseKronor', () => {
  it('reads kronor as people type them into öre', () => {
    expect(parseKronor('1234,50')).toBe(123450);
    expect(parseKronor('1234.50')).toBe(123450);
    expect(parseKronor('1 234,50')).toBe(123450);
    expect(parseKronor('1\u00a0234,50')).toBe(123450);
    expect(parseKronor('1\u202f234.5')).toBe(123450);
    expect(parseKronor('1234')).toBe(123400);
    expect(parseKronor('0,05')).toBe(5);
    expect(parseKronor('0')).toBe(0);
    expect(parseKronor(' 12 kr ')).toBe(1200);
    expect(parseKronor('1 000 000')).toBe(100_000_000);
  });

  it('reads back what formatKronor writes', () => {
    for (const ore of [0, 1, 99, 100, 123450, 99_999_999, MAX_ORE]) expect(parseKronor(formatKronor(ore))).toBe(ore);
  });

  it('refuses more than two decimals, negatives, non-numbers and too much, each with its reason', () => {
    expect(refusal('12,345').reason).toBe('too-many-decimals');
    expect(refusal('1 234.505').reason).toBe('too-many-decimals');
    expect(refusal('-5').reason).toBe('negative');
    expect(refusal('−5,00').reason).toBe('negative');
    for (const text of ['', 'abc', '12,', ',50', '1,234.50', '1.234,50', '12 34', '1e3', '0x10', 'NaN', 'Infinity', '12 kr kr']) {
      expect(refusal(text).reason, text).toBe('format');
    }
    expect(refusal('100000000,01').reason).toBe('too-large');
    expect(refusal('99999999999999999999999').reason).toBe('too-large');
    expect(parseKronor('100000000')).toBe(MAX_ORE);
  });
});

describe('formatKronor', () => {
  it('shows öre as "1 234,50 kr" with no-break spaces', () => {
    expect(formatKronor(123450)).toBe(nb('1 234,50 kr'));
    expect(formatKronor(0)).toBe(nb('0,00 kr'));
    expect(formatKronor(5)).toBe(nb('0,05 kr'));
    expect(formatKronor(100_000_000_00)).toBe(nb('100 000 000,00 kr'));
    expect(formatKronor(99_950)).toBe(nb('999,50 kr'));
    expect(formatKronor(-123450)).toBe(nb('-1 234,50 kr'));
    expect(formatKronor(123450)).not.toContain(' ');
  });

  it('refuses what is not a whole number of öre', () => {
    expect(() => formatKronor(1.5)).toThrow(MoneyError);
    expect(() => formatKronor(Number.NaN)).toThrow(MoneyError);
  });
});
