import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hotp, ocra, totp } from '../../../src/token/index.ts';
import { createDosa, loadDosa, saveDosa, validateDosa, VirtualDosa, type DosaFile } from '../../../src/virtual/dosa.ts';
import { thrown } from '../../support/failures.ts';

let dir: string;
let n = 0;
const fresh = () => path.join(dir, `dosa-${++n}.json`);

async function saved(options: Parameters<typeof createDosa>[0] = {}): Promise<{ file: string; dosa: DosaFile }> {
  const file = fresh();
  const dosa = createDosa(options);
  await saveDosa(file, dosa);
  return { file, dosa };
}

const key = (d: DosaFile) => new Uint8Array(Buffer.from(d.secret, 'base64'));

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-dosa-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createDosa / saveDosa / loadDosa', () => {
  it('creates a SHA1 QN08 dosa with PIN 1234, 3 tries, a 20-byte secret and a 10-digit serial', () => {
    const d = createDosa();
    expect(d).toMatchObject({ version: 1, suite: 'OCRA-1:HOTP-SHA1-8:QN08', pin: '1234', pinTriesLeft: 3, pinMaxTries: 3, locked: false, login: { kind: 'hotp', counter: 0 } });
    expect(d.serial).toMatch(/^[1-9]\d{9}$/);
    expect(key(d)).toHaveLength(20);
    expect(createDosa().secret).not.toBe(d.secret);
  });

  it('sizes the secret by the suite hash and takes pin, serial and login kind', () => {
    expect(key(createDosa({ suite: 'OCRA-1:HOTP-SHA256-8:QN08' }))).toHaveLength(32);
    expect(key(createDosa({ suite: 'OCRA-1:HOTP-SHA512-8:QN08-T1M' }))).toHaveLength(64);
    const d = createDosa({ pin: '9876', serial: '0123456789', login: 'totp' });
    expect(d).toMatchObject({ pin: '9876', serial: '0123456789', login: { kind: 'totp' } });
  });

  it('refuses suites a dosa cannot use and bad options', async () => {
    for (const suite of ['OCRA-1:HOTP-SHA1-6:QN08', 'OCRA-1:HOTP-SHA1-8:QN10', 'OCRA-1:HOTP-SHA1-8:QA08', 'OCRA-1:HOTP-SHA1-8:C-QN08', 'OCRA-1:HOTP-SHA1-8:QN08-S064', 'nonsense']) {
      expect(await thrown(() => createDosa({ suite })), suite).toMatchObject({ code: 'OCRA_SUITE_INVALID' });
    }
    expect(await thrown(() => createDosa({ pin: '12345' }))).toMatchObject({ code: 'DOSA_FILE_INVALID', field: 'pin' });
    expect(await thrown(() => createDosa({ serial: '12ab' }))).toMatchObject({ code: 'DOSA_FILE_INVALID', field: 'serial' });
  });

  it('round-trips through a 0600 file, atomically (no temp file left)', async () => {
    const { file, dosa } = await saved();
    expect(await loadDosa(file)).toEqual(dosa);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await saveDosa(file, { ...dosa, pinTriesLeft: 2 });
    expect((await loadDosa(file)).pinTriesLeft).toBe(2);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('says which field is wrong, without quoting the PIN', async () => {
    const d = createDosa({ pin: '4321' });
    const cases: [Record<string, unknown>, string][] = [
      [{ version: 2 }, 'version'],
      [{ serial: 'x' }, 'serial'],
      [{ suite: 'OCRA-1:HOTP-SHA1-6:QN08' }, 'suite'],
      [{ secret: 'not base64!' }, 'secret'],
      [{ secret: Buffer.alloc(32).toString('base64') }, 'secret'],
      [{ pin: '43210' }, 'pin'],
      [{ pinTriesLeft: 4 }, 'pinTriesLeft'],
      [{ pinTriesLeft: 0, locked: false }, 'locked'],
      [{ locked: 'no' }, 'locked'],
      [{ login: { kind: 'hotp' } }, 'login.counter'],
      [{ login: { kind: 'totp', counter: 1 } }, 'login.counter'],
      [{ login: { kind: 'sms' } }, 'login.kind'],
      [{ extra: 1 }, 'extra'],
    ];
    for (const [patch, field] of cases) {
      const e = await thrown(() => validateDosa({ ...d, ...patch }));
      expect(e, field).toMatchObject({ code: 'DOSA_FILE_INVALID', field });
      expect((e as Error).message).not.toContain('4321');
    }
  });

  it('types file errors: missing, not JSON, invalid, unwritable', async () => {
    expect(await thrown(() => loadDosa(path.join(dir, 'none.json')))).toMatchObject({ code: 'DOSA_NOT_FOUND' });
    const bad = fresh();
    await writeFile(bad, '{"version":1,');
    expect(await thrown(() => loadDosa(bad))).toMatchObject({ code: 'DOSA_FILE_INVALID', path: bad });
    await writeFile(bad, JSON.stringify({ ...createDosa(), pin: 'abcd' }));
    expect(await thrown(() => loadDosa(bad))).toMatchObject({ code: 'DOSA_FILE_INVALID', field: 'pin', path: bad });
    expect(await thrown(() => saveDosa(path.join(dir, 'no', 'dosa.json'), createDosa()))).toMatchObject({ code: 'DOSA_WRITE_FAILED' });
    expect(await thrown(() => saveDosa(fresh(), { ...createDosa(), pinTriesLeft: -1 }))).toMatchObject({ code: 'DOSA_FILE_INVALID' });
  });
});

