import { describe, expect, it } from 'vitest';
import { newId, newTimeOrderedId } from '../../../src/bank/context.ts';
import { Id } from '../../../src/bank/api/schemas.ts';

describe('newId', () => {
  it('never starts with "-" (command lines would take it for an option) and fits the API id', () => {
    // base64url ids started with '-' one time in 64; 2 000 draws would all but surely show one.
    for (let i = 0; i < 2000; i++) {
      const id = newId();
      expect(id).toMatch(/^[0-9a-f]{24}$/);
      expect(Id.safeParse(id).success).toBe(true);
    }
  });
});

describe('newTimeOrderedId', () => {
  it('sorts by time, as text, so inserts share the last leaf of the index; fits the API id; the rest is random', () => {
    const at = Date.UTC(2026, 11, 4, 8, 0, 0);
    const ids = [at, at + 1, at + 1000, at + 86_400_000].map((t) => newTimeOrderedId(t));
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{24}$/);
      expect(Id.safeParse(id).success).toBe(true);
    }
    expect(ids[0]!.slice(0, 12)).toBe(at.toString(16).padStart(12, '0'));
    const sameMs = new Set(Array.from({ length: 1000 }, () => newTimeOrderedId(at)));
    expect(sameMs.size).toBe(1000);
  });
});
