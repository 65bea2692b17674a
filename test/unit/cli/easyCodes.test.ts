import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { memoryIo } from '../../support/memoryIo.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-easy-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('codes the holder chooses at the terminal (card terms §7b)', () => {
  it.each([
    ['123456', 'a run of digits'],
    ['111111', 'one digit repeated'],
    ['121212', 'a short pattern repeated'],
  ])('app enrol refuses the app PIN %s (%s) before anything is enrolled or written', async (pin, why) => {
    const m = memoryIo();
    // Port 9 (discard): nothing may be sent anyway.
    const code = await main(['app', 'enrol', '--server', 'http://127.0.0.1:9', '--code', 'X', '--out', path.join(dir, 'app.json'), '--pin', pin], m.io);
    expect(code).toBe(2);
    expect(m.err.join('\n')).toContain(`the app PIN is too easy to guess: it is ${why}`);
    expect(await readdir(dir)).toEqual([]);
  });
});
