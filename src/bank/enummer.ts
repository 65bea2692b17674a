/**
 * e-nummer: a card number of its own for one connected card and one merchant. A single
 * purchase one is valid one month and closes after its first approved purchase; a recurring
 * one is valid 1 to 24 months. Numbers are drawn from the CSPRNG in the service's issuer
 * range and reserved in `issued_numbers` first, so no number is ever issued twice, not even
 * after expiry. At expiry the link to the card (card, full number, CVC) is erased.
 */
import { type CreatedEnummer, DEFAULT_PAGE_LIMIT, type Enummer, type EnummerAction, type EnummerSecret, MAX_PAGE_LIMIT, type Transaction, type TransactionPage } from './api/schemas.ts';
import { merchantKey } from './merchantName.ts';
import { addMonths, endOfStockholmMonth, iso, isoOrNull, stockholmMonth } from './calendar.ts';
import { drawCvc, drawPan, formatExpiry, last4 } from './cardNumbers.ts';
import { type BankContext, newId } from './context.ts';
import { bankError } from './errors.ts';
import type { SqlValue } from './store/sql.ts';

export interface CreateEnummerInput {
  cardId: string;
  merchant: string;
  recurring?: boolean;
  months?: number;
  limit?: { amount: number; period: 'purchase' | 'month' };
  nickname?: string;
}

/** Merchant ids are compared after normalisation: Unicode NFC, surrounding space, case. */

interface EnummerRow {
  id: string;
  pan: string | null;
  last4: string;
  card_last4: string | null;
  merchant: string;
  kind: 'single' | 'recurring';
  months: number;
  exp_month: number;
  exp_year: number;
  cvc: string | null;
  valid_until: number;
  nickname: string | null;
  limit_amount: number | null;
  limit_period: 'purchase' | 'month' | null;
  state: 'open' | 'paused' | 'closed';
  close_reason: Enummer['closeReason'];
  created_at: number;
  closed_at: number | null;
  locked_at: number | null;
  lock_reason: 'wrong_cvc' | null;
  merchant_id?: string | null;
  merchant_seen?: string | null;
}

/**
 * The holder's view at `now`: an e-nummer whose validity has ended is shown closed (expired)
 * at once, whether or not the sweep (expireDue) has erased it yet.
 */
const view = (r: EnummerRow, now: number): Enummer => {
  const lapsed = r.state !== 'closed' && Number(r.valid_until) <= now;
  return {
    ...stored(r),
    ...(lapsed ? { state: 'closed' as const, closeReason: 'expired' as const, closedAt: iso(Number(r.valid_until)) } : {}),
    lock: r.locked_at === null || lapsed ? null : { reason: r.lock_reason ?? 'wrong_cvc', lockedAt: iso(Number(r.locked_at)) },
    lockedTo: r.merchant_id === null || r.merchant_id === undefined ? null : { merchantId: r.merchant_id, descriptor: r.merchant_seen ?? '' },
  };
};

const stored = (r: EnummerRow): Omit<Enummer, 'lock' | 'lockedTo'> => ({
  id: r.id,
  last4: r.last4,
  cardLast4: r.card_last4,
  merchant: r.merchant,
  kind: r.kind,
  months: Number(r.months),
  expiry: formatExpiry(Number(r.exp_month), Number(r.exp_year)),
  validUntil: iso(Number(r.valid_until)),
  nickname: r.nickname,
  limit: r.limit_amount === null || r.limit_period === null ? null : { amount: Number(r.limit_amount), period: r.limit_period },
  state: r.state,
  closeReason: r.close_reason,
  createdAt: iso(Number(r.created_at)),
  closedAt: isoOrNull(r.closed_at),
});

/** Whether the e-nummer's validity has ended at `now` (the sweep may not have run yet). */
const hasExpired = (r: { valid_until: number }, now: number): boolean => Number(r.valid_until) <= now;

const expiredError = () => bankError('ENUMMER_EXPIRED', 'This e-nummer has expired; it can no longer be shown or used. Make a new one.');

const SELECT_ENUMMER = `SELECT e.*, c.last4 AS card_last4 FROM enummers e LEFT JOIN payment_cards c ON c.id = e.card_id`;

