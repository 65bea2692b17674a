/**
 * Disputes (reklamation) of card purchases, after the bank's card terms (seed 004):
 *
 * - `unauthorised` — not made by the holder (§10 "Betalningsansvar vid obehöriga
 *   transaktioner"). What the holder risks:
 *   - §10.5: nothing for a purchase initiated after the card was blocked ("ska kontohavaren
 *     inte stå för förlust om den obehöriga transaktionen har initierats efter att
 *     spärranmälan gjorts"): the card's blocked_at is before the transaction's time;
 *   - §10.6: nothing where strong customer authentication was not used ("Om stark
 *     kundautentisering inte har använts ... ansvarar inte kontohavaren för något belopp");
 *   - otherwise §10.2: "ska kontohavaren stå för högst 400 kr" (self-risk), and only for
 *     gross negligence more, §10.3: "för närvarande högst 12 000 kr per kort och reklamation"
 *     (shown as grossNegligenceMaxOre; "särskilt klandervärt" handling, the whole loss, is a
 *     judgement the bank's investigation makes, not a figure shown up front).
 *   Both figures are capped at the purchase's own amount. The answer offers blocking the
 *   card in the same flow (offerCardBlock, cardId) while the card is not blocked.
 * - `incorrect` — wrongly carried out: amount, duplicate (§11.1 "Felaktigt genomförd
 *   transaktion"); the bank corrects its own errors (§19), so the holder risks nothing.
 * - `goods` — a problem with the goods or service (§11.2 "Reklamation av vara eller tjänst
 *   ... ska riktas mot säljföretaget. Banken har ingen skyldighet men kan i vissa fall hjälpa
 *   till"). The answer points the holder to the merchant first: it is recorded as a referral
 *   (state `referred_to_merchant`, nothing for the bank to decide), it binds nobody, the
 *   purchase stands (maxSelfRiskOre = its amount), asking again answers the same referral,
 *   and it does not stop a claim of another kind on the same purchase.
 *
 * Strong customer authentication: e-kort purchases are card-not-present authorizations by
 * the card network, which says on the request whether SCA was applied (`sca`, optional). It
 * is kept per transaction (1, 0, or NULL when the network did not say). Only `sca: true` counts
 * as SCA used: the bank bears the burden of proving authentication (the payment services
 * rules), and the model treats every e-kort purchase as one where SCA was required (no
 * exemptions such as low-value purchases are modelled).
 *
 * The 13 months (§10.4 and §11.1: "inom 13 månader från det att beloppet belastat kontot"):
 * the booking is the transaction's time. A claim is taken until the end of the Stockholm
 * calendar day 13 calendar months after the booking's Stockholm date, the day clamped to the
 * target month's last day (booked 31 January 2025 → until 28 February 2026 23:59:59.999
 * Stockholm time); from the next millisecond DISPUTE_TOO_LATE. The same window is applied to
 * every kind.
 *
 * States: received → under_investigation → resolved (refunded | rejected), moved by the bank
 * (`ekort bank dispute-resolve`); refund/reject may also come straight from received.
 * Refunds are recorded as the claim's outcome; no ledger entry or spend correction is made.
 *
 * Along the way, for an unauthorised claim not yet resolved, the bank may ask for a police
 * report (§10.4: "På begäran av banken ska polisanmälan bifogas"; the holder gives the report
 * number) and extend its investigation when it suspects the purchase was authorised (§10.7;
 * the bank then tells Finansinspektionen). After a refund the bank may find the purchase was
 * not unauthorised after all: the holder must repay (§10.8), and the bank debits the account.
 * Each of these is a message to the holder too.
 */
import type { Dispute, DisputeKind, LiabilityReason } from './api/schemas.ts';
import { iso, isoOrNull, stockholmMidnight, stockholmParts } from './calendar.ts';
import { type BankContext, newId } from './context.ts';
import { bankError } from './errors.ts';
import { formatKronor } from './money.ts';
import { sendMessage } from './notifications.ts';
import { isUniqueViolation } from './store/sql.ts';

