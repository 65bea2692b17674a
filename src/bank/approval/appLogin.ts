/**
 * App-approved login in the service: start an order at the approval provider, hand out its
 * QR code each second, collect until done, and turn the one completion into a session
 * (method 'app') for the customer whose personnummer approved. Cancel on request.
 */
import type { AppLoginPhase, AppLoginQr, AppLoginStarted, AppLoginStatus } from '../api/schemas.ts';
import { iso } from '../calendar.ts';
import type { BankContext } from '../context.ts';
import { bankError } from '../errors.ts';
import { createSession } from '../sessions.ts';
import type { ApprovalProvider, CollectResult } from './provider.ts';
import { autoStartLink } from './qr.ts';

/** What the app shows as "what for". */
export const APP_LOGIN_TEXT = 'Logga in på e-kort';
/** Where the service cannot tell the end user's address. */
export const UNKNOWN_END_USER_IP = '127.0.0.1';

const TEXTS: Record<AppLoginPhase, { sv: string; en: string }> = {
  waiting: { sv: 'Väntar på appen. Öppna e-kort-appen och skanna QR-koden.', en: 'Waiting for the app. Open the e-kort app and scan the QR code.' },
  signing: { sv: 'Skriv in din PIN-kod i appen för att godkänna.', en: 'The user is signing: enter your PIN in the app to approve.' },
  cancelled: { sv: 'Inloggningen avbröts.', en: 'The login was cancelled.' },
  timeout: { sv: 'Tiden för inloggningen gick ut. Försök igen.', en: 'The login timed out. Try again.' },
  failed: { sv: 'Inloggningen misslyckades. Försök igen.', en: 'The login failed. Try again.' },
  done: { sv: 'Klart. Du är inloggad.', en: 'Done: you are logged in.' },
};

/** The phase a collect result is in, from BankID's status and hint codes. */
export function phaseOf(result: Pick<CollectResult, 'status' | 'hintCode'>): AppLoginPhase {
  if (result.status === 'complete') return 'done';
  const hint = result.hintCode;
  if (result.status === 'pending') return hint === 'userSign' || hint === 'userMrtd' || hint === 'userCallConfirm' ? 'signing' : 'waiting';
  if (hint === 'expiredTransaction') return 'timeout';
  if (hint === 'userCancel' || hint === 'cancelled' || hint === 'userDeclinedCall') return 'cancelled';
  return 'failed';
}

export const statusText = (phase: AppLoginPhase): { sv: string; en: string } => TEXTS[phase];

export async function appLoginStart(ctx: BankContext, provider: ApprovalProvider, endUserIp: string = UNKNOWN_END_USER_IP): Promise<AppLoginStarted> {
  const order = await provider.start({ endUserIp, visibleText: APP_LOGIN_TEXT });
  const qr = await provider.qrContent(order.orderRef, ctx.config.now());
  return {
    orderRef: order.orderRef,
    autoStartToken: order.autoStartToken,
    qrStartToken: order.qrStartToken,
    qr,
    autoStartLink: autoStartLink(order.autoStartToken),
    expiresAt: iso(order.expiresAt),
  };
}

export async function appLoginQr(ctx: BankContext, provider: ApprovalProvider, orderRef: string): Promise<AppLoginQr> {
  return { orderRef, qr: await provider.qrContent(orderRef, ctx.config.now()) };
}

export async function appLoginCollect(ctx: BankContext, provider: ApprovalProvider, orderRef: string): Promise<AppLoginStatus> {
  const result = await provider.collect(orderRef);
  const phase = phaseOf(result);
  const status: AppLoginStatus = { orderRef, status: result.status, hintCode: result.hintCode ?? null, phase, statusText: statusText(phase) };
  if (result.status !== 'complete') return status;
  if (!result.completion) throw bankError('STATE_CONFLICT', 'The approval provider said complete without saying who approved.');
  const [customer] = await ctx.db.query<{ id: string; name: string; personnummer: string }>('SELECT id, name, personnummer FROM customers WHERE personnummer = ?', [
    result.completion.personnummer,
  ]);
  if (!customer) throw bankError('CUSTOMER_UNKNOWN', 'There is no e-kort customer with the e-legitimation that approved.');
  return { ...status, session: await createSession(ctx, customer, 'app') };
}

export function appLoginCancel(provider: ApprovalProvider, orderRef: string): Promise<void> {
  return provider.cancel(orderRef);
}
