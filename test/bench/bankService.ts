/**
 * The e-kort service through its HTTP API, as deployed: `ekort serve` in child processes,
 * concurrent keep-alive clients in this one. e-nummer created per second and authorizations
 * per second with p50/p99 latency, on SQLite and on PostgreSQL, and on PostgreSQL with one
 * and with two service instances (clients spread over both).
 * Targets (2 cores): 2 000 authorizations/s on SQLite with p99 under 10 ms.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seedLoad } from '../support/bankLoad.ts';
import { startServe } from '../support/ekortServe.ts';
import { freshSchema, postgresProblem } from '../support/postgres.ts';
import { percentile, report, round } from './figures.ts';

/** Concurrent clients: a few (the latency a purchase sees) and many (the most the service does). */
const CLIENT_LEVELS = [4, 16];
const CLIENTS = 16;
const CARDS = 16;
const ENUMMER = 256;

/** EKORT_BENCH_SERVER_FLAGS="--cpu-prof --cpu-prof-dir=DIR" profiles the servers. */
const serverFlags = process.env.EKORT_BENCH_SERVER_FLAGS?.split(/\s+/).filter(Boolean) ?? [];

const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });

function post(url: URL, pathname: string, body: unknown, token: string): Promise<{ status: number; body: string }> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), authorization: `Bearer ${token}` } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(data);
  });
}

/** `clients` loops calling `once` for `ms`; throughput and latency of the calls that succeeded. */
async function load(ms: number, clients: number, once: (client: number, i: number) => Promise<boolean>): Promise<{ perSecond: number; p50: number; p99: number; failed: number }> {
  const latencies: number[] = [];
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let i = 0; performance.now() - t0 < ms; i++) {
        const s = performance.now();
        if (await once(client, i)) latencies.push(performance.now() - s);
        else failed++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return { perSecond: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), failed };
}

async function benchStore(store: string, db: string, instances: number[]): Promise<void> {
  const data = await seedLoad(db, { cards: CARDS, enummer: ENUMMER });
  for (const count of instances) {
    const servers = await Promise.all(Array.from({ length: count }, () => startServe(['--port', '0', '--db', db, '--login-rate-limit', '0'], { nodeFlags: serverFlags })));
    try {
      const urls = servers.map((s) => new URL(s.url));
      const at = (client: number) => urls[client % urls.length]!;
      const tag = `${store}.${count}_instance${count > 1 ? 's' : ''}`;
      const authorize = (client: number, i: number) => {
        const e = data.enummer[(client * 7919 + i) % data.enummer.length]!;
        return post(at(client), '/v1/network/authorizations', { pan: e.pan, expiry: e.expiry, cvc: e.cvc, merchant: e.merchant, amount: 100 }, data.networkKey).then(
          (r) => r.status === 200 && r.body.includes('"approved":true'),
        );
      };
      await load(1000, CLIENTS, authorize); // warm-up: connections, statement caches, JIT
      for (const clients of CLIENT_LEVELS) {
        const auth = await load(5000, clients, authorize);
        const name = `bank.authorize.${tag}.${clients}_clients`;
        report({ name: `${name}.per_second`, value: round(auth.perSecond, 0), unit: 'authorizations/s', failed: auth.failed, ...(store === 'sqlite' ? { target_min: 2000 } : {}) });
        report({ name: `${name}.p50`, value: round(auth.p50, 2), unit: 'ms' });
        report({ name: `${name}.p99`, value: round(auth.p99, 2), unit: 'ms', ...(store === 'sqlite' ? { target_max: 10 } : {}) });
      }

      const create = (client: number, i: number) =>
        post(at(client), '/v1/enummer', { cardId: data.cardIds[(client + i) % data.cardIds.length], merchant: `shop-${client}-${i}` }, data.sessionToken).then((r) => r.status === 200 || r.status === 201);
      const made = await load(3000, CLIENTS, create);
      report({ name: `bank.enummer_create.${tag}.per_second`, value: round(made.perSecond, 0), unit: 'e-nummer/s', clients: CLIENTS, failed: made.failed });
      report({ name: `bank.enummer_create.${tag}.p50`, value: round(made.p50, 2), unit: 'ms' });
      report({ name: `bank.enummer_create.${tag}.p99`, value: round(made.p99, 2), unit: 'ms' });
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  }
}

export async function benchBankService(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ekort-bench-bank-'));
  try {
    await benchStore('sqlite', path.join(dir, 'bench.db'), [1]);
    const problem = await postgresProblem();
    if (problem !== undefined) process.stderr.write(`bench: no PostgreSQL figures: ${problem}\n`);
    else {
      const schema = await freshSchema('bench');
      try {
        await benchStore('postgres', schema.url, [1, 2]);
      } finally {
        await schema.drop();
      }
    }
  } finally {
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
