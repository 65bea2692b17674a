/**
 * The e-kort service as one object: what the HTTP API, the embedded desktop agent and the
 * `ekort bank` commands call. It holds no state of its own beyond the database handle, so
 * any number of instances can serve one PostgreSQL database.
 */
import type { AppIdentification, AppIdentificationDecision, AppLoginQr, AppLoginStarted, AppLoginStatus, AuthorizationRequest, AuthorizationResult, CardChallenge, CreatedEnummer, Dispute, DosaChallenge, Enummer, EnummerAction, EnummerSecret, Notification, PaymentCard, PhoneCall, Preferences, RefundRequest, Session, SessionInfo, SignedIdentificationRequest, Terms, Transaction, TransactionPage } from './api/schemas.ts';
import { authorize } from './authorize.ts';
import type { Rates } from './currency.ts';
import { advanceDispute, type DisputeAction, type DisputeInput, disputeTransaction, getDispute, listDisputes, submitPoliceReport } from './disputes.ts';
import { listNotifications, preferences, setPreferences } from './notifications.ts';
import { answerRefund, listRefunds, requestRefund } from './refunds.ts';
import { appLoginCancel, appLoginCollect, appLoginQr, appLoginStart } from './approval/appLogin.ts';
import { type Approval, BuiltinApprovalProvider, type OrderLookup, type SeenCode } from './approval/builtin.ts';
import { enrolApp, type EnrolledApp, type EnrolRequest } from './approval/enrolment.ts';
import { approvalError } from './approval/errors.ts';
import type { ApprovalProvider } from './approval/provider.ts';
import { DEFAULT_ISSUER_PREFIX } from './cardNumbers.ts';
import type { TrustStore } from '../pki/index.ts';
import type { BankConfig, BankContext, TrustConfig } from './context.ts';
import { blockCard, connectCard, listPaymentCards } from './customers.ts';
import { changeEnummer, createEnummer, type CreateEnummerInput, expireDue, getEnummer, listEnummers, listTransactionPage, listTransactions, revealEnummer, type TransactionPageRequest } from './enummer.ts';
import { cardLogin, dosaCodeLogin, dosaLogin, newCardChallenge, newDosaChallenge } from './login.ts';
import { type ActiveSession, endSession, requireSession, sessionInfo } from './sessions.ts';
import { openDatabase } from './store/openDatabase.ts';
import type { SqlDatabase } from './store/sql.ts';
import { acceptUpcomingTerms, endAgreement, termsAt } from './terms.ts';
import { type AppIdentifier, DbAppIdentifier } from './phone/appIdentifier.ts';
import { PhoneCalls } from './phone/calls.ts';
import { isIvrKey } from './phone/credentials.ts';
import { OutboxSmsGateway, type SmsGateway } from './phone/sms.ts';

export interface EkortServiceOptions {
  serviceId?: string;
  issuerPrefix?: string;
  /** Trust for BankID på kort: DER lists (read here, once) or a TrustStore. */
  trust?: TrustConfig | TrustStore;
  now?: () => number;
  /** How often expired e-nummer are erased (ms); 0 turns the sweep off. Default 60 s. */
  sweepIntervalMs?: number;
  /** The telephone service: its SMS gateway (default: the outbox table) and app identifier (default: its own table). */
  phone?: { sms?: SmsGateway; app?: AppIdentifier };
  /** Who approves app logins; default the built-in provider on this database. */
  approval?: ApprovalProvider | ((ctx: BankContext) => ApprovalProvider);
  /** Reference rates for purchases in other currencies (`ekort serve --rates FILE`); without them only SEK is taken. */
  rates?: Rates;
  /** PostgreSQL only: the connections this instance may hold (`ekort serve --pg-pool N`); default defaultPoolSize() (store/postgres.ts). */
  maxConnections?: number;
  /**
   * SQLite only: how long a statement waits for the write lock another process holds before it
   * fails STORE_BUSY (answered 503 with Retry-After). Default 5 s, for the command line; the
   * HTTP service uses SERVICE_BUSY_WAIT_MS, so no request stalls on another process.
   */
  busyTimeoutMs?: number;
}

/** The HTTP service's bound on waiting for SQLite's write lock held by another process (issue 20). */
export const SERVICE_BUSY_WAIT_MS = 100;

