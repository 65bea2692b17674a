/**
 * The e-kort service as one object: what the HTTP API, the embedded desktop agent and the
 * `ekort bank` commands call. It holds no state of its own beyond the database handle, so
 * any number of instances can serve one PostgreSQL database.
 */
import type { AuthorizationRequest, AuthorizationResult, CardChallenge, CreatedEnummer, DosaChallenge, Enummer, EnummerAction, EnummerSecret, PaymentCard, Session, SessionInfo, Terms, Transaction } from './api/schemas.ts';
import { authorize } from './authorize.ts';
import { DEFAULT_ISSUER_PREFIX } from './cardNumbers.ts';
import type { BankConfig, BankContext, TrustConfig } from './context.ts';
import { blockCard, connectCard, listPaymentCards } from './customers.ts';
import { changeEnummer, createEnummer, type CreateEnummerInput, expireDue, getEnummer, listEnummers, listTransactions, revealEnummer } from './enummer.ts';
import { cardLogin, dosaCodeLogin, dosaLogin, newCardChallenge, newDosaChallenge } from './login.ts';
import { type ActiveSession, endSession, requireSession, sessionInfo } from './sessions.ts';
import { openDatabase } from './store/openDatabase.ts';
import type { SqlDatabase } from './store/sql.ts';
import { TERMS } from './terms.ts';

export interface EkortServiceOptions {
  serviceId?: string;
  issuerPrefix?: string;
  trust?: TrustConfig;
  now?: () => number;
  /** How often expired e-nummer are erased (ms); 0 turns the sweep off. Default 60 s. */
  sweepIntervalMs?: number;
}

export class EkortService {
  readonly ctx: BankContext;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(db: SqlDatabase, options: EkortServiceOptions = {}) {
    const config: BankConfig = {
      serviceId: options.serviceId ?? 'ekort-reference',
      issuerPrefix: options.issuerPrefix ?? DEFAULT_ISSUER_PREFIX,
      now: options.now ?? Date.now,
      ...(options.trust ? { trust: options.trust } : {}),
    };
    this.ctx = { db, config };
    const every = options.sweepIntervalMs ?? 60_000;
    if (every > 0) {
      this.sweeper = setInterval(() => void this.expireDue().catch(() => undefined), every);
      this.sweeper.unref();
    }
  }

  /** Opens (and migrates) `--db FILE|postgres://...` and makes a service on it. */
  static async open(target: string, options: EkortServiceOptions = {}): Promise<EkortService> {
    return new EkortService(await openDatabase(target), options);
  }

  get db(): SqlDatabase {
    return this.ctx.db;
  }

  // Login
  cardChallenge(): Promise<CardChallenge> {
    return newCardChallenge(this.ctx);
  }
  cardLogin(challengeId: string, cms: Uint8Array): Promise<Session> {
    return cardLogin(this.ctx, challengeId, cms);
  }
  dosaChallenge(serial: string): Promise<DosaChallenge> {
    return newDosaChallenge(this.ctx, serial);
  }
  dosaLogin(challengeId: string, svarskod: string): Promise<Session> {
    return dosaLogin(this.ctx, challengeId, svarskod);
  }
  dosaCodeLogin(serial: string, code: string): Promise<Session> {
    return dosaCodeLogin(this.ctx, serial, code);
  }
  session(token: string | undefined, options?: { fresh?: boolean }): Promise<ActiveSession> {
    return requireSession(this.ctx, token, options);
  }
  sessionInfo(session: ActiveSession): Promise<SessionInfo> {
    return sessionInfo(this.ctx, session);
  }
  logout(token: string): Promise<void> {
    return endSession(this.ctx, token);
  }

  // The holder's cards and e-nummer
  terms(): Terms {
    return TERMS;
  }
  paymentCards(s: ActiveSession): Promise<PaymentCard[]> {
    return listPaymentCards(this.ctx, s.customerId);
  }
  connectCard(s: ActiveSession, cardId: string, termsVersion: string): Promise<PaymentCard> {
    return connectCard(this.ctx, s.customerId, cardId, termsVersion);
  }
  blockCard(s: ActiveSession, cardId: string): Promise<PaymentCard> {
    return blockCard(this.ctx, s.customerId, cardId);
  }
  createEnummer(s: ActiveSession, input: CreateEnummerInput): Promise<CreatedEnummer> {
    return createEnummer(this.ctx, s.customerId, input);
  }
  enummers(s: ActiveSession, options?: { state?: Enummer['state'] }): Promise<Enummer[]> {
    return listEnummers(this.ctx, s.customerId, options);
  }
  enummer(s: ActiveSession, id: string): Promise<Enummer> {
    return getEnummer(this.ctx, s.customerId, id);
  }
  /** `s` must come from session(token, { fresh: true }). */
  revealEnummer(s: ActiveSession, id: string): Promise<EnummerSecret> {
    return revealEnummer(this.ctx, s.customerId, id);
  }
  changeEnummer(s: ActiveSession, id: string, action: EnummerAction): Promise<Enummer> {
    return changeEnummer(this.ctx, s.customerId, id, action);
  }
  transactions(s: ActiveSession, enummerId?: string): Promise<Transaction[]> {
    return listTransactions(this.ctx, s.customerId, enummerId);
  }

  // The card network
  authorize(req: AuthorizationRequest): Promise<AuthorizationResult> {
    return authorize(this.ctx, req);
  }

  expireDue(): Promise<number> {
    return expireDue(this.ctx);
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    await this.ctx.db.close();
  }
}
