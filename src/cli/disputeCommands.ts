/**
 * `ekort transaction dispute`, `ekort disputes`, `ekort notifications` (the holder, through the
 * API) and `ekort bank dispute-resolve` (the bank, on the store): disputes of card purchases
 * after the card terms §10-11, and the holder's messages (the currency conversion notice, §17).
 */
import type { Dispute, DisputeKind, Notification } from '../bank/api/schemas.ts';
import { DISPUTE_ACTIONS, type DisputeAction, formatKronor } from '../bank/index.ts';
import { UsageError, printJson, type CliIo } from './cliContext.ts';
import type { Input } from './commands.ts';
import { withService } from './bankCommands.ts';
import { withHolder } from './holderClient.ts';
import { printTable, stockholmTime } from './textTable.ts';

const KINDS: readonly DisputeKind[] = ['unauthorised', 'incorrect', 'goods'];

const REASONS: Record<Dispute['liability']['reason'], string> = {
  self_risk: 'at most the self-risk (card terms §10.2)',
  after_card_block: 'nothing: the purchase came after the card was blocked (§10.5)',
  sca_missing: 'nothing: strong customer authentication was not used (§10.6)',
  incorrect_execution: 'nothing: the bank corrects a wrongly carried out transaction (§11.1)',
  goods_merchant_first: 'the purchase stands: take it up with the merchant first (§11.2)',
};

/** The state, with what the bank asked or decided along the way (§10.4, §10.7, §10.8). */
function stateText(d: Dispute): string {
  const base = d.state === 'resolved' ? `resolved (${d.resolution})` : d.state.replace(/_/g, ' ');
  const notes = [
    d.policeReport ? (d.policeReport.reference ? `police report ${d.policeReport.reference}` : 'police report asked for') : null,
    d.extendedAt ? 'extended' : null,
    d.repaymentRequiredAt ? 'to be repaid' : null,
  ].filter(Boolean);
  return notes.length ? `${base}; ${notes.join(', ')}` : base;
}

export function printDispute(io: CliIo, d: Dispute): void {
  io.out(`${d.kind === 'goods' ? 'Referral' : 'Dispute'} ${d.id}: ${d.kind} — ${formatKronor(d.amount)} at ${d.merchant}; ${stateText(d)}.`);
  if (d.kind === 'goods') {
    io.out('  A problem with goods or a service is taken up with the merchant first (card terms §11.2); the bank is not obliged to act,');
    io.out('  but may help: keep what you and the merchant wrote to each other.');
    return;
  }
  io.out(`  You risk ${REASONS[d.liability.reason]}: ${formatKronor(d.liability.maxSelfRiskOre)}.`);
  if (d.liability.grossNegligenceMaxOre !== undefined && d.liability.grossNegligenceMaxOre <= d.liability.maxSelfRiskOre) {
    io.out('  That is the whole amount, no more than the 400 kr self-risk: it is the most you risk, grossly negligent or not (§10.2, §10.3).');
  } else if (d.liability.grossNegligenceMaxOre !== undefined) {
    io.out(`  Only if the purchase could be made through gross negligence more: at most ${formatKronor(d.liability.grossNegligenceMaxOre)} (§10.3).`);
  }
}

/** `ekort transaction dispute ID --kind unauthorised|incorrect|goods [--description TEXT] [--block-card] [--json]` */
export async function transactionDispute({ values, positionals }: Input<'transaction dispute'>, io: CliIo): Promise<number> {
  const kind = values.kind as DisputeKind | undefined;
  if (kind === undefined || !KINDS.includes(kind)) throw new UsageError('--kind must be unauthorised (not made by you), incorrect (wrong amount, duplicate) or goods');
  if (values['block-card'] && kind !== 'unauthorised') throw new UsageError('--block-card goes with --kind unauthorised');
  const transactionId = positionals[0]!;
  const { dispute, blocked } = await withHolder(values, async ({ client }) => {
    const dispute = await client.disputeTransaction(transactionId, { kind, ...(values.description === undefined ? {} : { description: values.description }) });
    const blocked = values['block-card'] && dispute.offerCardBlock && dispute.cardId ? await client.blockCard(dispute.cardId) : undefined;
    return { dispute, blocked };
  });
  if (values.json) printJson(io, blocked ? { ...dispute, blockedCard: blocked } : dispute);
  else {
    printDispute(io, dispute);
    if (blocked) io.out(`  The card •••• ${blocked.last4} is blocked now; its e-nummer are closed.`);
    else if (dispute.offerCardBlock) io.out(`  Not yours? Block the card: ekort payment-card block ${dispute.cardId} (or dispute with --block-card).`);
  }
  return 0;
}

