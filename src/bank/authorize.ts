/**
 * The card network's question: may this purchase go through? Approved only when the
 * e-nummer is open and not expired, expiry and CVC match, the merchant is the one it was made
 * for, the amount is within its limit and the card's, and the card is not blocked. Every
 * decision is stored before it is answered, in the same transaction as what it changes, so an
 * acknowledged purchase is never lost and a single-purchase e-nummer is approved at most once.
 *
 * Purchases in another currency (`currency`, the amount in its minor units) are converted to
 * SEK at the service's reference rate plus the 1.65 % markup (currency.ts, card terms §17 and
 * the price list); every limit is checked with that SEK amount, fee included. No rate for
 * the currency: declined CURRENCY_NOT_SUPPORTED. For EEA currencies the holder gets the
 * conversion-cost notice (notifications.ts) once per currency and month, whether the purchase
 * is approved or declined (§17 allows a notice for a purchase that does not go through).
 *
 * Wrong CVCs and expiry dates are counted per e-nummer: the fifth within 24 hours locks it
 * (locked_at), and from then on every purchase is declined CVC_LOCKED, the right CVC too,
 * until the holder unlocks it (enummer.ts). The attempts are the declined transactions
 * themselves, counted under the e-nummer's row lock, so the count holds across instances.
 *
 * Locks are taken card first, then e-nummer (as blockCard does), in the one statement that
 * finds the e-nummer by its number and reads both rows with the month's spend, so concurrent
 * authorizations and blocks on PostgreSQL serialise per card without deadlocks.
 *
 * On PostgreSQL most approvals take two round trips and hold those locks for one statement
 * (issue 20): a first look without locks (FIRST_LOOK, which also finds an earlier answer to the
 * requestId), decide() on it, then a write of the approval only if the card and e-nummer rows
 * are still the versions decided on and the card's monthly total still allows it
 * (approvalBatch.ts: the approvals that come while one is written go together in the next
 * batch, one statement and one commit). Anything else (a decline, a lost race, a rarer
 * approval) is decided again under the locks, as on SQLite; the rules live in decide() alone.
 * A look that ended in such an approval is kept for the e-nummer's next purchases (keepLook):
 * they skip the first look and take one round trip, as the guard holds for a look of any age.
 */
import { timingSafeEqual } from 'node:crypto';
import type { AuthorizationRequest, AuthorizationResult, DeclineCode } from './api/schemas.ts';
import { stockholmMonth } from './calendar.ts';
import { last4, parseExpiry } from './cardNumbers.ts';
import { type BankContext, newTimeOrderedId } from './context.ts';
import { type Conversion, type Rates } from './currency.ts';
import { recordConversionNotice } from './notifications.ts';
import { merchantMatch } from './merchantName.ts';
import type { SqlDatabase, SqlExecutor, SqlValue } from './store/sql.ts';
import { isUniqueViolation, named } from './store/sql.ts';
import { approveOnFirstLook, type FirstLookApproval } from './approvalBatch.ts';

/** An e-nummer with its card, both locked, and what each has spent this month (see LOCK_AND_READ). */
interface Candidate {
  id: string;
  card_id: string;
  customer_id: string | null;
  cvc: string | null;
  merchant: string;
  merchant_id: string | null;
  kind: 'single' | 'recurring';
  exp_month: number;
  exp_year: number;
  valid_until: number;
  limit_amount: number | null;
  limit_period: 'purchase' | 'month' | null;
  state: 'open' | 'paused' | 'closed';
  locked_at: number | null;
  cvc_counted_from: number | null;
  card_state: 'active' | 'blocked';
  limit_per_purchase: number;
  limit_per_month: number;
  expires_at: number | null;
  replaces: string | null;
  card_spent: number | null;
  enummer_spent: number | null;
}

/** Wrong CVCs or expiry dates an e-nummer takes within CVC_WINDOW_MS; the last one locks it. */
export const CVC_MAX_WRONG = 5;
export const CVC_WINDOW_MS = 24 * 60 * 60_000;
const WRONG_CARD_DATA: readonly DeclineCode[] = ['CVC_MISMATCH', 'EXPIRY_MISMATCH'];

