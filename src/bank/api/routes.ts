/**
 * Every route of the HTTP API, once: method, path, who may call it, the zod schemas of its
 * input and answer, and what it does. The server registers this table, the OpenAPI document
 * is generated from it, and the typed client follows it.
 */
import * as z from '../../zod.ts';
import type { EkortService } from '../service.ts';
import { BankError } from '../errors.ts';
import type { ActiveSession } from '../sessions.ts';
import * as S from './schemas.ts';

/**
 * - none: anyone;
 * - session: `Authorization: Bearer <session token>` of a live session;
 * - fresh-session: the same, logged in within the last 5 minutes (REAUTH_REQUIRED otherwise);
 * - token: a bearer token must be given, but it need not be live (logout is idempotent);
 * - network: `Authorization: Bearer <network key>` (NETWORK_KEY_INVALID otherwise).
 */
export type RouteAuth = 'none' | 'session' | 'fresh-session' | 'token' | 'network';

export interface RouteInput<B = unknown, Q = unknown, P = unknown> {
  service: EkortService;
  /** The caller's session; only on `session` and `fresh-session` routes. */
  session: ActiveSession;
  /** The bearer token as given; only on `token` routes. */
  token: string;
  body: B;
  query: Q;
  params: P;
  /** The client's address, where the server passes it (app login's end-user IP). */
  ip?: string;
}

export interface RouteDef {
  method: 'GET' | 'POST' | 'DELETE';
  /** Fastify style (`/v1/enummer/:id`). */
  path: string;
  operationId: string;
  summary: string;
  tag: 'service' | 'login' | 'session' | 'cards' | 'enummer' | 'network' | 'app' | 'phone' | 'disputes';
  auth: RouteAuth;
  /** `login`: the login rate limit applies (per client address). */
  rateLimit?: 'login' | 'network';
  body?: z.ZodMiniType;
  query?: z.ZodMiniType;
  params?: z.ZodMiniType;
  status: 200 | 201 | 204;
  /** The answer's schema; none for 204. */
  response?: z.ZodMiniType;
  /** The answer holds secrets (a session token, a full card number). */
  secret?: boolean;
  handler(input: RouteInput): Promise<unknown> | unknown;
}

type Out<T> = T extends z.ZodMiniType ? z.output<T> : undefined;
type Answer<R> = R extends z.ZodMiniType ? z.input<R> : void;

/** A typed entry: the handler sees parsed input and must answer what the response schema takes. */
function route<B extends z.ZodMiniType | undefined = undefined, Q extends z.ZodMiniType | undefined = undefined, P extends z.ZodMiniType | undefined = undefined, R extends z.ZodMiniType | undefined = undefined>(
  def: Omit<RouteDef, 'body' | 'query' | 'params' | 'response' | 'handler'> & {
    body?: B;
    query?: Q;
    params?: P;
    response?: R;
    handler(input: RouteInput<Out<B>, Out<Q>, Out<P>>): Promise<Answer<R>> | Answer<R>;
  },
): RouteDef {
  return def as RouteDef;
}

const enummerAction = (action: S.EnummerAction, summary: string): RouteDef =>
  route({
    method: 'POST',
    path: `/v1/enummer/:id/${action}`,
    operationId: `${action}Enummer`,
    summary,
    tag: 'enummer',
    auth: 'session',
    params: S.IdParams,
    status: 200,
    response: S.Enummer,
    handler: ({ service, session, params }) => service.changeEnummer(session, params.id, action),
  });

/** ?limit and ?cursor as the service takes them. */
const pageOf = (q: z.output<typeof S.TransactionListQuery>): { limit: number; cursor?: string } => ({ limit: q.limit, ...(q.cursor === undefined ? {} : { cursor: q.cursor }) });

