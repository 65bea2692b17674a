/**
 * The bank blocks a card (card terms §9) for one of the reasons the terms give, and tells the
 * customer (§9: "Du kommer att informeras … via telefon eller på annat lämpligt sätt"): an SMS to
 * the number the bank knows. The card and every e-nummer on it stop at once, as when the holder
 * blocks it.
 */
import { type BankContext } from './context.ts';
import { blockCard } from './customers.ts';
import { bankError } from './errors.ts';
import type { PaymentCard } from './api/schemas.ts';
import type { SmsGateway } from './phone/sms.ts';

/** §9 a) to e). */
export const BANK_BLOCK_REASONS = {
  security: 'säker användning av kortet kan äventyras, till exempel av tekniska skäl',
  fraud_suspected: 'misstanke om icke godkänd eller bedräglig användning av kortet',
  customer_due_diligence: 'kundkännedom enligt penningtvättslagen kan inte uppnås eller vidmakthållas',
  credit_risk: 'väsentligt ökad risk att betalningsansvaret inte kan fullgöras',
  agreement_ended: 'avtalet har upphört att gälla',
} as const;

export type BankBlockReason = keyof typeof BANK_BLOCK_REASONS;

export const isBankBlockReason = (s: string): s is BankBlockReason => Object.hasOwn(BANK_BLOCK_REASONS, s);

/** The SMS the customer gets (Swedish, as the bank's messages are). */
export function bankBlockSms(last4: string, reason: BankBlockReason): string {
  return `Banken har spärrat ditt kort som slutar på ${last4} (kortvillkor punkt 9): ${BANK_BLOCK_REASONS[reason]}. Kortets e-nummer fungerar inte längre. Frågor? Ring banken.`;
}

export async function bankBlockCard(ctx: BankContext, sms: SmsGateway, cardId: string, reason: BankBlockReason): Promise<{ card: PaymentCard; smsTo: string | null }> {
  const [row] = await ctx.db.query<{ customer_id: string; last4: string; phone: string | null }>(
    'SELECT c.customer_id, c.last4, p.phone FROM payment_cards c LEFT JOIN phone_credentials p ON p.customer_id = c.customer_id WHERE c.id = ?',
    [cardId],
  );
  if (!row) throw bankError('NOT_FOUND', 'There is no such payment card.');
  const card = await blockCard(ctx, row.customer_id, cardId);
  if (row.phone) await sms.send({ to: row.phone, text: bankBlockSms(row.last4, reason), customerId: row.customer_id });
  return { card, smsTo: row.phone };
}
