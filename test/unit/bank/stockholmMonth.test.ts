import { describe, expect, it } from 'vitest';
import { endOfStockholmMonth } from '../../../src/bank/calendar.ts';

const end = (iso: string) => new Date(endOfStockholmMonth(Date.parse(iso))).toISOString();

describe('endOfStockholmMonth', () => {
  it('is midnight starting the next month, Swedish time: 23:00 UTC in winter, 22:00 UTC in summer', () => {
    expect(end('2027-01-15T12:00:00Z')).toBe('2027-01-31T23:00:00.000Z');
    expect(end('2027-06-01T00:00:00Z')).toBe('2027-06-30T22:00:00.000Z');
  });

  it('follows the clock changes inside the month (last Sunday of March and October)', () => {
    expect(end('2027-03-01T12:00:00Z')).toBe('2027-03-31T22:00:00.000Z');
    expect(end('2026-10-01T12:00:00Z')).toBe('2026-10-31T23:00:00.000Z');
  });

  it('takes the month the instant falls in in Stockholm, not in UTC', () => {
    expect(end('2026-12-31T22:59:59.999Z')).toBe('2026-12-31T23:00:00.000Z');
    expect(end('2026-12-31T23:00:00.000Z')).toBe('2027-01-31T23:00:00.000Z');
  });
});
