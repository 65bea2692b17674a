/**
 * PostgreSQL's batched approvals (src/bank/approvalBatch.ts, migration 13's
 * authorize_approve_batch) on a real database: what one batch may write, in what order, and a
 * failed batch written again one approval at a time. authorize.ts's rules across instances
 * (bankService.test.ts, serveTwoInstances.test.ts) run through the same batches.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approveOnFirstLook, type FirstLookApproval } from '../../src/bank/approvalBatch.ts';
import { addPaymentCard, connectCard, createCustomer } from '../../src/bank/customers.ts';
import { EkortService } from '../../src/bank/service.ts';
import { createSession } from '../../src/bank/sessions.ts';
import { freshSchema, postgresBaseUrl, requirePostgres, type TestSchema } from '../support/postgres.ts';

await requirePostgres();

const MONTH = '2026-12';
const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);

describe('approvals written in batches on PostgreSQL', () => {
  let schema: TestSchema;
  let service: EkortService;
  let customerId: string;

  beforeEach(async () => {
    schema = await freshSchema('approval_batch');
    service = await EkortService.open(schema.url, { sweepIntervalMs: 0 });
    customerId = (await createCustomer(service.ctx, '199001012385', 'Anna Andersson')).id;
  });
  afterEach(async () => {
    await service.close();
    await schema.drop();
  });

  /** A connected card with these limits and one e-nummer on it. */
  async function enummer(kind: 'single' | 'recurring', limitPerMonth = 1_000_000_00): Promise<{ cardId: string; enummerId: string }> {
    const card = await addPaymentCard(service.ctx, customerId, { limitPerPurchase: limitPerMonth, limitPerMonth });
    await connectCard(service.ctx, customerId, card.id, (await service.terms()).version);
    const session = await service.session((await createSession(service.ctx, { id: customerId, name: 'Anna Andersson', personnummer: '199001012385' }, 'card')).token);
    const { enummer: e } = await service.createEnummer(session, kind === 'single' ? { cardId: card.id, merchant: 'Shop' } : { cardId: card.id, merchant: 'Shop', recurring: true, months: 6 });
    return { cardId: card.id, enummerId: e.id };
  }

  /** An approval of `amount` as authorize.ts makes it from a first look taken now. */
  async function approval(target: { cardId: string; enummerId: string }, amount: number, options: { month?: string; requestId?: string } = {}): Promise<FirstLookApproval> {
    const [row] = await service.ctx.db.query<{ card_version: string; enummer_version: string; kind: string; limit_per_month: number }>(
      'SELECT c.xmin::text AS card_version, e.xmin::text AS enummer_version, e.kind, c.limit_per_month FROM enummers e JOIN payment_cards c ON c.id = e.card_id WHERE e.id = ?',
      [target.enummerId],
    );
    const id = randomUUID();
    return {
      cardVersion: row!.card_version,
      enummerVersion: row!.enummer_version,
      single: row!.kind === 'single',
      month: options.month ?? MONTH,
      limitPerMonth: Number(row!.limit_per_month),
      transaction: {
        id,
        request_id: options.requestId ?? null,
        enummer_id: target.enummerId,
        customer_id: customerId,
        last4: '1234',
        merchant: 'Shop',
        amount,
        decision: 'approved',
        decline_code: null,
        created_at: NOW,
        card_id: target.cardId,
        sca: null,
        original_amount: null,
        currency: null,
        rate: null,
        rate_date: null,
        fee: null,
      },
    };
  }

  /** How many batch statements the service's database runs from now on. */
  function countBatches(of: EkortService = service): () => number {
    let n = 0;
    const db = of.ctx.db as { query: (...args: unknown[]) => Promise<unknown[]> };
    const real = db.query.bind(db);
    db.query = (...args: unknown[]) => {
      if ((args[0] as { name?: string }).name === 'authorize_approve_batch') n++;
      return real(...args);
    };
    return () => n;
  }

  /** Sends `approvals` while another is being written, so they go as one batch after it. */
  async function asOneBatch(approvals: FirstLookApproval[]): Promise<Array<PromiseSettledResult<boolean>>> {
    const first = approveOnFirstLook(service.ctx.db, await approval(await enummer('recurring'), 1_00));
    const rest = Promise.allSettled(approvals.map((a) => approveOnFirstLook(service.ctx.db, a)));
    expect(await first).toBe(true);
    return rest;
  }

  const spend = async (cardId: string) =>
    (await service.ctx.db.query<{ month: string; amount: number }>('SELECT month, amount FROM monthly_spend WHERE owner_id = ? ORDER BY month', [cardId])).map((r) => [r.month, Number(r.amount)]);
  const written = async (enummerId: string) => Number((await service.ctx.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM transactions WHERE enummer_id = ?', [enummerId]))[0]!.n);

  it('sends a lone approval at once, and the ones that come while it is written as one batch', async () => {
    const target = await enummer('recurring');
    const count = countBatches();
    const approvals = await Promise.all(Array.from({ length: 20 }, () => approval(target, 10_00)));
    const answers = await Promise.all(approvals.map((a) => approveOnFirstLook(service.ctx.db, a)));
    expect(answers).toEqual(Array(20).fill(true));
    expect(count()).toBe(2);
    expect(await spend(target.cardId)).toEqual([[MONTH, 200_00]]);
    expect(await written(target.enummerId)).toBe(20);
  });

  it("keeps the card's monthly limit across one batch, in the order the approvals came", async () => {
    const target = await enummer('recurring', 1_000_00);
    const answers = await asOneBatch(await Promise.all([100_00, 400_00, 400_00, 400_00, 100_00].map((amount) => approval(target, amount))));
    expect(answers.map((a) => a.status === 'fulfilled' && a.value)).toEqual([true, true, true, false, true]);
    expect(await spend(target.cardId)).toEqual([[MONTH, 1_000_00]]);
    expect(await written(target.enummerId)).toBe(4);
  });

  it('writes one approval of a single-purchase e-nummer in a batch, and closes it with its time', async () => {
    const target = await enummer('single');
    const count = countBatches();
    const answers = await asOneBatch(await Promise.all([5_00, 6_00, 7_00].map((amount) => approval(target, amount))));
    expect(answers.map((a) => a.status === 'fulfilled' && a.value)).toEqual([true, false, false]);
    // Decided in the batch, not by its failure and a retry one by one.
    expect(count()).toBe(2);
    const [row] = await service.ctx.db.query<Record<string, unknown>>('SELECT state, close_reason, closed_at FROM enummers WHERE id = ?', [target.enummerId]);
    expect(row).toEqual({ state: 'closed', close_reason: 'used', closed_at: NOW });
    expect(await spend(target.cardId)).toEqual([[MONTH, 5_00]]);
    expect(await written(target.enummerId)).toBe(1);
  });

  it('writes nothing for an approval whose card changed since its look', async () => {
    const target = await enummer('recurring');
    const stale = await approval(target, 10_00);
    await service.ctx.db.run('UPDATE payment_cards SET limit_per_purchase = limit_per_purchase WHERE id = ?', [target.cardId]);
    const answers = await asOneBatch([stale, await approval(target, 20_00)]);
    expect(answers.map((a) => a.status === 'fulfilled' && a.value)).toEqual([false, true]);
    expect(await spend(target.cardId)).toEqual([[MONTH, 20_00]]);
    expect(await written(target.enummerId)).toBe(1);
  });

  it("adds to each month's spend on its own when a batch spans the turn of a month", async () => {
    const target = await enummer('recurring');
    const answers = await asOneBatch([await approval(target, 10_00, { month: '2026-11' }), await approval(target, 20_00), await approval(target, 30_00, { month: '2026-11' })]);
    expect(answers.map((a) => a.status === 'fulfilled' && a.value)).toEqual([true, true, true]);
    expect(await spend(target.cardId)).toEqual([['2026-11', 40_00], [MONTH, 20_00]]);
  });

  it('answers every purchase while its connections are cut, and keeps every approval it acknowledged', async () => {
    // A service of its own, whose connections alone carry this name: only they are cut.
    const name = `ekort-cut-${randomBytes(4).toString('hex')}`;
    const url = new URL(schema.url);
    url.searchParams.set('application_name', name);
    const cut = await EkortService.open(url.toString(), { sweepIntervalMs: 0 });
    const admin = new pg.Client({ connectionString: postgresBaseUrl() });
    await admin.connect();
    try {
      const card = await addPaymentCard(service.ctx, customerId, { limitPerPurchase: 1_000_000_00, limitPerMonth: 1_000_000_000_00 });
      await connectCard(service.ctx, customerId, card.id, (await service.terms()).version);
      const session = await service.session((await createSession(service.ctx, { id: customerId, name: 'Anna Andersson', personnummer: '199001012385' }, 'card')).token);
      const { secret } = await service.createEnummer(session, { cardId: card.id, merchant: 'Gym', recurring: true, months: 6 });
      let cutting = true;
      let cuts = 0;
      const cutter = (async () => {
        while (cutting) {
          const { rowCount } = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [name]);
          cuts += rowCount ?? 0;
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const answers: Array<PromiseSettledResult<{ approved: boolean; transactionId: string | null }>> = [];
      for (let wave = 0; wave < 15; wave++) {
        answers.push(...(await Promise.allSettled(Array.from({ length: 16 }, () => cut.authorize({ ...secret, merchant: 'Gym', amount: 1_00 })))));
      }
      cutting = false;
      await cutter;
      expect(cuts).toBeGreaterThan(0);
      const acknowledged = answers.flatMap((a) => (a.status === 'fulfilled' && a.value.approved ? [a.value.transactionId!] : []));
      const failed = answers.flatMap((a) => (a.status === 'rejected' ? [a.reason as { code?: string }] : []));
      // Each purchase either answered or refused as the database being out of reach: none hangs, none declined.
      expect(acknowledged.length + failed.length).toBe(answers.length);
      expect(failed.every((e) => e.code === 'STORE_UNAVAILABLE')).toBe(true);
      expect(acknowledged.length).toBeGreaterThan(0);
      const stored = new Set((await service.ctx.db.query<{ id: string }>("SELECT id FROM transactions WHERE decision = 'approved'")).map((r) => r.id));
      expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
      // The month's spend is the sum of what was written, acknowledged or not.
      expect(await spend(card.id)).toEqual([[expect.any(String), stored.size * 1_00]]);
      // Once the cutting stops, the service answers again.
      expect((await cut.authorize({ ...secret, merchant: 'Gym', amount: 1_00 })).approved).toBe(true);
    } finally {
      await admin.end();
      await cut.close();
    }
  });

  it('fails every caller of a batch whose connection is lost, without writing them again one by one', async () => {
    const name = `ekort-lost-${randomBytes(4).toString('hex')}`;
    const url = new URL(schema.url);
    url.searchParams.set('application_name', name);
    const lost = await EkortService.open(url.toString(), { sweepIntervalMs: 0 });
    // One connection holds the card in a transaction; the other watches (outside a transaction,
    // whose view of pg_stat_activity would stay as it first saw it) and cuts.
    const holder = new pg.Client({ connectionString: schema.url });
    const admin = new pg.Client({ connectionString: schema.url });
    await holder.connect();
    await admin.connect();
    try {
      const target = await enummer('recurring');
      const approvals = await Promise.all([10_00, 20_00, 30_00, 40_00].map((amount) => approval(target, amount)));
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM payment_cards WHERE id = $1 FOR UPDATE', [target.cardId]);
      const cutWhenWaiting = async () => {
        for (let i = 0; i < 500; i++) {
          const { rowCount } = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [name]);
          if (rowCount) return;
          await new Promise((r) => setTimeout(r, 10));
        }
        throw new Error('no batch came to wait for the card');
      };
      const count = countBatches(lost);
      // The first goes alone, the other three as one batch after it; each waits for the card, and its connection is cut.
      const answers = Promise.allSettled(approvals.map((a) => approveOnFirstLook(lost.ctx.db, a)));
      await cutWhenWaiting();
      await cutWhenWaiting();
      const settled = await answers;
      expect(settled.map((a) => a.status === 'rejected' && (a.reason as { code?: string }).code)).toEqual(Array(4).fill('STORE_UNAVAILABLE'));
      expect(count()).toBe(2);
      await holder.query('ROLLBACK');
      expect(await written(target.enummerId)).toBe(0);
    } finally {
      await holder.end();
      await admin.end();
      await lost.close();
    }
  });

  it('fails only the purchase whose text the database refuses, and writes the rest of its batch', async () => {
    const target = await enummer('recurring');
    const bad = await approval(target, 20_00);
    // A lone surrogate, which the API refuses (safeText) and PostgreSQL's JSON cannot hold.
    bad.transaction.merchant = 'Shop\ud800';
    const count = countBatches();
    const answers = await asOneBatch([await approval(target, 10_00), bad, await approval(target, 30_00)]);
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(answers.filter((a) => a.status === 'fulfilled').every((a) => a.value)).toBe(true);
    // The first, the refused batch, then each of its three alone.
    expect(count()).toBe(5);
    expect(await spend(target.cardId)).toEqual([[MONTH, 40_00]]);
  });

  it('writes a batch that fails again one approval at a time: each caller gets its own answer or error', async () => {
    const target = await enummer('recurring');
    const count = countBatches();
    const answers = await asOneBatch([await approval(target, 10_00, { requestId: 'net-1' }), await approval(target, 20_00, { requestId: 'net-1' }), await approval(target, 30_00)]);
    // The two with one requestId: one written, the other refused by the unique index.
    const sameRequest = answers.slice(0, 2);
    expect(sameRequest.filter((a) => a.status === 'fulfilled' && a.value)).toHaveLength(1);
    expect(sameRequest.find((a) => a.status === 'rejected')).toMatchObject({ reason: { code: 'UNIQUE_VIOLATION' } });
    expect(answers[2]).toEqual({ status: 'fulfilled', value: true });
    // The first, the failed batch, then each of its three alone.
    expect(count()).toBe(5);
    expect(await written(target.enummerId)).toBe(2);
    const writtenAmount = sameRequest[0]!.status === 'fulfilled' ? 10_00 : 20_00;
    expect(await spend(target.cardId)).toEqual([[MONTH, writtenAmount + 30_00]]);
  });
});
