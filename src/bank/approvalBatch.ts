/**
 * PostgreSQL: approvals decided on a first look (authorize.ts) written together. Each
 * approval's commit waits for the WAL to reach the disk while it holds its card's row lock, so
 * on one card they went one commit at a time, whatever the number of instances or connections
 * (issue 20: 3 300 a second on this machine). Here the approvals that come while a batch is
 * being written wait for it and go as the next batch: one statement, authorize_approve_batch
 * (migration 13), which writes each only if nothing it was decided on has changed (the same
 * guards as one purchase had), and one commit for all.
 *
 * A lone approval goes at once, as before. One batch at a time per database: a
 * second one only queued behind the first's row locks and split the waiting approvals in two,
 * measured 10-30 % fewer approvals a second with one instance and with two. At most MAX_BATCH
 * to a batch. A batch refused for what one purchase holds (its requestId already there) is
 * written again one approval at a time, so each caller gets its own answer or error.
 */
import { isLostRace, named, type SqlDatabase, type SqlValue, StoreError } from './store/sql.ts';

export interface FirstLookApproval {
  /**
   * The purchase's row in transactions, by column: its card, e-nummer, amount (öre, SEK) and
   * time are the approval's; the time closes a single-purchase e-nummer.
   */
  transaction: Record<string, SqlValue> & { id: string; card_id: string; enummer_id: string; amount: number; created_at: number };
  /** The card's and the e-nummer's xmin as the first look read them. */
  cardVersion: string;
  enummerVersion: string;
  /** A single-purchase e-nummer, closed by its approval. */
  single: boolean;
  /** The Stockholm month whose spend it adds to (calendar.ts). */
  month: string;
  /** The card's monthly limit the month's spend must stay within. */
  limitPerMonth: number;
}

/** The database unreachable, or PostgreSQL's query_canceled (statement_timeout, a cancel). */
const isOutOfReach = (e: unknown): boolean =>
  (e instanceof StoreError && e.code === 'STORE_UNAVAILABLE') || (e as { code?: unknown }).code === '57014';

const APPROVE_BATCH = named('authorize_approve_batch', 'SELECT t AS id FROM authorize_approve_batch(?::jsonb) AS t');
const MAX_BATCH = 64;

interface Waiting {
  approval: FirstLookApproval;
  resolve: (written: boolean) => void;
  reject: (error: unknown) => void;
}

class ApprovalBatcher {
  private readonly waiting: Waiting[] = [];
  private writing = false;

  constructor(private readonly db: SqlDatabase) {}

  approve(approval: FirstLookApproval): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ approval, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    if (this.writing || this.waiting.length === 0) return;
    this.writing = true;
    void this.write(this.waiting.splice(0, MAX_BATCH)).finally(() => {
      this.writing = false;
      this.next();
    });
  }

  private async write(batch: Waiting[]): Promise<void> {
    try {
      const written = await this.run(batch);
      for (const w of batch) w.resolve(written.has(w.approval.transaction.id));
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
    // What the function decides on beside the row, which it inserts whole: read without
    // taking the row apart.
    const items = batch.map(({ approval: a }, n) => ({
      n,
      id: a.transaction.id,
      at: a.transaction.created_at,
      card_id: a.transaction.card_id,
      enummer_id: a.transaction.enummer_id,
      amount: a.transaction.amount,
      card_version: a.cardVersion,
      enummer_version: a.enummerVersion,
      month: a.month,
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