/** `ekort disputes [--json]` */
export async function disputesCommand({ values }: Input<'disputes'>, io: CliIo): Promise<number> {
  const list = await withHolder(values, ({ client }) => client.disputes());
  if (values.json) printJson(io, list);
  else if (list.length === 0) io.out('You have no disputes.');
  else
    printTable(
      io,
      ['CREATED', 'ID', 'KIND', 'MERCHANT', 'AMOUNT', 'STATE', 'YOU RISK AT MOST'],
      list.map((d) => [stockholmTime(d.createdAt), d.id, d.kind, d.merchant, formatKronor(d.amount), stateText(d), d.kind === 'goods' ? '-' : formatKronor(d.liability.maxSelfRiskOre)]),
    );
  return 0;
}

/** `ekort dispute police-report ID --reference NUMBER [--json]`: the police's report number the bank asked for (§10.4). */
export async function disputePoliceReport({ values, positionals }: Input<'dispute police-report'>, io: CliIo): Promise<number> {
  if (!values.reference) throw new UsageError("--reference is required: the police's report number");
  const reference = values.reference;
  const d = await withHolder(values, ({ client }) => client.submitPoliceReport(positionals[0]!, reference));
  if (values.json) printJson(io, d);
  else io.out(`Police report ${reference} given for dispute ${d.id} (${formatKronor(d.amount)} at ${d.merchant}); the bank goes on with its investigation.`);
  return 0;
}

/** `ekort preferences [--currency-notices on|off] [--json]`: the §17 currency conversion message on or off. */
export async function preferencesCommand({ values }: Input<'preferences'>, io: CliIo): Promise<number> {
  const wanted = values['currency-notices'];
  if (wanted !== undefined && wanted !== 'on' && wanted !== 'off') throw new UsageError('--currency-notices is on or off');
  const prefs = await withHolder(values, ({ client }) => (wanted === undefined ? client.preferences() : client.setPreferences({ currencyNotices: wanted === 'on' })));
  if (values.json) printJson(io, prefs);
  else io.out(`The message about the currency conversion charge (card terms §17) is ${prefs.currencyNotices ? 'on' : 'off'}.`);
  return 0;
}

/** `ekort notifications [--json]` */
export async function notificationsCommand({ values }: Input<'notifications'>, io: CliIo): Promise<number> {
  const list: Notification[] = await withHolder(values, ({ client }) => client.notifications());
  if (values.json) printJson(io, list);
  else if (list.length === 0) io.out('You have no messages from the bank.');
  else for (const n of list) io.out(`${stockholmTime(n.createdAt)}  ${values.english ? n.title.en : n.title.sv}\n  ${values.english ? n.text.en : n.text.sv}`);
  return 0;
}

/** `ekort bank dispute-resolve [--db ...] ID investigate|refund|reject [--json]`: the bank moves a claim. */
export async function bankDisputeResolve({ values, positionals }: Input<'bank dispute-resolve'>, io: CliIo): Promise<number> {
  const [id, action] = positionals as [string, string];
  if (!(DISPUTE_ACTIONS as readonly string[]).includes(action)) throw new UsageError(`the action is one of ${DISPUTE_ACTIONS.join(', ')}, not "${action}"`);
  const dispute = await withService(values.db, (service) => service.advanceDispute(id, action as DisputeAction));
  if (values.json) printJson(io, dispute);
  else io.out(`Dispute ${dispute.id} (${dispute.kind}, ${formatKronor(dispute.amount)} at ${dispute.merchant}) is ${stateText(dispute)} now.`);
  return 0;
}
