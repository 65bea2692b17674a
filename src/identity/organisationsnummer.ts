import { isLuhnValid } from './luhn.ts';

/**
 * An organisationsnummer (Bolagsverket): 10 digits with a Luhn check digit whose third digit is
 * at least 2 (a personnummer's month digit is 0 or 1, so the two never meet). "556502-7223",
 * "5565027223" and "165565027223" (the 16-prefixed 12-digit form) all give "5565027223".
 */
export function organisationsnummer(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const m = /^(?:16)?(\d{6})-?(\d{4})$/.exec(value.trim());
  if (!m) return undefined;
  const digits = m[1]! + m[2]!;
  return Number(digits[2]) >= 2 && isLuhnValid(digits) ? digits : undefined;
}
