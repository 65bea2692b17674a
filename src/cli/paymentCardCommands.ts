/**
 * `ekort payment-card list|connect|block`: the holder's payment cards, as the service shows
 * them (last four digits only). A card is named by its last four digits or its id.
 */
import { type BankClient, stockholmMonth } from '../bank/index.ts';
import type { PaymentCard } from '../bank/api/schemas.ts';
import { EkortError } from '../errors.ts';
import { printJson, type CliIo } from './cliContext.ts';
import type { Input } from './commands.ts';
import { withHolder } from './holderClient.ts';
import { confirm } from './terminalPrompt.ts';
import { masked, printTable } from './textTable.ts';

export const cardLabel = (card: PaymentCard): string => `${card.product} ${masked(card.last4)}`;

/** The month printed on the card, MM/YY, from the end of its validity (exclusive, Stockholm). */
function validThru(expiresAt: string): string {
  const [year, month] = stockholmMonth(Date.parse(expiresAt) - 1).split('-');
  return `${month}/${year!.slice(2)}`;
}

/** The card `ref` names (4 digits: its last four; else its id): NOT_FOUND or CARD_AMBIGUOUS otherwise. */
export function findCard(cards: PaymentCard[], ref: string): PaymentCard {
  const byLast4 = /^\d{4}$/.test(ref);
  const matches = cards.filter((c) => (byLast4 ? c.last4 === ref : c.id === ref));
  if (matches.length === 0) {
    throw new EkortError('NOT_FOUND', `You have no payment card ${byLast4 ? masked(ref) : `with id ${ref}`} (ekort payment-card list shows yours).`);
  }
  if (matches.length > 1) {
    throw new EkortError('CARD_AMBIGUOUS', `${matches.length} of your cards end in ${ref}: give the card's id instead (ekort payment-card list shows them).`);
  }
  return matches[0]!;
}

export async function resolveCard(client: BankClient, ref: string): Promise<PaymentCard> {
  return findCard(await client.cards(), ref);
}

function oneCardRef(positionals: string[]): string {
  return positionals[0]!;
}

/** `ekort payment-card list [--json]` */
export async function paymentCardList({ values }: Input<'payment-card list'>, io: CliIo): Promise<number> {
  const cards = await withHolder(values, ({ client }) => client.cards());
  if (values.json) printJson(io, cards);
  else if (cards.length === 0) io.out('You have no payment cards.');
  else
    printTable(
      io,
      ['CARD', 'PRODUCT', 'STATE', 'CONNECTED', 'VALID THRU', 'ID'],
      cards.map((c) => [masked(c.last4), c.product, c.expired ? `${c.state}, expired` : c.state, c.connected ? 'yes' : 'no', c.expiresAt ? validThru(c.expiresAt) : '-', c.id]),
    );
  return 0;
}

/** `ekort payment-card connect LAST4|ID [--accept-terms] [--json]`: connects a card to e-kort after its terms. */
export async function paymentCardConnect({ values, positionals }: Input<'payment-card connect'>, io: CliIo): Promise<number> {
  const ref = oneCardRef(positionals);
  const card = await withHolder(values, async ({ client }) => {
    const found = await resolveCard(client, ref);
    const terms = await client.terms();
    if (values['accept-terms']) io.err(`Accepting "${terms.title}" (version ${terms.version}) for ${cardLabel(found)}.`);
    else {
      io.err(`${terms.title} (version ${terms.version})\n\n${terms.text}\n`);
      const yes = await confirm(`Accept the terms? Connects ${cardLabel(found)} to e-kort.`, 'pass --accept-terms once you have read them (ekort payment-card connect shows them on a terminal)');
      if (!yes) throw new EkortError('CANCELLED', `Not connected: the terms were not accepted.`);
    }
    return client.connectCard(found.id, terms.version);
  });
  if (values.json) printJson(io, card);
  else io.out(`Connected ${cardLabel(card)} to e-kort (terms version ${card.termsVersion ?? '?'} accepted).`);
  return 0;
}

/** `ekort payment-card block LAST4|ID [--yes] [--json]`: spärra the card now; its e-nummer close. */
export async function paymentCardBlock({ values, positionals }: Input<'payment-card block'>, io: CliIo): Promise<number> {
  const ref = oneCardRef(positionals);
  const card = await withHolder(values, async ({ client }) => {
    const found = await resolveCard(client, ref);
    if (!values.yes) {
      const yes = await confirm(`Block ${cardLabel(found)}? It takes effect at once: no more purchases, and its e-nummer close.`, 'pass --yes to block without asking');
      if (!yes) throw new EkortError('CANCELLED', 'Not blocked.');
    }
    return client.blockCard(found.id);
  });
  if (values.json) printJson(io, { ...card, effective: 'immediately' });
  else io.out(`Blocked ${cardLabel(card)}, effective at once: no purchases go through and its e-nummer are closed.`);
  return 0;
}
