import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { memoryIo } from '../../support/memoryIo.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-block-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ekort bank block-card', () => {
  it('takes only the reasons of card terms §9', async () => {
    const m = memoryIo();
    expect(await main(['bank', 'block-card', '--db', path.join(dir, 'a.db'), 'card-1', '--reason', 'because'], m.io)).toBe(2);
    expect(m.err.join('\n')).toContain('--reason must be one of security, fraud_suspected, customer_due_diligence, credit_risk, agreement_ended (card terms §9)');
  });

  it('says when there is no such card', async () => {
    const m = memoryIo();
    expect(await main(['bank', 'block-card', '--db', path.join(dir, 'b.db'), 'card-1', '--reason', 'security', '--json'], m.io)).toBe(1);
    expect(JSON.parse(m.out[0]!)).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