export const ROUTES: readonly RouteDef[] = [
  route({
    method: 'GET',
    path: '/v1/health',
    operationId: 'health',
    summary: 'The service is up and its database answers.',
    tag: 'service',
    auth: 'none',
    status: 200,
    response: S.Health,
    handler: async ({ service }) => {
      await service.db.query('SELECT 1 AS one');
      const now = service.ctx.config.now();
      const rates = service.rates ? { rates: { date: service.rates.date, stale: service.rates.staleOn(now) } } : {};
      return { status: 'ok' as const, serviceId: service.ctx.config.serviceId, time: new Date(now).toISOString(), ...rates };
    },
  }),
  route({
    method: 'GET',
    path: '/v1/terms',
    operationId: 'terms',
    summary: 'The e-kort terms a holder accepts to connect a card.',
    tag: 'service',
    auth: 'none',
    status: 200,
    response: S.Terms,
    handler: ({ service }) => service.terms(),
  }),
  route({
    method: 'POST',
    path: '/v1/login/card/challenge',
    operationId: 'cardChallenge',
    summary: 'BankID på kort, step 1: a single-use challenge (2 minutes) for the card to sign.',
    tag: 'login',
    auth: 'none',
    rateLimit: 'login',
    status: 200,
    response: S.CardChallenge,
    handler: ({ service }) => service.cardChallenge(),
  }),
  route({
    method: 'POST',
    path: '/v1/login/card',
    operationId: 'cardLogin',
    summary: 'BankID på kort, step 2: the CMS signature over the challenge; answers a session.',
    tag: 'login',
    auth: 'none',
    rateLimit: 'login',
    body: S.CardLoginRequest,
    status: 200,
    response: S.Session,
    secret: true,
    handler: ({ service, body }) => service.cardLogin(body.challengeId, Buffer.from(body.cms, 'base64')),
  }),
  route({
    method: 'POST',
    path: '/v1/login/dosa/challenge',
    operationId: 'dosaChallenge',
    summary: 'Säkerhetsdosa, step 1: a kontrollnummer for the dosa with this serial.',
    tag: 'login',
    auth: 'none',
    rateLimit: 'login',
    body: S.DosaChallengeRequest,
    status: 200,
    response: S.DosaChallenge,
    handler: ({ service, body }) => service.dosaChallenge(body.serial),
  }),
  route({
    method: 'POST',
    path: '/v1/login/dosa',
    operationId: 'dosaLogin',
    summary: 'Säkerhetsdosa, step 2: the svarskod; answers a session.',
    tag: 'login',
    auth: 'none',
    rateLimit: 'login',
    body: S.DosaLoginRequest,
    status: 200,
    response: S.Session,
    secret: true,
    handler: ({ service, body }) => service.dosaLogin(body.challengeId, body.svarskod),
  }),
  route({
    method: 'POST',
    path: '/v1/login/dosa/code',
    operationId: 'dosaCodeLogin',
    summary: "Säkerhetsdosa without a kontrollnummer: the dosa's login code; answers a session.",
    tag: 'login',
    auth: 'none',
    rateLimit: 'login',
    body: S.DosaCodeLoginRequest,
    status: 200,
    response: S.Session,
    secret: true,
    handler: ({ service, body }) => service.dosaCodeLogin(body.serial, body.code),
  }),
  route({
    method: 'GET',
    path: '/v1/session',
    operationId: 'session',
    summary: 'Who is logged in, how, and since when (the idle time starts again).',
    tag: 'session',
    auth: 'session',
    status: 200,
    response: S.SessionInfo,
    handler: ({ service, session }) => service.sessionInfo(session),
  }),
  route({
    method: 'DELETE',
    path: '/v1/session',
    operationId: 'logout',
    summary: 'Log out: the session token stops working. Idempotent.',
    tag: 'session',
    auth: 'token',
    status: 204,
    handler: ({ service, token }) => service.logout(token),
  }),
  route({
    method: 'POST',
    path: '/v1/terms/accept',
    operationId: 'acceptTerms',
    summary: 'Accept the announced change of the terms now (card terms §21), for every connected card.',
    tag: 'cards',
    auth: 'session',
    body: S.AcceptTermsRequest,
    status: 204,
    handler: ({ service, session, body }) => service.acceptTerms(session, body.version),
  }),
  route({
    method: 'POST',
    path: '/v1/agreement/end',
    operationId: 'endAgreement',
    summary: 'End e-kort: every card is disconnected and every e-nummer closes at once.',
    tag: 'cards',
    auth: 'session',
    body: S.EndAgreementRequest,
    status: 200,
    response: S.AgreementEnded,
    handler: ({ service, session }) => service.endAgreement(session),
  }),
  route({
    method: 'GET',
    path: '/v1/preferences',
    operationId: 'preferences',
    summary: "The holder's choice of messages: the currency conversion message of card terms §17 (on unless turned off).",
    tag: 'cards',
    auth: 'session',
    status: 200,
    response: S.Preferences,
    handler: ({ service, session }) => service.preferences(session),
  }),
  route({
    method: 'POST',
    path: '/v1/preferences',
    operationId: 'setPreferences',
    summary: 'Turn the currency conversion message (§17) on or off.',
    tag: 'cards',
    auth: 'session',
    body: S.PreferencesRequest,
    status: 200,
    response: S.Preferences,
    handler: ({ service, session, body }) => service.setPreferences(session, body),
  }),
  route({
    method: 'GET',
    path: '/v1/cards',
    operationId: 'cards',
    summary: "The holder's payment cards (last four digits only).",
    tag: 'cards',
    auth: 'session',
    status: 200,
    response: z.array(S.PaymentCard),
    handler: ({ service, session }) => service.paymentCards(session),
  }),
  route({
    method: 'POST',
    path: '/v1/cards/:id/connect',
    operationId: 'connectCard',
    summary: 'Connect a card to e-kort: the holder accepts the current terms.',
    tag: 'cards',
    auth: 'session',
    params: S.IdParams,
    body: S.ConnectCardRequest,
    status: 200,
    response: S.PaymentCard,
    handler: ({ service, session, params, body }) => service.connectCard(session, params.id, body.termsVersion),
  }),
  route({
    method: 'POST',
    path: '/v1/cards/:id/block',
    operationId: 'blockCard',
    summary: 'Block a card (spärranmälan); every e-nummer on it closes at once.',
    tag: 'cards',
    auth: 'session',
    params: S.IdParams,
    status: 200,
    response: S.PaymentCard,
    handler: ({ service, session, params }) => service.blockCard(session, params.id),
  }),
  route({
    method: 'GET',
    path: '/v1/enummer',
    operationId: 'enummers',
    summary: "The holder's e-nummer, newest first, optionally of one state (last four digits only).",
    tag: 'enummer',
    auth: 'session',
    query: S.EnummerListQuery,
    status: 200,
    response: z.array(S.Enummer),
    handler: ({ service, session, query }) => service.enummers(session, query.state === undefined ? {} : { state: query.state }),
  }),
  route({
    method: 'POST',
    path: '/v1/enummer',
    operationId: 'createEnummer',
    summary: 'A new e-nummer for one merchant; the answer holds the full number, expiry and CVC.',
    tag: 'enummer',
    auth: 'session',
    body: S.CreateEnummerRequest,
    status: 201,
    response: S.CreatedEnummer,
    secret: true,
    handler: ({ service, session, body }) => service.createEnummer(session, body),
  }),
  route({
    method: 'GET',
    path: '/v1/enummer/:id',
    operationId: 'enummer',
    summary: 'One e-nummer (last four digits only).',
    tag: 'enummer',
    auth: 'session',
    params: S.IdParams,
    status: 200,
    response: S.Enummer,
    handler: ({ service, session, params }) => service.enummer(session, params.id),
  }),
  route({
    method: 'POST',
    path: '/v1/enummer/:id/reveal',
    operationId: 'revealEnummer',
    summary: 'The full number, expiry and CVC; needs a login within the last 5 minutes.',
    tag: 'enummer',
    auth: 'fresh-session',
    params: S.IdParams,
    status: 200,
    response: S.EnummerSecret,
    secret: true,
    handler: ({ service, session, params }) => service.revealEnummer(session, params.id),
  }),
  enummerAction('pause', 'Pause an open e-nummer: purchases are declined until it is resumed.'),
  enummerAction('resume', 'Resume a paused e-nummer.'),
  enummerAction('close', 'Close an e-nummer for good.'),
  enummerAction('unlock', 'Unlock an e-nummer locked after 5 wrong CVCs or expiry dates within 24 hours (see its lock); the wrong ones are counted afresh.'),
  route({
    method: 'GET',
    path: '/v1/enummer/:id/transactions',
    operationId: 'enummerTransactions',
    summary: "One e-nummer's purchases, approved and declined, newest first: a page of ?limit (default 100, at most 1000) after ?cursor (the last page's nextCursor).",
    tag: 'enummer',
    auth: 'session',
    params: S.IdParams,
    query: S.TransactionListQuery,
    status: 200,
    response: S.TransactionPage,
    handler: ({ service, session, params, query }) => service.transactionPage(session, { enummerId: params.id, ...pageOf(query) }),
  }),
  route({
    method: 'GET',
    path: '/v1/transactions',
    operationId: 'transactions',
    summary: "The holder's purchases on all e-nummer, newest first: a page of ?limit (default 100, at most 1000) after ?cursor (the last page's nextCursor).",
    tag: 'enummer',
    auth: 'session',
    query: S.TransactionListQuery,
    status: 200,
    response: S.TransactionPage,
    handler: ({ service, session, query }) => service.transactionPage(session, pageOf(query)),
  }),
  route({
    method: 'POST',
    path: '/v1/network/authorizations',
    operationId: 'authorize',
    summary: 'The card network asks whether a purchase on an e-nummer may go through.',
    tag: 'network',
    auth: 'network',
    rateLimit: 'network',
    body: S.AuthorizationRequest,
    status: 200,
    response: S.AuthorizationResult,
    handler: ({ service, body }) => service.authorize(body),
  }),
  ...appLoginRoutes(),
  ...phoneRoutes(),
  ...disputeRoutes(),
];

