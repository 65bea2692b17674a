/**
 * Messages to the holder ("Meddelanden"): the bank's letters (a blocked card, a change of
 * terms, news of a claim or a refund request; `sendMessage`) and the currency conversion
 * notice of card terms §17
 * ("Om du initierar ett kortköp i annan EES-valuta än svenska kronor ... skickar banken
 * information till dig om valutaväxlingsavgifter genom ett elektroniskt meddelande"), the
 * message of EU regulation 2019/518: the total currency conversion charge as a percentage
 * markup over the reference rate.
 *
 * Decisions:
 * - Once per customer, currency and Stockholm calendar month (a unique key in the store):
 *   the terms do not say how often; the regulation asks for the message once in each month
 *   in which a payment order in that currency is received, which is what this does.
 * - Also for a purchase that is declined after conversion: §17 "Om du har initierat en
 *   transaktion som av olika skäl inte fullföljs ... kan banken ändå komma att skicka ut den
 *   elektroniska notifieringen".
 * - The markup is stated over the ECB's euro reference rate when the rates file carries it
 *   (as the regulation asks); otherwise over the bank's own reference rate (the 1.65 %).
 * - §17 lets the holder turn these messages off (`POST /v1/preferences`); they are on by default.
 */
import type { Notification } from './api/schemas.ts';
import { iso, stockholmMonth } from './calendar.ts';
import { type BankContext, newId } from './context.ts';
import { type Conversion, isEeaCurrency, MARKUP_PERCENT } from './currency.ts';
import type { SqlExecutor } from './store/sql.ts';

/** Records the §17 notice for an EEA-currency purchase unless one was sent this month for the currency. */
export async function recordConversionNotice(
  tx: SqlExecutor,
  input: { customerId: string; conversion: Conversion; transactionId: string; now: number },
): Promise<boolean> {
  const { conversion, customerId, transactionId, now } = input;
  if (!isEeaCurrency(conversion.currency) || conversion.currency === 'SEK') return false;
  const [customer] = await tx.query<{ currency_notices: number }>('SELECT currency_notices FROM customers WHERE id = ?', [customerId]);
  if (!customer || Number(customer.currency_notices) === 0) return false;
  const changed = await tx.run(
    `INSERT INTO notifications (id, customer_id, kind, currency, month, transaction_id, rate, rate_date, markup_percent, ecb_rate, created_at)
     VALUES (?, ?, 'currency_conversion', ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (customer_id, kind, currency, month) DO NOTHING`,
    [newId(), customerId, conversion.currency, stockholmMonth(now), transactionId, conversion.rate, conversion.rateDate, conversion.markupOverEcb ?? MARKUP_PERCENT, conversion.ecbRate ?? null, now],
  );
  return changed === 1;
}

interface NotificationRow {
  id: string;
  currency: string;
  month: string;
  transaction_id: string | null;
  rate: string;
  rate_date: string;
  markup_percent: string;
  ecb_rate: string | null;
  created_at: number;
}

const sv = (percent: string): string => percent.replace('.', ',');
const ONCE_SV = 'Vi skickar detta meddelande en gång per valuta och månad (kortvillkor punkt 17); du kan stänga av det under Meddelanden.';
const ONCE_EN = 'We send this message once per currency and month (card terms §17); you can turn it off under Messages.';