/** §10.2: "ska kontohavaren stå för högst 400 kr". */
export const SELF_RISK_ORE = 400_00;
/** §10.3: "för närvarande högst 12 000 kr per kort och reklamation". */
export const GROSS_NEGLIGENCE_MAX_ORE = 12_000_00;
/** §10.4, §11.1: "inom 13 månader från det att beloppet belastat kontot". */
export const CLAIM_WINDOW_MONTHS = 13;

// --- The claim window, in Stockholm's calendar --------------------------------------------

/** The first instant a claim on a purchase booked at `bookedAt` is too late (see the module comment). */
export function claimDeadline(bookedAt: number): number {
  const { y, m, d } = stockholmParts(bookedAt);
  const target = new Date(Date.UTC(y, m - 1 + CLAIM_WINDOW_MONTHS, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  const next = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth(), Math.min(d, lastDay) + 1));
  return stockholmMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate());
}

// --- Liability -------------------------------------------------------------------------

export interface LiabilityFacts {
  kind: DisputeKind;
  amount: number;
  createdAt: number;
  /** The card's blocked_at, null when not blocked (or unknown). */
  blockedAt: number | null;
  /** 1 SCA applied, 0 not, null not said. */
  sca: number | null;
}

export interface Liability {
  maxSelfRiskOre: number;
  reason: LiabilityReason;
  section: string;
  grossNegligenceMaxOre?: number;
}

const SECTIONS: Record<LiabilityReason, string> = {
  self_risk: '§10.2',
  after_card_block: '§10.5',
  sca_missing: '§10.6',
  incorrect_execution: '§11.1',
  goods_merchant_first: '§11.2',
};

/** What the holder risks per the card terms (see the module comment). */
export function liabilityFor(f: LiabilityFacts): Liability {
  const at = (reason: LiabilityReason, maxSelfRiskOre: number): Liability => ({ maxSelfRiskOre, reason, section: SECTIONS[reason] });
  if (f.kind === 'goods') return at('goods_merchant_first', f.amount);
  if (f.kind === 'incorrect') return at('incorrect_execution', 0);
  if (f.blockedAt !== null && f.blockedAt < f.createdAt) return at('after_card_block', 0);
  if (f.sca !== 1) return at('sca_missing', 0);
  return { ...at('self_risk', Math.min(SELF_RISK_ORE, f.amount)), grossNegligenceMaxOre: Math.min(GROSS_NEGLIGENCE_MAX_ORE, f.amount) };
}

// --- The store ---------------------------------------------------------------------------

interface DisputeRow {
  id: string;
  transaction_id: string;
  card_id: string | null;
  kind: DisputeKind;
  state: Dispute['state'];
  resolution: Dispute['resolution'];
  description: string | null;
  max_self_risk: number;
  liability_reason: LiabilityReason;
  created_at: number;
  updated_at: number;
  merchant: string;
  amount: number;
  card_state: 'active' | 'blocked' | null;
  police_report_requested_at: number | null;
  police_report_ref: string | null;
  police_report_at: number | null;
  extended_at: number | null;
  repayment_at: number | null;
}

const SELECT_DISPUTE = `SELECT d.id, d.transaction_id, d.card_id, d.kind, d.state, d.resolution, d.description, d.max_self_risk, d.liability_reason,
  d.created_at, d.updated_at, t.merchant, t.amount, c.state AS card_state,
  d.police_report_requested_at, d.police_report_ref, d.police_report_at, d.extended_at, d.repayment_at
  FROM disputes d JOIN transactions t ON t.id = d.transaction_id LEFT JOIN payment_cards c ON c.id = d.card_id`;