/** Disputes of the holder's purchases (card terms §10-11) and the holder's notifications (§17). */
function disputeRoutes(): RouteDef[] {
  return [
    route({
      method: 'POST',
      path: '/v1/transactions/:id/dispute',
      operationId: 'disputeTransaction',
      summary:
        "Dispute one of the holder's approved purchases within 13 months: unauthorised (not mine), incorrect (amount, duplicate) or goods (the merchant first). Answers the claim with what the terms say the holder risks; an unauthorised claim offers blocking the card.",
      tag: 'disputes',
      auth: 'session',
      params: S.IdParams,
      body: S.DisputeRequest,
      status: 201,
      response: S.Dispute,
      handler: ({ service, session, params, body }) => service.disputeTransaction(session, params.id, body),
    }),
    route({
      method: 'POST',
      path: '/v1/transactions/:id/refund',
      operationId: 'requestRefund',
      summary: 'Ask for a refund of an approved purchase whose exact amount was not given and exceeded what the holder could expect (card terms §20), within eight weeks; the bank answers within ten banking days.',
      tag: 'disputes',
      auth: 'session',
      params: S.IdParams,
      body: S.RefundRequestBody,
      status: 201,
      response: S.RefundRequest,
      handler: ({ service, session, params, body }) => service.requestRefund(session, params.id, body),
    }),
    route({
      method: 'GET',
      path: '/v1/refunds',
      operationId: 'refunds',
      summary: "The holder's refund requests, newest first, with the bank's answer.",
      tag: 'disputes',
      auth: 'session',
      status: 200,
      response: z.array(S.RefundRequest),
      handler: ({ service, session }) => service.refunds(session),
    }),
    route({
      method: 'GET',
      path: '/v1/disputes',
      operationId: 'disputes',
      summary: "The holder's disputes, newest first, with their state.",
      tag: 'disputes',
      auth: 'session',
      status: 200,
      response: z.array(S.Dispute),
      handler: ({ service, session }) => service.disputes(session),
    }),
    route({
      method: 'GET',
      path: '/v1/disputes/:id',
      operationId: 'dispute',
      summary: 'One of the holder\'s disputes.',
      tag: 'disputes',
      auth: 'session',
      params: S.IdParams,
      status: 200,
      response: S.Dispute,
      handler: ({ service, session, params }) => service.dispute(session, params.id),
    }),
    route({
      method: 'POST',
      path: '/v1/disputes/:id/police-report',
      operationId: 'submitPoliceReport',
      summary: "Give the police's report number the bank asked for (card terms §10.4).",
      tag: 'disputes',
      auth: 'session',
      params: S.IdParams,
      body: S.PoliceReportRequest,
      status: 200,
      response: S.Dispute,
      handler: ({ service, session, params, body }) => service.submitPoliceReport(session, params.id, body.reference),
    }),
    route({
      method: 'GET',
      path: '/v1/notifications',
      operationId: 'notifications',
      summary: "The holder's messages from the bank, newest first: the currency conversion cost of purchases in EEA currencies (once per currency and month).",
      tag: 'disputes',
      auth: 'session',
      status: 200,
      response: z.array(S.Notification),
      handler: ({ service, session }) => service.notifications(session),
    }),
  ];
}