/**
 * `trust` as a TrustStore. The PKI code (pkijs, some 0.9 MB bundled) is loaded here and for a
 * card login, not with the service: one without card login (`ekort serve` without --ca, the
 * app's embedded service before the demo) starts without it.
 */
async function trustStore(trust: TrustConfig | TrustStore): Promise<TrustStore> {
  const { TrustStore } = await import('../pki/index.ts');
  return trust instanceof TrustStore ? trust : TrustStore.from(trust);
}

export class EkortService {
  readonly ctx: BankContext;
  /** The provider of app-approved login (builtin unless given). */
  readonly approval: ApprovalProvider;
  private sweeper: NodeJS.Timeout | undefined;
  /** The telephone service's calls (the bank's phone menu). */
  readonly phone: PhoneCalls;
  /** The built-in app identification requests (the phone menu's option 1). */
  readonly appIdentifications: DbAppIdentifier;
  /** The reference rates authorizations in other currencies are converted with. */
  rates: Rates | undefined;

  /** On an open, migrated database; open() makes one from `--db` and reads its trust. */
  constructor(db: SqlDatabase, options: Omit<EkortServiceOptions, 'trust'> & { trust?: TrustStore } = {}) {
    const config: BankConfig = {
      serviceId: options.serviceId ?? 'ekort-reference',
      issuerPrefix: options.issuerPrefix ?? DEFAULT_ISSUER_PREFIX,
      now: options.now ?? Date.now,
      ...(options.trust ? { trust: options.trust } : {}),
    };
    this.ctx = { db, config };
    this.rates = options.rates;
    this.appIdentifications = new DbAppIdentifier(this.ctx);
    this.phone = new PhoneCalls(this.ctx, { sms: options.phone?.sms ?? new OutboxSmsGateway(this.ctx), app: options.phone?.app ?? this.appIdentifications });
    const approval = options.approval;
    this.approval = approval === undefined ? new BuiltinApprovalProvider(this.ctx) : typeof approval === 'function' ? approval(this.ctx) : approval;
    const every = options.sweepIntervalMs ?? 60_000;
    if (every > 0) {
      this.sweeper = setInterval(() => void this.expireDue().catch(() => undefined), every);
      this.sweeper.unref();
    }
  }

