/**
 * Files that hold secrets are 0600 in 0700 directories whatever the umask (each test runs with
 * umask 000, the worst case); an existing file readable by others is tightened with one
 * warning that names the file, not its content. The SQLite store, its -wal and -shm included.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/bank/store/openDatabase.ts';
import { saveSession } from '../../../src/cli/sessionFile.ts';
import { ensurePrivateDir, tightenPrivateFile, writeFileAtomic, writePrivateFile, writePrivateJson } from '../../../src/files/index.ts';
import { PasswordAttempts } from '../../../src/pki/fileAttempts.ts';
import { readJsonFile } from '../../../src/files/index.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ekort-files-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const modeOf = (p: string): number => statSync(p).mode & 0o777;
let umask: number;
beforeEach(() => {
  umask = process.umask(0o000);
});
afterEach(() => {
  process.umask(umask);
});

let n = 0;
const fresh = (): string => path.join(tmp, `case${++n}`);

describe('private files and directories', () => {
  it('ensurePrivateDir makes every missing directory 0700; an existing one is left as it is', async () => {
    const base = fresh();
    mkdirSync(base, { mode: 0o755 });
    await ensurePrivateDir(path.join(base, 'a', 'b'));
    expect([modeOf(base), modeOf(path.join(base, 'a')), modeOf(path.join(base, 'a', 'b'))]).toEqual([0o755, 0o700, 0o700]);
  });

  it('writePrivateFile / writePrivateJson write 0600, also over an existing 0644 file, and leave no temp file', async () => {
    const dir = fresh();
    await ensurePrivateDir(dir);
    const file = path.join(dir, 'state.json');
    writeFileSync(file, 'old', { mode: 0o644 });
    expect(modeOf(file)).toBe(0o644);
    await writePrivateJson(file, { pin: '123456' });
    expect(modeOf(file)).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ pin: '123456' });
    await writePrivateFile(path.join(dir, 'key.pem'), 'KEY');
    expect(modeOf(path.join(dir, 'key.pem'))).toBe(0o600);
    await writeFileAtomic(path.join(dir, 'cert.pem'), 'CERT', 0o644); // public content keeps its mode, set exactly
    expect(modeOf(path.join(dir, 'cert.pem'))).toBe(0o644);
    expect((await import('node:fs')).readdirSync(dir).sort()).toEqual(['cert.pem', 'key.pem', 'state.json']);
  });

  it('tightenPrivateFile makes a 0644 file 0600 with one warning naming the file, not its content', async () => {
    const file = path.join(fresh(), 'secret.json');
    mkdirSync(path.dirname(file));
    writeFileSync(file, 'dosa-secret-ABC', { mode: 0o644 });
    const warnings: string[] = [];
    expect(await tightenPrivateFile(file, (m) => warnings.push(m))).toBe(true);
    expect(modeOf(file)).toBe(0o600);
    expect(await tightenPrivateFile(file, (m) => warnings.push(m))).toBe(false);
    expect(await tightenPrivateFile(path.join(tmp, 'missing'), (m) => warnings.push(m))).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(file);
    expect(warnings[0]).toContain('0644');
    expect(warnings[0]).not.toContain('dosa-secret');
  });

  it('the state readers tighten too: a JSON state file, the BankID på fil attempt counts', async () => {
    const dir = fresh();
    mkdirSync(dir);
    const card = path.join(dir, 'card.json');
    writeFileSync(card, '{"pin":"1234"}', { mode: 0o644 });
    const warnings: string[] = [];
    expect(await readJsonFile(card, () => new Error('x'), (m) => warnings.push(m))).toEqual({ pin: '1234' });
    expect(modeOf(card)).toBe(0o600);
    expect(warnings).toHaveLength(1);
    const counts = path.join(dir, 'file-credentials.json');
    writeFileSync(counts, '{"version":1,"credentials":{}}', { mode: 0o666 });
    await new PasswordAttempts(counts).status('x');
    expect(modeOf(counts)).toBe(0o600);
  });

  it('the session file and the attempt counts are written 0600 in new 0700 directories', async () => {
    const base = fresh();
    const session = path.join(base, 'ekort', 'session.json');
    await saveSession(session, { server: 'http://127.0.0.1:1', token: 't0ken', customer: { name: 'A', personnummer: '199001012385' }, method: 'card', authenticatedAt: '2026-01-01T00:00:00Z' });
    expect([modeOf(path.join(base, 'ekort')), modeOf(session)]).toEqual([0o700, 0o600]);
    const counts = path.join(base, 'state', 'ekort', 'file-credentials.json');
    await new PasswordAttempts(counts).failed('abc');
    expect([modeOf(path.dirname(counts)), modeOf(counts)]).toEqual([0o700, 0o600]);
  });
});

describe('the SQLite store', () => {
  it('a new database: directory 0700, the file and its -wal and -shm 0600, after writes too', async () => {
    const dir = path.join(fresh(), 'ekort');
    const file = path.join(dir, 'ekort.db');
    const db = await openDatabase(file);
    try {
      await db.run('CREATE TABLE IF NOT EXISTS modes_probe (x TEXT)');
      await db.run('INSERT INTO modes_probe (x) VALUES (?)', ['secret']);
      expect(modeOf(path.dirname(dir))).toBe(0o700);
      expect(modeOf(dir)).toBe(0o700);
      expect({ db: modeOf(file), wal: modeOf(`${file}-wal`), shm: modeOf(`${file}-shm`) }).toEqual({ db: 0o600, wal: 0o600, shm: 0o600 });
    } finally {
      await db.close();
    }
  });

  it('an existing 0644 database (and a 0644 -wal) is tightened on open, with one warning each', async () => {
    const dir = fresh();
    const file = path.join(dir, 'ekort.db');
    const first = await openDatabase(file);
    await first.close();
    chmodSync(file, 0o644);
    writeFileSync(`${file}-wal`, '', { mode: 0o644 });
    chmodSync(`${file}-wal`, 0o644);
    const warnings: string[] = [];
    const db = await openDatabase(file, { warn: (m) => warnings.push(m) });
    try {
      await db.run('CREATE TABLE IF NOT EXISTS modes_probe (x TEXT)');
      expect({ db: modeOf(file), wal: modeOf(`${file}-wal`), shm: modeOf(`${file}-shm`) }).toEqual({ db: 0o600, wal: 0o600, shm: 0o600 });
    } finally {
      await db.close();
    }
    expect(warnings).toEqual([expect.stringContaining(`${file} was readable by others (mode 0644)`), expect.stringContaining(`${file}-wal was readable by others (mode 0644)`)]);
  });
});
