/**
 * A purchase acknowledged is never lost: `ekort serve` is killed with SIGKILL in the middle
 * of a burst of authorizations, and every answer a client received must be in the store,
 * with the same decision; the per-month spend must add up to the approved purchases stored.
 * On SQLite and on PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { EkortService } from '../../src/bank/service.ts';
import { seedLoad } from '../support/bankLoad.ts';
import { startServe } from '../support/ekortServe.ts';
import { freshSchema, requirePostgres } from '../support/postgres.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ekort-durability-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
await requirePostgres();

interface Ack {
  requestId: string;
  transactionId: string;
  approved: boolean;
  amount: number;
}

async function burstAndKill(db: string, answered: number): Promise<{ acks: Ack[]; failures: number }> {
  const data = await seedLoad(db, { cards: 4, enummer: 40 });
  const server = await startServe(['--port', '0', '--db', db, '--login-rate-limit', '0']);
  const acks: Ack[] = [];
  let failures = 0;
  let sent = 0;
  let killed = false;
  const client = async (n: number): Promise<void> => {
    for (let i = 0; ; i++) {
      const e = data.enummer[(n * 13 + i) % data.enummer.length]!;
      const requestId = `burst-${n}-${i}`;
      const amount = 100 + ((n * 31 + i) % 900);
      sent++;
      try {
        const res = await fetch(new URL('/v1/network/authorizations', server.url), {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${data.networkKey}` },
          body: JSON.stringify({ pan: e.pan, expiry: e.expiry, cvc: e.cvc, merchant: e.merchant, amount, requestId }),
          signal: AbortSignal.timeout(5000),
        });
        const body = (await res.json()) as { approved: boolean; transactionId: string };
        if (res.status !== 200) throw new Error(`status ${res.status}`);
        acks.push({ requestId, transactionId: body.transactionId, approved: body.approved, amount });
      } catch {
        failures++;
        if (killed) return;
      }
    }
  };
  const clients = Array.from({ length: 12 }, (_, n) => client(n));
  // Kill while requests are in flight, once `answered` have been.
  const t0 = Date.now();
  while (acks.length < answered && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 5));
  killed = true;
  await server.kill();
  await Promise.all(clients);
  expect(sent).toBeGreaterThan(acks.length); // some were in flight when it died
  return { acks, failures };
}

async function checkStored(db: string, acks: Ack[]): Promise<void> {
  const service = await EkortService.open(db, { sweepIntervalMs: 0 });
  try {
    const rows = await service.db.query<{ id: string; request_id: string; decision: string; amount: number }>('SELECT id, request_id, decision, amount FROM transactions');
    const byRequest = new Map(rows.map((r) => [r.request_id, r]));
    const lost = acks.filter((a) => {
      const row = byRequest.get(a.requestId);
      return !row || row.id !== a.transactionId || (row.decision === 'approved') !== a.approved || Number(row.amount) !== a.amount;
    });
    expect(lost).toEqual([]);
    // What is stored is consistent with itself: the spend per card is the sum of its approved purchases.
    const [spend] = await service.db.query<{ total: number | null }>("SELECT SUM(amount) AS total FROM monthly_spend WHERE owner_id IN (SELECT id FROM payment_cards)");
    const [approved] = await service.db.query<{ total: number | null }>("SELECT SUM(amount) AS total FROM transactions WHERE decision = 'approved'");
    expect(Number(spend!.total)).toBe(Number(approved!.total));
  } finally {
    await service.close();
  }
}

describe('an acknowledged purchase survives SIGKILL of the service', () => {
  it('on SQLite (WAL, fsync per commit group)', async () => {
    const db = path.join(tmp, 'kill.db');
    // Some 300 group commits: the store's checkpoints run on their worker thread by then, the
    // WAL has started again from its beginning several times, and one may be under way.
    const { acks } = await burstAndKill(db, 3000);
    expect(acks.length).toBeGreaterThanOrEqual(3000);
    expect(acks.every((a) => a.approved)).toBe(true);
    await checkStored(db, acks);
    // And the file itself is whole, whatever the checkpoint was doing when the process died.
    const peer = new Database(db, { readonly: true });
    try {
      expect(peer.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    } finally {
      peer.close();
    }
  }, 60_000);

  it('on PostgreSQL', async () => {
    const schema = await freshSchema('kill');
    try {
      const { acks } = await burstAndKill(schema.url, 300);
      expect(acks.length).toBeGreaterThanOrEqual(300);
      await checkStored(schema.url, acks);
    } finally {
      await schema.drop();
    }
  }, 60_000);
});