const sameText = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** What decide() reads of an e-nummer, its card and both owners' spend this month (two month parameters). */
const CANDIDATE_COLUMNS = `e.id, e.card_id, e.customer_id, e.cvc, e.merchant, e.merchant_id, e.kind, e.exp_month, e.exp_year, e.valid_until,
     e.limit_amount, e.limit_period, e.state, e.locked_at, e.cvc_counted_from,
     c.state AS card_state, c.limit_per_purchase, c.limit_per_month, c.expires_at, c.replaces,
     (SELECT s.amount FROM monthly_spend s WHERE s.owner_id = c.id AND s.month = ?) AS card_spent,
     (SELECT s.amount FROM monthly_spend s WHERE s.owner_id = e.id AND s.month = ?) AS enummer_spent`;
/**
 * The e-nummer by its number and its card, locked card first (the order of OF, as blockCard
 * locks), and both owners' spend this month: one statement. Only locked rows are sure to be
 * current on PostgreSQL at READ COMMITTED: a statement that waited for a lock keeps its older
 * snapshot for the spend, which can only have grown since (nothing lowers monthly_spend), so
 * the approval checks the totals addSpend returns (limitsHold) before it stands.
 */
const LOCK_AND_READ = named(
  'authorize_lock_and_read',
  `SELECT ${CANDIDATE_COLUMNS}
   FROM payment_cards c JOIN enummers e ON e.card_id = c.id
   WHERE e.pan = ? FOR UPDATE OF c, e`,
);

/** A purchase's row in the holder's history: decide's answer, or an approval before limitsHold. */
const RECORD_COLUMNS = ['id', 'request_id', 'enummer_id', 'customer_id', 'last4', 'merchant', 'amount', 'decision', 'decline_code', 'created_at',
  'card_id', 'sca', 'original_amount', 'currency', 'rate', 'rate_date', 'fee'] as const;
const RECORD_TEXT = `INSERT INTO transactions (${RECORD_COLUMNS.join(', ')}) VALUES (${RECORD_COLUMNS.map(() => '?').join(', ')})`;
const RECORD = named('authorize_record', RECORD_TEXT);

/** The month's spend of the card (and of the e-nummer, when it has a monthly limit) grown by a purchase: the new totals. */
const addSpendText = (owners: number): string =>
  `INSERT INTO monthly_spend (owner_id, month, amount) VALUES ${Array.from({ length: owners }, () => '(?, ?, ?)').join(', ')}
   ON CONFLICT (owner_id, month) DO UPDATE SET amount = monthly_spend.amount + excluded.amount RETURNING owner_id, amount`;
const ADD_SPEND = [named('authorize_add_spend_1', addSpendText(1)), named('authorize_add_spend_2', addSpendText(2))] as const;
/** PostgreSQL: both in one statement (one round trip); SQLite has no INSERT in WITH. */
const RECORD_AND_ADD_SPEND = [1, 2].map((owners) => named(`authorize_record_add_spend_${owners}`, `WITH recorded AS (${RECORD_TEXT}) ${addSpendText(owners)}`));

/**
 * PostgreSQL's first look, without locks: the e-nummer and its card as LOCK_AND_READ reads
 * them, each row's version (xmin, new with every UPDATE of the row), and the earlier answer to
 * the request's requestId, in one round trip. A row (of nulls when neither is found) always.
 */
interface FirstLook extends Partial<Candidate> {
  card_version: string | null;
  enummer_version: string | null;
  earlier_id: string | null;
  earlier_decision: string | null;
  earlier_decline_code: DeclineCode | null;
}
const FIRST_LOOK = named(
  'authorize_first_look',
  `SELECT ${CANDIDATE_COLUMNS}, c.xmin::text AS card_version, e.xmin::text AS enummer_version,
     t.id AS earlier_id, t.decision AS earlier_decision, t.decline_code AS earlier_decline_code
   FROM (SELECT 1) AS one
   LEFT JOIN (payment_cards c JOIN enummers e ON e.card_id = c.id AND e.pan = ?) ON true
   LEFT JOIN transactions t ON t.request_id = ?`,
);

/**
 * PostgreSQL: the first look of each e-nummer whose last purchase it approved, per database,
 * for a while. The next purchase on it decides on this look and goes straight to
 * approveOnFirstLook, whose guard makes a look of any age safe: a card or e-nummer changed
 * since (blocked, closed, a new limit) has a new xmin, and the month's total is checked on the
 * current row. An approval leaves neither row changed (its locks are not new versions), so one
 * look serves every instance's purchases on a recurring e-nummer. A guard that fails (or a
 * decline) forgets the look and goes the usual way; an earlier requestId is found by the
 * transactions' unique index then, as a race of two retries is. The time bounds how long a
 * look, with the e-nummer's CVC in it, stays in memory; the size, the memory.
 */
