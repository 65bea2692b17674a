import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HidOtpSession } from '../../../src/token/hidOtpSession.ts';
import {
  createVirtualHidTokenFile,
  loadVirtualHidTokenFile,
  saveVirtualHidTokenFile,
  validateVirtualHidTokenFile,
  virtualHidTokenFromFile,
} from '../../../src/virtual/hidToken.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-vtoken-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const SECRET = Uint8Array.from({ length: 20 }, (_, i) => 0xa0 + i);
const mac = (key: Uint8Array, msg: Uint8Array): string => createHmac('sha1', key).update(msg).digest('hex');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('virtual token files', () => {
  it('create: one slot with the given or a random 20-byte secret, slot 2 by default', () => {
    const a = createVirtualHidTokenFile({ secret: SECRET, slot: 1, touch: true, serial: 12345678 });
    expect(a).toEqual({ version: 1, kind: 'hid-otp-token', serial: 12345678, firmware: '5.4.3', slots: { '1': { secret: hex(SECRET), touch: true } } });
    const b = createVirtualHidTokenFile();
    expect(Object.keys(b.slots)).toEqual(['2']);
    expect(b.slots['2']!.secret).toMatch(/^[0-9a-f]{40}$/);
    expect(createVirtualHidTokenFile().slots['2']!.secret).not.toBe(b.slots['2']!.secret);
    expect(() => createVirtualHidTokenFile({ secret: new Uint8Array(21) })).toThrow(expect.objectContaining({ code: 'VIRTUAL_TOKEN_INVALID' }));
  });

  it('saves 0600 and loads back; the token it describes answers with its secret', async () => {
    const file = path.join(dir, 'a.json');
    await saveVirtualHidTokenFile(file, createVirtualHidTokenFile({ secret: SECRET, slot: 2, serial: 555 }));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const loaded = await loadVirtualHidTokenFile(file);
    expect(loaded.serial).toBe(555);
    const challenge = new TextEncoder().encode('file token');
    const out = await new HidOtpSession(virtualHidTokenFromFile(loaded)).challengeResponse(challenge, { slot: 2, pollMs: 1 });
    expect(hex(out)).toBe(mac(SECRET, challenge));
  });

  it('a touch slot waits for the touch; the other slot answers at once', async () => {
    const data = validateVirtualHidTokenFile({
      version: 1,
      kind: 'hid-otp-token',
      serial: 9,
      firmware: '5.2.7',
      slots: { '1': { secret: '0102', touch: false }, '2': { secret: hex(SECRET), touch: true } },
    });
    const token = virtualHidTokenFromFile(data);
    const session = new HidOtpSession(token);
    let touches = 0;
    const c = Uint8Array.of(9, 8, 7);
    expect(hex(await session.challengeResponse(c, { slot: 1, pollMs: 1, onTouch: () => touches++ }))).toBe(mac(Uint8Array.of(1, 2), c));
    expect(touches).toBe(0);
    const out = await session.challengeResponse(c, {
      slot: 2,
      pollMs: 1,
      onTouch: () => {
        touches++;
        setTimeout(() => token.touch(), 5);
      },
    });
    expect(touches).toBe(1);
    expect(hex(out)).toBe(mac(SECRET, c));
    expect(token.getFeatureReport(0, 9).slice(2, 5)).toEqual([5, 2, 7]);
  });

  it('refuses bad files with typed errors that never quote a secret', async () => {
    const base = { version: 1, kind: 'hid-otp-token', serial: 1, firmware: '5.4.3', slots: { '2': { secret: hex(SECRET), touch: false } } };
    const bad: Array<[unknown, string]> = [
      [[], 'the file'],
      [{ ...base, extra: 1 }, 'extra'],
      [{ ...base, version: 2 }, 'version'],
      [{ ...base, kind: 'dosa' }, 'kind'],
      [{ ...base, serial: 0 }, 'serial'],
      [{ ...base, firmware: '5.4' }, 'firmware'],
      [{ ...base, slots: {} }, 'slots'],
      [{ ...base, slots: { '3': { secret: '00', touch: false } } }, 'slots.3'],
      [{ ...base, slots: { '2': { secret: 'A0A1', touch: false } } }, 'slots.2.secret'],
      [{ ...base, slots: { '2': { secret: hex(SECRET) + '00', touch: false } } }, 'slots.2.secret'],
      [{ ...base, slots: { '2': { secret: hex(SECRET), touch: 'no' } } }, 'slots.2.touch'],
    ];
    for (const [value, field] of bad) {
      let error: Error | undefined;
      try {
        validateVirtualHidTokenFile(value, 't.json');
      } catch (e) {
        error = e as Error;
      }
      expect(error, field).toMatchObject({ code: 'VIRTUAL_TOKEN_INVALID' });
      expect(error!.message).toContain(`t.json: ${field} `);
      expect(error!.message).not.toContain(hex(SECRET));
    }
    await expect(loadVirtualHidTokenFile(path.join(dir, 'none.json'))).rejects.toMatchObject({ code: 'VIRTUAL_TOKEN_NOT_FOUND' });
    const torn = path.join(dir, 'torn.json');
    await writeFile(torn, '{"version":1,');
    await expect(loadVirtualHidTokenFile(torn)).rejects.toMatchObject({ code: 'VIRTUAL_TOKEN_INVALID' });
    await expect(saveVirtualHidTokenFile(path.join(dir, 'no-such-dir', 'x.json'), createVirtualHidTokenFile())).rejects.toMatchObject({
      code: 'VIRTUAL_TOKEN_WRITE_FAILED',
    });
    expect(await readFile(torn, 'utf8')).toBe('{"version":1,');
  });
});
