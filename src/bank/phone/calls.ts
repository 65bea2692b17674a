/**
 * Calls to the telephone service, kept in the database (phone_calls) so any service
 * instance can take the next key press of any call. A request loads the call, runs its keys
 * through the state machine (machine.ts), performs the checks the machine asks for (each an
 * atomic statement in the database: failure counters, used code-table cells, app requests),
 * and stores the new state with a compare-and-set on the call's version. SMS go out only
 * after the state is stored.
 *
 * An identification belongs to its call: it is on the call's row only, the SMS code is
 * bound to the call (its hash covers the call id), and an app request answers only the call
 * that sent it. A call that is hung up, or has had no key for CALL_IDLE_MS (the line
 * dropped), is over; the customer must call again and identify again.
 */
import { randomInt } from 'node:crypto';
import type { PhoneCall } from '../api/schemas.ts';
import { type BankContext, newId, sha256Hex } from '../context.ts';
import { findCardToBlock, sparrserviceBlockCard } from '../cardBlocking.ts';
import { BankError, bankError } from '../errors.ts';
import type { AppIdentifier } from './appIdentifier.ts';
import { drawCell, useCell } from './codeTable.ts';
import { checkPassword, codeFailure, credentialsByUserCode, credentialsOf, isLocked, resetFailures } from './credentials.ts';
import { type Action, type CallState, hangup, KEYS, type Outcome, poll, press, resolve, start, type Transition } from './machine.ts';
import { REQUESTER } from './prompts.ts';
import { confirmationSms, type SmsGateway, type SmsMessage } from './sms.ts';

/** A call without a key (or poll) for this long has dropped (the phone system polls while it waits). */
export const CALL_IDLE_MS = 10 * 60_000;
/** How long an SMS confirmation code is valid (for its own call only). */
export const SMS_CODE_LIFE_MS = 5 * 60_000;
/** Keys in one request. */
export const MAX_KEYS_PER_REQUEST = 64;

interface CallRow {
  id: string;
  state: string;
  version: number;
  started_at: number;
  last_activity_at: number;
  ended_at: number | null;
  end_reason: string | null;
}

const callEnded = (reason: string | null): BankError =>
  new BankError(
    'CALL_ENDED',
    reason === 'timeout' ? 'The call dropped (no key for 10 minutes). Call again; the caller must identify again.' : 'The call has ended. Call again; the caller must identify again.',
    { status: 409 },
  );

export class PhoneCalls {
  constructor(
    private readonly ctx: BankContext,
    private readonly deps: { sms: SmsGateway; app: AppIdentifier },
  ) {}

  /** A new call: the welcome and the menu. */
  async start(): Promise<PhoneCall> {
    const id = newId();
    const now = this.ctx.config.now();
    const t = start();
    await this.ctx.db.run('INSERT INTO phone_calls (id, state, version, started_at, last_activity_at) VALUES (?, ?, 0, ?, ?)', [id, JSON.stringify(t.state), now, now]);
    return this.view(id, t.state, t.prompts);
  }

  /** Keys pressed ("1", "12345678#", …); "" when no key was pressed (the phone system polls). */
  async keys(callId: string, keys: string): Promise<PhoneCall> {
    if (keys.length > MAX_KEYS_PER_REQUEST || ![...keys].every((k) => KEYS.test(k))) throw bankError('INVALID_INPUT', 'Keys are 0-9, * and #, at most 64 at a time.');
    const row = await this.live(callId);
    let state = JSON.parse(row.state) as CallState;
    const prompts: string[] = [];
    const outbox: SmsMessage[] = [];
    const run = async (t: Transition): Promise<void> => {
      state = t.state;
      prompts.push(...t.prompts);
      let action = t.action;
      while (action) {
        const next = resolve(state, await this.perform(callId, action, outbox));
        state = next.state;
        prompts.push(...next.prompts);
        action = next.action;
      }
    };
    if (keys === '') await run(poll(state));
    for (const key of keys) await run(press(state, key));
    await this.store(row, state);
    for (const message of outbox) await this.deps.sms.send(message);
    return this.view(callId, state, prompts);
  }

  /** The caller hung up: the call and its identification end. Idempotent. */
  async hangup(callId: string, reason: 'hangup' | 'timeout' = 'hangup'): Promise<PhoneCall> {
    const [row] = await this.ctx.db.query<CallRow>('SELECT * FROM phone_calls WHERE id = ?', [callId]);
    if (!row) throw bankError('NOT_FOUND', 'There is no such call.');
    const before = JSON.parse(row.state) as CallState;
    const t = hangup(before);
    if (row.ended_at === null) {
      await this.ctx.db.run('UPDATE phone_calls SET state = ?, version = version + 1, ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL', [
        JSON.stringify(t.state),
        this.ctx.config.now(),
        reason,
        callId,
      ]);
      if (before.step === 'app.waiting' && before.requestId) await this.deps.app.cancel?.(before.requestId);
    }
    return this.view(callId, t.state, row.ended_at === null ? t.prompts : []);
  }

  /** The call, if it is still on; a call idle too long is ended here (dropped). */
  private async live(callId: string): Promise<CallRow> {
    const [row] = await this.ctx.db.query<CallRow>('SELECT * FROM phone_calls WHERE id = ?', [callId]);
    if (!row) throw bankError('NOT_FOUND', 'There is no such call.');
    if (row.ended_at !== null) throw callEnded(row.end_reason);
    if (this.ctx.config.now() - Number(row.last_activity_at) >= CALL_IDLE_MS) {
      await this.hangup(callId, 'timeout');
      throw callEnded('timeout');
    }
    return row;
  }

