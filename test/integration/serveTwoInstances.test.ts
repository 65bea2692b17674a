/**
 * Two `ekort serve` processes on one PostgreSQL database, as a deployment scales out (issue
 * 20): a single-purchase e-nummer is approved at most once however many authorizations of it
 * reach both instances at once. The rule is the database's (row locks and the guarded
 * approval statement in authorize.ts), never a check in one process's memory. Needs
 * PostgreSQL: without it the file fails, naming what to run, locally as on CI (never skips).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EkortService } from '../../src/bank/service.ts';
import { type LoadData, seedLoad } from '../support/bankLoad.ts';
import { type ServeProcess, startServe } from '../support/ekortServe.ts';
import { freshSchema, requirePostgres, type TestSchema } from '../support/postgres.ts';

await requirePostgres();

const NUMBERS = 6;
const PER_NUMBER = 24;
const AMOUNT = 25_00;

describe('two ekort serve instances on one PostgreSQL database', () => {
  let schema: TestSchema;
  let data: LoadData;
  const servers: ServeProcess[] = [];

  beforeAll(async () => {
    schema = await freshSchema('twoserve');
    data = await seedLoad(schema.url, { cards: 1, enummer: NUMBERS, single: true });
    for (let i = 0; i < 2; i++) servers.push(await startServe(['--port', '0', '--db', schema.url, '--login-rate-limit', '0']));
  });
  afterAll(async () => {
    for (const server of servers) await server.stop();
    await schema?.drop();
  });

  it('approve each single-purchase e-nummer at most once under concurrent authorizations on both', async () => {
    const authorize = async (server: ServeProcess, e: LoadData['enummer'][number]) => {
      const res = await fetch(new URL('/v1/network/authorizations', server.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${data.networkKey}` },
        body: JSON.stringify({ pan: e.pan, expiry: e.expiry, cvc: e.cvc, merchant: e.merchant, amount: AMOUNT, currency: 'SEK' }),
        signal: AbortSignal.timeout(20_000),
      });
      expect(res.status).toBe(200);
      return { pan: e.pan, instance: servers.indexOf(server), ...((await res.json()) as { approved: boolean; declineCode: string | null }) };
    };
    // Every number's requests interleaved and alternating between the instances, all at once.
    const answers = await Promise.all(
      Array.from({ length: NUMBERS * PER_NUMBER }, (_, i) => authorize(servers[i % 2]!, data.enummer[Math.floor(i / 2) % NUMBERS]!)),
    );
    expect(new Set(answers.map((a) => a.instance))).toEqual(new Set([0, 1]));
    for (const e of data.enummer) {
      const mine = answers.filter((a) => a.pan === e.pan);
      expect(mine).toHaveLength(PER_NUMBER);
      expect(mine.filter((a) => a.approved)).toHaveLength(1);
      expect(mine.filter((a) => !a.approved).map((a) => a.declineCode)).toEqual(Array(PER_NUMBER - 1).fill('CLOSED'));
    }

    // What is stored says the same: one approval per number, each closed as used, the card's
    // spend the sum of the approvals and every answer recorded.
    const service = await EkortService.open(schema.url, { sweepIntervalMs: 0 });
    try {
      const approvals = await service.db.query<{ enummer_id: string; n: number }>(
        "SELECT enummer_id, COUNT(*) AS n FROM transactions WHERE decision = 'approved' GROUP BY enummer_id",
      );
      expect(approvals.map((r) => Number(r.n))).toEqual(Array(NUMBERS).fill(1));
      const numbers = await service.db.query<{ state: string; close_reason: string | null }>('SELECT state, close_reason FROM enummers');
      expect(numbers).toEqual(Array(NUMBERS).fill({ state: 'closed', close_reason: 'used' }));
      const [spend] = await service.db.query<{ total: number }>('SELECT SUM(amount) AS total FROM monthly_spend WHERE owner_id = ?', [data.cardIds[0]!]);
      expect(Number(spend!.total)).toBe(NUMBERS * AMOUNT);
      const [all] = await service.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM transactions');
      expect(Number(all!.n)).toBe(NUMBERS * PER_NUMBER);
    } finally {
      await service.close();
    }
  }, 60_000);
});
