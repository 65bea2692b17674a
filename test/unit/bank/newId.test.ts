import { describe, expect, it } from 'vitest';
import { newId } from '../../../src/bank/context.ts';
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