function view(r: DisputeRow): Dispute {
  const amount = Number(r.amount);
  const reason = r.liability_reason;
  const offer = r.kind === 'unauthorised' && r.state !== 'resolved' && r.card_id !== null && r.card_state === 'active';
  return {
    id: r.id,
    transactionId: r.transaction_id,
    kind: r.kind,
    state: r.state,
    resolution: r.resolution,
    description: r.description,
    createdAt: iso(Number(r.created_at)),
    updatedAt: iso(Number(r.updated_at)),
    merchant: r.merchant,
    amount,
    liability: {
      maxSelfRiskOre: Number(r.max_self_risk),
      reason,
      section: SECTIONS[reason],
      ...(reason === 'self_risk' ? { grossNegligenceMaxOre: Math.min(GROSS_NEGLIGENCE_MAX_ORE, amount) } : {}),
    },
    ...(offer ? { offerCardBlock: true, cardId: r.card_id! } : {}),
    policeReport:
      r.police_report_requested_at === null ? null : { requestedAt: iso(Number(r.police_report_requested_at)), reference: r.police_report_ref, submittedAt: isoOrNull(r.police_report_at) },
    extendedAt: isoOrNull(r.extended_at),
    repaymentRequiredAt: isoOrNull(r.repayment_at),
  };
}

async function ownDispute(ctx: BankContext, customerId: string | null, id: string): Promise<Dispute> {
  const [row] = await ctx.db.query<DisputeRow>(
    `${SELECT_DISPUTE} WHERE d.id = ?${customerId === null ? '' : ' AND d.customer_id = ?'}`,
    customerId === null ? [id] : [id, customerId],
  );
  if (!row) throw bankError('NOT_FOUND', customerId === null ? `There is no dispute ${id}.` : 'There is no such dispute among yours.');
  return view(row);
}

export interface DisputeInput {
  kind: DisputeKind;
  description?: string | undefined;
}

/** The holder disputes one of their transactions. */
export async function disputeTransaction(ctx: BankContext, customerId: string, transactionId: string, input: DisputeInput): Promise<Dispute> {
  const now = ctx.config.now();
  const [t] = await ctx.db.query<{ id: string; amount: number; decision: string; created_at: number; sca: number | null; card_id: string | null; blocked_at: number | null }>(
    `SELECT t.id, t.amount, t.decision, t.created_at, t.sca, COALESCE(t.card_id, e.card_id) AS card_id, c.blocked_at
     FROM transactions t LEFT JOIN enummers e ON e.id = t.enummer_id LEFT JOIN payment_cards c ON c.id = COALESCE(t.card_id, e.card_id)
     WHERE t.id = ? AND t.customer_id = ?`,
    [transactionId, customerId],
  );
  if (!t) throw bankError('NOT_FOUND', 'There is no such transaction among yours.');
  if (t.decision !== 'approved') throw bankError('TRANSACTION_DECLINED', 'The purchase was declined and never charged: there is nothing to dispute.');
  const deadline = claimDeadline(Number(t.created_at));
  if (now >= deadline) {
    throw bankError('DISPUTE_TOO_LATE', `A purchase can be disputed within 13 months of its booking (card terms §10.4, §11.1); the last day for this one was ${iso(deadline - 1).slice(0, 10)}.`, {
      deadline: iso(deadline),
    });
  }
  const liability = liabilityFor({
    kind: input.kind,
    amount: Number(t.amount),
    createdAt: Number(t.created_at),
    blockedAt: t.blocked_at === null ? null : Number(t.blocked_at),
    sca: t.sca === null ? null : Number(t.sca),
  });
  const id = newId();
  try {
    await ctx.db.run(
      `INSERT INTO disputes (id, customer_id, transaction_id, card_id, kind, state, resolution, description, max_self_risk, liability_reason, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)`,
      [id, customerId, transactionId, t.card_id, input.kind, input.kind === 'goods' ? 'referred_to_merchant' : 'received', input.description?.trim() || null, liability.maxSelfRiskOre, liability.reason, now, now],
    );
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const [existing] = await ctx.db.query<{ id: string; kind: DisputeKind }>(
      `SELECT id, kind FROM disputes WHERE transaction_id = ? AND ${input.kind === 'goods' ? "kind = 'goods'" : "kind <> 'goods'"}`,
      [transactionId],
    );
    // Asking about the goods again answers the same referral; a second claim is refused.
    if (existing && input.kind === 'goods') return ownDispute(ctx, customerId, existing.id);
    throw bankError('ALREADY_DISPUTED', `This purchase is disputed already${existing ? ` (dispute ${existing.id}, ${existing.kind})` : ''}.`, {
      ...(existing ? { disputeId: existing.id } : {}),
      cause: error,
    });
  }
  return ownDispute(ctx, customerId, id);
}

