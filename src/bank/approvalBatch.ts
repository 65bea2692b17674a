/**
 * PostgreSQL: approvals decided on a first look (authorize.ts) written together. Each
 * approval's commit waits for the WAL to reach the disk while it holds its card's row lock, so
 * on one card they went one commit at a time, whatever the number of instances or connections
 * (issue 20: 3 300 a second on this machine). Here the approvals that come while a batch is
 * being written wait for it and go as the next batch: one statement, authorize_approve_batch
 * (migration 13), which writes each only if nothing it was decided on has changed (the same
 * guards as one purchase had), and one commit for all.
 *
 * A lone approval goes at once, as before. One batch at a time per database (IN_FLIGHT): a
 * second one only queued behind the first's row locks and split the waiting approvals in two,
 * measured 10-30 % fewer approvals a second with one instance and with two. At most MAX_BATCH
 * to a batch. A batch refused for what one purchase holds (its requestId already there) is
 * written again one approval at a time, so each caller gets its own answer or error.
 */
import { isLostRace, named, type SqlDatabase, type SqlValue, StoreError } from './store/sql.ts';

export interface FirstLookApproval {
  cardId: string;
  enummerId: string;
  /** The rows' xmin as the first look read them. */
  cardVersion: string;
  enummerVersion: string;
  /** A single-purchase e-nummer, closed by its approval. */
  single: boolean;
  /** The Stockholm month whose spend it adds to (calendar.ts). */
  month: string;
  /** In öre (SEK), and the card's monthly limit it must stay within. */
  amount: number;
  limitPerMonth: number;
  /** The transaction row, by column: its `id` is the approval's, its `created_at` closes a single-purchase e-nummer. */
  transaction: Record<string, SqlValue>;
}

/** The database unreachable, or PostgreSQL's query_canceled (statement_timeout, a cancel). */
const isOutOfReach = (e: unknown): boolean =>
  (e instanceof StoreError && e.code === 'STORE_UNAVAILABLE') || (e as { code?: unknown }).code === '57014';

const APPROVE_BATCH = named('authorize_approve_batch', 'SELECT t AS id FROM authorize_approve_batch(?::jsonb) AS t');
const MAX_BATCH = 64;
const IN_FLIGHT = 1;

interface Waiting {
  approval: FirstLookApproval;
  resolve: (written: boolean) => void;
  reject: (error: unknown) => void;
}

class ApprovalBatcher {
  private readonly waiting: Waiting[] = [];
  private writing = 0;

  constructor(private readonly db: SqlDatabase) {}

  approve(approval: FirstLookApproval): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ approval, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    while (this.writing < IN_FLIGHT && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, MAX_BATCH);
      this.writing++;
      void this.write(batch).finally(() => {
        this.writing--;
        this.next();
      });
    }
  }

  private async write(batch: Waiting[]): Promise<void> {
    try {
      const written = await this.run(batch);
      for (const w of batch) w.resolve(written.has(w.approval.transaction.id as string));
    } catch (error) {
      // Nothing of the batch was written. A deadlock or serialization failure: each is decided
      // again under the locks, whose transaction the store retries. The database out of reach
      // or the statement past its time: every caller's error, at once (written again one by
      // one, each could wait as long again). Anything else is what one purchase holds (its
      // requestId already there, text the database refuses): each written again alone, so
      // that only that one fails.
      if (isLostRace(error)) for (const w of batch) w.resolve(false);
      else if (batch.length > 1 && !isOutOfReach(error)) await Promise.all(batch.map((w) => this.write([w])));
      else for (const w of batch) w.reject(error);
    }
  }

  private async run(batch: Waiting[]): Promise<Set<string>> {
    // The transaction's id and time beside its row, for the function to read without taking the row apart.
    const items = batch.map(({ approval: a }, n) => ({
      n,
      id: a.transaction.id,
      at: a.transaction.created_at,
      card_id: a.cardId,
      enummer_id: a.enummerId,
      card_version: a.cardVersion,
      enummer_version: a.enummerVersion,
      month: a.month,
      amount: a.amount,
      limit_per_month: a.limitPerMonth,
      single: a.single,
      tx: a.transaction,
    }));
    const rows = await this.db.query<{ id: string }>(APPROVE_BATCH, [JSON.stringify(items)]);
    return new Set(rows.map((r) => r.id));
  }
}

const batchers = new WeakMap<SqlDatabase, ApprovalBatcher>();

/** Writes `approval` if nothing it was decided on has changed: whether it was written. */
export function approveOnFirstLook(db: SqlDatabase, approval: FirstLookApproval): Promise<boolean> {
  let batcher = batchers.get(db);
  if (!batcher) batchers.set(db, (batcher = new ApprovalBatcher(db)));
  return batcher.approve(approval);
}
