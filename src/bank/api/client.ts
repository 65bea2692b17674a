/**
 * A typed client of the e-kort HTTP API (global fetch): one method per route, every answer
 * checked against the API's zod schemas, every failure a BankClientError with a stable code —
 * the service's own (`UNAUTHENTICATED`, `REAUTH_REQUIRED`, …) or one of the transport's:
 * SERVICE_UNREACHABLE, SERVICE_TIMEOUT, SERVICE_BAD_RESPONSE. The desktop agent and the CLI
 * use it. A login keeps the session token for the calls after it; logout forgets it.
 */
import * as z from '../../zod.ts';
import { EkortError } from '../../errors.ts';
import * as S from './schemas.ts';

export const DEFAULT_CLIENT_TIMEOUT_MS = 10_000;

export type TransportErrorCode = 'SERVICE_UNREACHABLE' | 'SERVICE_TIMEOUT' | 'SERVICE_BAD_RESPONSE';

export class BankClientError extends EkortError {
  /** The HTTP status; 0 when no answer came. */
  readonly status: number;
  readonly issues?: Array<{ path: string; message: string }>;
  readonly triesLeft?: number;
  /** RATE_LIMITED / TRY_LATER: seconds to wait before trying again. */
  readonly retryAfter?: number;

  constructor(
    code: string,
    message: string,
    options: { status: number; issues?: Array<{ path: string; message: string }>; triesLeft?: number; retryAfter?: number; cause?: unknown },
  ) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
    if (options.issues !== undefined) this.issues = options.issues;
    if (options.triesLeft !== undefined) this.triesLeft = options.triesLeft;
    if (options.retryAfter !== undefined) this.retryAfter = options.retryAfter;
  }
}

export interface BankClientOptions {
  /** e.g. http://127.0.0.1:8443 (a path prefix is kept). */
  baseUrl: string;
  /** A session token from an earlier login. */
  token?: string;
  /** For authorize(): the card network's key. */
  networkKey?: string;
  /** For the phone routes: the bank's phone system's (IVR) key. */
  ivrKey?: string;
  /** Per call, default 10 s. */
  timeoutMs?: number;
  /** Another fetch (e.g. one with a TLS trust store); global fetch by default. */
  fetch?: typeof fetch;
}

export interface CallOptions {
  timeoutMs?: number;
}

type Method = 'GET' | 'POST' | 'DELETE';