/** The holder's disputes, newest first. */
export async function listDisputes(ctx: BankContext, customerId: string): Promise<Dispute[]> {
  const rows = await ctx.db.query<DisputeRow>(`${SELECT_DISPUTE} WHERE d.customer_id = ? ORDER BY d.created_at DESC, d.id LIMIT 1000`, [customerId]);
  return rows.map(view);
}

export function getDispute(ctx: BankContext, customerId: string, id: string): Promise<Dispute> {
  return ownDispute(ctx, customerId, id);
}

export type DisputeAction = 'investigate' | 'refund' | 'reject' | 'police-report' | 'extend' | 'reclaim';
export const DISPUTE_ACTIONS: readonly DisputeAction[] = ['investigate', 'refund', 'reject', 'police-report', 'extend', 'reclaim'];

const OPEN_CLAIM = "state IN ('received', 'under_investigation')";

/** Each action: the one update it makes (guarded by the claim's state) and what the holder is told. */
/**
 * Each action: what it sets, the time column it stamps (with updated_at), the state it needs,
 * and what the holder is told.
 */
const ACTIONS: Record<DisputeAction, { set?: string; stamp?: 'police_report_requested_at' | 'extended_at' | 'repayment_at'; where: string; doing: string; message?: (merchant: string, amount: string) => { title: { sv: string; en: string }; text: { sv: string; en: string } } }> = {
  investigate: { set: "state = 'under_investigation'", where: "state = 'received'", doing: 'put under investigation' },
  refund: { set: "state = 'resolved', resolution = 'refunded'", where: OPEN_CLAIM, doing: 'refunded' },
  reject: { set: "state = 'resolved', resolution = 'rejected'", where: OPEN_CLAIM, doing: 'rejected' },
  'police-report': {
    stamp: 'police_report_requested_at',
    where: `kind = 'unauthorised' AND ${OPEN_CLAIM}`,
    doing: 'asked for a police report',
    message: (merchant, amount) => ({
      title: { sv: `Banken behöver en polisanmälan för din reklamation (${merchant}, ${amount})`, en: `The bank needs a police report for your claim (${merchant}, ${amount})` },
      text: {
        sv: 'Gör en polisanmälan om det obehöriga köpet och lämna polisens diarienummer i e-kort under Reklamationer (kortvillkor punkt 10.4). Banken utreder vidare när anmälan har kommit in.',
        en: "File a police report about the unauthorised purchase and give the police's report number in e-kort under Claims (card terms §10.4). The bank goes on with its investigation once it has it.",
      },
    }),
  },
  extend: {
    set: "state = 'under_investigation'",
    stamp: 'extended_at',
    where: `kind = 'unauthorised' AND ${OPEN_CLAIM}`,
    doing: 'extended',
    message: (merchant, amount) => ({
      title: { sv: `Utredningen av din reklamation förlängs (${merchant}, ${amount})`, en: `The investigation of your claim is extended (${merchant}, ${amount})` },
      text: {
        sv: 'Banken har anledning att misstänka att köpet var godkänt och förlänger därför utredningen, enligt kortvillkoren punkt 10.7. Banken har underrättat Finansinspektionen. Du får besked när utredningen är klar.',
        en: 'The bank has reason to suspect that the purchase was authorised and therefore extends its investigation, under card terms §10.7. The bank has told Finansinspektionen. You will hear when the investigation is done.',
      },
    }),
  },
  reclaim: {
    stamp: 'repayment_at',
    where: "state = 'resolved' AND resolution = 'refunded'",
    doing: 'reclaimed',
    message: (merchant, amount) => ({
      title: { sv: `Du behöver betala tillbaka ${amount} (${merchant})`, en: `You need to repay ${amount} (${merchant})` },
      text: {
        sv: `Banken betalade tillbaka ${amount} för köpet hos ${merchant}, men har därefter fastställt att köpet inte var obehörigt. Enligt kortvillkoren punkt 10.8 är du återbetalningsskyldig, och banken debiterar ditt konto med beloppet.`,
        en: `The bank refunded ${amount} for the purchase at ${merchant}, but has since found that the purchase was not unauthorised. Under card terms §10.8 you must repay it, and the bank debits your account with the amount.`,
      },
    }),
  },
};

