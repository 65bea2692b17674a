/**
 * Cards blocked for the holder by someone other than the holder in the app:
 * - the bank, for one of the reasons of card terms §9, and it tells the customer (§9: "Du
 *   kommer att informeras … via telefon eller på annat lämpligt sätt");
 * - Spärrservice (§8: "Spärrservice är öppen dygnet runt"), on a call to the telephone
 *   service before any identification: the caller names the card by personnummer and its
 *   last four digits.
 * Either way the card and every e-nummer on it stop at once, as when the holder blocks it,
 * and the customer gets an SMS (to the number the bank knows) and a message in the app.
 */
import type { PaymentCard } from './api/schemas.ts';
import { stockholmTime } from './calendar.ts';
import type { BankContext } from './context.ts';
import { blockCard } from './customers.ts';
import { bankError } from './errors.ts';
import { sendMessage } from './notifications.ts';
import type { SmsGateway } from './phone/sms.ts';

/** Spärrservice, open around the clock (§8); the number the app and the SMS give. */
export const SPARRSERVICE_NUMBER = '00-000 00 00';

/** §9 a) to e). */
export const BANK_BLOCK_REASONS = {
  security: 'säker användning av kortet kan äventyras, till exempel av tekniska skäl',
  fraud_suspected: 'misstanke om icke godkänd eller bedräglig användning av kortet',
  customer_due_diligence: 'kundkännedom enligt penningtvättslagen kan inte uppnås eller vidmakthållas',
  credit_risk: 'väsentligt ökad risk att betalningsansvaret inte kan fullgöras',
  agreement_ended: 'avtalet har upphört att gälla',
} as const;

const BANK_BLOCK_REASONS_EN: Record<BankBlockReason, string> = {
  security: 'the safe use of the card may be at risk, for example for technical reasons',
  fraud_suspected: 'unauthorised or fraudulent use of the card is suspected',
  customer_due_diligence: 'the customer due diligence of the anti-money-laundering act cannot be achieved or kept',
  credit_risk: 'the risk that the payment liability cannot be met has grown considerably',
  agreement_ended: 'the agreement has ended',
};

export type BankBlockReason = keyof typeof BANK_BLOCK_REASONS;

export const isBankBlockReason = (s: string): s is BankBlockReason => Object.hasOwn(BANK_BLOCK_REASONS, s);

/** The SMS the customer gets (Swedish, as the bank's messages are). */
export function bankBlockSms(last4: string, reason: BankBlockReason): string {
  return `Banken har spärrat ditt kort som slutar på ${last4} (kortvillkor punkt 9): ${BANK_BLOCK_REASONS[reason]}. Kortets e-nummer fungerar inte längre. Frågor? Ring banken.`;
}

/** The SMS after a block through Spärrservice: if the holder did not call, they learn of it at once. */
export function sparrserviceSms(last4: string, at: string): string {
  return `Ditt kort som slutar på ${last4} spärrades den ${at} genom ett samtal till Spärrservice. Kortets e-nummer fungerar inte längre. Var det inte du som ringde? Ring Spärrservice, ${SPARRSERVICE_NUMBER}, dygnet runt.`;
}

interface CardOwner {
  customer_id: string;
  last4: string;
  phone: string | null;
}

async function cardOwner(ctx: BankContext, cardId: string): Promise<CardOwner> {
  const [row] = await ctx.db.query<CardOwner>('SELECT c.customer_id, c.last4, p.phone FROM payment_cards c LEFT JOIN phone_credentials p ON p.customer_id = c.customer_id WHERE c.id = ?', [cardId]);
  if (!row) throw bankError('NOT_FOUND', 'There is no such payment card.');
  return row;
}

/** The bank blocks a card for a reason of §9: SMS and message to the customer. */
export async function bankBlockCard(ctx: BankContext, sms: SmsGateway, cardId: string, reason: BankBlockReason): Promise<{ card: PaymentCard; smsTo: string | null }> {
  const owner = await cardOwner(ctx, cardId);
  const card = await blockCard(ctx, owner.customer_id, cardId);
  await sendMessage(
    ctx.db,
    {
      customerId: owner.customer_id,
      kind: 'card_blocked',
      refId: cardId,
      title: { sv: `Banken har spärrat ditt kort som slutar på ${owner.last4}`, en: `The bank has blocked your card ending ${owner.last4}` },
      text: {
        sv: `Banken har spärrat kortet enligt kortvillkoren punkt 9: ${BANK_BLOCK_REASONS[reason]}. Kortets e-nummer fungerar inte längre. Kontakta banken om du har frågor eller vill att kortet öppnas igen när skälet inte längre finns.`,
        en: `The bank has blocked the card under card terms §9: ${BANK_BLOCK_REASONS_EN[reason]}. Its e-nummer no longer work. Contact the bank with questions, or to have the card opened again once the reason is gone.`,
      },
    },
    ctx.config.now(),
  );
  if (owner.phone) await sms.send({ to: owner.phone, text: bankBlockSms(owner.last4, reason), customerId: owner.customer_id });
  return { card, smsTo: owner.phone };
}

/** The cards Spärrservice can block for a caller: the customer's cards not yet blocked, by personnummer and last four digits. */
export async function findCardToBlock(ctx: BankContext, personnummer: string, last4: string): Promise<{ customerId: string; cardId: string } | null> {
  const rows = await ctx.db.query<{ customer_id: string; id: string }>(
    `SELECT c.customer_id, c.id FROM payment_cards c JOIN customers u ON u.id = c.customer_id
     WHERE u.personnummer = ? AND c.last4 = ? AND c.state <> 'blocked' ORDER BY c.created_at LIMIT 2`,
    [personnummer, last4],
  );
  // Two cards with the same last four digits: both are blocked, one at a time, the oldest first.
  const row = rows[0];
  return row ? { customerId: row.customer_id, cardId: row.id } : null;
}

/** Spärrservice blocks the card the caller named: at once, with an SMS and a message that say when. */
export async function sparrserviceBlockCard(ctx: BankContext, sms: SmsGateway, customerId: string, cardId: string): Promise<{ card: PaymentCard; smsTo: string | null }> {
  const owner = await cardOwner(ctx, cardId);
  if (owner.customer_id !== customerId) throw bankError('NOT_FOUND', 'There is no such payment card.');
  const card = await blockCard(ctx, customerId, cardId);
  const now = ctx.config.now();
  const at = stockholmTime(now);
  await sendMessage(
    ctx.db,
    {
      customerId,
      kind: 'card_blocked',
      refId: cardId,
      title: { sv: `Ditt kort som slutar på ${owner.last4} är spärrat`, en: `Your card ending ${owner.last4} is blocked` },
      text: {
        sv: `Kortet spärrades den ${at} genom ett samtal till Spärrservice. Kortets e-nummer fungerar inte längre. Var det inte du som ringde? Ring Spärrservice, ${SPARRSERVICE_NUMBER}, dygnet runt.`,
        en: `The card was blocked at ${at} through a call to Spärrservice. Its e-nummer no longer work. If you did not call, ring Spärrservice, ${SPARRSERVICE_NUMBER}, around the clock.`,
      },
    },
    now,
  );
  if (owner.phone) await sms.send({ to: owner.phone, text: sparrserviceSms(owner.last4, at), customerId });
  return { card, smsTo: owner.phone };
}