const LOOK_KEPT_MS = 2000;
const LOOKS_KEPT = 1024;
const recentLooks = new WeakMap<object, Map<string, { look: FirstLook; at: number }>>();

function keptLook(db: object, pan: string): FirstLook | undefined {
  const kept = recentLooks.get(db)?.get(pan);
  return kept && performance.now() - kept.at < LOOK_KEPT_MS ? kept.look : undefined;
}

function keepLook(db: object, pan: string, look: FirstLook | undefined): void {
  let looks = recentLooks.get(db);
  if (!look) {
    looks?.delete(pan);
    return;
  }
  if (!looks) recentLooks.set(db, (looks = new Map()));
  if (looks.size >= LOOKS_KEPT && !looks.has(pan)) looks.clear();
  looks.set(pan, { look, at: performance.now() });
}

/**
 * Whether an approval needs only what approveOnFirstLook writes; the rarer ones (an
 * e-nummer's own monthly limit, a merchant id to bind, a replaced card to block, a currency
 * notice) go through the locking path.
 */
const approvesInOneStatement = (e: Candidate, req: AuthorizationRequest, notice: boolean): boolean =>
  !notice && e.limit_period !== 'month' && e.replaces === null && !(e.merchant_id === null && req.merchantId !== undefined && merchantMatch(e.merchant, req.merchant) === 'unclear');

/**
 * The merchant check (seed 000): once an e-nummer belongs to a merchant id, that id only (by
 * name when the network sends no id); before that, the approved name, or, when no name or no
 * clear one was given, the first merchant the network names by its id (locked after approval).
 */
function merchantAllowed(e: Candidate, req: AuthorizationRequest): boolean {
  const match = merchantMatch(e.merchant, req.merchant);
  if (e.merchant_id !== null) return req.merchantId === undefined ? match === 'same' : req.merchantId === e.merchant_id;
  return match === 'same' || (match === 'unclear' && req.merchantId !== undefined);
}

function decide(req: AuthorizationRequest, e: Candidate, now: number): DeclineCode | null {
  if (e.card_state === 'blocked') return 'CARD_BLOCKED';
  if (e.expires_at !== null && Number(e.expires_at) <= now) return 'CARD_EXPIRED';
  if (e.state === 'closed') return 'CLOSED';
  if (Number(e.valid_until) <= now) return 'EXPIRED';
  if (e.locked_at !== null) return 'CVC_LOCKED';
  if (e.state === 'paused') return 'PAUSED';
  const expiry = parseExpiry(req.expiry);
  if (!expiry || expiry.month !== Number(e.exp_month) || expiry.year !== Number(e.exp_year)) return 'EXPIRY_MISMATCH';
  if (e.cvc === null || !sameText(req.cvc, e.cvc)) return 'CVC_MISMATCH';
  if (!merchantAllowed(e, req)) return 'MERCHANT_MISMATCH';
  if (e.limit_amount !== null) {
    const used = e.limit_period === 'month' ? Number(e.enummer_spent ?? 0) : 0;
    if (used + req.amount > Number(e.limit_amount)) return 'LIMIT_EXCEEDED';
  }
  if (req.amount > Number(e.limit_per_purchase) || Number(e.card_spent ?? 0) + req.amount > Number(e.limit_per_month)) return 'LIMIT_EXCEEDED';
  return null;
}

/**
 * Records an approved purchase and adds it to the month's spend of the card (and of the
 * e-nummer, for a monthly limit), then checks the totals the database returns against the
 * limits: the spend read with the locks may be older than the last purchase (LOCK_AND_READ).
 * Over a limit, the spend is taken back (its rows are locked through the card) and the
 * purchase recorded declined LIMIT_EXCEEDED, as decide would have with the current spend.
 */
