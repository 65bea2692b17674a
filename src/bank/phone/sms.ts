/**
 * SMS through a gateway interface. The built-in gateway writes an outbox table: that is the
 * gateway's own record of what it sent (codes included, as a real operator's log would be),
 * read by the tests and `ekort bank sms-outbox`. A deployment plugs in its operator instead.
 */
import { iso } from '../calendar.ts';
import { type BankContext, newId } from '../context.ts';

export interface SmsMessage {
  to: string;
  text: string;
  customerId?: string;
}

export interface SmsGateway {
  send(message: SmsMessage): Promise<void>;
}

export interface OutboxEntry {
  id: string;
  to: string;
  text: string;
  customerId: string | null;
  createdAt: string;
}

export class OutboxSmsGateway implements SmsGateway {
  constructor(private readonly ctx: BankContext) {}

  async send(message: SmsMessage): Promise<void> {
    await this.ctx.db.run('INSERT INTO sms_outbox (id, customer_id, to_number, text, created_at) VALUES (?, ?, ?, ?, ?)', [
      newId(),
      message.customerId ?? null,
      message.to,
      message.text,
      this.ctx.config.now(),
    ]);
  }
}

/** The outbox, oldest first; optionally only to one number, only the newest `limit`. */
export async function readOutbox(ctx: BankContext, options: { to?: string; limit?: number } = {}): Promise<OutboxEntry[]> {
  const where = options.to === undefined ? '' : 'WHERE to_number = ?';
  const params = options.to === undefined ? [] : [options.to];
  const rows = await ctx.db.query<{ id: string; to_number: string; text: string; customer_id: string | null; created_at: number }>(
    `SELECT id, to_number, text, customer_id, created_at FROM sms_outbox ${where} ORDER BY created_at DESC, id DESC LIMIT ?`,
    [...params, options.limit ?? 100],
  );
  return rows.reverse().map((r) => ({ id: r.id, to: r.to_number, text: r.text, customerId: r.customer_id, createdAt: iso(Number(r.created_at)) }));
}

/** The SMS the phone menu sends (Swedish). */
export const confirmationSms = (code: string, minutes: number): string =>
  `S-Banken: Din bekräftelsekod för identifiering i telefontjänsten är ${code}. Koden gäller i ${minutes} minuter och bara i det pågående samtalet. Uppge aldrig koden för någon annan.`;
