/**
 * `ekort enummer create|list|show|pause|resume|close|unlock|transactions` and `ekort transactions`:
 * the holder's e-nummer. Lists show only the last four digits; the full number, expiry and
 * CVC are shown by `create` (the answer the holder asked for) and `show --reveal` (which
 * needs a login within the last 5 minutes).
 */
import { type Enummer, type EnummerSecret, MAX_PAGE_LIMIT, type Transaction, type TransactionPage } from '../bank/api/schemas.ts';
import { formatKronor, formatMinorUnits, MoneyError, parseKronor } from '../bank/index.ts';
import { EkortError } from '../errors.ts';
import { UsageError, printJson, type CliIo } from './cliContext.ts';
import type { Input } from './commands.ts';
import { type Holder, withHolder } from './holderClient.ts';
import { cardLabel, resolveCard } from './paymentCardCommands.ts';
import { confirm } from './terminalPrompt.ts';
import { daysLeft, groupedPan, masked, printTable, stockholmDate, stockholmTime } from './textTable.ts';

const STATES = ['open', 'paused', 'closed'] as const;

/** An amount option in kronor → öre, more than 0; a usage error otherwise. */
export function kronorOption(name: string, text: string): number {
  let ore: number;
  try {
    ore = parseKronor(text);
  } catch (error) {
    if (error instanceof MoneyError) throw new UsageError(`--${name}: ${error.message}`);
    throw error;
  }
  if (ore === 0) throw new UsageError(`--${name} must be more than 0 kr`);
  return ore;
}

const kindText = (e: Enummer): string => (e.kind === 'single' ? 'single-purchase' : `recurring, ${e.months} ${e.months === 1 ? 'month' : 'months'}`);
const limitText = (e: Enummer): string => (e.limit ? `${formatKronor(e.limit.amount)} per ${e.limit.period}` : 'none (the card’s own limits)');
/** The last day it works (validUntil is the exclusive end, midnight after it, Swedish time). */
const validText = (e: Enummer): string => {
  const date = stockholmDate(new Date(Date.parse(e.validUntil) - 1).toISOString());
  if (e.state === 'closed') return date;
  const days = daysLeft(e.validUntil);
  return `${date} (${days} ${days === 1 ? 'day' : 'days'} left)`;
};
const label = (e: Enummer): string => `e-nummer ${masked(e.last4)} for ${e.merchant}`;

function secretLines(secret: EnummerSecret): string[] {
  return [`  number       ${groupedPan(secret.pan)}`, `  expiry       ${secret.expiry}`, `  CVC          ${secret.cvc}`];
}

/**
 * `ekort enummer create --card LAST4|ID --merchant ID [--recurring [--months N]]
 *  [--limit KR [--limit-per purchase|month]] [--nickname TEXT] [--json]`
 */
export async function enummerCreate({ values }: Input<'enummer create'>, io: CliIo): Promise<number> {
  if (!values.card) throw new UsageError('--card LAST4 is required (ekort payment-card list shows your cards)');
  if (!values.merchant || !values.merchant.trim()) throw new UsageError('--merchant ID is required: the merchant the e-nummer may be used at');
  if (values.months !== undefined && !values.recurring) throw new UsageError('--months goes with --recurring (a single-purchase e-nummer is valid one month)');
  if (values.months !== undefined && (!/^\d{1,2}$/.test(values.months) || Number(values.months) < 1 || Number(values.months) > 24)) {
    throw new UsageError(`--months must be 1 to 24, not "${values.months}"`);
  }
  if (values['limit-per'] !== undefined && values.limit === undefined) throw new UsageError('--limit-per goes with --limit KR');
  const period = values['limit-per'] ?? 'purchase';
  if (period !== 'purchase' && period !== 'month') throw new UsageError('--limit-per must be purchase or month');
  const limit = values.limit === undefined ? undefined : { amount: kronorOption('limit', values.limit), period: period as 'purchase' | 'month' };
  const cardRef = values.card;
  const merchant = values.merchant;

  const { created, card } = await withHolder(values, async ({ client }) => {
    const card = await resolveCard(client, cardRef);
    const created = await client.createEnummer({
      cardId: card.id,
      merchant,
      recurring: values.recurring ?? false,
      ...(values.months === undefined ? {} : { months: Number(values.months) }),
      ...(limit ? { limit } : {}),
      ...(values.nickname === undefined ? {} : { nickname: values.nickname }),
    });
    return { created, card };
  });
  const e = created.enummer;
  if (values.json) printJson(io, created);
  else {
    io.out(`Created a ${kindText(e)} e-nummer for ${e.merchant} on ${cardLabel(card)}:`);
    for (const line of secretLines(created.secret)) io.out(line);
    io.out(`  valid thru   ${validText(e)}`);
    io.out(`  limit        ${limitText(e)}`);
    if (e.nickname) io.out(`  nickname     ${e.nickname}`);
    io.out(`  id           ${e.id}`);
  }
  return 0;
}