function view(r: NotificationRow): Notification {
  const rate = r.rate.replace('.', ',');
  return {
    id: r.id,
    kind: 'currency_conversion',
    title: { sv: `Växlingsavgift för köp i ${r.currency}`, en: `Currency conversion charge for ${r.currency}` },
    refId: null,
    currency: r.currency,
    month: r.month,
    transactionId: r.transaction_id,
    markupPercent: r.markup_percent,
    rate: Number(r.rate),
    rateDate: r.rate_date,
    ...(r.ecb_rate === null ? {} : { ecbRate: Number(r.ecb_rate) }),
    text:
      r.ecb_rate === null
        ? {
            sv:
              `Du har handlat med ditt kort i ${r.currency}. Valutaväxlingspåslaget är ${sv(r.markup_percent)} % över referensväxelkursen ` +
              `(${rate} kr per ${r.currency} den ${r.rate_date}). ` +
              `${ONCE_SV}`,
            en:
              `You paid with your card in ${r.currency}. The currency conversion markup is ${r.markup_percent} % over the reference exchange rate ` +
              `(SEK ${r.rate} per ${r.currency} on ${r.rate_date}). ` +
              `${ONCE_EN}`,
          }
        : {
            sv:
              `Du har handlat med ditt kort i ${r.currency}. Den totala valutaväxlingsavgiften är ${sv(r.markup_percent)} % över Europeiska centralbankens referensväxelkurs ` +
              `(${sv(r.ecb_rate)} kr per ${r.currency} den ${r.rate_date}); bankens växelkurs var ${rate} kr plus påslaget ${sv(MARKUP_PERCENT)} %. ` +
              `${ONCE_SV}`,
            en:
              `You paid with your card in ${r.currency}. The total currency conversion charge is ${r.markup_percent} % over the European Central Bank's reference rate ` +
              `(SEK ${r.ecb_rate} per ${r.currency} on ${r.rate_date}); the bank's rate was SEK ${r.rate} plus the ${MARKUP_PERCENT} % markup. ` +
              `${ONCE_EN}`,
          },
    createdAt: iso(Number(r.created_at)),
  };
}

export type MessageKind = 'card_blocked' | 'card_replaced' | 'terms_change' | 'dispute' | 'refund';

export interface Message {
  customerId: string;
  kind: MessageKind;
  refId?: string;
  title: { sv: string; en: string };
  text: { sv: string; en: string };
}

/** Sends the holder a message (in the caller's transaction, so it goes with what it tells). */
export async function sendMessage(tx: SqlExecutor, message: Message, now: number): Promise<string> {
  const id = newId();
  await tx.run('INSERT INTO messages (id, customer_id, kind, ref_id, title_sv, title_en, text_sv, text_en, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
    id,
    message.customerId,
    message.kind,
    message.refId ?? null,
    message.title.sv,
    message.title.en,
    message.text.sv,
    message.text.en,
    now,
  ]);
  return id;
}

interface MessageRow {
  id: string;
  kind: MessageKind;
  ref_id: string | null;
  title_sv: string;
  title_en: string;
  text_sv: string;
  text_en: string;
  created_at: number;
}

const LIST_LIMIT = 500;

/** The holder's notifications, newest first: the bank's messages and the currency notices. */
export async function listNotifications(ctx: BankContext, customerId: string): Promise<Notification[]> {
  const notices = await ctx.db.query<NotificationRow>(
    `SELECT id, currency, month, transaction_id, rate, rate_date, markup_percent, ecb_rate, created_at FROM notifications
     WHERE customer_id = ? ORDER BY created_at DESC, id LIMIT ?`,
    [customerId, LIST_LIMIT],
  );
  const messages = await ctx.db.query<MessageRow>(
    `SELECT id, kind, ref_id, title_sv, title_en, text_sv, text_en, created_at FROM messages
     WHERE customer_id = ? ORDER BY created_at DESC, id LIMIT ?`,
    [customerId, LIST_LIMIT],
  );
  const all: Notification[] = [
    ...notices.map(view),
    ...messages.map((m) => ({
      id: m.id,
      kind: m.kind,
      refId: m.ref_id,
      title: { sv: m.title_sv, en: m.title_en },
      text: { sv: m.text_sv, en: m.text_en },
      createdAt: iso(Number(m.created_at)),
    })),
  ];
  return all.sort((a, b) => (a.createdAt === b.createdAt ? a.id.localeCompare(b.id) : b.createdAt.localeCompare(a.createdAt))).slice(0, LIST_LIMIT);
}

/** The holder's choice of messages (§17: the currency conversion message may be turned off). */
export async function preferences(ctx: BankContext, customerId: string): Promise<{ currencyNotices: boolean }> {
  const [row] = await ctx.db.query<{ currency_notices: number }>('SELECT currency_notices FROM customers WHERE id = ?', [customerId]);
  return { currencyNotices: row ? Number(row.currency_notices) === 1 : true };
}

export async function setPreferences(ctx: BankContext, customerId: string, change: { currencyNotices: boolean }): Promise<{ currencyNotices: boolean }> {
  await ctx.db.run('UPDATE customers SET currency_notices = ? WHERE id = ?', [change.currencyNotices ? 1 : 0, customerId]);
  return preferences(ctx, customerId);
}
