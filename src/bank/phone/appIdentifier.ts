/**
 * Identification with the app (S-mobil): the phone menu asks the customer's app to approve
 * an identification request that shows who asks ("S-Bankens kundtjänst") and the code read
 * out on the call. `AppIdentifier` is all the phone menu needs; `DbAppIdentifier` keeps the
 * requests in a table of its own, approved or rejected through the app routes
 * (POST /v1/app/identifications/:id/approve|reject). In this version the app's approval is a
 * plain call with the customer's session; the signed approval of the approval app
 * (src/bank/approval/) is to be hooked to `approve` later.
 */
import { iso } from '../calendar.ts';
import { type BankContext, newId } from '../context.ts';
import { BankError, bankError } from '../errors.ts';

export type AppIdentificationStatus = 'pending' | 'approved' | 'rejected' | 'expired';

export interface AppIdentifier {
  /** Sends a request to the customer's app; its id. */
  request(customerId: string, request: { requester: string; code: string }): Promise<string>;
  status(requestId: string): Promise<AppIdentificationStatus>;
  /** The call ended: a pending request can no longer be approved. */
  cancel?(requestId: string): Promise<void>;
}

export interface PendingAppIdentification {
  id: string;
  requester: string;
  code: string;
  createdAt: string;
  expiresAt: string;
}

/** How long the app has to approve. */
export const APP_REQUEST_LIFE_MS = 2 * 60_000;

export class DbAppIdentifier implements AppIdentifier {
  constructor(private readonly ctx: BankContext) {}

  async request(customerId: string, request: { requester: string; code: string }): Promise<string> {
    const id = newId();
    const now = this.ctx.config.now();
    await this.ctx.db.run("INSERT INTO phone_app_identifications (id, customer_id, requester, code, state, created_at, expires_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)", [
      id,
      customerId,
      request.requester,
      request.code,
      now,
      now + APP_REQUEST_LIFE_MS,
    ]);
    return id;
  }

  async status(requestId: string): Promise<AppIdentificationStatus> {
    const now = this.ctx.config.now();
    const [row] = await this.ctx.db.query<{ state: AppIdentificationStatus; expires_at: number }>('SELECT state, expires_at FROM phone_app_identifications WHERE id = ?', [requestId]);
    if (!row) return 'expired';
    if (row.state === 'pending' && now >= Number(row.expires_at)) {
      await this.ctx.db.run("UPDATE phone_app_identifications SET state = 'expired', decided_at = ? WHERE id = ? AND state = 'pending'", [now, requestId]);
      return this.status(requestId);
    }
    return row.state;
  }

  async cancel(requestId: string): Promise<void> {
    await this.ctx.db.run("UPDATE phone_app_identifications SET state = 'expired', decided_at = ? WHERE id = ? AND state = 'pending'", [this.ctx.config.now(), requestId]);
  }

  /** The customer's requests the app can still answer, oldest first. */
  async pending(customerId: string): Promise<PendingAppIdentification[]> {
    const now = this.ctx.config.now();
    const rows = await this.ctx.db.query<{ id: string; requester: string; code: string; created_at: number; expires_at: number }>(
      "SELECT id, requester, code, created_at, expires_at FROM phone_app_identifications WHERE customer_id = ? AND state = 'pending' AND expires_at > ? ORDER BY created_at, id",
      [customerId, now],
    );
    return rows.map((r) => ({ id: r.id, requester: r.requester, code: r.code, createdAt: iso(Number(r.created_at)), expiresAt: iso(Number(r.expires_at)) }));
  }

  /** The app's answer: only the customer's own pending request, only once, only in time. */
  async decide(customerId: string, requestId: string, decision: 'approved' | 'rejected'): Promise<{ id: string; state: AppIdentificationStatus }> {
    const now = this.ctx.config.now();
    const changed = await this.ctx.db.run(
      "UPDATE phone_app_identifications SET state = ?, decided_at = ? WHERE id = ? AND customer_id = ? AND state = 'pending' AND expires_at > ?",
      [decision, now, requestId, customerId, now],
    );
    if (changed === 1) return { id: requestId, state: decision };
    const [row] = await this.ctx.db.query<{ state: AppIdentificationStatus }>('SELECT state FROM phone_app_identifications WHERE id = ? AND customer_id = ?', [requestId, customerId]);
    if (!row) throw bankError('NOT_FOUND', 'There is no such identification request for you.');
    if (row.state === 'pending' || row.state === 'expired') throw new BankError('IDENTIFICATION_EXPIRED', 'The identification request has expired. Ask the customer service to send a new one.', { status: 409 });
    throw bankError('STATE_CONFLICT', `The identification request has been ${row.state} already.`);
  }
}
