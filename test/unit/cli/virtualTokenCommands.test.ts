import { createHmac } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVirtualHidTokenFile } from '../../../src/virtual/hidToken.ts';
import { runMain } from '../../support/memoryIo.ts';

const run = runMain;

let dir: string;
let n = 0;
const fresh = () => path.join(dir, `token-${++n}.json`);
const SECRET = '3132333435363738393031323334353637383930'; // RFC 4226's "12345678901234567890"
const mac = (keyHex: string, msgHex: string) => createHmac('sha1', Buffer.from(keyHex, 'hex')).update(Buffer.from(msgHex, 'hex')).digest('hex');

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-vtoken-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ekort virtual-token create', () => {
  it('writes a 0600 token file and prints serial and slot, never the secret unless --show-secret', async () => {
    const file = fresh();
    const r = await run(['virtual-token', 'create', '--out', file, '--secret', SECRET, '--slot', '1']);
    expect(r.code, r.err.join('\n')).toBe(0);
    const token = await loadVirtualHidTokenFile(file);
    expect(token.slots).toEqual({ '1': { secret: SECRET, touch: false } });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(r.out.join('\n')).toContain(String(token.serial));
    expect(r.out.join('\n')).toContain('slot 1');
    expect([...r.out, ...r.err].join('\n')).not.toContain(SECRET);

    const j = await run(['virtual-token', 'create', '--out', fresh(), '--touch', '--json']);
    const printed = JSON.parse(j.out[0]!) as Record<string, unknown>;
    expect(printed).toMatchObject({ slot: 2, touch: true });
    expect(printed).not.toHaveProperty('secret');

    const shownFile = fresh();
    const shown = await run(['virtual-token', 'create', '--out', shownFile, '--show-secret', '--json']);
    expect(JSON.parse(shown.out[0]!)).toMatchObject({ secret: (await loadVirtualHidTokenFile(shownFile)).slots['2']!.secret });
  });

  it('usage errors exit 2 without echoing the secret; an existing file needs --force', async () => {
    const file = fresh();
    expect((await run(['virtual-token', 'create', '--out', file])).code).toBe(0);
    const again = await run(['virtual-token', 'create', '--out', file]);
    expect(again.code).toBe(2);
    expect(again.err[0]).toContain('--force');
    expect((await run(['virtual-token', 'create', '--out', file, '--force'])).code).toBe(0);
    expect((await run(['virtual-token', 'create'])).code).toBe(2);
    expect((await run(['virtual-token', 'create', '--out', fresh(), '--slot', '3'])).code).toBe(2);
    const longSecret = 'ab'.repeat(21);
    const bad = await run(['virtual-token', 'create', '--out', fresh(), '--secret', longSecret]);
    expect(bad.code).toBe(2);
    expect(bad.err.join('\n')).not.toContain(longSecret);
    const notHex = await run(['virtual-token', 'create', '--out', fresh(), '--secret', 'secretpassword']);
    expect(notHex.code).toBe(2);
    expect(notHex.err.join('\n')).not.toContain('secretpassword');
  });
});

describe('ekort virtual-token respond', () => {
  it('runs the HID challenge-response and prints the HMAC-SHA1 of the challenge', async () => {
    const file = fresh();
    await run(['virtual-token', 'create', '--out', file, '--secret', SECRET, '--slot', '2']);
    const r = await run(['virtual-token', 'respond', file, '53616d706c65']);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out).toEqual([mac(SECRET, '53616d706c65')]);
    const j = await run(['virtual-token', 'respond', file, '00', '--slot', '2', '--json']);
    expect(JSON.parse(j.out[0]!)).toEqual({ serial: (await loadVirtualHidTokenFile(file)).serial, slot: 2, challenge: '00', response: mac(SECRET, '00') });
  });

  it('a touch slot is touched for the user, who is told on stderr', async () => {
    const file = fresh();
    await run(['virtual-token', 'create', '--out', file, '--secret', SECRET, '--slot', '1', '--touch']);
    const r = await run(['virtual-token', 'respond', file, 'c0ffee']);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out).toEqual([mac(SECRET, 'c0ffee')]);
    expect(r.err.join('\n')).toMatch(/waits for a touch/);
  });

  it('an unconfigured slot is TOKEN_REJECTED (exit 1); bad input exits 2; a missing file is VIRTUAL_TOKEN_NOT_FOUND', async () => {
    const file = fresh();
    await run(['virtual-token', 'create', '--out', file, '--slot', '2']);
    const rejected = await run(['virtual-token', 'respond', file, '0102', '--slot', '1', '--json']);
    expect(rejected.code).toBe(1);
    expect(JSON.parse(rejected.out[0]!)).toMatchObject({ error: { code: 'TOKEN_REJECTED' } });
    expect((await run(['virtual-token', 'respond', file, 'xyz'])).code).toBe(2);
    expect((await run(['virtual-token', 'respond', file, 'ab'.repeat(64)])).code).toBe(2);
    expect((await run(['virtual-token', 'respond', file])).code).toBe(2);
    expect((await run(['virtual-token', 'respond', file, '01', '--slot', '0'])).code).toBe(2);
    const missing = await run(['virtual-token', 'respond', path.join(dir, 'none.json'), '01', '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.out[0]!)).toMatchObject({ error: { code: 'VIRTUAL_TOKEN_NOT_FOUND' } });
  });
});
