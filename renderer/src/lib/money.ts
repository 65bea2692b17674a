/**
 * Amounts in other currencies, for purchases the service converted to SEK (card terms §17):
 * the original amount in the currency's minor units ("12,50 EUR"), the reference rate in
 * Swedish notation ("11,2345") and the SEK fee with formatKronor. DOM-free: unit-tested in node.
 */
import { formatKronor, NBSP } from './format.ts';

/** ISO 4217 minor-unit exponents that are not 2 (the service's table, src/bank/currency.ts). */
const EXPONENTS: Readonly<Record<string, number>> = { ISK: 0, JPY: 0, KWD: 3, BHD: 3 };

function grouped(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, NBSP);
}

/** 1250, "EUR" → "12,50 EUR"; 1500, "JPY" → "1 500 JPY". */
export function formatMinorUnits(amount: number, currency: string): string {
  const exponent = EXPONENTS[currency] ?? 2;
  const sign = amount < 0 ? '−' : '';
  const abs = String(Math.abs(Math.trunc(amount))).padStart(exponent + 1, '0');
  const whole = abs.slice(0, abs.length - exponent);
  const frac = exponent > 0 ? `,${abs.slice(abs.length - exponent)}` : '';
  return `${sign}${grouped(whole)}${frac}${NBSP}${currency}`;
}

/** 11.2345 → "11,2345" (as many decimals as the rate has). */
export function formatRate(rate: number): string {
  return String(rate).replace('.', ',');
}

/** The parts of a converted purchase, or null for a SEK purchase. */
export function foreignParts(tx: { originalAmount?: number | undefined; currency?: string | undefined; rate?: number | undefined; fee?: number | undefined }): { original: string; rate: string; fee: string; currency: string } | null {
  if (tx.originalAmount === undefined || !tx.currency || tx.currency === 'SEK') return null;
  return {
    original: formatMinorUnits(tx.originalAmount, tx.currency),
    rate: tx.rate === undefined ? '–' : formatRate(tx.rate),
    fee: formatKronor(tx.fee ?? 0),
    currency: tx.currency,
  };
}

/** What a person typed as an amount in `currency` ("12,50", "1 500"), in its minor units; null when it is not one. */
export function parseMinorUnits(text: string, currency: string): number | null {
  const exponent = EXPONENTS[currency] ?? 2;
  const m = /^(\d{1,12})(?:[.,](\d+))?$/.exec(text.trim().replace(/[ \u00a0\u202f]/g, '').replace(/(kr|[A-Z]{3})$/i, ''));
  if (!m || (m[2] ?? '').length > exponent) return null;
  return Number(`${m[1]}${(m[2] ?? '').padEnd(exponent, '0')}`);
}