  private async store(row: CallRow, state: CallState): Promise<void> {
    const now = this.ctx.config.now();
    const who = state.identified;
    const n = await this.ctx.db.run(
      `UPDATE phone_calls SET state = ?, version = version + 1, last_activity_at = ?, customer_id = ?, method = ?,
         identified_at = CASE WHEN ? = 1 THEN COALESCE(identified_at, ?) ELSE identified_at END
       WHERE id = ? AND version = ? AND ended_at IS NULL`,
      [JSON.stringify(state), now, who?.customerId ?? null, who?.method ?? null, who ? 1 : 0, now, row.id, row.version],
    );
    if (n === 0) {
      const [after] = await this.ctx.db.query<CallRow>('SELECT ended_at, end_reason FROM phone_calls WHERE id = ?', [row.id]);
      if (after?.ended_at !== null && after?.ended_at !== undefined) throw callEnded(after.end_reason);
      throw bankError('STATE_CONFLICT', 'Other keys for this call were taken at the same moment. Send these keys again.');
    }
  }

  /** What the machine asked the bank to check or do. */
  private async perform(callId: string, action: Action, outbox: SmsMessage[]): Promise<Outcome> {
    const ctx = this.ctx;
    switch (action.type) {
      case 'appRequest': {
        const row = await credentialsByUserCode(ctx, action.userCode);
        if (!row) return { type: 'unknownUser' };
        if (await isLocked(ctx, row)) return { type: 'locked' };
        const code = String(randomInt(0, 10_000)).padStart(4, '0');
        const requestId = await this.deps.app.request(row.customer_id, { requester: REQUESTER, code });
        return { type: 'appRequested', customerId: row.customer_id, requestId, code };
      }
      case 'appStatus': {
        const status = await this.deps.app.status(action.requestId);
        if (status === 'approved') {
          const row = await credentialsOf(ctx, action.customerId);
          if (!row || (await isLocked(ctx, row))) return { type: 'locked' };
        }
        return { type: 'appStatus', status, asked: action.asked };
      }
      case 'verifyPassword': {
        const check = await checkPassword(ctx, action.userCode, action.password);
        switch (check.result) {
          case 'ok':
            return { type: 'passwordOk', customerId: check.row.customer_id };
          case 'unknown':
            return { type: 'unknownUser' };
          case 'wrong':
            return { type: 'wrong' };
          case 'locked':
            return { type: 'locked' };
          case 'initial':
            return { type: 'initialPassword' };
        }
        break;
      }
      case 'drawCell': {
        const cell = await drawCell(ctx, action.customerId);
        return cell === 'none' ? { type: 'noTable' } : { type: 'cellDrawn', cell };
      }
      case 'verifyCell': {
        const row = await credentialsOf(ctx, action.customerId);
        if (!row || (await isLocked(ctx, row))) return { type: 'locked' };
        const used = await useCell(ctx, action.customerId, action.cell, action.code, callId);
        if (used === 'wrong') return (await codeFailure(ctx, action.customerId)) ? { type: 'locked' } : { type: 'wrong' };
        if (used === 'used') return { type: 'cellUsed' };
        return { type: 'cellOk' };
      }
      case 'sendSms': {
        const row = await credentialsOf(ctx, action.customerId);
        if (!row?.phone) return { type: 'noPhone' };
        const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
        outbox.push({ to: row.phone, text: confirmationSms(code, SMS_CODE_LIFE_MS / 60_000), customerId: action.customerId });
        return { type: 'smsSent', hash: smsHash(callId, code), expiresAt: ctx.config.now() + SMS_CODE_LIFE_MS };
      }
      case 'verifySms': {
        const row = await credentialsOf(ctx, action.customerId);
        if (!row || (await isLocked(ctx, row))) return { type: 'locked' };
        if (ctx.config.now() >= action.sms.expiresAt) return { type: 'smsExpired' };
        if (smsHash(callId, action.code) !== action.sms.hash) return (await codeFailure(ctx, action.customerId)) ? { type: 'locked' } : { type: 'wrong' };
        if (!(await resetFailures(ctx, action.customerId, 'codes'))) return { type: 'locked' };
        return { type: 'smsOk' };
      }
      case 'findCard': {
        const found = await findCardToBlock(ctx, action.personnummer, action.last4);
        return found ? { type: 'cardFound', ...found } : { type: 'noCard' };
      }
      case 'blockCard': {
        const { smsTo } = await sparrserviceBlockCard(ctx, this.deps.sms, action.customerId, action.cardId);
        return { type: 'cardBlocked', smsSent: smsTo !== null };
      }
    }
    throw new Error('unknown phone action');
  }

  private async view(callId: string, state: CallState, prompts: string[]): Promise<PhoneCall> {
    const who = state.identified;
    let customer: PhoneCall['customer'];
    if (who && state.step !== 'ended') {
      const [c] = await this.ctx.db.query<{ name: string; personnummer: string }>('SELECT name, personnummer FROM customers WHERE id = ?', [who.customerId]);
      if (c) customer = { name: c.name, personnummer: c.personnummer };
    }
    return {
      callId,
      state: state.step,
      prompts,
      identified: who !== undefined && state.step !== 'ended',
      ...(customer ? { customer, method: who!.method } : {}),
      ...(state.queue ? { queue: state.queue } : {}),
      ...(state.reason ? { reason: state.reason } : {}),
      ...(state.step === 'app.waiting' && state.appCode ? { identificationCode: state.appCode } : {}),
      ended: state.step === 'ended',
    };
  }
}

/** The SMS code's hash names the call: a code sent for one call is wrong in every other. */
const smsHash = (callId: string, code: string): string => sha256Hex(`sms:${callId}:${code}`);
