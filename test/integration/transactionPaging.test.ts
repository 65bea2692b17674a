/**
 * Transactions page by page (?limit, ?cursor) on both stores, and `ekort transactions` /
 * `ekort enummer transactions` in process against a started server: --limit/--cursor print
 * the next cursor, --all every row (more than the old cap of 1 000), and a merchant name
 * stored before the API refused control characters prints escaped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type StartedServer } from '../../src/bank/api/server.ts';
import { addPaymentCard, connectCard, createCustomer, enrolDosa } from '../../src/bank/customers.ts';
import { EkortService } from '../../src/bank/service.ts';
import type { ActiveSession } from '../../src/bank/sessions.ts';
import { saveSession } from '../../src/cli/sessionFile.ts';
import { svarskod } from '../../src/token/dosaCodes.ts';
import { createDosa } from '../../src/virtual/dosa.ts';
import { requirePostgres, storeTargets } from '../support/postgres.ts';
import { runMain } from '../support/memoryIo.ts';

const START = Date.UTC(2026, 10, 22, 10, 0, 0);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ekort-paging-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

await requirePostgres();

describe.each(storeTargets(tmp, 'paging'))('transaction pages on $name', { timeout: 60_000 }, (store) => {
  let service: EkortService;
  let anna: ActiveSession;
  let customerId: string;
  let enummerId: string;
  let otherEnummerId: string;
  let token: string;

  /** `count` rows straight into the store (as older versions or other writers left them); every third shares a time. */
  async function insertRows(count: number, onEnummer: string, from = 0, merchant = (i: number) => `Shop ${i}`): Promise<void> {
    await service.db.transaction(async (tx) => {
      for (let i = from; i < from + count; i++) {
        await tx.run(
          `INSERT INTO transactions (id, enummer_id, customer_id, last4, merchant, amount, decision, decline_code, created_at) VALUES (?, ?, ?, ?, ?, ?, 'approved', NULL, ?)`,
          [`tx-${String(i).padStart(6, '0')}`, onEnummer, customerId, '1234', merchant(i), 100 + i, START + Math.floor(i / 3) * 1000],
        );
      }
    });
  }

  beforeEach(async () => {
    const target = await store.open();
    service = await EkortService.open(target.target, { now: () => START + 10_000_000, sweepIntervalMs: 0 });
    customerId = (await createCustomer(service.ctx, '199001012385', 'Anna Andersson')).id;
    anna = { customerId, method: 'dosa', authenticatedAt: START };
    const cardId = (await addPaymentCard(service.ctx, customerId)).id;
    await connectCard(service.ctx, customerId, cardId, (await service.terms()).version);
    enummerId = (await service.createEnummer(anna, { cardId, merchant: 'Shop', recurring: true, months: 3 })).enummer.id;
    otherEnummerId = (await service.createEnummer(anna, { cardId, merchant: 'Other', recurring: true, months: 3 })).enummer.id;
    const dosa = createDosa();
    await enrolDosa(service.ctx, customerId, { serial: dosa.serial, suite: dosa.suite, secret: dosa.secret, kind: 'hotp', counter: 0, digits: 8, algorithm: 'sha1' });
    const challenge = await service.dosaChallenge(dosa.serial);
    token = (await service.dosaLogin(challenge.challengeId, svarskod({ key: Buffer.from(dosa.secret, 'base64'), suite: dosa.suite, kontrollnummer: challenge.kontrollnummer }))).token;
    return async () => {
      await service.close();
      await target.drop();
    };
  });

  it('pages in a stable order without gaps or repeats, one e-nummer or all; a bad cursor is INVALID_INPUT', async () => {
    await insertRows(250, enummerId);
    await insertRows(20, otherEnummerId, 250);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await service.transactionPage(anna, { limit: 100, ...(cursor === undefined ? {} : { cursor }) });
      seen.push(...page.items.map((t) => t.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
      // A purchase made meanwhile is newer: it is not in a later page and moves nothing.
      if (pages === 1) await insertRows(1, enummerId, 900);
    } while (cursor !== undefined);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(270);
    expect(new Set(seen).size).toBe(270);
    const all = await service.transactions(anna);
    expect(all.map((t) => t.id)).toEqual(['tx-000900', ...seen]);

    const own = await service.transactionPage(anna, { enummerId: otherEnummerId, limit: 15 });
    expect(own.items.every((t) => t.enummerId === otherEnummerId)).toBe(true);
    const rest = await service.transactionPage(anna, { enummerId: otherEnummerId, limit: 15, cursor: own.nextCursor! });
    expect([...own.items, ...rest.items].map((t) => t.id).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `tx-${String(250 + i).padStart(6, '0')}`));
    expect(rest.nextCursor).toBeNull();

    await expect(service.transactionPage(anna, { cursor: Buffer.from('nonsense').toString('base64url') })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('ekort transactions: a page and its cursor, --all beyond 1 000 rows, stored control characters escaped', async () => {
    await insertRows(1_203, enummerId, 0, (i) => (i === 1_200 ? 'Evil\u001b[2J\u001b]0;owned\u0007\u202eShop' : `Shop ${i}`));
    let server: StartedServer | undefined;
    try {
      server = await startServer(service, { port: 0, log: () => undefined });
      const session = path.join(tmp, `session-${store.name}.json`);
      await saveSession(session, { server: server.url, token, customer: { name: 'Anna Andersson', personnummer: '199001012385' }, method: 'dosa', authenticatedAt: new Date(START).toISOString() });

      const first = await runMain(['transactions', '--limit', '2', '--session', session]);
      expect(first.code, first.err.join('\n')).toBe(0);
      expect(first.out).toHaveLength(4); // header, two rows, the next page's command
      // The newest row is the hostile one: shown escaped, no raw control in any line.
      expect(first.out[1]).toContain('Evil\\x1b[2J\\x1b]0;owned\\x07\\u202eShop');
      // eslint-disable-next-line no-control-regex -- looking for raw controls
      for (const line of first.out) expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
      const more = /--limit 2 --cursor ([A-Za-z0-9_-]+)/.exec(first.out[3]!);
      expect(more, first.out[3]).not.toBeNull();

      const second = await runMain(['transactions', '--limit', '2', '--cursor', more![1]!, '--json', '--session', session]);
      expect(second.code, second.err.join('\n')).toBe(0);
      const page = JSON.parse(second.out[0]!) as { items: Array<{ id: string }>; nextCursor: string | null };
      expect(page.items.map((t) => t.id)).toEqual(['tx-001202', 'tx-001197']);
      expect(page.nextCursor).toEqual(expect.any(String));

      const all = await runMain(['enummer', 'transactions', enummerId, '--all', '--json', '--session', session]);
      expect(all.code, all.err.join('\n')).toBe(0);
      const everything = JSON.parse(all.out[0]!) as { items: Array<{ id: string; merchant: string }>; nextCursor: null };
      expect(everything.items).toHaveLength(1_203);
      expect(everything.nextCursor).toBeNull();
      // JSON keeps the value: controls as \u escapes, parsed back to the stored name.
      expect(everything.items[0]!.merchant).toBe('Evil\u001b[2J\u001b]0;owned\u0007\u202eShop');

      const text = await runMain(['transactions', '--all', '--session', session]);
      expect(text.out).toHaveLength(1 + 1_203);
      expect(text.out.join('\n')).not.toContain('More purchases');

      for (const args of [['--limit', '0'], ['--limit', '1001'], ['--all', '--limit', '5'], ['--all', '--cursor', 'abc']]) {
        expect((await runMain(['transactions', ...args, '--session', session])).code).toBe(2);
      }
      const badCursor = await runMain(['transactions', '--cursor', 'bm9wZQ', '--json', '--session', session]);
      expect(badCursor.code).toBe(1);
      expect(JSON.parse(badCursor.out[0]!)).toMatchObject({ error: { code: 'INVALID_INPUT' } });
    } finally {
      await server?.close();
    }
  });
});
