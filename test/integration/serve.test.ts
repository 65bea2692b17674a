/**
 * `ekort serve` as a user runs it: a child process that prints one line when it listens,
 * answers HTTP (or HTTPS with --tls-cert/--tls-key), and exits 0 on SIGTERM.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ekort } from '../support/ekortCli.ts';
import { type ServeProcess, startServe } from '../support/ekortServe.ts';

let dir: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-serve-'));
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

const serve = async (args: string[]): Promise<ServeProcess> => {
  const served = await startServe(args, { timeoutMs: 15_000 });
  children.push(served.child);
  return served;
};

describe('ekort serve', () => {
  it("another process holding SQLite's write lock: a write answers 503 STORE_BUSY with Retry-After at once, not after a 5 s stall; released, it works", async () => {
    const db = path.join(dir, 'busy.db');
    const served = await serve(['--port', '0', '--db', db]);
    const other = new Database(db, { timeout: 0 });
    try {
      other.exec('BEGIN IMMEDIATE');
      const t0 = Date.now();
      const busy = await fetch(`${served.url}/v1/login/app`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
      const took = Date.now() - t0;
      expect(busy.status).toBe(503);
      expect(busy.headers.get('retry-after')).toBe('1');
      expect(await busy.json()).toMatchObject({ code: 'STORE_BUSY', retryAfter: 1 });
      // The bound is 100 ms of waiting for the lock; well under a second with the request itself.
      expect(took).toBeLessThan(1000);
      // Reading is not blocked by another process's write lock (WAL).
      expect((await fetch(`${served.url}/v1/health`, { signal: AbortSignal.timeout(5_000) })).status).toBe(200);
      other.exec('COMMIT');
      const after = await fetch(`${served.url}/v1/login/app`, { method: 'POST', signal: AbortSignal.timeout(5_000) });
      expect(after.status).toBe(200);
      expect(served.stderr()).not.toContain('STORE_BUSY 503');
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    }
  });

  it('prints one line, answers /v1/health, and exits 0 on SIGTERM after closing the database', async () => {
    const db = path.join(dir, 'data', 'bank.db');
    const served = await serve(['--port', '0', '--db', db]);
    expect(served.line).toMatch(/^ekort serve: listening on http:\/\/127\.0\.0\.1:\d+$/);
    expect(served.url).not.toMatch(/:0$/);

    const health = await fetch(`${served.url}/v1/health`, { signal: AbortSignal.timeout(5_000) });
    expect(health.status).toBe(200);
    expect(health.headers.get('cache-control')).toBe('no-store');
    expect(await health.json()).toMatchObject({ status: 'ok', serviceId: 'ekort-reference' });
    const login = await fetch(`${served.url}/v1/login/card/challenge`, { method: 'POST', signal: AbortSignal.timeout(5_000) });
    expect(login.status).toBe(403); // no --ca: card login refused
    expect(existsSync(db)).toBe(true);

    served.child.kill('SIGTERM');
    expect(await served.exit(5_000)).toBe(0);
    expect(served.stdout()).toBe(`${served.line}\n`); // exactly one line
    // The database was closed cleanly: SQLite's WAL is folded back and removed.
    expect(existsSync(`${db}-wal`)).toBe(false);
  });

  it('takes --service-id, --ca for card login, and stops on SIGINT too', async () => {
    const ca = path.join(dir, 'ca');
    expect((await ekort(['pki', 'init', '--out', ca])).code).toBe(0);
    const served = await serve(['--port', '0', '--db', path.join(dir, 'bank.db'), '--ca', ca, '--service-id', 'test-bank']);
    const health = await (await fetch(`${served.url}/v1/health`, { signal: AbortSignal.timeout(5_000) })).json();
    expect(health.serviceId).toBe('test-bank');
    const challenge = await fetch(`${served.url}/v1/login/card/challenge`, { method: 'POST', signal: AbortSignal.timeout(5_000) });
    expect(challenge.status).toBe(200);
    expect(Buffer.from((await challenge.json()).challenge, 'base64').toString()).toContain('service: test-bank');
    served.child.kill('SIGINT');
    expect(await served.exit(5_000)).toBe(0);
  });

  it('speaks HTTPS with --tls-cert and --tls-key', async () => {
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], {
      stdio: 'ignore',
      timeout: 20_000,
    });
    const served = await serve(['--port', '0', '--db', path.join(dir, 'bank.db'), '--tls-cert', cert, '--tls-key', key]);
    expect(served.line).toMatch(/^ekort serve: listening on https:\/\/127\.0\.0\.1:\d+$/);
    const ca = await readFile(cert);
    const answer = await new Promise<{ status: number; hsts: unknown; body: string }>((resolve, reject) => {
      const req = request(`${served.url}/v1/health`, { ca, timeout: 5_000 }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, hsts: res.headers['strict-transport-security'], body }));
      });
      req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).toBe(200);
    expect(answer.hsts).toMatch(/max-age=\d+/);
    expect(JSON.parse(answer.body).status).toBe('ok');
    // Plain HTTP to the TLS port gets no API answer.
    await expect(fetch(`${served.url.replace('https:', 'http:')}/v1/health`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.status)).rejects.toThrow();
    served.child.kill('SIGTERM');
    expect(await served.exit(5_000)).toBe(0);
  });

  it('refuses bad options with exit 2, and a --tls-cert without its key', async () => {
    for (const args of [['--port', 'eighty'], ['--tls-cert', 'x.pem'], ['--bogus'], ['extra']]) {
      const run = await ekort(['serve', ...args], '', { timeoutMs: 15_000 });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stdout).toBe('');
    }
  });
});