describe('VirtualDosa', () => {
  it('answers a kontrollnummer with the OCRA value of its suite, "1234 5678" accepted', async () => {
    for (const suite of ['OCRA-1:HOTP-SHA1-8:QN08', 'OCRA-1:HOTP-SHA256-8:QN08', 'OCRA-1:HOTP-SHA512-8:QN08']) {
      const { file, dosa } = await saved({ suite });
      const v = await VirtualDosa.open(file);
      await v.unlock('1234');
      const code = v.respond('1234 5678');
      expect(code).toMatch(/^\d{8}$/);
      expect(code).toBe(ocra({ suite, key: key(dosa), challenge: '12345678' }));
      expect(v.respond('00000000')).toBe(ocra({ suite, key: key(dosa), challenge: '00000000' }));
    }
  });

  it('uses its PIN for a P suite and its clock for a T suite', async () => {
    const suite = 'OCRA-1:HOTP-SHA512-8:QN08-PSHA1-T1M';
    const { file, dosa } = await saved({ suite, pin: '5555' });
    const v = await VirtualDosa.open(file);
    await v.unlock('5555');
    const time = new Date('2026-01-01T12:00:00Z');
    expect(v.respond('12345678', time)).toBe(ocra({ suite, key: key(dosa), challenge: '12345678', pin: '5555', time }));
  });

  it('answers nothing before the PIN, and refuses a PIN of the wrong shape without using a try', async () => {
    const { file } = await saved();
    const v = await VirtualDosa.open(file);
    expect(await thrown(() => v.respond('12345678'))).toMatchObject({ code: 'DOSA_NOT_UNLOCKED' });
    expect(await thrown(() => v.code())).toMatchObject({ code: 'DOSA_NOT_UNLOCKED' });
    expect(await thrown(() => v.unlock('12'))).toMatchObject({ code: 'DOSA_PIN_FORMAT' });
    expect((await loadDosa(file)).pinTriesLeft).toBe(3);
  });

  it('locks after three wrong PINs, in the file, and the lock survives a reload', async () => {
    const { file } = await saved();
    const v = await VirtualDosa.open(file);
    expect(await thrown(() => v.unlock('0000'))).toMatchObject({ code: 'DOSA_PIN_WRONG', triesLeft: 2 });
    expect((await loadDosa(file)).pinTriesLeft).toBe(2); // written before the answer
    expect(await thrown(() => v.unlock('0000'))).toMatchObject({ code: 'DOSA_PIN_WRONG', triesLeft: 1 });
    expect(await thrown(() => v.unlock('0000'))).toMatchObject({ code: 'DOSA_LOCKED', triesLeft: 0 });
    expect(await loadDosa(file)).toMatchObject({ pinTriesLeft: 0, locked: true });
    expect(v.locked).toBe(true);
    const again = await VirtualDosa.open(file);
    expect(await thrown(() => again.unlock('1234'))).toMatchObject({ code: 'DOSA_LOCKED' });
    expect(await loadDosa(file)).toMatchObject({ pinTriesLeft: 0, locked: true });
    expect(await thrown(() => again.respond('12345678'))).toMatchObject({ code: 'DOSA_LOCKED' });
  });

  it('resets the counter on the right PIN, and counts tries across instances', async () => {
    const { file } = await saved();
    const a = await VirtualDosa.open(file);
    const b = await VirtualDosa.open(file);
    await thrown(() => a.unlock('1111'));
    await thrown(() => b.unlock('2222')); // b re-reads the file: this is the second wrong try
    expect((await loadDosa(file)).pinTriesLeft).toBe(1);
    await a.unlock('1234');
    expect(a.pinTriesLeft).toBe(3);
    expect((await loadDosa(file)).pinTriesLeft).toBe(3);
    // A wrong PIN closes an open dosa again.
    await thrown(() => a.unlock('9999'));
    expect(a.isUnlocked).toBe(false);
  });

  it('HOTP login codes: the counter moves forward and persists before the code is shown', async () => {
    const { file, dosa } = await saved();
    const v = await VirtualDosa.open(file);
    await v.unlock('1234');
    const first = await v.code();
    expect(first).toBe(hotp({ secret: key(dosa), counter: 0, digits: 8, algorithm: 'sha1' }));
    expect((await loadDosa(file)).login).toEqual({ kind: 'hotp', counter: 1 });
    const second = await v.code();
    expect(second).toBe(hotp({ secret: key(dosa), counter: 1, digits: 8, algorithm: 'sha1' }));
    const reopened = await VirtualDosa.open(file);
    await reopened.unlock('1234');
    expect(await reopened.code()).toBe(hotp({ secret: key(dosa), counter: 2, digits: 8, algorithm: 'sha1' }));
    expect((await loadDosa(file)).login.counter).toBe(3);
  });

  it('TOTP login codes use the clock and the suite hash, and change no file', async () => {
    const { file, dosa } = await saved({ login: 'totp', suite: 'OCRA-1:HOTP-SHA256-8:QN08' });
    const before = await readFile(file, 'utf8');
    const v = await VirtualDosa.open(file);
    await v.unlock('1234');
    const time = new Date('2026-03-01T08:00:00Z');
    expect(await v.code(time)).toBe(totp({ secret: key(dosa), time, digits: 8, algorithm: 'sha256' }));
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('exportForBank gives serial, suite, secret, kind and the next counter, without a PIN', async () => {
    const { file, dosa } = await saved({ serial: '1000000001' });
    const v = await VirtualDosa.open(file);
    expect(v.exportForBank()).toEqual({ serial: '1000000001', suite: dosa.suite, secret: dosa.secret, kind: 'hotp', counter: 0, digits: 8, algorithm: 'sha1' });
    await v.unlock('1234');
    await v.code();
    expect(v.exportForBank().counter).toBe(1);
    const t = await saved({ login: 'totp' });
    const record = (await VirtualDosa.open(t.file)).exportForBank();
    expect(record.kind).toBe('totp');
    expect(record).not.toHaveProperty('counter');
  });
});
