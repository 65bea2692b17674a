/**
 * Refunds of approved purchases (card terms §20 "Återbetalning av transaktion"): the holder has
 * the right to a refund when (a) the exact amount was not given when the purchase was approved
 * and (b) the amount exceeds what the holder could reasonably have expected. Decisions:
 *
 * - The request is taken within eight weeks of the debit: until the end of the Stockholm day
 *   56 days after the booking's Stockholm date (REFUND_TOO_LATE from the next moment).
 * - The holder states (a) and the amount expected, in the purchase's own currency. An amount
 *   not above the expectation is refused at once (REFUND_NOT_DUE). For a purchase in another
 *   currency the comparison is in that currency: when the original amount is within what was
 *   expected, the difference in kronor comes from the exchange rate, and "om skillnaden ...
 *   beror på valutaväxlingskurs och den referensväxelkurs som parterna tidigare avtalat om
 *   använts, finns ingen rätt till återbetalning" (REFUND_NOT_DUE, the rate named).
 * - The bank answers within ten banking days of the request (answerBy, the end of that day):
 *   refunds the whole amount, or refuses with its reasons and where the holder can take the
 *   matter further (Allmänna reklamationsnämnden). Either answer is a message to the holder.
 * - One request per purchase (ALREADY_REQUESTED).
 */
import type { RefundRequest } from './api/schemas.ts';
import { addBankingDays, endOfStockholmDay, iso, isoOrNull, stockholmDate, stockholmMidnight, stockholmParts } from './calendar.ts';
import { type BankContext, newId } from './context.ts';
import { bankError } from './errors.ts';
import { formatKronor } from './money.ts';
import { sendMessage } from './notifications.ts';
import { isUniqueViolation } from './store/sql.ts';

/** §20: "inom åtta veckor från den dag då beloppet debiterades". */
export const REFUND_WINDOW_DAYS = 56;
/** §20: "Banken ska inom tio bankdagar från mottagandet av begäran ...". */
export const REFUND_ANSWER_BANKING_DAYS = 10;
/** Where a refused holder can go on (named in the bank's answer). */
export const FURTHER = 'Allmänna reklamationsnämnden (ARN), www.arn.se, eller Konsumenternas Bank- och finansbyrå';

interface RefundRow {
  id: string;
  transaction_id: string;
  merchant: string;
  amount: number;
  original_amount: number | null;
  currency: string | null;
  expected_amount: number;
  reason: string | null;
  state: RefundRequest['state'];
  answer_by: number;
  answer_reason: string | null;
  created_at: number;
  answered_at: number | null;
}

const SELECT_REFUND = `SELECT r.id, r.transaction_id, t.merchant, t.amount, t.original_amount, t.currency, r.expected_amount, r.reason, r.state,
  r.answer_by, r.answer_reason, r.created_at, r.answered_at FROM refund_requests r JOIN transactions t ON t.id = r.transaction_id`;

function view(r: RefundRow): RefundRequest {
  return {
    id: r.id,
    transactionId: r.transaction_id,
    merchant: r.merchant,
    amount: Number(r.amount),
    ...(r.currency ? { originalAmount: Number(r.original_amount), currency: r.currency } : {}),
    expectedAmount: Number(r.expected_amount),
    reason: r.reason,
    state: r.state,
    answerBy: iso(Number(r.answer_by)),
    answerReason: r.answer_reason,
    createdAt: iso(Number(r.created_at)),
    answeredAt: isoOrNull(r.answered_at),
  };
}

