import { isLuhnValid } from './luhn.ts';

/**
 * A Swedish personnummer as YYYYMMDDNNNN: a real date (or a samordningsnummer, day + 60) and
 * the Luhn check digit over the 10-digit form YYMMDDNNNN (Skatteverket, SKV 704).
 */
export function isValidPersonnummer(value: string): boolean {
  const m = /^(\d{4})(\d{2})(\d{2})\d{4}$/.exec(value);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  let day = Number(m[3]);
  if (day > 60) day -= 60;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return false;
  return isLuhnValid(value.slice(2));
}
