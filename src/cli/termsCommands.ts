/**
 * `ekort terms show|accept|end`: the e-kort terms as the holder sees them, with a change the
 * bank has announced (card terms §21: two months ahead); accepting that change now; ending
 * e-kort (every card disconnected, every e-nummer closed).
 */
import type { Terms } from '../bank/api/schemas.ts';
import { EkortError } from '../errors.ts';
import { printJson, type CliIo } from './cliContext.ts';
import type { Input } from './commands.ts';
import { withHolder } from './holderClient.ts';
import { confirm } from './terminalPrompt.ts';
import { stockholmTime } from './textTable.ts';

function printTerms(io: CliIo, terms: Terms): void {
  io.out(`${terms.title} (version ${terms.version}${terms.effectiveFrom ? `, in effect since ${stockholmTime(terms.effectiveFrom)}` : ''})\n\n${terms.text}`);
  const next = terms.upcoming;
  if (next) {
    io.out(`\nNew terms, version ${next.version}, take effect ${stockholmTime(next.effectiveFrom)} (announced ${stockholmTime(next.announcedAt)}).`);
    io.out('Accept them now (ekort terms accept VERSION) or end e-kort before then (ekort terms end); unless you end it, they apply from that day.\n');
    io.out(`${next.title}\n\n${next.text}`);
  }
}

/** `ekort terms show [--json]`: the terms in effect, and an announced change. */
export async function termsShow({ values }: Input<'terms show'>, io: CliIo): Promise<number> {
  const terms = await withHolder(values, ({ client }) => client.terms());
  if (values.json) printJson(io, terms);
  else printTerms(io, terms);
  return 0;
}

/** `ekort terms accept VERSION [--json]`: accept the announced change now, for every connected card. */
export async function termsAccept({ values, positionals }: Input<'terms accept'>, io: CliIo): Promise<number> {
  const version = positionals[0]!;
  await withHolder(values, ({ client }) => client.acceptTerms(version));
  if (values.json) printJson(io, { accepted: version });
  else io.out(`Accepted the e-kort terms version ${version} for your connected cards.`);
  return 0;
}

/** `ekort terms end [--yes] [--json]`: end e-kort; every card disconnected, every e-nummer closed. */
export async function termsEnd({ values }: Input<'terms end'>, io: CliIo): Promise<number> {
  const ended = await withHolder(values, async ({ client }) => {
    if (!values.yes) {
      const yes = await confirm('End e-kort? Every card is disconnected and every e-nummer stops working at once.', 'pass --yes to end e-kort without asking');
      if (!yes) throw new EkortError('CANCELLED', 'e-kort was not ended.');
    }
    return client.endAgreement();
  });
  if (values.json) printJson(io, ended);
  else io.out(`e-kort is ended: ${ended.cards} card(s) disconnected, ${ended.enummers} e-nummer closed. Connect a card again to start anew.`);
  return 0;
}
