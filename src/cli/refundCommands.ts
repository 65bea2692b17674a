/**
 * `ekort transaction refund`, `ekort refunds` (the holder) and `ekort bank refund-answer` (the
 * bank): refunds of approved purchases whose exact amount was not given (card terms §20).
 */
import { formatKronor, formatMinorUnits, parseMinorUnits, type RefundRequest } from '../bank/index.ts';
import { UsageError, printJson, type CliIo } from './cliContext.ts';
import type { Input } from './commands.ts';
import { withService } from './bankCommands.ts';
import { withHolder } from './holderClient.ts';
import { printTable, stockholmTime } from './textTable.ts';

const expected = (r: RefundRequest): string => (r.currency ? formatMinorUnits(r.expectedAmount, r.currency) : formatKronor(r.expectedAmount));

function printRefund(io: CliIo, r: RefundRequest): void {
  io.out(`Refund request ${r.id}: ${formatKronor(r.amount)} at ${r.merchant}, you expected ${expected(r)}; ${r.state}.`);
  if (r.state === 'received') io.out(`  The bank answers by ${stockholmTime(new Date(Date.parse(r.answerBy) - 1).toISOString())} (ten banking days, card terms §20).`);
  if (r.answerReason) io.out(`  The bank's reasons: ${r.answerReason}`);
}

/** `ekort transaction refund ID --expected AMOUNT [--reason TEXT] [--json]`: AMOUNT in the purchase's currency. */
export async function transactionRefund({ values, positionals }: Input<'transaction refund'>, io: CliIo): Promise<number> {
  if (!values.expected) throw new UsageError('--expected is required: what you could reasonably have expected to pay, e.g. 250,00');
  const amountText = values.expected;
  const transactionId = positionals[0]!;
  const request = await withHolder(values, async ({ client }) => {
    const purchase = (await client.transactions()).find((t) => t.id === transactionId);
    const expectedAmount = parseMinorUnits(amountText, purchase?.currency ?? 'SEK');
    return client.requestRefund(transactionId, { expectedAmount, ...(values.reason === undefined ? {} : { reason: values.reason }) });
  });
  if (values.json) printJson(io, request);
  else printRefund(io, request);
  return 0;
}

/** `ekort refunds [--json]` */
export async function refundsCommand({ values }: Input<'refunds'>, io: CliIo): Promise<number> {
  const list = await withHolder(values, ({ client }) => client.refunds());
  if (values.json) printJson(io, list);
  else if (list.length === 0) io.out('You have asked for no refunds.');
  else
    printTable(
      io,
      ['ASKED', 'ID', 'MERCHANT', 'AMOUNT', 'EXPECTED', 'STATE', 'ANSWER BY'],
      list.map((r) => [stockholmTime(r.createdAt), r.id, r.merchant, formatKronor(r.amount), expected(r), r.state, r.state === 'received' ? stockholmTime(new Date(Date.parse(r.answerBy) - 1).toISOString()) : '-']),
    );
  return 0;
}

/** `ekort bank refund-answer [--db ...] ID refund|refuse [--reason TEXT] [--json]` */
export async function bankRefundAnswer({ values, positionals }: Input<'bank refund-answer'>, io: CliIo): Promise<number> {
  const [id, answer] = positionals as [string, string];
  if (answer !== 'refund' && answer !== 'refuse') throw new UsageError(`the answer is refund or refuse, not "${answer}"`);
  if (answer === 'refuse' && !values.reason) throw new UsageError('a refusal gives its reasons: --reason TEXT (card terms §20)');
  const request = await withService(values.db, (service) => service.answerRefund(id, answer === 'refund' ? { refund: true } : { refund: false, reason: values.reason! }));
  if (values.json) printJson(io, request);
  else printRefund(io, request);
  return 0;
}