/** `ekort enummer list [--state open|paused|closed] [--json]` */
export async function enummerList({ values }: Input<'enummer list'>, io: CliIo): Promise<number> {
  const state = values.state;
  if (state !== undefined && !(STATES as readonly string[]).includes(state)) throw new UsageError('--state must be open, paused or closed');
  const list = await withHolder(values, ({ client }) => client.enummers(state === undefined ? {} : { state: state as Enummer['state'] }));
  if (values.json) printJson(io, list);
  else if (list.length === 0) io.out(state ? `You have no ${state} e-nummer.` : 'You have no e-nummer.');
  else
    printTable(
      io,
      ['ID', 'NUMBER', 'MERCHANT', 'KIND', 'VALID THRU', 'STATE', 'CLOSE REASON'],
      list.map((e) => [e.id, masked(e.last4), e.merchant, e.kind, validText(e), e.lock ? `${e.state}, locked` : e.state, e.closeReason ?? '-']),
    );
  return 0;
}

/** `ekort enummer show ID [--reveal] [--json]` */
export async function enummerShow({ values, positionals }: Input<'enummer show'>, io: CliIo): Promise<number> {
  const id = positionals[0]!;
  const { enummer: e, secret } = await withHolder(values, async ({ client }) => ({
    enummer: await client.enummer(id),
    secret: values.reveal ? await client.revealEnummer(id) : undefined,
  }));
  if (values.json) printJson(io, secret ? { enummer: e, secret } : { enummer: e });
  else {
    io.out(`${label(e)} (${e.id})`);
    io.out(`  kind         ${kindText(e)}`);
    io.out(`  card         ${masked(e.cardLast4)}`);
    if (e.nickname) io.out(`  nickname     ${e.nickname}`);
    io.out(`  limit        ${limitText(e)}`);
    io.out(`  valid thru   ${validText(e)}`);
    io.out(`  state        ${e.state}${e.closeReason ? ` (${e.closeReason.replace(/_/g, ' ')})` : ''}`);
    if (e.lockedTo) io.out(`  locked to    ${e.lockedTo.descriptor} (merchant id ${e.lockedTo.merchantId}), the first merchant that used it`);
    if (e.lock) io.out(`  locked       ${LOCK_TEXT}, since ${stockholmTime(e.lock.lockedAt)} (ekort enummer unlock ${e.id})`);
    io.out(`  created      ${stockholmTime(e.createdAt)}`);
    if (secret) for (const line of secretLines(secret)) io.out(line);
    else io.out('  (ekort enummer show ID --reveal shows the full number, expiry and CVC)');
  }
  return 0;
}

const LOCK_TEXT = 'after too many wrong CVCs or expiry dates: every purchase is declined';

function changeCommand(action: 'pause' | 'resume' | 'close' | 'unlock', done: string) {
  return async ({ values, positionals }: Input<'enummer close'>, io: CliIo): Promise<number> => {
    const id = positionals[0]!;
    const e = await withHolder(values, async ({ client }) => {
      if (action === 'close' && !values.yes) {
        const current = await client.enummer(id);
        const yes = await confirm(`Close ${label(current)}? It cannot be opened again.`, 'pass --yes to close without asking');
        if (!yes) throw new EkortError('CANCELLED', 'Not closed.');
      }
      return client.changeEnummer(id, action);
    });
    if (values.json) printJson(io, e);
    else io.out(`${done} ${label(e)}; it is ${e.state} now.`);
    return 0;
  };
}

/** `ekort enummer pause ID [--json]`, `resume ID [--json]`, `close ID [--yes] [--json]` */
export const enummerPause = changeCommand('pause', 'Paused');
export const enummerResume = changeCommand('resume', 'Resumed');
export const enummerClose = changeCommand('close', 'Closed');
/** `ekort enummer unlock ID [--json]`: lifts the lock after too many wrong CVCs. */
export const enummerUnlock = changeCommand('unlock', 'Unlocked');

