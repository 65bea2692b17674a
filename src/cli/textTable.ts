/** Plain-text tables and the small formats the holder's commands share. */
import { escapeControlCharacters } from '../text/index.ts';
import type { CliIo } from './cliContext.ts';

/**
 * Columns padded to their widest cell, two spaces apart; the last column is not padded. A
 * cell's control characters (a newline too) are shown escaped, so a stored merchant name
 * cannot move the cursor, recolour the terminal or start a row of its own.
 */
export function printTable(io: CliIo, header: string[], cells: string[][]): void {
  const rows = cells.map((row) => row.map(escapeControlCharacters));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const row of [header, ...rows]) {
    io.out(
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    );
  }
}

/** "•••• 1234": how card numbers appear in lists. */
export const masked = (last4: string | null): string => (last4 === null ? '-' : `•••• ${last4}`);

/** A full card number in groups of four: "4556 9912 3456 7890". */
export const groupedPan = (pan: string): string => pan.replace(/(\d{4})(?=\d)/g, '$1 ');

/** The date in Stockholm (YYYY-MM-DD) of an ISO time. */
export function stockholmDate(isoTime: string): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(isoTime));
}

/** Date and time in Stockholm (YYYY-MM-DD HH:MM) of an ISO time. */
export function stockholmTime(isoTime: string): string {
  const d = new Date(isoTime);
  const time = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
  return `${stockholmDate(isoTime)} ${time}`;
}

/** Whole days from `now` until `isoTime`, rounded up; 0 once it has passed. */
export function daysLeft(isoTime: string, now: Date = new Date()): number {
  return Math.max(0, Math.ceil((new Date(isoTime).getTime() - now.getTime()) / 86_400_000));
}
