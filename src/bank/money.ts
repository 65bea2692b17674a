/**
 * Swedish kronor as people type and read them, and öre (integers) as the service keeps them.
 *
 * formatKronor(123450) → "1 234,50 kr". The spaces (between groups of three digits and before
 * "kr") are all U+00A0 NO-BREAK SPACE, so an amount never breaks across lines; KRONOR_SPACE
 * is that character. parseKronor accepts what people type: "1234,50", "1234.50", "1 234,50"
 * (grouped with a space, U+00A0 or U+202F), "1234", "0,5", an optional trailing "kr" — and
 * refuses the rest with a MoneyError (code INVALID_AMOUNT, `reason` says why).
 */
import { EkortError } from '../errors.ts';

/** The space formatKronor puts between digit groups and before "kr": U+00A0 NO-BREAK SPACE. */
export const KRONOR_SPACE = '\u00a0';

/** The largest amount the service takes: 100 000 000 kr, in öre (as the API's schema). */
export const MAX_ORE = 100_000_000_00;

export type MoneyErrorReason = 'format' | 'negative' | 'too-many-decimals' | 'too-large';

export class MoneyError extends EkortError {
  readonly reason: MoneyErrorReason;

  constructor(reason: MoneyErrorReason, message: string) {
    super('INVALID_AMOUNT', message);
    this.reason = reason;
  }
}

const SPACES = /[ \u00a0\u202f]/;
const PLAIN = /^(\d+)(?:[.,](\d{1,2}))?$/;
const GROUPED = /^(\d{1,3}(?:[ \u00a0\u202f]\d{3})+)(?:[.,](\d{1,2}))?$/;

/** "1 234,50" → 123450 öre. At most two decimals, not negative, at most MAX_ORE. */
export function parseKronor(text: string): number {
  const shown = JSON.stringify(text);
  const trimmed = text.trim().replace(/[ \u00a0\u202f]*kr$/i, '');
  if (/^[-−]/.test(trimmed)) throw new MoneyError('negative', `${shown} is negative: give an amount of 0 kr or more`);
  const m = PLAIN.exec(trimmed) ?? GROUPED.exec(trimmed);
  if (!m) {
    if (/^[\d \u00a0\u202f]+[.,]\d{3,}$/.test(trimmed)) throw new MoneyError('too-many-decimals', `${shown} has more than two decimals (öre)`);
    throw new MoneyError('format', `${shown} is not an amount in kronor (e.g. 1234,50 or 1 234.50)`);
  }
  const kronor = m[1]!.split(SPACES).join('');
  const ore = (m[2] ?? '').padEnd(2, '0');
  // Compare as text first: a long digit string would lose precision as a number.
  const digits = `${kronor.replace(/^0+(?=\d)/, '')}${ore}`.replace(/^0+(?=\d)/, '');
  if (digits.length > String(MAX_ORE).length || Number(digits) > MAX_ORE) {
    throw new MoneyError('too-large', `${shown} is more than ${formatKronor(MAX_ORE)}`);
  }
  return Number(digits);
}

/** 123450 → "1 234,50 kr" (U+00A0 spaces); negative amounts get a leading "-". */
export function formatKronor(ore: number): string {
  if (!Number.isSafeInteger(ore)) throw new MoneyError('format', `${ore} is not a whole number of öre`);
  const abs = Math.abs(ore);
  const kronor = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+$)/g, KRONOR_SPACE);
  const cents = String(abs % 100).padStart(2, '0');
  return `${ore < 0 ? '-' : ''}${kronor},${cents}${KRONOR_SPACE}kr`;
}