/** The holder asks for a refund of an approved purchase (§20). */
export async function requestRefund(ctx: BankContext, customerId: string, transactionId: string, input: { expectedAmount: number; reason?: string | undefined }): Promise<RefundRequest> {
  const now = ctx.config.now();
  const [t] = await ctx.db.query<{ amount: number; decision: string; created_at: number; original_amount: number | null; currency: string | null }>(
    'SELECT amount, decision, created_at, original_amount, currency FROM transactions WHERE id = ? AND customer_id = ?',
    [transactionId, customerId],
  );
  if (!t) throw bankError('NOT_FOUND', 'There is no such transaction among yours.');
  if (t.decision !== 'approved') throw bankError('TRANSACTION_DECLINED', 'The purchase was declined and never charged: there is nothing to refund.');
  const booked = stockholmParts(Number(t.created_at));
  const tooLateAt = stockholmMidnight(booked.y, booked.m, booked.d + REFUND_WINDOW_DAYS + 1);
  const lastDay = stockholmDate(tooLateAt - 1);
  if (now >= tooLateAt) throw bankError('REFUND_TOO_LATE', `A refund is asked for within eight weeks of the debit (card terms §20); the last day for this one was ${lastDay}.`, { lastDay });
  const foreign = t.currency !== null;
  const charged = foreign ? Number(t.original_amount) : Number(t.amount);
  if (charged <= input.expectedAmount) {
    throw bankError(
      'REFUND_NOT_DUE',
      foreign
        ? `The purchase was ${charged} in ${t.currency}'s minor units, within what you expected: the difference in kronor comes from the exchange rate, which gives no right to a refund (card terms §20).`
        : 'The amount does not exceed what you expected: card terms §20 gives a refund only when it does.',
      { reason: foreign ? 'exchange_rate' : 'not_above_expected' },
    );
  }
  const id = newId();
  const answerBy = endOfStockholmDay(addBankingDays(stockholmDate(now), REFUND_ANSWER_BANKING_DAYS));
  try {
    await ctx.db.run(
      'INSERT INTO refund_requests (id, customer_id, transaction_id, expected_amount, reason, state, answer_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [id, customerId, transactionId, input.expectedAmount, input.reason?.trim() || null, 'received', answerBy, now],
    );
  } catch (error) {
    if (isUniqueViolation(error)) throw bankError('ALREADY_REQUESTED', 'A refund of this purchase is asked for already.', { cause: error });
    throw error;
  }
  return ownRefund(ctx, customerId, id);
}

async function ownRefund(ctx: BankContext, customerId: string | null, id: string): Promise<RefundRequest & { customerId: string }> {
  const [row] = await ctx.db.query<RefundRow & { customer_id: string }>(
    `${SELECT_REFUND.replace('SELECT r.id,', 'SELECT r.customer_id, r.id,')} WHERE r.id = ?${customerId === null ? '' : ' AND r.customer_id = ?'}`,
    customerId === null ? [id] : [id, customerId],
  );
  if (!row) throw bankError('NOT_FOUND', customerId === null ? `There is no refund request ${id}.` : 'There is no such refund request among yours.');
  return { ...view(row), customerId: row.customer_id };
}

export async function listRefunds(ctx: BankContext, customerId: string): Promise<RefundRequest[]> {
  const rows = await ctx.db.query<RefundRow>(`${SELECT_REFUND} WHERE r.customer_id = ? ORDER BY r.created_at DESC, r.id LIMIT 500`, [customerId]);
  return rows.map(view);
}

/** The bank's answer (§20): the whole amount back, or a refusal with its reasons and where to go on. */
export async function answerRefund(ctx: BankContext, id: string, answer: { refund: true } | { refund: false; reason: string }): Promise<RefundRequest> {
  const now = ctx.config.now();
  if (!answer.refund && answer.reason.trim() === '') throw bankError('INVALID_INPUT', 'A refusal gives its reasons (card terms §20).');
  return ctx.db.transaction(async (tx) => {
    const changed = await tx.run("UPDATE refund_requests SET state = ?, answer_reason = ?, answered_at = ? WHERE id = ? AND state = 'received'", [
      answer.refund ? 'refunded' : 'refused',
      answer.refund ? null : answer.reason.trim(),
      now,
      id,
    ]);
    const [row] = await tx.query<RefundRow & { customer_id: string }>(`${SELECT_REFUND.replace('SELECT r.id,', 'SELECT r.customer_id, r.id,')} WHERE r.id = ?`, [id]);
    if (!row) throw bankError('NOT_FOUND', `There is no refund request ${id}.`);
    if (changed === 0) throw bankError('STATE_CONFLICT', `Refund request ${id} is answered already (${row.state}).`, { state: row.state });
    const amount = formatKronor(Number(row.amount));
    await sendMessage(
      tx,
      {
        customerId: row.customer_id,
        kind: 'refund',
        refId: id,
        title: answer.refund
          ? { sv: `Du får tillbaka ${amount} (${row.merchant})`, en: `You get ${amount} back (${row.merchant})` }
          : { sv: `Banken avslår din begäran om återbetalning (${row.merchant}, ${amount})`, en: `The bank refuses your refund request (${row.merchant}, ${amount})` },
        text: answer.refund
          ? { sv: `Banken återbetalar hela beloppet, ${amount}, för köpet hos ${row.merchant} (kortvillkor punkt 20).`, en: `The bank refunds the whole amount, ${amount}, for the purchase at ${row.merchant} (card terms §20).` }
          : {
              sv: `Skäl: ${answer.reason.trim()} Om du inte är nöjd kan du gå vidare med ärendet till ${FURTHER} (kortvillkor punkt 20).`,
              en: `Reasons: ${answer.reason.trim()} If you are not satisfied, you can take the matter further to ${FURTHER} (card terms §20).`,
            },
      },
      now,
    );
    return view(row);
  });
}
