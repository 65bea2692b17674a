/**
 * The built-in approval provider: orders in the service's database, approved by the
 * customer's enrolled e-kort app.
 *
 * An order is pending (outstandingTransaction) until an app looks it up with a fresh QR code
 * or the auto-start token (userSign), then complete when the app's signed approval statement
 * verifies, or failed: cancelled by the desktop (cancelled) or timed out after 3 minutes
 * (expiredTransaction). Every transition is a conditional UPDATE on the order's row, so it
 * holds across service instances: two approvals racing, exactly one completes the order; the
 * completion is handed to exactly one collect, and after that the order is gone.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { iso } from '../calendar.ts';
import { type BankContext, sha256Hex } from '../context.ts';
import { approvalError, noSuchOrder } from './errors.ts';
import { type ApprovalOrderRequest, type ApprovalProvider, type CollectResult, ORDER_LIFE_MS, type StartedOrder } from './provider.ts';
import { checkQr, qrContent, qrSeconds } from './qr.ts';
import { type ApprovalStatement, p256PublicKey, verifyStatement } from './statement.ts';

interface OrderRow {
  order_ref: string;
  auto_start_hash: string;
  qr_start_token: string;
  qr_start_secret: string;
  visible_text: string;
  state: 'pending' | 'complete' | 'failed';
  hint_code: string;
  seen_hash: string | null;
  created_at: number;
  expires_at: number;
  started_at: number | null;
  collected_at: number | null;
}

export interface SeenCode {
  kind: 'qr' | 'autostart';
  value: string;
}

/** What the app shows before the customer approves. */
export interface OrderLookup {
  orderRef: string;
  relyingParty: string;
  visibleText: string;
  orderStartedAt: string;
  expiresAt: string;
  /** The service's clock, so the app can judge the code's age itself too. */
  serverTime: string;
  /** For a QR code: its seconds and its age at the service. */
  qr?: { seconds: number; ageSeconds: number };
}

export interface Approval {
  deviceId: string;
  seen: SeenCode;
  time: string;
  signature: string;
}

/** How far an app's clock may be off the service's, for the statement's time. */
const CLOCK_SLACK_MS = 60_000;

export class BuiltinApprovalProvider implements ApprovalProvider {
  readonly name = 'builtin' as const;

  constructor(private readonly ctx: BankContext) {}

  private now(): number {
    return this.ctx.config.now();
  }

  async start(request: ApprovalOrderRequest): Promise<StartedOrder> {
    const now = this.now();
    const orderRef = randomUUID();
    const autoStartToken = randomUUID();
    const qrStartToken = randomUUID();
    const qrStartSecret = randomUUID();
    await this.ctx.db.run(
      `INSERT INTO app_orders (order_ref, auto_start_hash, qr_start_token, qr_start_secret, visible_text, end_user_ip, state, hint_code, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', 'outstandingTransaction', ?, ?)`,
      [orderRef, sha256Hex(autoStartToken), qrStartToken, qrStartSecret, request.visibleText, request.endUserIp, now, now + ORDER_LIFE_MS],
    );
    return { orderRef, autoStartToken, qrStartToken, startedAt: now, expiresAt: now + ORDER_LIFE_MS };
  }

  private async row(orderRef: string): Promise<OrderRow | undefined> {
    const [row] = await this.ctx.db.query<OrderRow>('SELECT * FROM app_orders WHERE order_ref = ? AND collected_at IS NULL', [orderRef]);
    return row ? { ...row, created_at: Number(row.created_at), expires_at: Number(row.expires_at) } : undefined;
  }

  /** A pending order past its time becomes failed/expiredTransaction (once, in the database). */
  private async expireIfDue(row: OrderRow, now: number): Promise<OrderRow> {
    if (row.state !== 'pending' || row.expires_at > now) return row;
    await this.ctx.db.run("UPDATE app_orders SET state = 'failed', hint_code = 'expiredTransaction' WHERE order_ref = ? AND state = 'pending' AND expires_at <= ?", [row.order_ref, now]);
    return (await this.row(row.order_ref)) ?? row;
  }

