/** `ekort pki verify` of bytes that are not a CMS, and `ekort pki files` with named files it cannot read. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTestPki } from '../../../src/pki/testPki.ts';
import { runMain } from '../../support/memoryIo.ts';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ekort-pki-input-'));
  await initTestPki(path.join(dir, 'ca'));
  writeFileSync(path.join(dir, 'challenge.bin'), 'x');
  writeFileSync(path.join(dir, 'text.p7s'), 'this is not a signature');
  writeFileSync(path.join(dir, 'garbage.p12'), 'not a pkcs12 either');
  writeFileSync(path.join(dir, 'empty'), '');
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ekort pki verify of bytes that are not a CMS', () => {
  it('exits 1 with CMS_MALFORMED (not a usage error), text and --json', async () => {
    const args = ['pki', 'verify', '--ca', path.join(dir, 'ca'), '--content', path.join(dir, 'challenge.bin')];
    for (const file of ['text.p7s', 'empty']) {
      const json = await runMain([...args, path.join(dir, file), '--json']);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.out[0]!)).toMatchObject({ error: { code: 'CMS_MALFORMED' } });
      const text = await runMain([...args, path.join(dir, file)]);
      expect(text.code).toBe(1);
      expect(text.err.join('\n')).toContain(file);
    }
  });
});

describe('ekort pki files with named files', () => {
  it('names each named file it could not read and why, and exits 1', async () => {
    const missing = path.join(dir, 'nowhere.p12');
    const garbage = path.join(dir, 'garbage.p12');
    const json = await runMain(['pki', 'files', '--dir', path.join(dir, 'no-such-dir'), missing, garbage, '--json']);
    expect(json.code).toBe(1);
    const listed = JSON.parse(json.out[0]!) as { files: unknown[]; unreadable: Array<{ path: string; code: string; message: string }> };
    expect(listed.files).toEqual([]);
    expect(listed.unreadable.map((u) => u.path)).toEqual([missing, garbage]);
    expect(listed.unreadable[0]!.message).toContain('ENOENT');
    for (const u of listed.unreadable) expect(u.code).toMatch(/^[A-Z_]+$/);

    const text = await runMain(['pki', 'files', '--dir', path.join(dir, 'no-such-dir'), missing, garbage]);
    expect(text.code).toBe(1);
    expect(text.err).toEqual([expect.stringContaining(`${missing} could not be read`), expect.stringContaining(`${garbage} could not be read`)]);
  });

  it('exits 0 when nothing was named', async () => {
    const run = await runMain(['pki', 'files', '--dir', path.join(dir, 'no-such-dir'), '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out[0]!)).toMatchObject({ files: [], unreadable: [] });
  });
});