/** Reserves a number never issued before. */
async function reserveNumber(ctx: BankContext): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pan = drawPan(ctx.config.issuerPrefix);
    if ((await ctx.db.run('INSERT INTO issued_numbers (pan, issued_at) VALUES (?, ?) ON CONFLICT (pan) DO NOTHING', [pan, ctx.config.now()])) === 1) return pan;
  }
  throw bankError('NUMBER_SPACE_EXHAUSTED', 'No unused e-nummer could be drawn in the issuer range. Widen the range.');
}

export async function createEnummer(ctx: BankContext, customerId: string, input: CreateEnummerInput): Promise<CreatedEnummer> {
  const recurring = input.recurring ?? false;
  const months = recurring ? (input.months ?? 1) : 1;
  if (!Number.isInteger(months) || months < 1 || months > 24) throw bankError('INVALID_INPUT', 'A recurring e-nummer is valid 1 to 24 months.');
  if (!recurring && input.months !== undefined && input.months !== 1) {
    throw bankError('INVALID_INPUT', 'A single-purchase e-nummer is valid one month; choose recurring for 1 to 24 months.');
  }
  const merchant = input.merchant.normalize('NFC').trim();
  const pan = await reserveNumber(ctx);
  const now = ctx.config.now();
  // Card terms §12: the printed MM/YY is the month the chosen validity ends in, and the
  // e-nummer works until that month has ended, Swedish time.
  const lastMonth = stockholmMonth(addMonths(now, months));
  const validUntil = endOfStockholmMonth(addMonths(now, months));
  const [expYear, expMonth] = lastMonth.split('-').map(Number) as [number, number];
  const id = newId();
  const cvc = drawCvc();
  await ctx.db.transaction(async (tx) => {
    const [card] = await tx.query<{ state: string; terms_version: string | null; expires_at: number | null }>(
      'SELECT state, terms_version, expires_at FROM payment_cards WHERE id = ? AND customer_id = ? FOR UPDATE',
      [input.cardId, customerId],
    );
    if (!card) throw bankError('NOT_FOUND', 'There is no such payment card among yours.');
    if (card.state === 'blocked') throw bankError('CARD_BLOCKED', 'The card is blocked; no e-nummer can be made for it.');
    if (card.expires_at !== null && Number(card.expires_at) <= now) throw bankError('CARD_EXPIRED', 'The card is past the month printed on it; use its replacement card.');
    if (card.terms_version === null) throw bankError('CARD_NOT_CONNECTED', 'Connect the card to e-kort first (read and accept the terms).');
    await tx.run(
      `INSERT INTO enummers (id, pan, last4, customer_id, card_id, merchant, merchant_key, kind, months, exp_month, exp_year, cvc,
        valid_until, nickname, limit_amount, limit_period, state, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)`,
      [
        id,
        pan,
        last4(pan),
        customerId,
        input.cardId,
        merchant,
        merchantKey(merchant),
        recurring ? 'recurring' : 'single',
        months,
        expMonth,
        expYear,
        cvc,
        validUntil,
        input.nickname?.trim() || null,
        input.limit?.amount ?? null,
        input.limit?.period ?? null,
        now,
      ],
    );
  });
  const enummer = await getEnummer(ctx, customerId, id);
  return { enummer, secret: { id, pan, expiry: enummer.expiry, cvc } };
}

export async function listEnummers(ctx: BankContext, customerId: string, options: { state?: Enummer['state'] } = {}): Promise<Enummer[]> {
  const now = ctx.config.now();
  // By the state the holder sees: an e-nummer past its validity counts as closed.
  const filter = options.state === undefined ? '' : options.state === 'closed' ? " AND (e.state = 'closed' OR e.valid_until <= ?)" : ' AND e.state = ? AND e.valid_until > ?';
  const params = options.state === undefined ? [customerId] : options.state === 'closed' ? [customerId, now] : [customerId, options.state, now];
  const rows = await ctx.db.query<EnummerRow>(`${SELECT_ENUMMER} WHERE e.customer_id = ?${filter} ORDER BY e.created_at DESC, e.id`, params);
  return rows.map((r) => view(r, now));
}

