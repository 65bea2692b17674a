/**
 * Card numbers (ISO/IEC 7812-1): issuer prefix + account digits + a Luhn check digit, and the
 * CVC. Every digit that is not the issuer's comes from the CSPRNG.
 */
import { randomInt } from 'node:crypto';
import { luhnCheckDigit } from '../identity/index.ts';

export const PAN_DIGITS = 16;
/** The reference service's issuer range (a 6-digit IIN in the Mastercard 2-series test space). */
export const DEFAULT_ISSUER_PREFIX = '222300';

export function isValidPan(pan: string): boolean {
  return /^[0-9]{12,19}$/.test(pan) && luhnCheckDigit(pan.slice(0, -1)) === pan.slice(-1);
}

function randomDigits(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(randomInt(10));
  return s;
}

/** A fresh 16-digit number in `issuerPrefix`'s range; uniqueness is the store's job. */
export function drawPan(issuerPrefix: string = DEFAULT_ISSUER_PREFIX): string {
  if (!/^[0-9]{6,8}$/.test(issuerPrefix)) throw new RangeError('The issuer prefix is 6 to 8 digits');
  const body = issuerPrefix + randomDigits(PAN_DIGITS - 1 - issuerPrefix.length);
  return body + luhnCheckDigit(body);
}

export const drawCvc = (): string => randomDigits(3);

export const last4 = (pan: string): string => pan.slice(-4);

/** "1234 5678 9012 3456". */
export const groupPan = (pan: string): string => pan.replace(/(\d{4})(?=\d)/g, '$1 ');

/** 'MM/YY' → { month, year (4 digits) }, or undefined when it is not one. */
export function parseExpiry(text: string): { month: number; year: number } | undefined {
  const m = /^\s*(\d{2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(text);
  if (!m) return undefined;
  const month = Number(m[1]);
  const year = m[2]!.length === 2 ? 2000 + Number(m[2]) : Number(m[2]);
  return month >= 1 && month <= 12 ? { month, year } : undefined;
}

export const formatExpiry = (month: number, year: number): string => `${String(month).padStart(2, '0')}/${String(year % 100).padStart(2, '0')}`;
