import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hotp, ocra } from '../../../src/token/index.ts';
import { loadDosa } from '../../../src/virtual/dosa.ts';
import { ekort } from '../../support/ekortCli.ts';
import { runMain } from '../../support/memoryIo.ts';

const run = runMain;

let dir: string;
let n = 0;
const fresh = () => path.join(dir, `dosa-${++n}.json`);

async function created(extra: string[] = []): Promise<string> {
  const file = fresh();
  const r = await run(['dosa', 'create', '--out', file, ...extra]);
  expect(r.code, r.err.join('\n')).toBe(0);
  return file;
}

const key = async (file: string) => new Uint8Array(Buffer.from((await loadDosa(file)).secret, 'base64'));

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-dosa-cli-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ekort dosa create', () => {
  it('writes a 0600 dosa file, PIN 1234 by default, and refuses to overwrite without --force', async () => {
    const file = fresh();
    const r = await run(['dosa', 'create', '--out', file, '--json']);
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.out[0]!) as { file: string; serial: string; suite: string; login: string };
    const dosa = await loadDosa(file);
    expect(printed).toEqual({ file, serial: dosa.serial, suite: 'OCRA-1:HOTP-SHA1-8:QN08', login: 'hotp' });
    expect(dosa.pin).toBe('1234');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const again = await run(['dosa', 'create', '--out', file]);
    expect(again.code).toBe(2);
    expect(again.err[0]).toContain('pass --force');
    expect((await run(['dosa', 'create', '--out', file, '--force', '--pin', '4719'])).code).toBe(0);
    expect((await loadDosa(file)).pin).toBe('4719');
    // Card terms §7b: a PIN easy to guess is refused, saying why.
    const easy = await run(['dosa', 'create', '--out', file, '--force', '--pin', '4321']);
    expect(easy.code).toBe(2);
    expect(easy.err.join('\n')).toContain('the dosa PIN is too easy to guess');
    expect((await run(['dosa', 'create', '--out', file, '--force', '--pin', '7777'])).code).toBe(2);
  });

  it('takes --suite, --serial and --login; usage errors exit 2, a bad suite exits 1 with its code', async () => {
    const file = await created(['--suite', 'OCRA-1:HOTP-SHA256-8:QN08', '--serial', '5550001234', '--login', 'totp']);
    expect(await loadDosa(file)).toMatchObject({ suite: 'OCRA-1:HOTP-SHA256-8:QN08', serial: '5550001234', login: { kind: 'totp' } });
    expect((await run(['dosa', 'create'])).code).toBe(2);
    expect((await run(['dosa', 'create', '--out', fresh(), '--pin', '12'])).code).toBe(2);
    expect((await run(['dosa', 'create', '--out', fresh(), '--login', 'sms'])).code).toBe(2);
    const bad = await run(['dosa', 'create', '--out', fresh(), '--suite', 'OCRA-1:HOTP-SHA1-6:QN08', '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out[0]!)).toMatchObject({ error: { code: 'OCRA_SUITE_INVALID' } });
  });
});