async function recordApproval(tx: SqlExecutor, dialect: SqlDatabase['dialect'], e: Candidate, record: SqlValue[], month: string, amount: number): Promise<boolean> {
  const owners = e.limit_period === 'month' ? [e.card_id, e.id] : [e.card_id];
  const spend = owners.flatMap((owner) => [owner, month, amount]);
  type Total = { owner_id: string; amount: number };
  let totals: Total[];
  if (dialect === 'postgres') {
    totals = await tx.query<Total>(RECORD_AND_ADD_SPEND[owners.length - 1]!, [...record, ...spend]);
  } else {
    await tx.run(RECORD, record);
    totals = await tx.query<Total>(ADD_SPEND[owners.length - 1]!, spend);
  }
  const total = (owner: string) => Number(totals.find((t) => t.owner_id === owner)!.amount);
  if (total(e.card_id) <= Number(e.limit_per_month) && (owners.length === 1 || e.limit_amount === null || total(e.id) <= Number(e.limit_amount))) return true;
  await tx.run(`UPDATE monthly_spend SET amount = amount - ? WHERE month = ? AND owner_id IN (${owners.map(() => '?').join(', ')})`, [amount, month, ...owners]);
  await tx.run("UPDATE transactions SET decision = 'declined', decline_code = 'LIMIT_EXCEEDED' WHERE id = ?", [record[0]!]);
  return false;
}

/** One more wrong CVC or expiry date on `e` (its row is locked): the fifth within the window locks it. */
async function countWrongCardData(tx: SqlExecutor, e: Candidate, now: number): Promise<void> {
  const since = Math.max(now - CVC_WINDOW_MS, e.cvc_counted_from === null ? -1 : Number(e.cvc_counted_from));
  const [row] = await tx.query<{ n: number }>(
    `SELECT COUNT(*) AS n FROM transactions WHERE enummer_id = ? AND created_at > ? AND decline_code IN (${WRONG_CARD_DATA.map(() => '?').join(', ')})`,
    [e.id, since, ...WRONG_CARD_DATA],
  );
  // This attempt's own transaction is written after the decision.
  if (Number(row?.n ?? 0) + 1 >= CVC_MAX_WRONG) {
    await tx.run("UPDATE enummers SET locked_at = ?, lock_reason = 'wrong_cvc' WHERE id = ? AND locked_at IS NULL", [now, e.id]);
  }
}

async function earlierAnswer(ctx: BankContext, requestId: string): Promise<AuthorizationResult | undefined> {
  const [row] = await ctx.db.query<{ id: string; decision: string; decline_code: DeclineCode | null }>(
    'SELECT id, decision, decline_code FROM transactions WHERE request_id = ?',
    [requestId],
  );
  return row && { approved: row.decision === 'approved', declineCode: row.decline_code, transactionId: row.id };
}

export interface AuthorizeOptions {
  /** The reference rates for purchases in other currencies; without them only SEK is taken. */
  rates?: Rates | undefined;
}

