/**
 * Identification with the app (S-mobil): the phone menu asks the customer's app to approve
 * an identification request that shows who asks ("S-Bankens kundtjänst") and the code read
 * out on the call. `AppIdentifier` is all the phone menu needs; `DbAppIdentifier` keeps the
 * requests in a table of its own, approved or rejected through the app routes
 * (POST /v1/app/identifications/:id/approve|reject). An approval is signed: the customer's
 * enrolled approval app (src/bank/approval/) signs an identification statement (the request
 * id, who asks and the code it showed; statement.ts) with its P-256 key, and the service
 * verifies it against the device's enrolled key before the request counts as approved. An
 * approval without a signature is refused (APPROVAL_SIGNATURE_REQUIRED); a rejection needs
 * none (the customer's session is enough to say no).
 */
import { iso } from '../calendar.ts';
import { type BankContext, newId } from '../context.ts';
import { approvalError } from '../approval/errors.ts';
import { type IdentificationStatement, p256PublicKey, verifyStatement } from '../approval/statement.ts';
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

/** The app's signed approval of one identification request. */
export interface SignedIdentification {
  deviceId: string;
  /** ISO time the app signed (its clock). */
  time: string;
  /** base64 DER ECDSA P-256 SHA-256 over the identification statement. */
  signature: string;
}

/** How far an app's clock may be off the service's. */
const CLOCK_SLACK_MS = 60_000;

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

  /**
   * The app's answer: only the customer's own pending request, only once, only in time. An
   * approval must carry the signature of one of the customer's enrolled apps over the
   * request's statement (checked before anything changes).
   */
  async decide(customerId: string, requestId: string, decision: 'approved' | 'rejected', signed?: SignedIdentification): Promise<{ id: string; state: AppIdentificationStatus }> {
    const now = this.ctx.config.now();
    if (decision === 'approved') await this.verifyApproval(customerId, requestId, signed, now);
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

  private async verifyApproval(customerId: string, requestId: string, signed: SignedIdentification | undefined, now: number): Promise<void> {
    if (!signed) throw approvalError('APPROVAL_SIGNATURE_REQUIRED', 'An identification is approved with the signature of your enrolled app (ekort app approve FILE --request ID).');
    const [row] = await this.ctx.db.query<{ requester: string; code: string; created_at: number }>('SELECT requester, code, created_at FROM phone_app_identifications WHERE id = ? AND customer_id = ?', [
      requestId,
      customerId,
    ]);
    if (!row) throw bankError('NOT_FOUND', 'There is no such identification request for you.');
    const [device] = await this.ctx.db.query<{ public_key: string }>('SELECT public_key FROM app_devices WHERE id = ? AND customer_id = ? AND revoked_at IS NULL', [signed.deviceId, customerId]);
    if (!device) throw approvalError('APP_DEVICE_UNKNOWN', 'This app is not enrolled for you at the bank (or its enrolment was revoked). Enrol it again.');
    const statement: IdentificationStatement = { type: 'ekort-app-identification', version: 1, requestId, requester: row.requester, code: row.code, time: signed.time, deviceId: signed.deviceId };
    const key = p256PublicKey(device.public_key);
    if (!key || !verifyStatement(statement, signed.signature, key)) {
      throw approvalError('APPROVAL_SIGNATURE_INVALID', 'The approval signature does not verify for this request, its code and your app.');
    }
    const signedAt = Date.parse(signed.time);
    if (!Number.isFinite(signedAt) || signedAt < Number(row.created_at) - CLOCK_SLACK_MS || signedAt > now + CLOCK_SLACK_MS) {
      throw approvalError('APPROVAL_SIGNATURE_INVALID', "The approval's time is outside the request's life; check the app's clock.");
    }
  }
}
