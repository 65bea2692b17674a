/**
 * The holder's login session in the agent: started by a login, ended by logout, by 15 minutes
 * without a call (idle timeout), or when the service no longer knows it; each end is told to the
 * renderer once (session-ended). The service's token lives in the BankClient only.
 */
import type { Session } from '../bank/api/schemas.ts';
import { SessionInfo as SessionInfoSchema } from '../bank/api/schemas.ts';
import type { BankClient } from '../bank/index.ts';
import { EkortError } from '../errors.ts';
import type { AgentEvent, SessionInfo } from './api.ts';
import { AgentError } from './failure.ts';

const SESSION_GONE = new Set(['SESSION_EXPIRED', 'UNAUTHENTICATED']);

/** The service no longer knows the session (it ended there already). */
export const isSessionGone = (error: unknown): boolean => error instanceof EkortError && SESSION_GONE.has(error.code);

/** How long before the idle end the holder is warned (at most half the idle time). */
export const IDLE_WARNING_MS = 60_000;

export class AgentSession {
  private loggedIn = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private warnTimer: NodeJS.Timeout | undefined;
  private warned = false;

  constructor(
    private readonly bank: () => BankClient,
    private readonly idleMs: number,
    private readonly emit: (event: AgentEvent) => void,
  ) {}

  get active(): boolean {
    return this.loggedIn;
  }

  private clearTimers(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.warnTimer) clearTimeout(this.warnTimer);
    this.idleTimer = undefined;
    this.warnTimer = undefined;
  }

  private armIdle(): void {
    this.clearTimers();
    if (this.warned) {
      this.warned = false;
      if (this.loggedIn) this.emit({ type: 'session-expiring', secondsLeft: null });
    }
    if (!this.loggedIn) return;
    const lead = Math.min(IDLE_WARNING_MS, Math.floor(this.idleMs / 2));
    this.warnTimer = setTimeout(() => {
      this.warned = true;
      this.emit({ type: 'session-expiring', secondsLeft: Math.round(lead / 1000) });
    }, this.idleMs - lead);
    this.warnTimer.unref();
    this.idleTimer = setTimeout(() => this.end('expired'), this.idleMs);
    this.idleTimer.unref();
  }

  end(reason: 'expired' | 'logged-out'): void {
    this.clearTimers();
    this.warned = false;
    const was = this.loggedIn;
    this.loggedIn = false;
    this.bank().token = undefined;
    if (was) this.emit({ type: 'session-ended', reason });
  }

  /** A login succeeded: the session starts (the BankClient holds its token). */
  started(session: Session): SessionInfo {
    this.loggedIn = true;
    this.armIdle();
    return SessionInfoSchema.parse(session);
  }

  /** A call to the service; a session the service no longer knows ends here too. */
  async withBank<T>(fn: (client: BankClient) => Promise<T>): Promise<T> {
    try {
      return await fn(this.bank());
    } catch (error) {
      if (this.loggedIn && isSessionGone(error)) this.end('expired');
      throw error;
    }
  }

  /** A call of the logged-in holder's. */
  holder<T>(fn: (client: BankClient) => Promise<T>): Promise<T> {
    if (!this.loggedIn) return Promise.reject(new AgentError('UNAUTHENTICATED', 'Log in first.'));
    return this.withBank(fn);
  }

  /** Every call counts as activity for the idle timeout. */
  activity(): void {
    if (this.loggedIn) this.armIdle();
  }

  close(): void {
    this.clearTimers();
  }
}