  async qrContent(orderRef: string, now = this.now()): Promise<string> {
    const found = await this.row(orderRef);
    if (!found) throw noSuchOrder();
    const row = await this.expireIfDue(found, now);
    if (row.state !== 'pending') throw orderOver(row);
    return qrContent(row.qr_start_token, row.qr_start_secret, qrSeconds(row.created_at, now));
  }

  async collect(orderRef: string): Promise<CollectResult> {
    const now = this.now();
    const found = await this.row(orderRef);
    if (!found) throw noSuchOrder();
    const row = await this.expireIfDue(found, now);
    if (row.state !== 'complete') return { orderRef, status: row.state, hintCode: row.hint_code };
    // The one hand-over: whoever sets collected_at gets the completion; everyone after, NOT_FOUND.
    const [done] = await this.ctx.db.query<{ customer_id: string; device_id: string; signature: string; completed_at: number }>(
      "UPDATE app_orders SET collected_at = ? WHERE order_ref = ? AND state = 'complete' AND collected_at IS NULL RETURNING customer_id, device_id, signature, completed_at",
      [now, orderRef],
    );
    if (!done) throw noSuchOrder();
    const [customer] = await this.ctx.db.query<{ name: string; personnummer: string }>('SELECT name, personnummer FROM customers WHERE id = ?', [done.customer_id]);
    return {
      orderRef,
      status: 'complete',
      completion: { personnummer: customer!.personnummer, name: customer!.name, signature: done.signature, signedAt: iso(Number(done.completed_at)), device: done.device_id },
    };
  }

  async cancel(orderRef: string): Promise<void> {
    const n = await this.ctx.db.run("UPDATE app_orders SET state = 'failed', hint_code = 'cancelled' WHERE order_ref = ? AND state = 'pending' AND collected_at IS NULL", [orderRef]);
    if (n === 0 && !(await this.row(orderRef))) throw noSuchOrder();
  }

  // --- the app's side

  private async rowForSeen(seen: SeenCode): Promise<OrderRow | undefined> {
    if (seen.kind === 'autostart') {
      const [row] = await this.ctx.db.query<{ order_ref: string }>('SELECT order_ref FROM app_orders WHERE auto_start_hash = ? AND collected_at IS NULL', [sha256Hex(seen.value)]);
      return row ? this.row(row.order_ref) : undefined;
    }
    const token = /^bankid\.([^.]+)\./.exec(seen.value)?.[1];
    if (token === undefined) return undefined;
    const [row] = await this.ctx.db.query<{ order_ref: string }>('SELECT order_ref FROM app_orders WHERE qr_start_token = ? AND collected_at IS NULL', [token]);
    return row ? this.row(row.order_ref) : undefined;
  }

  /** Is `seen` a genuine code of `row` that may be used at `now`? Throws why not. */
  private checkSeen(row: OrderRow, seen: SeenCode, now: number, options: { acceptClaimed: boolean }): void {
    if (seen.kind === 'autostart') {
      const ok = timingSafeEqual(Buffer.from(sha256Hex(seen.value), 'hex'), Buffer.from(row.auto_start_hash, 'hex'));
      if (!ok) throw approvalError('APPROVAL_CODE_INVALID', 'This auto-start token does not belong to the order.');
      return;
    }
    const result = checkQr(seen.value, { qrStartToken: row.qr_start_token, qrStartSecret: row.qr_start_secret, startedAt: row.created_at }, now);
    if (result === 'ok') return;
    // A code the service already judged fresh when the app looked the order up stays usable
    // while the customer types the PIN; any other code must be fresh now.
    if (result === 'stale' && options.acceptClaimed && row.seen_hash !== null && row.seen_hash === sha256Hex(seen.value)) return;
    if (result === 'stale') throw approvalError('APPROVAL_CODE_STALE', 'The QR code is older than 30 seconds. Scan the code on the screen again.');
    throw approvalError('APPROVAL_CODE_INVALID', 'This is not a valid QR code of the order. Scan the code on the screen again.');
  }