/** App-approved login (Mobilt BankID style): the desktop's four routes and the app's three. */
function appLoginRoutes(): RouteDef[] {
  return [
    route({
      method: 'POST',
      path: '/v1/login/app',
      operationId: 'appLoginStart',
      summary: 'App login, step 1: an order (3 minutes) with its auto-start token and first QR code; the app approves it.',
      tag: 'login',
      auth: 'none',
      rateLimit: 'login',
      status: 200,
      response: S.AppLoginStarted,
      handler: ({ service, ip }) => service.appLoginStart(ip),
    }),
    route({
      method: 'GET',
      path: '/v1/login/app/:id/qr',
      operationId: 'appLoginQr',
      summary: "App login: the order's animated QR code now (it changes every second; id is the orderRef).",
      tag: 'login',
      auth: 'none',
      rateLimit: 'login',
      params: S.IdParams,
      status: 200,
      response: S.AppLoginQr,
      handler: ({ service, params }) => service.appLoginQr(params.id),
    }),
    route({
      method: 'POST',
      path: '/v1/login/app/:id/collect',
      operationId: 'appLoginCollect',
      summary: "App login, step 2, every second: the order's status in words; when complete, the session (once).",
      tag: 'login',
      auth: 'none',
      rateLimit: 'login',
      params: S.IdParams,
      status: 200,
      response: S.AppLoginStatus,
      secret: true,
      handler: ({ service, params }) => service.appLoginCollect(params.id),
    }),
    route({
      method: 'POST',
      path: '/v1/login/app/:id/cancel',
      operationId: 'appLoginCancel',
      summary: 'App login: cancel the order (the app can no longer approve it).',
      tag: 'login',
      auth: 'none',
      rateLimit: 'login',
      params: S.IdParams,
      status: 204,
      handler: ({ service, params }) => service.appLoginCancel(params.id),
    }),
    route({
      method: 'POST',
      path: '/v1/app/enrol',
      operationId: 'appEnrol',
      summary: "The customer's app enrols its P-256 public key with the bank's one-time enrolment code.",
      tag: 'app',
      auth: 'none',
      rateLimit: 'login',
      body: S.AppEnrolRequest,
      status: 201,
      response: S.AppEnrolled,
      handler: ({ service, body }) => service.appEnrol(body),
    }),
    route({
      method: 'POST',
      path: '/v1/app/orders/lookup',
      operationId: 'appOrderLookup',
      summary: 'The app read a QR code or an auto-start token: who asks and what for (a QR code older than 30 s is refused).',
      tag: 'app',
      auth: 'none',
      rateLimit: 'login',
      body: S.AppOrderLookupRequest,
      status: 200,
      response: S.AppOrderLookup,
      handler: ({ service, body }) => service.appLookup('qr' in body ? { kind: 'qr', value: body.qr } : { kind: 'autostart', value: body.autoStartToken }),
    }),
    route({
      method: 'POST',
      path: '/v1/app/orders/:id/approve',
      operationId: 'appOrderApprove',
      summary: "The app approves the order (id is the orderRef) with its signature over the approval statement.",
      tag: 'app',
      auth: 'none',
      rateLimit: 'login',
      params: S.IdParams,
      body: S.AppApproveRequest,
      status: 200,
      response: S.AppApproved,
      handler: async ({ service, params, body }) => {
        await service.appApprove(params.id, body);
        return { orderRef: params.id, status: 'complete' as const };
      },
    }),
  ];
}