  /** Opens (and migrates) `--db FILE|postgres://...` and makes a service on it. */
  static async open(target: string, options: EkortServiceOptions = {}): Promise<EkortService> {
    // Read before the database is opened: trust that cannot be read leaves nothing open.
    const { trust: given, ...rest } = options;
    const trust = given === undefined ? undefined : await trustStore(given);
    return new EkortService(
      await openDatabase(target, {
        ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
        ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
      }),
      { ...rest, ...(trust ? { trust } : {}) },
    );
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
  // App-approved login (Mobilt BankID style)
  appLoginStart(endUserIp?: string): Promise<AppLoginStarted> {
    return appLoginStart(this.ctx, this.approval, endUserIp);
  }
  appLoginQr(orderRef: string): Promise<AppLoginQr> {
    return appLoginQr(this.ctx, this.approval, orderRef);
  }
  appLoginCollect(orderRef: string): Promise<AppLoginStatus> {
    return appLoginCollect(this.ctx, this.approval, orderRef);
  }
  appLoginCancel(orderRef: string): Promise<void> {
    return appLoginCancel(this.approval, orderRef);
  }
  // The customer's approval app (built-in provider only)
  appEnrol(request: EnrolRequest): Promise<EnrolledApp> {
    return enrolApp(this.ctx, request);
  }
  async appLookup(seen: SeenCode): Promise<OrderLookup> {
    return this.builtinApproval().lookup(seen);
  }
  async appApprove(orderRef: string, approval: Approval): Promise<void> {
    return this.builtinApproval().approve(orderRef, approval);
  }
  private builtinApproval(): BuiltinApprovalProvider {
    if (this.approval instanceof BuiltinApprovalProvider) return this.approval;
    throw approvalError('APPROVAL_NOT_SUPPORTED', 'This service takes app logins through BankID: approve in the BankID app.');
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
  /** The terms in effect, with a change announced and not yet in effect (§21). */
  terms(): Promise<Terms> {
    return termsAt(this.ctx);
  }
  /** The holder accepts the announced change now (every connected card). */
  acceptTerms(s: ActiveSession, version: string): Promise<void> {
    return acceptUpcomingTerms(this.ctx, s.customerId, version);
  }
  /** The holder ends e-kort: every card disconnected, every e-nummer closed. */
  endAgreement(s: ActiveSession): Promise<{ cards: number; enummers: number }> {
    return endAgreement(this.ctx, s.customerId);
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
  /** Every transaction (page by page); the API answers pages (transactionPage). */
  transactions(s: ActiveSession, enummerId?: string): Promise<Transaction[]> {
    return listTransactions(this.ctx, s.customerId, enummerId);
  }
  transactionPage(s: ActiveSession, request: TransactionPageRequest): Promise<TransactionPage> {
    return listTransactionPage(this.ctx, s.customerId, request);
  }

  // The telephone service (the bank's phone system, IVR key) and the app's identification requests
  isIvrKey(key: string | undefined): Promise<boolean> {
    return isIvrKey(this.ctx, key);
  }
  phoneCallStart(): Promise<PhoneCall> {
    return this.phone.start();
  }
  phoneCallKeys(callId: string, keys: string): Promise<PhoneCall> {
    return this.phone.keys(callId, keys);
  }
  phoneCallHangup(callId: string): Promise<PhoneCall> {
    return this.phone.hangup(callId);
  }
  pendingAppIdentifications(s: ActiveSession): Promise<AppIdentification[]> {
    return this.appIdentifications.pending(s.customerId);
  }
  /** An approval must carry the enrolled app's signature; a rejection needs only the session. */
  decideAppIdentification(s: ActiveSession, id: string, decision: 'approved' | 'rejected', signed?: SignedIdentificationRequest): Promise<AppIdentificationDecision> {
    return this.appIdentifications.decide(s.customerId, id, decision, signed);
  }

  // The card network
  authorize(req: AuthorizationRequest): Promise<AuthorizationResult> {
    return authorize(this.ctx, req, { rates: this.rates });
  }

  // Disputes (reklamation) and the holder's notifications
  disputeTransaction(s: ActiveSession, transactionId: string, input: DisputeInput): Promise<Dispute> {
    return disputeTransaction(this.ctx, s.customerId, transactionId, input);
  }
  /** Card terms §20: a refund of an approved purchase whose exact amount was not given. */
  requestRefund(s: ActiveSession, transactionId: string, input: { expectedAmount: number; reason?: string | undefined }): Promise<RefundRequest> {
    return requestRefund(this.ctx, s.customerId, transactionId, input);
  }
  refunds(s: ActiveSession): Promise<RefundRequest[]> {
    return listRefunds(this.ctx, s.customerId);
  }
  /** The bank answers a refund request (within ten banking days). */
  answerRefund(id: string, answer: { refund: true } | { refund: false; reason: string }): Promise<RefundRequest> {
    return answerRefund(this.ctx, id, answer);
  }
  disputes(s: ActiveSession): Promise<Dispute[]> {
    return listDisputes(this.ctx, s.customerId);
  }
  dispute(s: ActiveSession, id: string): Promise<Dispute> {
    return getDispute(this.ctx, s.customerId, id);
  }
  /** The bank's side: investigate, refund or reject a claim. */
  /** The holder gives the police's report number the bank asked for (§10.4). */
  submitPoliceReport(s: ActiveSession, id: string, reference: string): Promise<Dispute> {
    return submitPoliceReport(this.ctx, s.customerId, id, reference);
  }
  advanceDispute(id: string, action: DisputeAction): Promise<Dispute> {
    return advanceDispute(this.ctx, id, action);
  }
  notifications(s: ActiveSession): Promise<Notification[]> {
    return listNotifications(this.ctx, s.customerId);
  }
  preferences(s: ActiveSession): Promise<Preferences> {
    return preferences(this.ctx, s.customerId);
  }
  setPreferences(s: ActiveSession, change: Preferences): Promise<Preferences> {
    return setPreferences(this.ctx, s.customerId, change);
  }

  expireDue(): Promise<number> {
    return expireDue(this.ctx);
  }

  /**
   * Replaces the trust for card login (new CRLs, a new issuing CA) without a restart; logins
   * verified from now on use it. Rejects, keeping the old trust, when `trust` cannot be read.
   */
  async setTrust(trust: TrustConfig | TrustStore | undefined): Promise<void> {
    if (trust === undefined) delete this.ctx.config.trust;
    else this.ctx.config.trust = await trustStore(trust);
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    await this.ctx.db.close();
  }
}