describe('ekort dosa respond', () => {
  it('prints the 8-digit svarskod for "12345678", "1234 5678" and 1234 5678 as two arguments', async () => {
    const file = await created();
    const expected = ocra({ suite: 'OCRA-1:HOTP-SHA1-8:QN08', key: await key(file), challenge: '12345678' });
    for (const k of [['12345678'], ['1234 5678'], ['1234', '5678']]) {
      const r = await run(['dosa', 'respond', file, ...k, '--pin', '1234']);
      expect(r.code, r.err.join('\n')).toBe(0);
      expect(r.out).toEqual([expected]);
    }
    const j = await run(['dosa', 'respond', file, '87654321', '--pin', '1234', '--json']);
    expect(JSON.parse(j.out[0]!)).toMatchObject({ kontrollnummer: '8765 4321', svarskod: ocra({ suite: 'OCRA-1:HOTP-SHA1-8:QN08', key: await key(file), challenge: '87654321' }) });
  });

  it('exits 2 for a bad kontrollnummer or missing arguments, before using a PIN try', async () => {
    const file = await created();
    expect((await run(['dosa', 'respond', file, '1234567', '--pin', '0000'])).code).toBe(2);
    expect((await run(['dosa', 'respond', file, '--pin', '0000'])).code).toBe(2);
    expect((await run(['dosa', 'respond', file, '12345678', '--pin', '1234', '--pin-stdin'])).code).toBe(2);
    expect((await loadDosa(file)).pinTriesLeft).toBe(3);
  });

  it('wrong PIN: exit 1 with tries left; the third locks the dosa and the right PIN no longer opens it', async () => {
    const file = await created();
    const first = await run(['dosa', 'respond', file, '12345678', '--pin', '0000', '--json']);
    expect(first.code).toBe(1);
    expect(JSON.parse(first.out[0]!)).toMatchObject({ error: { code: 'DOSA_PIN_WRONG', triesLeft: 2 } });
    expect(first.err[0]).toContain('2 tries left');
    await run(['dosa', 'code', file, '--pin', '0000']);
    const third = await run(['dosa', 'respond', file, '12345678', '--pin', '0000', '--json']);
    expect(JSON.parse(third.out[0]!)).toMatchObject({ error: { code: 'DOSA_LOCKED' } });
    const right = await run(['dosa', 'respond', file, '12345678', '--pin', '1234']);
    expect(right.code).toBe(1);
    expect(right.err[0]).toContain('locked');
    expect(await loadDosa(file)).toMatchObject({ locked: true, pinTriesLeft: 0 });
  });

  it('exits 1 with DOSA_NOT_FOUND for a missing file', async () => {
    const r = await run(['dosa', 'respond', path.join(dir, 'none.json'), '12345678', '--pin', '1234', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out[0]!)).toMatchObject({ error: { code: 'DOSA_NOT_FOUND' } });
  });
});

describe('ekort dosa code', () => {
  it('prints successive HOTP codes and moves the stored counter', async () => {
    const file = await created();
    const secret = await key(file);
    const a = await run(['dosa', 'code', file, '--pin', '1234']);
    const b = await run(['dosa', 'code', file, '--pin', '1234']);
    expect(a.out).toEqual([hotp({ secret, counter: 0, digits: 8, algorithm: 'sha1' })]);
    expect(b.out).toEqual([hotp({ secret, counter: 1, digits: 8, algorithm: 'sha1' })]);
    expect((await loadDosa(file)).login.counter).toBe(2);
    expect((await run(['dosa', 'code', file, 'extra', '--pin', '1234'])).code).toBe(2);
  });
});

describe('ekort dosa export-for-bank', () => {
  it('prints the enrolment record without a PIN and warns on stderr that it holds the secret', async () => {
    const file = await created(['--serial', '1212121212']);
    await run(['dosa', 'code', file, '--pin', '1234']);
    const dosa = await loadDosa(file);
    const r = await run(['dosa', 'export-for-bank', file, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out[0]!)).toEqual({ serial: '1212121212', suite: dosa.suite, secret: dosa.secret, kind: 'hotp', counter: 1, digits: 8, algorithm: 'sha1' });
    expect(r.err.join('\n')).toMatch(/warning: .*token secret/);
    const text = await run(['dosa', 'export-for-bank', file]);
    expect(text.out.join('\n')).toContain(dosa.secret);
    expect(text.err.join('\n')).toContain('secret');
  });
});

describe('ekort dosa in a child process', () => {
  it('reads the PIN from standard input with --pin-stdin', async () => {
    const file = await created(['--pin', '2468']);
    const expected = ocra({ suite: 'OCRA-1:HOTP-SHA1-8:QN08', key: await key(file), challenge: '11223344' });
    const r = await ekort(['dosa', 'respond', file, '1122 3344', '--pin-stdin'], '2468\n');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${expected}\n`);
    const wrong = await ekort(['dosa', 'code', file, '--pin-stdin'], '1111\n');
    expect(wrong.code).toBe(1);
    expect((await loadDosa(file)).pinTriesLeft).toBe(2);
  }, 30_000);
});
