/**
 * `ekort login --file` against `ekort serve`: BankID på fil made by `ekort pki issue --p12`,
 * the password on standard input, wrong passwords counted in $XDG_STATE_HOME/ekort; an
 * e-tjänstelegitimation refused with ORGANISATION_EID; `ekort pki files` lists the holders.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ekort } from '../support/ekortCli.ts';
import { startServe, type ServeProcess } from '../support/ekortServe.ts';

let dir: string;
let pkiDir: string;
let served: ServeProcess;
let bankidDir: string;
const PASSWORD = 'Hemligt lösen 7';
const json = <T>(text: string): T => JSON.parse(text) as T;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-file-login-'));
  // The child processes inherit it: the wrong-password count stays in this test's folder.
  process.env.XDG_STATE_HOME = path.join(dir, 'state');
  const db = path.join(dir, 'ekort.db');
  const seeded = await ekort(['bank', 'seed-demo', '--db', db, '--out', path.join(dir, 'demo'), '--json'], '', { timeoutMs: 60_000 });
  expect(seeded.code, seeded.stderr).toBe(0);
  pkiDir = json<{ pki: { dir: string } }>(seeded.stdout).pki.dir;
  bankidDir = path.join(dir, 'bankid');
  await mkdir(bankidDir);
  served = await startServe(['--port', '0', '--db', db, '--ca', pkiDir], { timeoutMs: 20_000 });
}, 90_000);
afterAll(async () => {
  await served?.stop();
  delete process.env.XDG_STATE_HOME;
  await rm(dir, { recursive: true, force: true });
});

describe('BankID på fil from the terminal', () => {
  it('pki issue --p12 writes a PKCS #12 file (0600) that OpenSSL opens with the password', async () => {
    const file = path.join(bankidDir, 'anna.p12');
    const run = await ekort(['pki', 'issue', '--ca', pkiDir, '--name', 'Anna Andersson', '--personnummer', '199001012385', '--key', 'p256', '--p12', file, '--p12-password-stdin', '--json'], `${PASSWORD}\n`);
    expect(run.code, run.stderr).toBe(0);
    expect(json(run.stdout)).toMatchObject({ p12: file, serial: expect.stringMatching(/^[0-9a-f]+$/) });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const certs = execFileSync('openssl', ['pkcs12', '-in', file, '-nokeys', '-passin', `pass:${PASSWORD}`], { encoding: 'utf8' });
    expect(certs).toContain('serialNumber = 199001012385');
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });

  it('pki files lists the holders without asking for a password', async () => {
    const org = path.join(bankidDir, 'gustav.pfx');
    const issued = await ekort(
      ['pki', 'issue', '--ca', pkiDir, '--name', 'Gustav Gran', '--org', '556502-7223', '--employee', '0042', '--org-name', 'Exempelbolaget AB', '--key', 'p256', '--p12', org, '--p12-password-stdin'],
      `${PASSWORD}\n`,
    );
    expect(issued.code, issued.stderr).toBe(0);
    const run = await ekort(['pki', 'files', '--dir', bankidDir, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const { files } = json<{ files: Array<{ fileName: string; holder: unknown }> }>(run.stdout);
    expect(files.map((f) => [f.fileName, f.holder])).toEqual([
      ['anna.p12', { name: 'Anna Andersson', personnummer: '199001012385', validUntil: expect.any(String) }],
      ['gustav.pfx', { name: 'Gustav Gran', organisation: { number: '5565027223', name: 'Exempelbolaget AB', personId: '0042' }, validUntil: expect.any(String) }],
    ]);
    const text = await ekort(['pki', 'files', '--dir', bankidDir]);
    expect(text.stdout).toContain('anna.p12: Anna Andersson (199001012385), valid until');
    expect(text.stdout).toContain('gustav.pfx: Gustav Gran, e-tjänstelegitimation for organisation 5565027223 (Exempelbolaget AB), number 0042');
  });

  it('login --file: a wrong password is counted and said; the right one logs in as the holder', async () => {
    const file = path.join(bankidDir, 'anna.p12');
    const before = await readFile(file);
    const session = path.join(dir, 'session.json');
    const wrong = await ekort(['login', '--server', served.url, '--file', file, '--password-stdin', '--session', session, '--json'], 'fel lösen\n');
    expect(wrong.code).toBe(1);
    expect(json(wrong.stdout)).toMatchObject({ error: { code: 'PASSWORD_INCORRECT', triesLeft: 4 } });
    expect(wrong.stderr).toContain('BankID på fil anna.p12: Anna Andersson (199001012385)');
    const ok = await ekort(['login', '--server', served.url, '--file', file, '--password-stdin', '--session', session], `${PASSWORD}\n`);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('Logged in as Anna Andersson (199001012385) with BankID på fil');
    expect(ok.stdout + ok.stderr).not.toContain(PASSWORD);
    expect((await readFile(file)).equals(before)).toBe(true);
    const state = await readFile(path.join(dir, 'state', 'ekort', 'file-credentials.json'), 'utf8');
    expect(state).not.toContain('lösen');
  });

  it('five wrong passwords in a row lock the file, also for the right password', async () => {
    const file = path.join(dir, 'locked.p12');
    await copyFile(path.join(bankidDir, 'anna.p12'), file);
    // The copy is the same credential: its count was set back to 0 by the login above.
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const run = await ekort(['login', '--server', served.url, '--file', file, '--password-stdin', '--session', path.join(dir, 's2.json'), '--json'], `fel ${i}\n`);
      codes.push(json<{ error: { code: string } }>(run.stdout).error.code);
    }
    expect(codes).toEqual(['PASSWORD_INCORRECT', 'PASSWORD_INCORRECT', 'PASSWORD_INCORRECT', 'PASSWORD_INCORRECT', 'FILE_CREDENTIAL_LOCKED']);
    const right = await ekort(['login', '--server', served.url, '--file', file, '--password-stdin', '--session', path.join(dir, 's2.json')], `${PASSWORD}\n`);
    expect(right.code).toBe(1);
    expect(right.stderr).toMatch(/locked after 5 wrong passwords in a row.*order a new BankID/);
  });

  it('an e-tjänstelegitimation is refused: e-kort needs a personal e-legitimation (ORGANISATION_EID)', async () => {
    const run = await ekort(['login', '--server', served.url, '--file', path.join(bankidDir, 'gustav.pfx'), '--password-stdin', '--session', path.join(dir, 's3.json'), '--json'], `${PASSWORD}\n`);
    expect(run.code).toBe(1);
    expect(json(run.stdout)).toMatchObject({ error: { code: 'ORGANISATION_EID', message: expect.stringMatching(/personal e-legitimation/) } });
  });
});