/** The bank moves a claim (see the module comment); the holder is told where the terms say so. */
export async function advanceDispute(ctx: BankContext, id: string, action: DisputeAction): Promise<Dispute> {
  const now = ctx.config.now();
  const step = ACTIONS[action];
  const dispute = await ctx.db.transaction(async (tx) => {
    const set = [step.set, step.stamp && `${step.stamp} = ?`, 'updated_at = ?'].filter(Boolean).join(', ');
    // A stamp is set once: asking again is a conflict, not a new time.
    const where = step.stamp ? `${step.where} AND ${step.stamp} IS NULL` : step.where;
    const changed = await tx.run(`UPDATE disputes SET ${set} WHERE id = ? AND ${where}`, step.stamp ? [now, now, id] : [now, id]);
    const [row] = await tx.query<DisputeRow & { customer_id: string }>(`${SELECT_DISPUTE.replace('SELECT d.id,', 'SELECT d.customer_id, d.id,')} WHERE d.id = ?`, [id]);
    if (!row) throw bankError('NOT_FOUND', `There is no dispute ${id}.`);
    const current = view(row);
    if (changed === 0) {
      const why =
        current.state === 'referred_to_merchant'
          ? 'it is a referral to the merchant, not a claim'
          : `it is ${current.kind} and ${current.state.replace(/_/g, ' ')}${current.resolution ? ` (${current.resolution})` : ''}${current.policeReport && action === 'police-report' ? ', with a police report asked for already' : ''}${current.extendedAt && action === 'extend' ? ', extended already' : ''}${current.repaymentRequiredAt && action === 'reclaim' ? ', reclaimed already' : ''}`;
      throw bankError('STATE_CONFLICT', `Dispute ${id} cannot be ${step.doing}: ${why}.`, { state: current.state });
    }
    if (step.message) await sendMessage(tx, { customerId: row.customer_id, kind: 'dispute', refId: id, ...step.message(current.merchant, formatKronor(current.amount)) }, now);
    return current;
  });
  return dispute;
}

/** The holder gives the police's report number the bank asked for (§10.4). */
export async function submitPoliceReport(ctx: BankContext, customerId: string, id: string, reference: string): Promise<Dispute> {
  const now = ctx.config.now();
  const changed = await ctx.db.run(
    `UPDATE disputes SET police_report_ref = ?, police_report_at = ?, updated_at = ? WHERE id = ? AND customer_id = ? AND police_report_requested_at IS NOT NULL AND ${OPEN_CLAIM}`,
    [reference.trim(), now, now, id, customerId],
  );
  const dispute = await ownDispute(ctx, customerId, id);
  if (changed === 0) throw bankError('STATE_CONFLICT', dispute.policeReport ? 'The claim is resolved; the bank needs no police report now.' : 'The bank has not asked for a police report for this claim.', { state: dispute.state });
  return dispute;
}
