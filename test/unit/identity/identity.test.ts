import { describe, expect, it } from 'vitest';
import { isLuhnValid, isValidPersonnummer, luhnCheckDigit, organisationsnummer } from '../../../src/identity/index.ts';

describe('identity: one Luhn for card numbers, personnummer and organisation numbers', () => {
  it('check digits (ISO/IEC 7812-1 Annex B examples and test cards)', () => {
    expect(luhnCheckDigit('7992739871')).toBe('3');
    expect(luhnCheckDigit('411111111111111')).toBe('1');
    expect(luhnCheckDigit('555555555555444')).toBe('4');
    expect(isLuhnValid('79927398713')).toBe(true);
    expect(isLuhnValid('79927398710')).toBe(false);
    expect(isLuhnValid('4111 1111 1111 1111')).toBe(false);
    expect(isLuhnValid('')).toBe(false);
    for (let n = 0; n < 200; n++) {
      const body = String(100_000 + n * 7919);
      expect(isLuhnValid(body + luhnCheckDigit(body))).toBe(true);
    }
  });

  it('personnummer: a real date (or day + 60) and the check digit over YYMMDDNNNN', () => {
    expect(isValidPersonnummer('199001012385')).toBe(true);
    expect(isValidPersonnummer('191212121212')).toBe(true);
    expect(isValidPersonnummer('199001612382')).toBe(true); // samordningsnummer: 1 January + 60
    expect(isValidPersonnummer('199001012386')).toBe(false); // check digit
    expect(isValidPersonnummer('199002302389')).toBe(false); // 30 February (its check digit is right)
    expect(isValidPersonnummer('9001012385')).toBe(false); // the 10-digit form is not taken
    expect(isValidPersonnummer('19900101-2385')).toBe(false);
  });

  it('organisationsnummer: third digit at least 2, the Luhn digit; the 16 prefix and hyphen taken', () => {
    expect(organisationsnummer('556502-7223')).toBe('5565027223');
    expect(organisationsnummer('165565027223')).toBe('5565027223');
    expect(organisationsnummer(' 5565027223 ')).toBe('5565027223');
    expect(organisationsnummer('556502-7224')).toBeUndefined();
    expect(organisationsnummer('9001012385')).toBeUndefined(); // a personnummer's month digit
    expect(organisationsnummer(undefined)).toBeUndefined();
  });
});