export class BankClient {
  /** The session token sent as `Authorization: Bearer`; set by the logins, cleared by logout. */
  token: string | undefined;
  networkKey: string | undefined;
  ivrKey: string | undefined;
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: BankClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.networkKey = options.networkKey;
    this.ivrKey = options.ivrKey;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
    this.fetchImpl = options.fetch ?? ((...args) => fetch(...args));
  }

  // --- service
  health(o?: CallOptions): Promise<S.Health> {
    return this.call('GET', '/v1/health', S.Health, { auth: 'none' }, o);
  }
  terms(o?: CallOptions): Promise<S.Terms> {
    return this.call('GET', '/v1/terms', S.Terms, { auth: 'none' }, o);
  }
  /** The OpenAPI document (not checked beyond being a JSON object). */
  async openapi(o?: CallOptions): Promise<Record<string, unknown>> {
    return this.call('GET', '/v1/openapi.json', null, { auth: 'none' }, o) as Promise<Record<string, unknown>>;
  }

  // --- login
  cardChallenge(o?: CallOptions): Promise<S.CardChallenge> {
    return this.call('POST', '/v1/login/card/challenge', S.CardChallenge, { auth: 'none' }, o);
  }
  /** `cms`: the detached CMS SignedData over the challenge's bytes (DER, or base64 of it). */
  async cardLogin(challengeId: string, cms: Uint8Array | string, o?: CallOptions): Promise<S.Session> {
    const body = { challengeId, cms: typeof cms === 'string' ? cms : Buffer.from(cms).toString('base64') };
    return this.loggedIn(await this.call('POST', '/v1/login/card', S.Session, { auth: 'none', body }, o));
  }
  dosaChallenge(serial: string, o?: CallOptions): Promise<S.DosaChallenge> {
    return this.call('POST', '/v1/login/dosa/challenge', S.DosaChallenge, { auth: 'none', body: { serial } }, o);
  }
  async dosaLogin(challengeId: string, svarskod: string, o?: CallOptions): Promise<S.Session> {
    return this.loggedIn(await this.call('POST', '/v1/login/dosa', S.Session, { auth: 'none', body: { challengeId, svarskod } }, o));
  }
  async dosaCodeLogin(serial: string, code: string, o?: CallOptions): Promise<S.Session> {
    return this.loggedIn(await this.call('POST', '/v1/login/dosa/code', S.Session, { auth: 'none', body: { serial, code } }, o));
  }

  // --- app-approved login (the desktop's side)
  appLoginStart(o?: CallOptions): Promise<S.AppLoginStarted> {
    return this.call('POST', '/v1/login/app', S.AppLoginStarted, { auth: 'none' }, o);
  }
  appLoginQr(orderRef: string, o?: CallOptions): Promise<S.AppLoginQr> {
    return this.call('GET', `/v1/login/app/${seg(orderRef)}/qr`, S.AppLoginQr, { auth: 'none' }, o);
  }
  /** The order's status; when complete, the session (its token is kept for the calls after). */
  async appLoginCollect(orderRef: string, o?: CallOptions): Promise<S.AppLoginStatus> {
    const status = await this.call('POST', `/v1/login/app/${seg(orderRef)}/collect`, S.AppLoginStatus, { auth: 'none' }, o);
    if (status.session) this.loggedIn(status.session);
    return status;
  }
  async appLoginCancel(orderRef: string, o?: CallOptions): Promise<void> {
    await this.call('POST', `/v1/login/app/${seg(orderRef)}/cancel`, null, { auth: 'none' }, o);
  }

  // --- the customer's approval app
  appEnrol(request: S.AppEnrolRequest, o?: CallOptions): Promise<S.AppEnrolled> {
    return this.call('POST', '/v1/app/enrol', S.AppEnrolled, { auth: 'none', body: request }, o);
  }
  appOrderLookup(request: S.AppOrderLookupRequest, o?: CallOptions): Promise<S.AppOrderLookup> {
    return this.call('POST', '/v1/app/orders/lookup', S.AppOrderLookup, { auth: 'none', body: request }, o);
  }
  appOrderApprove(orderRef: string, request: S.AppApproveRequest, o?: CallOptions): Promise<S.AppApproved> {
    return this.call('POST', `/v1/app/orders/${seg(orderRef)}/approve`, S.AppApproved, { auth: 'none', body: request }, o);
  }

  // --- session
  session(o?: CallOptions): Promise<S.SessionInfo> {
    return this.call('GET', '/v1/session', S.SessionInfo, { auth: 'session' }, o);
  }
  async logout(o?: CallOptions): Promise<void> {
    if (this.token === undefined) return;
    await this.call('DELETE', '/v1/session', null, { auth: 'session' }, o);
    this.token = undefined;
  }

  // --- cards
  cards(o?: CallOptions): Promise<S.PaymentCard[]> {
    return this.call('GET', '/v1/cards', z.array(S.PaymentCard), { auth: 'session' }, o);
  }
  connectCard(cardId: string, termsVersion: string, o?: CallOptions): Promise<S.PaymentCard> {
    return this.call('POST', `/v1/cards/${seg(cardId)}/connect`, S.PaymentCard, { auth: 'session', body: { termsVersion, accepted: true } }, o);
  }
  async acceptTerms(version: string, o?: CallOptions): Promise<void> {
    await this.call('POST', '/v1/terms/accept', null, { auth: 'session', body: { version } }, o);
  }
  endAgreement(o?: CallOptions): Promise<S.AgreementEnded> {
    return this.call('POST', '/v1/agreement/end', S.AgreementEnded, { auth: 'session', body: { confirm: true } }, o);
  }
  blockCard(cardId: string, o?: CallOptions): Promise<S.PaymentCard> {
    return this.call('POST', `/v1/cards/${seg(cardId)}/block`, S.PaymentCard, { auth: 'session' }, o);
  }

  // --- e-nummer
  enummers(filter: { state?: S.Enummer['state'] } = {}, o?: CallOptions): Promise<S.Enummer[]> {
    const query = filter.state === undefined ? '' : `?state=${encodeURIComponent(filter.state)}`;
    return this.call('GET', `/v1/enummer${query}`, z.array(S.Enummer), { auth: 'session' }, o);
  }
  createEnummer(request: S.CreateEnummerRequest, o?: CallOptions): Promise<S.CreatedEnummer> {
    return this.call('POST', '/v1/enummer', S.CreatedEnummer, { auth: 'session', body: request }, o);
  }
  enummer(id: string, o?: CallOptions): Promise<S.Enummer> {
    return this.call('GET', `/v1/enummer/${seg(id)}`, S.Enummer, { auth: 'session' }, o);
  }
  revealEnummer(id: string, o?: CallOptions): Promise<S.EnummerSecret> {
    return this.call('POST', `/v1/enummer/${seg(id)}/reveal`, S.EnummerSecret, { auth: 'session' }, o);
  }
  changeEnummer(id: string, action: S.EnummerAction, o?: CallOptions): Promise<S.Enummer> {
    return this.call('POST', `/v1/enummer/${seg(id)}/${seg(action)}`, S.Enummer, { auth: 'session' }, o);
  }
  pauseEnummer(id: string, o?: CallOptions): Promise<S.Enummer> {
    return this.changeEnummer(id, 'pause', o);
  }
  resumeEnummer(id: string, o?: CallOptions): Promise<S.Enummer> {
    return this.changeEnummer(id, 'resume', o);
  }
  closeEnummer(id: string, o?: CallOptions): Promise<S.Enummer> {
    return this.changeEnummer(id, 'close', o);
  }
  /** Lifts the lock after too many wrong CVCs (Enummer.lock). */
  unlockEnummer(id: string, o?: CallOptions): Promise<S.Enummer> {
    return this.changeEnummer(id, 'unlock', o);
  }
  /** One page of the holder's transactions (all, or one e-nummer's): ?limit, ?cursor. */
  transactionPage(request: { enummerId?: string; limit?: number; cursor?: string } = {}, o?: CallOptions): Promise<S.TransactionPage> {
    const query = new URLSearchParams();
    if (request.limit !== undefined) query.set('limit', String(request.limit));
    if (request.cursor !== undefined) query.set('cursor', request.cursor);
    const base = request.enummerId === undefined ? '/v1/transactions' : `/v1/enummer/${seg(request.enummerId)}/transactions`;
    return this.call('GET', `${base}${query.size > 0 ? `?${query}` : ''}`, S.TransactionPage, { auth: 'session' }, o);
  }
  /** Every transaction of one e-nummer, page by page. */
  enummerTransactions(id: string, o?: CallOptions): Promise<S.Transaction[]> {
    return this.allTransactions(id, o);
  }
  /** Every transaction of the holder, page by page. */
  transactions(o?: CallOptions): Promise<S.Transaction[]> {
    return this.allTransactions(undefined, o);
  }
  private async allTransactions(enummerId: string | undefined, o?: CallOptions): Promise<S.Transaction[]> {
    const all: S.Transaction[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.transactionPage({ ...(enummerId === undefined ? {} : { enummerId }), limit: S.MAX_PAGE_LIMIT, ...(cursor === undefined ? {} : { cursor }) }, o);
      all.push(...page.items);
      cursor = page.nextCursor ?? undefined;
      // A service that hands out a cursor again would keep this loop going for ever.
      if (cursor !== undefined && seen.has(cursor)) throw new BankClientError('SERVICE_BAD_RESPONSE', 'The service gave the same transaction cursor twice.', { status: 200 });
      if (cursor !== undefined) seen.add(cursor);
    } while (cursor !== undefined);
    return all;
  }

  // --- disputes (reklamation) and notifications
  disputeTransaction(transactionId: string, request: S.DisputeRequest, o?: CallOptions): Promise<S.Dispute> {
    return this.call('POST', `/v1/transactions/${seg(transactionId)}/dispute`, S.Dispute, { auth: 'session', body: request }, o);
  }
  requestRefund(transactionId: string, request: { expectedAmount: number; reason?: string }, o?: CallOptions): Promise<S.RefundRequest> {
    return this.call('POST', `/v1/transactions/${seg(transactionId)}/refund`, S.RefundRequest, { auth: 'session', body: { ...request, exactAmountNotGiven: true } }, o);
  }
  refunds(o?: CallOptions): Promise<S.RefundRequest[]> {
    return this.call('GET', '/v1/refunds', z.array(S.RefundRequest), { auth: 'session' }, o);
  }
  disputes(o?: CallOptions): Promise<S.Dispute[]> {
    return this.call('GET', '/v1/disputes', z.array(S.Dispute), { auth: 'session' }, o);
  }
  dispute(id: string, o?: CallOptions): Promise<S.Dispute> {
    return this.call('GET', `/v1/disputes/${seg(id)}`, S.Dispute, { auth: 'session' }, o);
  }
  submitPoliceReport(id: string, reference: string, o?: CallOptions): Promise<S.Dispute> {
    return this.call('POST', `/v1/disputes/${seg(id)}/police-report`, S.Dispute, { auth: 'session', body: { reference } }, o);
  }
  preferences(o?: CallOptions): Promise<S.Preferences> {
    return this.call('GET', '/v1/preferences', S.Preferences, { auth: 'session' }, o);
  }
  setPreferences(change: S.Preferences, o?: CallOptions): Promise<S.Preferences> {
    return this.call('POST', '/v1/preferences', S.Preferences, { auth: 'session', body: change }, o);
  }
  notifications(o?: CallOptions): Promise<S.Notification[]> {
    return this.call('GET', '/v1/notifications', z.array(S.Notification), { auth: 'session' }, o);
  }

  // --- telephone service (the bank's phone system, with the IVR key)
  phoneCallStart(o?: CallOptions): Promise<S.PhoneCall> {
    return this.call('POST', '/v1/phone/calls', S.PhoneCall, { auth: 'ivr' }, o);
  }
  /** Keys pressed ("1", "12345678#"); "" when none was (poll while the app is asked). */
  phoneCallKeys(callId: string, keys: string, o?: CallOptions): Promise<S.PhoneCall> {
    return this.call('POST', `/v1/phone/calls/${seg(callId)}/keys`, S.PhoneCall, { auth: 'ivr', body: { keys } }, o);
  }
  phoneCallHangup(callId: string, o?: CallOptions): Promise<S.PhoneCall> {
    return this.call('POST', `/v1/phone/calls/${seg(callId)}/hangup`, S.PhoneCall, { auth: 'ivr' }, o);
  }

  // --- the app's identification requests from the telephone service (with the session)
  appIdentifications(o?: CallOptions): Promise<S.AppIdentification[]> {
    return this.call('GET', '/v1/app/identifications', z.array(S.AppIdentification), { auth: 'session' }, o);
  }
  /** `signed`: the enrolled app's signature over the request (signIdentification). */
  approveAppIdentification(id: string, signed: S.SignedIdentificationRequest, o?: CallOptions): Promise<S.AppIdentificationDecision> {
    return this.call('POST', `/v1/app/identifications/${seg(id)}/approve`, S.AppIdentificationDecision, { auth: 'session', body: signed }, o);
  }
  rejectAppIdentification(id: string, o?: CallOptions): Promise<S.AppIdentificationDecision> {
    return this.call('POST', `/v1/app/identifications/${seg(id)}/reject`, S.AppIdentificationDecision, { auth: 'session' }, o);
  }

  // --- card network
  authorize(request: S.AuthorizationRequest, o?: CallOptions): Promise<S.AuthorizationResult> {
    return this.call('POST', '/v1/network/authorizations', S.AuthorizationResult, { auth: 'network', body: request }, o);
  }

  private loggedIn(session: S.Session): S.Session {
    this.token = session.token;
    return session;
  }

  private async call<T extends z.ZodMiniType | null>(
    method: Method,
    path: string,
    schema: T,
    request: { auth: 'none' | 'session' | 'network' | 'ivr'; body?: unknown },
    options: CallOptions = {},
  ): Promise<T extends z.ZodMiniType ? z.output<T> : unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const credential = request.auth === 'session' ? this.token : request.auth === 'network' ? this.networkKey : request.auth === 'ivr' ? this.ivrKey : undefined;
    if (credential !== undefined) headers.authorization = `Bearer ${credential}`;
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const what = `${method} ${path.replace(/\?.*$/, '')}`;

    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(`${this.base}${path}`, {
        method,
        headers,
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
      text = await response.text();
    } catch (error) {
      throw transportError(error, what, this.base, timeoutMs);
    }

    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch (error) {
      throw new BankClientError('SERVICE_BAD_RESPONSE', `The e-kort service answered ${what} with something other than JSON (HTTP ${response.status}).`, { status: response.status, cause: error });
    }

    if (!response.ok) {
      const parsed = S.ApiError.safeParse(json);
      if (!parsed.success) throw new BankClientError('SERVICE_BAD_RESPONSE', `The e-kort service answered ${what} with HTTP ${response.status} and no error description.`, { status: response.status });
      const { code, message, issues, triesLeft, retryAfter } = parsed.data;
      throw new BankClientError(code, message, {
        status: response.status,
        ...(issues ? { issues } : {}),
        ...(triesLeft === undefined ? {} : { triesLeft }),
        ...(retryAfter === undefined ? {} : { retryAfter }),
      });
    }
    if (schema === null) return json as never;
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw new BankClientError('SERVICE_BAD_RESPONSE', `The e-kort service's answer to ${what} is not what the API says (${first ? `${first.path.join('.') || '(body)'}: ${first.message}` : 'invalid'}).`, {
        status: response.status,
      });
    }
    return parsed.data as never;
  }
}

const seg = (value: string): string => encodeURIComponent(value);

function transportError(error: unknown, what: string, base: string, timeoutMs: number): BankClientError {
  const name = (error as { name?: string } | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new BankClientError('SERVICE_TIMEOUT', `The e-kort service at ${base} did not answer ${what} within ${timeoutMs} ms.`, { status: 0, cause: error });
  }
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const detail = cause?.code ?? cause?.message ?? (error as Error | undefined)?.message ?? String(error);
  return new BankClientError('SERVICE_UNREACHABLE', `The e-kort service at ${base} cannot be reached (${detail}). Check the address and that it is running.`, { status: 0, cause: error });
}
