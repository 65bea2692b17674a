/**
 * Messages to the holder. For now one kind: the currency conversion notice of card terms §17
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
 * - The reference is the rate the service was given (its rates file). In production the
 *   comparison is with the ECB's euro reference rates; the rates file stands in for them.
 * - §17 lets the holder choose whether to get these messages (opt in/out); that preference is
 *   not modelled yet: every holder gets them in `GET /v1/notifications`.
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
  const changed = await tx.run(
    `INSERT INTO notifications (id, customer_id, kind, currency, month, transaction_id, rate, rate_date, markup_percent, created_at)
     VALUES (?, ?, 'currency_conversion', ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (customer_id, kind, currency, month) DO NOTHING`,
    [newId(), customerId, conversion.currency, stockholmMonth(now), transactionId, conversion.rate, conversion.rateDate, MARKUP_PERCENT, now],
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
  created_at: number;
}

const sv = (percent: string): string => percent.replace('.', ',');

function view(r: NotificationRow): Notification {
  const rate = r.rate.replace('.', ',');
  return {
    id: r.id,
    kind: 'currency_conversion',
    currency: r.currency,
    month: r.month,
    transactionId: r.transaction_id,
    markupPercent: r.markup_percent,
    rate: Number(r.rate),
    rateDate: r.rate_date,
    text: {
      sv:
        `Du har handlat med ditt kort i ${r.currency}. Valutaväxlingspåslaget är ${sv(r.markup_percent)} % över referensväxelkursen ` +
        `(${rate} kr per ${r.currency} den ${r.rate_date}). ` +
        `Vi skickar detta meddelande en gång per valuta och månad (kortvillkor punkt 17).`,
      en:
        `You paid with your card in ${r.currency}. The currency conversion markup is ${r.markup_percent} % over the reference exchange rate ` +
        `(SEK ${r.rate} per ${r.currency} on ${r.rate_date}). ` +
        `We send this message once per currency and month (card terms §17).`,
    },
    createdAt: iso(Number(r.created_at)),
  };
}

/** The holder's notifications, newest first. */
export async function listNotifications(ctx: BankContext, customerId: string): Promise<Notification[]> {
  const rows = await ctx.db.query<NotificationRow>(
    `SELECT id, currency, month, transaction_id, rate, rate_date, markup_percent, created_at FROM notifications
     WHERE customer_id = ? ORDER BY created_at DESC, id LIMIT 500`,
    [customerId],
  );
  return rows.map(view);
}