  /** The app read a QR code or an auto-start token: who asks and what for (refused when stale). */
  async lookup(seen: SeenCode): Promise<OrderLookup> {
    const now = this.now();
    const found = await this.rowForSeen(seen);
    if (!found) throw approvalError('APPROVAL_CODE_INVALID', 'No login waits for this code. Start the login again on the computer.');
    const row = await this.expireIfDue(found, now);
    this.checkSeen(row, seen, now, { acceptClaimed: false });
    if (row.state !== 'pending') throw orderOver(row);
    const claimed = await this.ctx.db.run(
      `UPDATE app_orders SET hint_code = 'userSign', started_at = COALESCE(started_at, ?), seen_hash = COALESCE(seen_hash, ?)
       WHERE order_ref = ? AND state = 'pending' AND expires_at > ?`,
      [now, sha256Hex(seen.value), row.order_ref, now],
    );
    if (claimed === 0) throw orderOver((await this.row(row.order_ref)) ?? row);
    const seconds = seen.kind === 'qr' ? Number(seen.value.split('.')[2]) : undefined;
    return {
      orderRef: row.order_ref,
      relyingParty: this.ctx.config.serviceId,
      visibleText: row.visible_text,
      orderStartedAt: iso(row.created_at),
      expiresAt: iso(row.expires_at),
      serverTime: iso(now),
      ...(seconds === undefined ? {} : { qr: { seconds, ageSeconds: qrSeconds(row.created_at, now) - seconds } }),
    };
  }

  /** The app's signed approval: verified, then the order completes (once). */
  async approve(orderRef: string, approval: Approval): Promise<void> {
    const now = this.now();
    const found = await this.row(orderRef);
    if (!found) throw noSuchOrder();
    const [device] = await this.ctx.db.query<{ customer_id: string; public_key: string }>('SELECT customer_id, public_key FROM app_devices WHERE id = ? AND revoked_at IS NULL', [
      approval.deviceId,
    ]);
    if (!device) throw approvalError('APP_DEVICE_UNKNOWN', 'This app is not enrolled at the bank (or its enrolment was revoked). Enrol it again.');
    const publicKey = p256PublicKey(device.public_key);
    const statement: ApprovalStatement = {
      type: 'ekort-app-approval',
      version: 1,
      orderRef: found.order_ref,
      relyingParty: this.ctx.config.serviceId,
      visibleText: found.visible_text,
      seen: { kind: approval.seen.kind, value: approval.seen.value },
      time: approval.time,
      deviceId: approval.deviceId,
    };
    if (!publicKey || !verifyStatement(statement, approval.signature, publicKey)) {
      throw approvalError('APPROVAL_SIGNATURE_INVALID', 'The approval signature does not verify for this order, text and app.');
    }
    const row = await this.expireIfDue(found, now);
    if (row.state !== 'pending') throw orderOver(row);
    this.checkSeen(row, approval.seen, now, { acceptClaimed: true });
    const signedAt = Date.parse(approval.time);
    if (!Number.isFinite(signedAt) || signedAt < row.created_at - CLOCK_SLACK_MS || signedAt > now + CLOCK_SLACK_MS) {
      throw approvalError('APPROVAL_SIGNATURE_INVALID', "The approval's time is outside the order's life; check the app's clock.");
    }
    const done = await this.ctx.db.run(
      `UPDATE app_orders SET state = 'complete', hint_code = 'complete', customer_id = ?, device_id = ?, signature = ?, statement = ?, completed_at = ?
       WHERE order_ref = ? AND state = 'pending' AND expires_at > ? AND collected_at IS NULL`,
      [device.customer_id, approval.deviceId, approval.signature, JSON.stringify(statement), now, orderRef, now],
    );
    if (done === 1) return;
    const after = await this.row(orderRef);
    throw after ? orderOver(after) : noSuchOrder();
  }
}

/** Why a non-pending order cannot be used. */
function orderOver(row: OrderRow): Error {
  if (row.state === 'complete') return approvalError('APPROVAL_REPLAYED', 'This order has already been approved.');
  if (row.hint_code === 'expiredTransaction' || row.state === 'pending') return approvalError('ORDER_EXPIRED', 'The login was not approved within 3 minutes. Start it again.');
  if (row.hint_code === 'cancelled' || row.hint_code === 'userCancel') return approvalError('ORDER_CANCELLED', 'The login was cancelled.');
  return approvalError('ORDER_FAILED', 'The login failed. Start it again.');
}
