/** Calendar arithmetic the e-kort rules need, in the bank's time zone (Europe/Stockholm). */

const monthFormat = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Stockholm', year: 'numeric', month: '2-digit' });

/** 'YYYY-MM' of `ms` in Stockholm: the period of the per-month limits. */
export function stockholmMonth(ms: number): string {
  const parts = monthFormat.formatToParts(new Date(ms));
  return `${parts.find((p) => p.type === 'year')!.value}-${parts.find((p) => p.type === 'month')!.value}`;
}

const HOUR = 3_600_000;

/**
 * The first instant of the Stockholm month after the one `ms` falls in: the exclusive end of
 * that month, Swedish time. Midnight on the 1st is 23:00 or 22:00 UTC the day before (CET or
 * CEST; the clocks never change on the 1st).
 */
export function endOfStockholmMonth(ms: number): number {
  const [year, month] = stockholmMonth(ms).split('-').map(Number) as [number, number];
  const midnightUtc = Date.UTC(year, month, 1); // month is 1-based, so this is the 1st of the next month
  for (const offset of [HOUR, 2 * HOUR]) {
    const candidate = midnightUtc - offset;
    if (stockholmMonth(candidate) !== stockholmMonth(ms) && stockholmMonth(candidate - 1) === stockholmMonth(ms)) return candidate;
  }
  throw new Error(`no Stockholm month end after ${new Date(ms).toISOString()}`);
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

const minuteFormat = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm', year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit' });

/** "22 november 2026 kl. 11:00": a moment as a Swedish letter gives it, Stockholm time. */
export function stockholmTime(ms: number): string {
  return minuteFormat.format(new Date(ms));
}