/**
 * The telephone service. The phone routes are for the bank's phone system (IVR) only: their
 * bearer is an IVR key (`ekort bank ivr-key`, a key type of its own, kept apart from the card
 * network's keys); the route table's `token` auth makes the server demand a bearer, and the
 * handler checks it is an IVR key (401 IVR_KEY_INVALID otherwise). The app's identification
 * routes take the customer's session and answer only the customer's own requests.
 */
function phoneRoutes(): RouteDef[] {
  const ivr = async (service: EkortService, token: string): Promise<void> => {
    if (!(await service.isIvrKey(token))) throw new BankError('IVR_KEY_INVALID', 'The IVR key is missing or not valid.', { status: 401 });
  };
  return [
    route({
      method: 'POST',
      path: '/v1/phone/calls',
      operationId: 'phoneCallStart',
      summary: 'The phone system: a call comes in; the welcome and the menu to play.',
      tag: 'phone',
      auth: 'token',
      status: 201,
      response: S.PhoneCall,
      handler: async ({ service, token }) => {
        await ivr(service, token);
        return service.phoneCallStart();
      },
    }),
    route({
      method: 'POST',
      path: '/v1/phone/calls/:id/keys',
      operationId: 'phoneCallKeys',
      summary: 'The phone system: keys the caller pressed ("" to poll while the app is asked); the prompts to play next.',
      tag: 'phone',
      auth: 'token',
      params: S.IdParams,
      body: S.PhoneKeysRequest,
      status: 200,
      response: S.PhoneCall,
      handler: async ({ service, token, params, body }) => {
        await ivr(service, token);
        return service.phoneCallKeys(params.id, body.keys);
      },
    }),
    route({
      method: 'POST',
      path: '/v1/phone/calls/:id/hangup',
      operationId: 'phoneCallHangup',
      summary: 'The phone system: the caller hung up or the line dropped; the identification ends with the call.',
      tag: 'phone',
      auth: 'token',
      params: S.IdParams,
      status: 200,
      response: S.PhoneCall,
      handler: async ({ service, token, params }) => {
        await ivr(service, token);
        return service.phoneCallHangup(params.id);
      },
    }),
    route({
      method: 'GET',
      path: '/v1/app/identifications',
      operationId: 'appIdentifications',
      summary: "The app: the customer's identification requests from the telephone service still to answer (who asks, the code read out on the call).",
      tag: 'app',
      auth: 'session',
      status: 200,
      response: z.array(S.AppIdentification),
      handler: ({ service, session }) => service.pendingAppIdentifications(session),
    }),
    route({
      method: 'POST',
      path: '/v1/app/identifications/:id/approve',
      operationId: 'appIdentificationApprove',
      summary: "The app: the customer approves the identification request with the enrolled app's signature over the identification statement (request id, requester, the code shown); unsigned approvals are refused.",
      tag: 'app',
      auth: 'session',
      params: S.IdParams,
      body: S.SignedIdentificationRequest,
      status: 200,
      response: S.AppIdentificationDecision,
      handler: ({ service, session, params, body }) => service.decideAppIdentification(session, params.id, 'approved', body),
    }),
    route({
      method: 'POST',
      path: '/v1/app/identifications/:id/reject',
      operationId: 'appIdentificationReject',
      summary: 'The app: the customer rejects the identification request.',
      tag: 'app',
      auth: 'session',
      params: S.IdParams,
      status: 200,
      response: S.AppIdentificationDecision,
      handler: ({ service, session, params }) => service.decideAppIdentification(session, params.id, 'rejected'),
    }),
  ];
}
