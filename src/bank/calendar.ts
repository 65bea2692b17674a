/** Calendar arithmetic the e-kort rules need, in the bank's time zone (Europe/Stockholm). */

/**
 * A formatter in Stockholm time, made at its first use: the first one a process makes loads
 * ICU's time zone and locale data, some 15-20 ms that `ekort serve` would otherwise spend
 * before it answers at all.
 */
function stockholmFormat(locale: string, options: Intl.DateTimeFormatOptions): () => Intl.DateTimeFormat {
  let format: Intl.DateTimeFormat | undefined;
  return () => (format ??= new Intl.DateTimeFormat(locale, { timeZone: 'Europe/Stockholm', ...options }));
}

const monthFormat = stockholmFormat('en-CA', { year: 'numeric', month: '2-digit' });

/** The last month asked for and the instants it spans, [from, to): every authorization asks for the current one. */
let lastMonth = { from: 0, to: 0, month: '' };

/** 'YYYY-MM' of `ms` in Stockholm: the period of the per-month limits. */
export function stockholmMonth(ms: number): string {
  if (ms >= lastMonth.from && ms < lastMonth.to) return lastMonth.month;
  const parts = monthFormat().formatToParts(new Date(ms));
  const year = parts.find((p) => p.type === 'year')!.value;
  const mm = parts.find((p) => p.type === 'month')!.value;
  const month = `${year}-${mm}`;
  // The month's bounds are Stockholm midnights (never in a DST gap), so the cache is exact.
  if (Number.isFinite(ms)) lastMonth = { from: stockholmMidnight(Number(year), Number(mm), 1), to: stockholmMidnight(Number(year), Number(mm) + 1, 1), month };
  return month;
}

/**
 * The first instant of the Stockholm month after the one `ms` falls in: the exclusive end of
 * that month, Swedish time (midnight on the 1st, 23:00 or 22:00 UTC the day before).
 */
export function endOfStockholmMonth(ms: number): number {
  const { y, m } = stockholmParts(ms);
  return stockholmMidnight(y, m + 1, 1);
}

/** `ms` plus `months` calendar months (UTC), the day clamped to the target month's last day. */
export function addMonths(ms: number, months: number): number {
  const d = new Date(ms);
  const day = d.getUTCDate();
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return target.getTime();
}

export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : iso(Number(ms)));

const minuteFormat = stockholmFormat('sv-SE', { year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const dayWordsFormat = stockholmFormat('sv-SE', { year: 'numeric', month: 'long', day: 'numeric' });

/** "22 november 2026 kl. 11:00": a moment as a Swedish letter gives it, Stockholm time. */
export function stockholmTime(ms: number): string {
  return minuteFormat().format(new Date(ms));
}

/** "1 februari 2027": the Stockholm day of a moment, in words. */
export function stockholmDayInWords(ms: number): string {
  return dayWordsFormat().format(new Date(ms));
}

const partsFormat = stockholmFormat('en-CA', {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** The Stockholm wall clock of an instant. */
export function stockholmParts(ms: number): { y: number; m: number; d: number; h: number; mi: number; s: number } {
  const p = Object.fromEntries(partsFormat().formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return { y: Number(p.year), m: Number(p.month), d: Number(p.day), h: Number(p.hour), mi: Number(p.minute), s: Number(p.second) };
}

/** Stockholm's offset from UTC at `ms`, in ms (3 600 000 in winter, 7 200 000 in summer). */
function stockholmOffset(ms: number): number {
  const whole = ms - (((ms % 1000) + 1000) % 1000);
  const p = stockholmParts(whole);
  return Date.UTC(p.y, p.m - 1, p.d, p.h, p.mi, p.s) - whole;
}

/**
 * The instant Stockholm's calendar day y-m-d begins (midnight is never in a DST gap there). The
 * day may run over the month (d + 1 of the last day is the 1st of the next), as Date.UTC allows.
 */
export function stockholmMidnight(y: number, m: number, d: number): number {
  const local = Date.UTC(y, m - 1, d);
  const guess = local - stockholmOffset(local);
  return local - stockholmOffset(guess);
}

const dayParts = (day: string): [number, number, number] | null => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m || new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))).toISOString().slice(0, 10) !== day) return null;
  return [Number(m[1]), Number(m[2]), Number(m[3])];
};

/** Midnight at the start of `day` (YYYY-MM-DD) in Stockholm, or null for no such day. */
export function startOfStockholmDay(day: string): number | null {
  const p = dayParts(day);
  return p ? stockholmMidnight(...p) : null;
}

/** The first instant after the Stockholm day `day` (YYYY-MM-DD): its exclusive end. */
export function endOfStockholmDay(day: string): number {
  const p = dayParts(day);
  if (!p) throw new RangeError(`not a day: ${day}`);
  return stockholmMidnight(p[0], p[1], p[2] + 1);
}

const dateFormat = stockholmFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit' });
/** The Stockholm date of an instant, YYYY-MM-DD. */
export const stockholmDate = (ms: number): string => dateFormat().format(new Date(ms));

/** Easter Sunday (the anonymous Gregorian algorithm), as a UTC date. */
function easter(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return Date.UTC(year, month - 1, day);
}

const DAY = 86_400_000;
const ymd = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Swedish bank holidays of `year` (weekdays the banks are closed), as YYYY-MM-DD. */
export function swedishBankHolidays(year: number): Set<string> {
  const e = easter(year);
  // Midsommarafton: the Friday between 19 and 25 June.
  const june19 = Date.UTC(year, 5, 19);
  const midsummerEve = june19 + ((5 - new Date(june19).getUTCDay() + 7) % 7) * DAY;
  return new Set([
    `${year}-01-01`,
    `${year}-01-06`,
    ymd(e - 2 * DAY), // långfredagen
    ymd(e + DAY), // annandag påsk
    `${year}-05-01`,
    ymd(e + 39 * DAY), // Kristi himmelsfärds dag
    `${year}-06-06`,
    ymd(midsummerEve),
    `${year}-12-24`,
    `${year}-12-25`,
    `${year}-12-26`,
    `${year}-12-31`,
  ]);
}

/** A banking day: not a Saturday, Sunday or Swedish bank holiday. */
export function isBankingDay(date: string): boolean {
  const t = Date.parse(`${date}T00:00:00Z`);
  const day = new Date(t).getUTCDay();
  return day !== 0 && day !== 6 && !swedishBankHolidays(new Date(t).getUTCFullYear()).has(date);
}

/** `n` banking days after `date` (YYYY-MM-DD): "within ten banking days" (card terms §20). */
export function addBankingDays(date: string, n: number): string {
  let t = Date.parse(`${date}T00:00:00Z`);
  for (let left = n; left > 0; ) {
    t += DAY;
    if (isBankingDay(ymd(t))) left--;
  }
  return ymd(t);
}

/** The last banking day before `date` (YYYY-MM-DD): not a Saturday, Sunday or bank holiday. */
export function lastBankingDayBefore(date: string): string {
  let t = Date.parse(`${date}T00:00:00Z`) - DAY;
  for (;;) {
    const day = new Date(t).getUTCDay();
    if (day !== 0 && day !== 6 && !swedishBankHolidays(new Date(t).getUTCFullYear()).has(ymd(t))) return ymd(t);
    t -= DAY;
  }
}