async function ownRow(ctx: BankContext, customerId: string, id: string): Promise<EnummerRow> {
  const [row] = await ctx.db.query<EnummerRow>(`${SELECT_ENUMMER} WHERE e.id = ? AND e.customer_id = ?`, [id, customerId]);
  if (!row) throw bankError('NOT_FOUND', 'There is no such e-nummer among yours.');
  return row;
}

export async function getEnummer(ctx: BankContext, customerId: string, id: string): Promise<Enummer> {
  return view(await ownRow(ctx, customerId, id), ctx.config.now());
}

/** The full number, expiry and CVC; the caller has checked the login is fresh. */
export async function revealEnummer(ctx: BankContext, customerId: string, id: string): Promise<EnummerSecret> {
  const row = await ownRow(ctx, customerId, id);
  // Checked at the moment of use: the sweep that erases the number may not have run yet.
  if (row.pan === null || row.cvc === null || hasExpired(row, ctx.config.now())) throw expiredError();
  return { id: row.id, pan: row.pan, expiry: formatExpiry(Number(row.exp_month), Number(row.exp_year)), cvc: row.cvc };
}

const TRANSITIONS: Record<Exclude<EnummerAction, 'unlock'>, { from: string[]; to: string; reason: string | null }> = {
  pause: { from: ['open'], to: 'paused', reason: null },
  resume: { from: ['paused'], to: 'open', reason: null },
  close: { from: ['open', 'paused'], to: 'closed', reason: 'closed_by_holder' },
};

export async function changeEnummer(ctx: BankContext, customerId: string, id: string, action: EnummerAction): Promise<Enummer> {
  if (action === 'unlock') return unlockEnummer(ctx, customerId, id);
  const t = TRANSITIONS[action];
  const now = ctx.config.now();
  const changed = await ctx.db.run(
    `UPDATE enummers SET state = ?, close_reason = ?, closed_at = ? WHERE id = ? AND customer_id = ? AND state IN (${t.from.map(() => '?').join(', ')}) AND valid_until > ?`,
    [t.to, t.reason, t.to === 'closed' ? now : null, id, customerId, ...t.from, now],
  );
  if (changed === 0) {
    const row = await ownRow(ctx, customerId, id);
    if (row.state !== 'closed' && hasExpired(row, now)) throw expiredError();
    throw bankError('STATE_CONFLICT', `The e-nummer cannot be ${action === 'close' ? 'closed' : action === 'pause' ? 'paused' : 'resumed'}: it is ${row.state}.`, { state: row.state });
  }
  return getEnummer(ctx, customerId, id);
}

/**
 * The holder unlocks an e-nummer locked after too many wrong CVCs or expiry dates: purchases
 * are taken again, and the wrong attempts are counted afresh from now. Unlocking one that is
 * not locked changes nothing.
 */
async function unlockEnummer(ctx: BankContext, customerId: string, id: string): Promise<Enummer> {
  const now = ctx.config.now();
  const row = await ownRow(ctx, customerId, id);
  if (row.state === 'closed') throw bankError('STATE_CONFLICT', 'The e-nummer cannot be unlocked: it is closed.', { state: row.state });
  if (hasExpired(row, now)) throw expiredError();
  if (row.locked_at !== null) {
    await ctx.db.run(
      "UPDATE enummers SET locked_at = NULL, lock_reason = NULL, cvc_counted_from = ? WHERE id = ? AND customer_id = ? AND locked_at IS NOT NULL AND state <> 'closed'",
      [now, id, customerId],
    );
  }
  return getEnummer(ctx, customerId, id);
}

interface TransactionRow {
  id: string;
  enummer_id: string | null;
  last4: string;
  merchant: string;
  amount: number;
  decision: 'approved' | 'declined';
  decline_code: Transaction['declineCode'];
  created_at: number;
  original_amount?: number | null;
  currency?: string | null;
  rate?: string | null;
  rate_date?: string | null;
  fee?: number | null;
}

