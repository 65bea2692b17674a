/**
 * Mobilt BankID login (the approval app) in the agent: start an order at the e-kort service,
 * then, each time the renderer asks (every second), collect the order's state and fetch the
 * QR code's content now. The QR secret never leaves the service: the agent only passes the
 * content on. The one collect that completes the order carries the session; BankClient keeps
 * its token for the calls after it (the agent then treats it like the other logins), and the
 * renderer gets the session without the token.
 *
 * Only orders this agent started are collected (a renderer cannot poll someone else's
 * orderRef). An order that ended (done, cancelled, timed out, failed) keeps its last status
 * in memory for a while, because the service forgets a completed order after the hand-over.
 */
import type { BankClient } from '../bank/index.ts';
import type { AppLoginStatus as ServiceStatus, Session } from '../bank/api/schemas.ts';
import { EkortError } from '../errors.ts';
import type { AppLoginPhase, AppLoginStart, AppLoginStatus } from './api.ts';
import { AgentError } from './failure.ts';

/** How long the agent remembers an order: its 3 minutes at the service, and some. */
export const APP_ORDER_MEMORY_MS = 5 * 60_000;

const TERMINAL: ReadonlySet<AppLoginPhase> = new Set(['cancelled', 'timeout', 'failed', 'done']);

/** What the service says when an order it no longer knows is asked for. */
const GONE_TEXT = { sv: 'Inloggningen misslyckades. Försök igen.', en: 'The login failed. Try again.' };

interface Remembered {
  qr: string;
  forgetAt: number;
  /** Set once the order has ended: answered from memory from then on. */
  final?: AppLoginStatus;
}

export interface AppLoginPoll {
  status: AppLoginStatus;
  /** With the token: only on the poll that completed the login. */
  session?: Session;
}

export class AppLogins {
  private readonly orders = new Map<string, Remembered>();

  constructor(private readonly now: () => number = Date.now) {}

  async start(bank: BankClient): Promise<AppLoginStart> {
    this.prune();
    const started = await bank.appLoginStart();
    this.orders.set(started.orderRef, { qr: started.qr, forgetAt: this.now() + APP_ORDER_MEMORY_MS });
    return { orderRef: started.orderRef, autoStartToken: started.autoStartToken, qr: started.qr, expiresAt: started.expiresAt };
  }

  /** One poll: the order's state (collect) and, while it is open, the QR code now. */
  async poll(bank: BankClient, orderRef: string): Promise<AppLoginPoll> {
    const order = this.known(orderRef);
    if (order.final) return { status: order.final };
    let collected: ServiceStatus;
    try {
      collected = await bank.appLoginCollect(orderRef);
    } catch (error) {
      // The service no longer knows the order (collected elsewhere, or the service restarted).
      if (error instanceof EkortError && error.code === 'NOT_FOUND') return { status: this.finish(order, { orderRef, phase: 'failed', hintCode: null, statusText: GONE_TEXT, qr: '' }) };
      throw error;
    }
    const status: AppLoginStatus = { orderRef, phase: collected.phase, hintCode: collected.hintCode, statusText: collected.statusText, qr: order.qr };
    if (collected.phase === 'done') {
      if (!collected.session) throw new AgentError('APP_LOGIN_NO_SESSION', 'The service said the login is done but sent no session.');
      const { token: _token, ...info } = collected.session;
      void _token;
      this.finish(order, { ...status, qr: '' });
      return { status: { ...status, qr: '', session: info }, session: collected.session };
    }
    if (TERMINAL.has(collected.phase)) return { status: this.finish(order, { ...status, qr: '' }) };
    try {
      order.qr = (await bank.appLoginQr(orderRef)).qr;
    } catch (error) {
      // The order may have ended between the two calls: the next collect says how.
      if (!(error instanceof EkortError && error.code === 'NOT_FOUND')) throw error;
    }
    return { status: { ...status, qr: order.qr } };
  }

  /** Cancels the order at the service (the app can no longer approve it). */
  async cancel(bank: BankClient, orderRef: string): Promise<void> {
    const order = this.known(orderRef);
    if (order.final) return;
    try {
      await bank.appLoginCancel(orderRef);
    } catch (error) {
      if (!(error instanceof EkortError && error.code === 'NOT_FOUND')) throw error;
    }
    this.finish(order, { orderRef, phase: 'cancelled', hintCode: 'cancelled', statusText: { sv: 'Inloggningen avbröts.', en: 'The login was cancelled.' }, qr: '' });
  }

  /** Forgets every order (the agent closes). */
  clear(): void {
    this.orders.clear();
  }

  private known(orderRef: string): Remembered {
    this.prune();
    const order = this.orders.get(orderRef);
    if (!order) throw new AgentError('APP_ORDER_UNKNOWN', 'This Mobilt BankID login is not known here (or it is older than 5 minutes). Start the login again.');
    return order;
  }

  private finish(order: Remembered, status: AppLoginStatus): AppLoginStatus {
    order.final = status;
    order.qr = '';
    return status;
  }

  private prune(): void {
    const now = this.now();
    for (const [ref, o] of this.orders) if (o.forgetAt <= now) this.orders.delete(ref);
  }
}