/** A purchase in another currency: "12,50 EUR at 11.2345, fee 2,32 kr" (both amounts and the fee, §17). */
const foreignText = (t: Transaction): string =>
  t.currency === undefined || t.originalAmount === undefined ? '' : `${formatMinorUnits(t.originalAmount, t.currency)}${t.rate === undefined ? '' : ` at ${t.rate}`}${t.fee === undefined ? '' : `, fee ${formatKronor(t.fee)}`}`;

function printTransactions(io: CliIo, list: Transaction[], json: boolean | undefined): void {
  if (json) return printJson(io, list);
  if (list.length === 0) return io.out('No purchases yet.');
  const amounts = list.map((t) => formatKronor(t.amount));
  const width = Math.max(...amounts.map((a) => a.length));
  const foreign = list.some((t) => t.currency !== undefined);
  printTable(
    io,
    ['TIME', 'ID', 'NUMBER', 'MERCHANT', 'AMOUNT'.padStart(width), ...(foreign ? ['CURRENCY'] : []), 'RESULT'],
    list.map((t, i) => [
      stockholmTime(t.createdAt),
      t.id,
      masked(t.last4),
      t.merchant,
      amounts[i]!.padStart(width),
      ...(foreign ? [foreignText(t) || '-'] : []),
      t.decision === 'approved' ? 'approved' : `declined ${t.declineCode ?? ''}`.trim(),
    ]),
  );
}

interface PageValues {
  limit?: string | undefined;
  cursor?: string | undefined;
  all?: boolean | undefined;
  json?: boolean | undefined;
}

/** --limit N (1 to 1000), --cursor C, or --all (every page); usage errors for the rest. */
function pageRequest(values: PageValues): { limit?: number; cursor?: string } {
  if (values.all && (values.limit !== undefined || values.cursor !== undefined)) throw new UsageError('--all fetches every page: give it without --limit and --cursor');
  let limit: number | undefined;
  if (values.limit !== undefined) {
    if (!/^[0-9]{1,4}$/.test(values.limit) || Number(values.limit) < 1 || Number(values.limit) > MAX_PAGE_LIMIT) throw new UsageError(`--limit must be 1 to ${MAX_PAGE_LIMIT}`);
    limit = Number(values.limit);
  }
  if (values.cursor !== undefined && values.cursor === '') throw new UsageError('--cursor needs the cursor the last page printed');
  return { ...(limit === undefined ? {} : { limit }), ...(values.cursor === undefined ? {} : { cursor: values.cursor }) };
}

/**
 * One page (the service's default of 100, or --limit), or every page with --all. Text: the
 * table, then how to ask for the next page; --json: {items, nextCursor}. No row is left out
 * without saying so.
 */
async function listTransactions(io: CliIo, values: PageValues & { server?: string | undefined; session?: string | undefined }, enummerId: string | undefined, again: string): Promise<number> {
  const request = pageRequest(values);
  const page: TransactionPage = await withHolder(values, async ({ client }: Holder) => {
    if (values.all) return { items: enummerId === undefined ? await client.transactions() : await client.enummerTransactions(enummerId), nextCursor: null };
    return client.transactionPage({ ...(enummerId === undefined ? {} : { enummerId }), ...request });
  });
  if (values.json) {
    printJson(io, page);
    return 0;
  }
  printTransactions(io, page.items, false);
  if (page.nextCursor !== null) {
    io.out(`More purchases: ${again}${values.limit === undefined ? '' : ` --limit ${values.limit}`} --cursor ${page.nextCursor} (or --all for every one)`);
  }
  return 0;
}

/** `ekort enummer transactions ID [--limit N] [--cursor C | --all] [--json]`: the purchases tried with one e-nummer. */
export async function enummerTransactions({ values, positionals }: Input<'enummer transactions'>, io: CliIo): Promise<number> {
  const id = positionals[0]!;
  return listTransactions(io, values, id, `ekort enummer transactions ${id}`);
}

/** `ekort transactions [--limit N] [--cursor C | --all] [--json]`: every purchase tried with the holder's e-nummer. */
export async function transactionsCommand({ values }: Input<'transactions'>, io: CliIo): Promise<number> {
  return listTransactions(io, values, undefined, 'ekort transactions');
}