export const transactionView = (r: TransactionRow): Transaction => ({
  id: r.id,
  enummerId: r.enummer_id,
  last4: r.last4,
  merchant: r.merchant,
  amount: Number(r.amount),
  decision: r.decision,
  declineCode: r.decline_code,
  createdAt: iso(Number(r.created_at)),
  // Purchases in another currency (currency.ts): both amounts, the rate and the fee.
  ...(r.currency ? { currency: r.currency } : {}),
  ...(r.currency && r.original_amount !== null && r.original_amount !== undefined ? { originalAmount: Number(r.original_amount) } : {}),
  ...(r.rate ? { rate: Number(r.rate) } : {}),
  ...(r.rate_date ? { rateDate: r.rate_date } : {}),
  ...(r.fee !== null && r.fee !== undefined ? { fee: Number(r.fee) } : {}),
});

/** The columns transactionView reads. */
export const TRANSACTION_COLUMNS = 'id, enummer_id, last4, merchant, amount, decision, decline_code, created_at, original_amount, currency, rate, rate_date, fee';

export interface TransactionPageRequest {
  enummerId?: string;
  /** 1 to MAX_PAGE_LIMIT; DEFAULT_PAGE_LIMIT when not given. */
  limit?: number;
  /** A page's nextCursor. */
  cursor?: string;
}

/**
 * The cursor after a row: its time and id (the order's keys), base64url so it stays opaque.
 * Keyset paging: a later page starts after that row however many purchases came meanwhile.
 */
const encodeCursor = (r: { created_at: number | string; id: string }): string => Buffer.from(`${Number(r.created_at)}.${r.id}`, 'utf8').toString('base64url');

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  const match = /^([0-9]{1,16})\.([A-Za-z0-9_-]{8,64})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) {
    const message = 'not a cursor this service gave (use a nextCursor as it came)';
    throw bankError('INVALID_INPUT', `The request is not valid: query.cursor: ${message}.`, { issues: [{ path: 'query.cursor', message }] });
  }
  return { createdAt: Number(match[1]), id: match[2]! };
}

/** One page of the holder's transactions, newest first (then by id): all, or one e-nummer's. */
export async function listTransactionPage(ctx: BankContext, customerId: string, request: TransactionPageRequest = {}): Promise<TransactionPage> {
  const { enummerId } = request;
  const limit = Math.min(Math.max(1, Math.trunc(request.limit ?? DEFAULT_PAGE_LIMIT)), MAX_PAGE_LIMIT);
  if (enummerId !== undefined) await ownRow(ctx, customerId, enummerId);
  const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
  const params: SqlValue[] = [customerId];
  if (enummerId !== undefined) params.push(enummerId);
  if (after) params.push(after.createdAt, after.createdAt, after.id);
  // One row more than asked tells whether there is a next page.
  const rows = await ctx.db.query<TransactionRow>(
    `SELECT ${TRANSACTION_COLUMNS} FROM transactions
     WHERE customer_id = ?${enummerId === undefined ? '' : ' AND enummer_id = ?'}${after ? ' AND (created_at < ? OR (created_at = ? AND id > ?))' : ''}
     ORDER BY created_at DESC, id LIMIT ${limit + 1}`,
    params,
  );
  const items = rows.slice(0, limit);
  return { items: items.map(transactionView), nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]!) : null };
}

/** Every one of the holder's transactions, newest first: all, or one e-nummer's (page by page). */
export async function listTransactions(ctx: BankContext, customerId: string, enummerId?: string): Promise<Transaction[]> {
  const all: Transaction[] = [];
  let cursor: string | undefined;
  do {
    const page = await listTransactionPage(ctx, customerId, { ...(enummerId === undefined ? {} : { enummerId }), limit: MAX_PAGE_LIMIT, ...(cursor === undefined ? {} : { cursor }) });
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return all;
}

/**
 * Closes what has expired and erases its link to the card: the card, the full number and
 * the CVC go; the number stays reserved in issued_numbers, and the holder keeps the
 * e-nummer's last four, merchant and history. Returns how many were erased.
 */
export async function expireDue(ctx: BankContext): Promise<number> {
  const now = ctx.config.now();
  return ctx.db.run(
    `UPDATE enummers SET state = 'closed', close_reason = CASE WHEN state = 'closed' THEN close_reason ELSE 'expired' END,
       closed_at = COALESCE(closed_at, valid_until), pan = NULL, card_id = NULL, cvc = NULL, erased_at = ?
     WHERE valid_until <= ? AND erased_at IS NULL`,
    [now, now],
  );
}
