/**
 * DOM-free formatting and parsing for the UI (unit-tested in node): money in öre shown as
 * "1 234,50 kr" (U+00A0 between groups and before "kr"), kronor typed by people parsed to
 * öre, card numbers and kontrollnummer in groups of four, dates and days left.
 */

/** U+00A0 NO-BREAK SPACE: an amount or a number group never breaks across lines. */
export const NBSP = '\u00a0';
/** The largest amount the service takes: 100 000 000 kr, in öre. */
export const MAX_ORE = 100_000_000_00;

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, NBSP);
}

/** 123450 → "1 234,50 kr"; negative amounts get a minus sign. */
export function formatKronor(ore: number): string {
  const sign = ore < 0 ? '−' : '';
  const abs = Math.abs(Math.trunc(ore));
  const kronor = Math.floor(abs / 100);
  const rest = String(abs % 100).padStart(2, '0');
  return `${sign}${groupThousands(String(kronor))},${rest}${NBSP}kr`;
}

export type ParseKronorResult = { ok: true; ore: number } | { ok: false; reason: 'empty' | 'format' | 'negative' | 'too-many-decimals' | 'zero' | 'too-large' };

const PLAIN = /^(\d+)(?:[.,](\d{1,2}))?$/;
const GROUPED = /^(\d{1,3}(?:[ \u00a0\u202f]\d{3})+)(?:[.,](\d{1,2}))?$/;

/**
 * What people type: "1234,50", "1234.50", "1 234,50", "1234", "0,5", an optional "kr".
 * A limit must be at least 1 öre and at most MAX_ORE.
 */
export function parseKronor(text: string): ParseKronorResult {
  const trimmed = text.trim().replace(/[ \u00a0\u202f]*kr$/i, '').trim();
  if (trimmed === '') return { ok: false, reason: 'empty' };
  if (/^[-−]/.test(trimmed)) return { ok: false, reason: 'negative' };
  const m = PLAIN.exec(trimmed) ?? GROUPED.exec(trimmed);
  if (!m) {
    if (/^[\d \u00a0\u202f]+[.,]\d{3,}$/.test(trimmed)) return { ok: false, reason: 'too-many-decimals' };
    return { ok: false, reason: 'format' };
  }
  const whole = (m[1] ?? '').replace(/[ \u00a0\u202f]/g, '');
  const frac = (m[2] ?? '').padEnd(2, '0');
  if (whole.length > 12) return { ok: false, reason: 'too-large' };
  const ore = Number(whole) * 100 + Number(frac);
  if (ore === 0) return { ok: false, reason: 'zero' };
  if (ore > MAX_ORE) return { ok: false, reason: 'too-large' };
  return { ok: true, ore };
}

/** "1234567890123456" → ["1234", "5678", "9012", "3456"]; other characters dropped. */
export function groupsOfFour(value: string): string[] {
  const digits = value.replace(/\D/g, '');
  const groups: string[] = [];
  for (let i = 0; i < digits.length; i += 4) groups.push(digits.slice(i, i + 4));
  return groups;
}

/** A card number as shown and copied: "1234 5678 9012 3456". */
export function formatCardNumber(pan: string): string {
  return groupsOfFour(pan).join(' ');
}

/** The kontrollnummer "12345678" in its two groups of four: ["1234", "5678"]. */
export function kontrollnummerGroups(kontrollnummer: string): [string, string] {
  const digits = kontrollnummer.replace(/\D/g, '');
  return [digits.slice(0, 4), digits.slice(4, 8)];
}

/** Digits one by one, for a screen reader: "1234 5678" → "1 2 3 4 5 6 7 8". */
export function spokenDigits(value: string): string {
  return value.replace(/\D/g, '').split('').join(' ');
}

/** "•••• 1234": only the last four digits in lists. */
export function maskedLast4(last4: string): string {
  return `••••${NBSP}${last4}`;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Whole days left until `until` (ISO 8601), counted in local calendar days from `now`:
 * 0 on the last day, negative once past. Invalid dates give null.
 */
export function daysLeft(until: string, now: Date = new Date()): number | null {
  const end = new Date(until);
  if (Number.isNaN(end.getTime())) return null;
  const endDay = Date.UTC(end.getFullYear(), end.getMonth(), end.getDate());
  const today = Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
  return Math.round((endDay - today) / DAY_MS);
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** ISO 8601 date in local time: "2026-11-22". */
export function formatDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

/**
 * The last day before an exclusive end instant, in words, Swedish time: an e-nummer valid until
 * 2027-01-31T23:00Z (midnight starting 1 February in Stockholm) → "31 januari 2027".
 */
export function lastValidDay(validUntil: string, language: 'sv' | 'en'): string {
  const end = Date.parse(validUntil);
  if (Number.isNaN(end)) return validUntil;
  return dayInWords(new Date(end - 1).toISOString(), language);
}

/** The Swedish-time day of an instant, in words: 2027-01-31T23:00Z → "1 februari 2027". */
export function dayInWords(instant: string, language: 'sv' | 'en'): string {
  const at = Date.parse(instant);
  if (Number.isNaN(at)) return instant;
  return new Intl.DateTimeFormat(language === 'sv' ? 'sv-SE' : 'en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/Stockholm' }).format(new Date(at));
}

/** ISO 8601 date and time in local time: "2026-11-22 14:05". */
export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${formatDate(iso)} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/** "199001012385" → "19900101-2385". */
export function formatPersonnummer(pnr: string): string {
  const digits = pnr.replace(/\D/g, '');
  if (digits.length === 12) return `${digits.slice(0, 8)}-${digits.slice(8)}`;
  if (digits.length === 10) return `${digits.slice(0, 6)}-${digits.slice(6)}`;
  return pnr;
}

/** 6 to 8 digits. */
export function isValidPin(pin: string): boolean {
  return /^[0-9]{6,8}$/.test(pin);
}

/** 8 digits, an optional space in the middle ("1234 5678"). */
export function normalizeSvarskod(text: string): string | null {
  const compact = text.replace(/[\s\u00a0]/g, '');
  return /^[0-9]{8}$/.test(compact) ? compact : null;
}

/** 6 to 12 digits (spaces ignored). */
export function normalizeSerial(text: string): string | null {
  const compact = text.replace(/[\s\u00a0-]/g, '');
  return /^[0-9]{6,12}$/.test(compact) ? compact : null;
}

/** "MM/YY" with a valid month. */
export function isValidExpiry(text: string): boolean {
  return /^(0[1-9]|1[0-2])\/[0-9]{2}$/.test(text.trim());
}