export async function authorize(ctx: BankContext, req: AuthorizationRequest, options: AuthorizeOptions = {}): Promise<AuthorizationResult> {
  const now = ctx.config.now();
  const month = stockholmMonth(now);
  const postgres = ctx.db.dialect === 'postgres';
  let look: FirstLook | undefined;
  if (postgres) {
    look = keptLook(ctx.db, req.pan);
    if (!look) {
      [look] = await ctx.db.query<FirstLook>(FIRST_LOOK, [month, month, req.pan, req.requestId ?? null]);
      if (look?.earlier_id) return { approved: look.earlier_decision === 'approved', declineCode: look.earlier_decline_code ?? null, transactionId: look.earlier_id };
    }
  } else if (req.requestId !== undefined) {
    const earlier = await earlierAnswer(ctx, req.requestId);
    if (earlier) return earlier;
  }
  const transactionId = newTimeOrderedId(now);
  const currency = req.currency ?? 'SEK';
  const foreign = currency !== 'SEK';
  // undefined: SEK; null: a currency without a reference rate.
  const conversion: Conversion | null | undefined = foreign ? (options.rates?.convert(req.amount, currency) ?? null) : undefined;
  const sekAmount = conversion === undefined ? req.amount : conversion === null ? 0 : conversion.amount;
  const sek: AuthorizationRequest = { ...req, amount: sekAmount };
  const decision = (e: Candidate): DeclineCode | null => (conversion === null ? (decide(sek, e, now) ?? 'CURRENCY_NOT_SUPPORTED') : decide(sek, e, now));
  const row = (declineCode: DeclineCode | null, e?: Candidate): SqlValue[] => [
    transactionId,
    req.requestId ?? null,
    e?.id ?? null,
    e?.customer_id ?? null,
    last4(req.pan),
    req.merchant.trim().slice(0, 100),
    sekAmount,
    declineCode ? 'declined' : 'approved',
    declineCode,
    now,
    e?.card_id ?? null,
    req.sca === undefined ? null : req.sca ? 1 : 0,
    foreign ? req.amount : null,
    foreign ? currency : null,
    conversion?.rate ?? null,
    conversion?.rateDate ?? null,
    conversion?.fee ?? null,
  ];
  try {
    // PostgreSQL: an approval on the first look is written in one statement if nothing it was
    // decided on has changed; a decline, or an approval that lost a race, is decided again below.
    if (look && typeof look.id === 'string' && look.card_version !== null && look.enummer_version !== null) {
      const e = look as Candidate & FirstLook;
      if (decision(e) === null && approvesInOneStatement(e, req, Boolean(conversion && e.customer_id))) {
        const values = row(null, e);
        const written = await approveOnFirstLook(ctx.db, {
          // row() puts the transaction id, the e-nummer, its card, the SEK amount and now there.
          transaction: Object.fromEntries(RECORD_COLUMNS.map((column, i) => [column, values[i] ?? null])) as FirstLookApproval['transaction'],
          cardVersion: e.card_version!,
          enummerVersion: e.enummer_version!,
          single: e.kind === 'single',
          month,
          limitPerMonth: Number(e.limit_per_month),
        });
        if (written) {
          keepLook(ctx.db, req.pan, look);
          return { approved: true, declineCode: null, transactionId };
        }
      }
      keepLook(ctx.db, req.pan, undefined);
    }
    return await ctx.db.transaction(async (tx) => {
      /** The answer, once its transaction row is written. */
      const answer = async (declineCode: DeclineCode | null, e?: Candidate): Promise<AuthorizationResult> => {
        if (conversion && e?.customer_id) await recordConversionNotice(tx, { customerId: e.customer_id, conversion, transactionId, now });
        return { approved: declineCode === null, declineCode, transactionId };
      };
      const record = async (declineCode: DeclineCode, e?: Candidate): Promise<AuthorizationResult> => {
        await tx.run(RECORD, row(declineCode, e));
        return answer(declineCode, e);
      };

      const [e] = await tx.query<Candidate>(LOCK_AND_READ, [month, month, req.pan]);
      if (!e) {
        // No such number, or one whose link to the card was erased at expiry.
        const issued = await tx.query('SELECT 1 AS one FROM issued_numbers WHERE pan = ?', [req.pan]);
        return record(issued.length ? 'EXPIRED' : 'UNKNOWN_NUMBER');
      }
      const declineCode = decision(e);
      if (declineCode !== null) {
        if (WRONG_CARD_DATA.includes(declineCode)) await countWrongCardData(tx, e, now);
        return record(declineCode, e);
      }
      if (!(await recordApproval(tx, ctx.db.dialect, e, row(null, e), month, sekAmount))) return answer('LIMIT_EXCEEDED', e);
      if (e.kind === 'single') {
        await tx.run("UPDATE enummers SET state = 'closed', close_reason = 'used', closed_at = ? WHERE id = ? AND state = 'open'", [now, e.id]);
      }
      if (e.merchant_id === null && req.merchantId !== undefined && merchantMatch(e.merchant, req.merchant) === 'unclear') {
        await tx.run('UPDATE enummers SET merchant_id = ?, merchant_seen = ? WHERE id = ? AND merchant_id IS NULL', [req.merchantId, req.merchant.trim().slice(0, 100), e.id]);
      }
      // §12: the card this one replaces is blocked at once when this one is first used.
      if (e.replaces !== null) {
        await tx.run("UPDATE payment_cards SET state = 'blocked', blocked_at = ? WHERE id = ? AND state <> 'blocked'", [now, e.replaces]);
        await tx.run("UPDATE enummers SET state = 'closed', close_reason = 'card_blocked', closed_at = ? WHERE card_id = ? AND state <> 'closed'", [now, e.replaces]);
      }
      return answer(null, e);
    });
  } catch (err) {
    // The same requestId raced in from two places: the first one's answer stands.
    if (req.requestId !== undefined && isUniqueViolation(err)) {
      const earlier = await earlierAnswer(ctx, req.requestId);
      if (earlier) return earlier;
    }
    throw err;
  }
}
