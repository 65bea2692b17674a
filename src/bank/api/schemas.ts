/**
 * The HTTP API's contract, once: zod schemas validate requests at the edge, type the
 * service's answers and the typed client, and produce the OpenAPI document. Money is öre
 * (integers), times ISO 8601, card numbers digits only.
 */
import * as z from '../../zod.ts';
import { controlCharacterName, firstControlCharacter, firstLoneSurrogate } from '../../text/index.ts';

const id = z.string().check(z.regex(/^[A-Za-z0-9_-]{8,64}$/, 'an id of 8 to 64 letters, digits, _ or -'));
const iso = z.string().check(z.describe('ISO 8601 time'));
const ore = z.int().check(z.minimum(1), z.maximum(100_000_000_00), z.describe('an amount in öre (1 kr = 100 öre)'));

export const Id = id;

/**
 * Free text from a user or the network: no control characters (C0 and NUL, DEL, C1, bidi
 * controls; see controlCharacters.ts), so nothing stored can drive a terminal or reorder a log
 * line, and no lone UTF-16 surrogate, which is no character and cannot be stored as one.
 * Single-line fields take no tab or newline either; `multiline` fields take \n only.
 */
export function safeText(schema: z.ZodMiniString<string>, options: { multiline?: boolean } = {}): z.ZodMiniString<string> {
  return schema.check(
    z.superRefine((value, ctx) => {
      const ch = firstControlCharacter(value, options);
      if (ch !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `a control character (${controlCharacterName(ch)}) is not allowed${options.multiline ? ' (only line breaks are)' : ''}`,
        });
      }
      const surrogate = firstLoneSurrogate(value);
      if (surrogate !== undefined) {
        ctx.addIssue({ code: 'custom', message: `a lone UTF-16 surrogate (${controlCharacterName(surrogate)}) is not a character: send well-formed Unicode` });
      }
    }),
  );
}

// --- Login -------------------------------------------------------------------------------

export const CardChallenge = z.object({
  challengeId: id,
  /** base64: the exact bytes the card signs (the service's id and a nonce). */
  challenge: z.string(),
  expiresAt: iso,
});
export const CardLoginRequest = z.strictObject({
  challengeId: id,
  /** base64 DER of the detached CMS SignedData over the challenge. */
  cms: z.string().check(z.minLength(1), z.maxLength(90_000), z.regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64')),
});
export const DosaSerial = z.string().check(z.regex(/^[0-9]{6,12}$/, 'the dosa serial: 6 to 12 digits'));
export const DosaChallengeRequest = z.strictObject({ serial: DosaSerial });
export const DosaChallenge = z.object({ challengeId: id, kontrollnummer: z.string().check(z.regex(/^[0-9]{8}$/)), expiresAt: iso });
export const DosaLoginRequest = z.strictObject({ challengeId: id, svarskod: z.string().check(z.regex(/^[0-9 ]{8,9}$/, 'the 8-digit svarskod')) });
export const DosaCodeLoginRequest = z.strictObject({ serial: DosaSerial, code: z.string().check(z.regex(/^[0-9 ]{6,9}$/, 'the login code from the dosa')) });

export const LoginMethod = z.enum(['card', 'dosa', 'dosa-code', 'app']);
export const Session = z.object({
  /** Bearer token for the following calls; keep it secret. */
  token: z.string(),
  customer: z.object({ name: z.string(), personnummer: z.string() }),
  method: LoginMethod,
  authenticatedAt: iso,
  idleTimeoutSeconds: z.int(),
});
export const SessionInfo = z.omit(Session, { token: true });

// --- App-approved login (Mobilt BankID style) --------------------------------------------

const base64 = (max: number) => z.string().check(z.minLength(1), z.maxLength(max), z.regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64'));

export const AppLoginStarted = z.object({
  orderRef: id,
  /** For the same-device link (autoStartLink). */
  autoStartToken: z.string(),
  qrStartToken: z.string(),
  /** The QR code's content now; ask GET …/qr every second for the next one. */
  qr: z.string(),
  /** `bankid:///?autostarttoken=…&redirect=null`: opens the app on this device. */
  autoStartLink: z.string(),
  expiresAt: iso,
});
export const AppLoginQr = z.object({ orderRef: id, qr: z.string() });
/** The status in words: waiting for the app, the user is signing, cancelled, timed out, failed, done. */
export const AppLoginPhase = z.enum(['waiting', 'signing', 'cancelled', 'timeout', 'failed', 'done']);
export const AppLoginStatus = z.object({
  orderRef: id,
  status: z.enum(['pending', 'complete', 'failed']),
  /** BankID's hint code (pending and failed orders). */
  hintCode: z.nullable(z.string()),
  phase: AppLoginPhase,
  statusText: z.object({ sv: z.string(), en: z.string() }),
  /** Complete orders: the session, given to this one collect only. */
  session: z.optional(Session),
});
export const AppEnrolRequest = z.strictObject({
  /** The one-time enrolment code from the bank (XXXX-XXXX-XXXX-XXXX). */
  code: safeText(z.string().check(z.trim(), z.minLength(16), z.maxLength(40))),
  /** SPKI DER (base64) of the app's EC P-256 public key. */
  publicKey: base64(400),
  /** ECDSA signature (DER, base64) over the enrolment proof statement. */
  proof: base64(200),
  name: z.optional(safeText(z.string().check(z.trim(), z.minLength(1), z.maxLength(60)))),
});
export const AppEnrolled = z.object({ deviceId: id, customer: z.object({ name: z.string(), personnummer: z.string() }) });
export const AppSeenCode = z.strictObject({ kind: z.enum(['qr', 'autostart']), value: safeText(z.string().check(z.minLength(8), z.maxLength(200))) });
export const AppOrderLookupRequest = z.union([z.strictObject({ qr: safeText(z.string().check(z.minLength(8), z.maxLength(200))) }), z.strictObject({ autoStartToken: safeText(z.string().check(z.minLength(8), z.maxLength(100))) })]);
export const AppOrderLookup = z.object({
  orderRef: id,
  /** Who asks. */
  relyingParty: z.string(),
  /** What for: the text the app shows. */
  visibleText: z.string(),
  orderStartedAt: iso,
  expiresAt: iso,
  serverTime: iso,
  qr: z.optional(z.object({ seconds: z.int(), ageSeconds: z.int() })),
});
export const AppApproveRequest = z.strictObject({
  deviceId: id,
  seen: AppSeenCode,
  /** The statement's time (ISO 8601 UTC). */
  time: safeText(z.string().check(z.minLength(10), z.maxLength(40))),
  /** ECDSA P-256 signature (DER, base64) over the approval statement. */
  signature: base64(200),
});
export const AppApproved = z.object({ orderRef: id, status: z.literal('complete') });

// --- Payment cards -----------------------------------------------------------------------

export const PaymentCard = z.object({
  id,
  last4: z.string(),
  product: z.string(),
  state: z.enum(['active', 'blocked']),
  connected: z.boolean(),
  termsVersion: z.nullable(z.string()),
  termsAcceptedAt: z.nullable(iso),
  limitPerPurchase: z.int(),
  limitPerMonth: z.int(),
  /** The end of the month printed on the card (exclusive, Stockholm time); null when not recorded. */
  expiresAt: z.optional(z.nullable(iso)),
  /** Past its printed month: no purchase goes through and no e-nummer can be made for it. */
  expired: z.optional(z.boolean()),
  /** The card this one replaces (card terms §12); that card is blocked when this one is first used. */
  replaces: z.optional(z.nullable(z.object({ id, last4: z.string() }))),
});
export const Terms = z.object({
  version: z.string(),
  title: z.string(),
  text: z.string(),
  /** When this version took effect; null for the first. */
  effectiveFrom: z.optional(z.nullable(iso)),
  /**
   * A change announced and not yet in effect (card terms §21: two months ahead): read it, accept
   * it now, or end e-kort before it takes effect; a holder who does neither is bound by it then.
   */
  upcoming: z.optional(z.nullable(z.object({ version: z.string(), title: z.string(), text: z.string(), announcedAt: iso, effectiveFrom: iso }))),
});
export const AcceptTermsRequest = z.strictObject({ version: safeText(z.string().check(z.minLength(1), z.maxLength(40))) });
/** What ending e-kort did: the cards disconnected and the e-nummer closed. */
export const AgreementEnded = z.object({ cards: z.int(), enummers: z.int() });
export const EndAgreementRequest = z.strictObject({ confirm: z.literal(true) });
export const ConnectCardRequest = z.strictObject({ termsVersion: safeText(z.string().check(z.minLength(1), z.maxLength(40))), accepted: z.literal(true) });

// --- e-nummer ----------------------------------------------------------------------------

export const EnummerState = z.enum(['open', 'paused', 'closed']);
export const CloseReason = z.enum(['expired', 'closed_by_holder', 'card_blocked', 'used', 'agreement_ended']);
export const CreateEnummerRequest = z
  .strictObject({
    cardId: id,
    /** The merchant's name as the holder knows it; empty: the first merchant that uses the e-nummer owns it. */
    merchant: z._default(safeText(z.string().check(z.trim(), z.maxLength(100))), ''),
    recurring: z._default(z.boolean(), false),
    months: z.optional(z.int().check(z.minimum(1), z.maximum(24))),
    limit: z.optional(z.strictObject({ amount: ore, period: z.enum(['purchase', 'month']) })),
    nickname: z.optional(safeText(z.string().check(z.trim(), z.minLength(1), z.maxLength(60)))),
  })
  .check(
    z.refine((r) => r.recurring || r.months === undefined || r.months === 1, {
      message: 'a single-purchase e-nummer is valid one month; choose recurring for 1 to 24 months',
      path: ['months'],
    }),
  );
export const Enummer = z.object({
  id,
  last4: z.string(),
  cardLast4: z.nullable(z.string()),
  merchant: z.string(),
  kind: z.enum(['single', 'recurring']),
  months: z.int(),
  expiry: z.string().check(z.describe('MM/YY')),
  validUntil: iso,
  nickname: z.nullable(z.string()),
  limit: z.nullable(z.object({ amount: z.int(), period: z.enum(['purchase', 'month']) })),
  state: EnummerState,
  closeReason: z.nullable(CloseReason),
  createdAt: iso,
  closedAt: z.nullable(iso),
  /** Locked after 5 wrong CVCs or expiry dates within 24 hours: every purchase is declined CVC_LOCKED until the holder unlocks it. */
  lock: z.nullable(z.object({ reason: z.enum(['wrong_cvc']), lockedAt: iso })),
  /** The merchant it belongs to since its first purchase, when no name or no clear name was given: the network's merchant id and descriptor. */
  lockedTo: z.nullable(z.object({ merchantId: z.string(), descriptor: z.string() })),
});
export const EnummerSecret = z.object({ id, pan: z.string(), expiry: z.string(), cvc: z.string() });
export const CreatedEnummer = z.object({ enummer: Enummer, secret: EnummerSecret });
/** unlock: the holder lifts the lock after wrong CVCs (see Enummer.lock). */
export const EnummerAction = z.enum(['pause', 'resume', 'close', 'unlock']);

export const DeclineCode = z.enum([
  'UNKNOWN_NUMBER',
  'EXPIRED',
  'EXPIRY_MISMATCH',
  'MERCHANT_MISMATCH',
  'CVC_MISMATCH',
  'LIMIT_EXCEEDED',
  'CARD_BLOCKED',
  'CLOSED',
  'PAUSED',
  /** Locked after 5 wrong CVCs or expiry dates within 24 hours, until the holder unlocks it (right CVC or not). */
  'CVC_LOCKED',
  /** A purchase in a currency the service has no reference rate for. */
  'CURRENCY_NOT_SUPPORTED',
  /** The card the e-nummer draws on is past the month printed on it (card terms §12). */
  'CARD_EXPIRED',
]);
export const Transaction = z.object({
  id,
  enummerId: z.nullable(id),
  last4: z.string(),
  merchant: z.string(),
  amount: z.int(),
  decision: z.enum(['approved', 'declined']),
  declineCode: z.nullable(DeclineCode),
  createdAt: iso,
  /** Purchases in another currency: `amount` is the SEK booked (converted + fee); this is the amount in the currency's minor units. */
  originalAmount: z.optional(z.int()),
  /** ISO 4217 code of the purchase's currency (only when not SEK). */
  currency: z.optional(z.string()),
  /** The reference rate used: SEK per one unit of `currency`. */
  rate: z.optional(z.number()),
  /** The day of the reference rate (YYYY-MM-DD). */
  rateDate: z.optional(z.string()),
  /** The currency conversion markup (1.65 % of the converted amount, price list), öre; included in `amount`. */
  fee: z.optional(z.int()),
});

// --- Card network ------------------------------------------------------------------------

export const AuthorizationRequest = z.strictObject({
  pan: z.string().check(z.regex(/^[0-9]{12,19}$/, '12 to 19 digits')),
  expiry: z.string().check(z.regex(/^(0[1-9]|1[0-2])\/[0-9]{2}$/, 'MM/YY')),
  cvc: z.string().check(z.regex(/^[0-9]{3,4}$/, '3 or 4 digits')),
  merchant: safeText(z.string().check(z.minLength(1), z.maxLength(100))),
  /** The network's id of the merchant (the acquirer's merchant id); an e-nummer without a clear merchant is locked to the first one. */
  merchantId: z.optional(safeText(z.string().check(z.minLength(1), z.maxLength(64)))),
  amount: ore.check(z.describe("the amount in the minor units of `currency` (öre for SEK, cents for EUR, yen for JPY)")),
  /** The network's id for this request: a retried request gets the first answer again. */
  requestId: z.optional(safeText(z.string().check(z.minLength(1), z.maxLength(64)))),
  /** ISO 4217 currency of the purchase; SEK when not given. Converted to SEK at the service's reference rate plus the 1.65 % markup. */
  currency: z.optional(z.string().check(z.regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR'))),
  /** Whether strong customer authentication (e.g. 3-D Secure with a challenge) was applied; not given = not known, treated as not applied. */
  sca: z.optional(z.boolean()),
});
export const AuthorizationResult = z.object({ approved: z.boolean(), declineCode: z.nullable(DeclineCode), transactionId: id });

/** The approval app's signature over an identification request of the telephone service. */
export const SignedIdentificationRequest = z.strictObject({
  /** The enrolled app's device id. */
  deviceId: safeText(z.string().check(z.minLength(8), z.maxLength(64))),
  /** ISO 8601 time the app signed. */
  time: safeText(z.string().check(z.minLength(20), z.maxLength(40))),
  /** base64 DER ECDSA P-256 SHA-256 over the identification statement. */
  signature: z.string().check(z.minLength(1), z.maxLength(200), z.regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64')),
});

export const ApiError = z.object({
  code: z.string(),
  message: z.string(),
  issues: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
  /** DOSA_CODE_WRONG / DOSA_BLOCKED: wrong answers left before the dosa is blocked. */
  triesLeft: z.optional(z.int()),
  /** RATE_LIMITED / TRY_LATER: seconds to wait before trying again (also the Retry-After header). */
  retryAfter: z.optional(z.int()),
});

// --- Disputes (reklamation, card terms §10-11) and notifications ---------------------------

export const DisputeKind = z.enum(['unauthorised', 'incorrect', 'goods']);
export const DisputeState = z.enum(['received', 'under_investigation', 'resolved', 'referred_to_merchant']);
export const DisputeRequest = z.strictObject({
  /** unauthorised: not made by me (§10); incorrect: wrongly carried out, amount or duplicate (§11.1); goods: a problem with the goods or service (§11.2, the merchant first). */
  kind: DisputeKind,
  description: z.optional(safeText(z.string().check(z.trim(), z.minLength(1), z.maxLength(1000)), { multiline: true })),
});
export const LiabilityReason = z.enum(['self_risk', 'after_card_block', 'sca_missing', 'incorrect_execution', 'goods_merchant_first']);
export const Dispute = z.object({
  id,
  transactionId: id,
  kind: DisputeKind,
  state: DisputeState,
  /** Resolved claims: refunded or rejected. */
  resolution: z.nullable(z.enum(['refunded', 'rejected'])),
  description: z.nullable(z.string()),
  createdAt: iso,
  updatedAt: iso,
  /** The purchase: merchant and SEK amount (öre). */
  merchant: z.string(),
  amount: z.int(),
  /** The holder's risk per the card terms. */
  liability: z.object({
    /** The most the holder can be charged without gross negligence (öre): 400 kr self-risk (§10.2), 0 after a block (§10.5) or without strong authentication (§10.6). */
    maxSelfRiskOre: z.int(),
    reason: LiabilityReason,
    /** The section of the card terms. */
    section: z.string(),
    /** Unauthorised claims with self-risk: the most for gross negligence (§10.3: at most 12 000 kr per card and claim). */
    grossNegligenceMaxOre: z.optional(z.int()),
  }),
  /** Unauthorised claims on a card not yet blocked: offer blocking it (cardId) in the same flow. */
  offerCardBlock: z.optional(z.boolean()),
  cardId: z.optional(id),
  /** §10.4: the bank asked for a police report; the holder's report number once given. */
  policeReport: z.optional(z.nullable(z.object({ requestedAt: iso, reference: z.nullable(z.string()), submittedAt: z.nullable(iso) }))),
  /** §10.7: the bank extended its investigation (it suspects the purchase was authorised). */
  extendedAt: z.optional(z.nullable(iso)),
  /** §10.8: refunded, then found not unauthorised: the holder repays the amount (the bank debits the account). */
  repaymentRequiredAt: z.optional(z.nullable(iso)),
});
/** Card terms §20: a refund of an approved purchase whose exact amount was not given when it was approved. */
export const RefundRequestBody = z.strictObject({
  /** What the holder could reasonably have expected to pay, in the purchase's own currency (minor units). */
  expectedAmount: z.int().check(z.minimum(0), z.maximum(1_000_000_000_00)),
  /** The holder confirms the exact amount was not given when the purchase was approved (§20 a). */
  exactAmountNotGiven: z.literal(true),
  reason: z.optional(safeText(z.string().check(z.trim(), z.maxLength(1000)), { multiline: true })),
});
export const RefundRequest = z.object({
  id,
  transactionId: id,
  merchant: z.string(),
  /** The purchase as booked (SEK öre), and in its own currency when it was another. */
  amount: z.int(),
  originalAmount: z.optional(z.int()),
  currency: z.optional(z.string()),
  expectedAmount: z.int(),
  reason: z.nullable(z.string()),
  state: z.enum(['received', 'refunded', 'refused']),
  /** The bank answers within ten banking days (§20): by the end of this day, Stockholm time. */
  answerBy: iso,
  /** Why the bank refused, with where to take the matter further. */
  answerReason: z.nullable(z.string()),
  createdAt: iso,
  answeredAt: z.nullable(iso),
});
export type RefundRequest = z.infer<typeof RefundRequest>;
export type RefundRequestBody = z.infer<typeof RefundRequestBody>;
export const PoliceReportRequest = z.strictObject({
  /** The police's report number (diarienummer), e.g. "5000-K123456-26". */
  reference: safeText(z.string().check(z.trim(), z.minLength(3), z.maxLength(40), z.regex(/^[0-9A-Za-z][0-9A-Za-z ./-]*$/, 'the report number as the police gave it'))),
});
const Texts = z.object({ sv: z.string(), en: z.string() });
export const NotificationKind = z.enum(['currency_conversion', 'card_blocked', 'card_replaced', 'terms_change', 'dispute', 'refund']);
export const Notification = z.object({
  id,
  kind: NotificationKind,
  title: Texts,
  text: Texts,
  createdAt: iso,
  /** What it is about: the card (card_blocked), the terms version, the claim or the refund request. */
  refId: z.nullable(z.string()),
  /** currency_conversion: the currency, and the Stockholm month it covers (YYYY-MM): one per currency and month. */
  currency: z.optional(z.string()),
  month: z.optional(z.string()),
  transactionId: z.optional(z.nullable(id)),
  /** currency_conversion: the markup over the reference rate, percent ("1.65"). */
  markupPercent: z.optional(z.string()),
  rate: z.optional(z.number()),
  rateDate: z.optional(z.string()),
  /** currency_conversion: the ECB reference rate the markup is measured against, when the bank had it. */
  ecbRate: z.optional(z.number()),
});
export const Preferences = z.object({ currencyNotices: z.boolean() });
export const PreferencesRequest = z.strictObject({ currencyNotices: z.boolean() });
export type Preferences = z.infer<typeof Preferences>;

export type DisputeKind = z.infer<typeof DisputeKind>;
export type DisputeState = z.infer<typeof DisputeState>;
export type DisputeRequest = z.infer<typeof DisputeRequest>;
export type Dispute = z.infer<typeof Dispute>;
export type LiabilityReason = z.infer<typeof LiabilityReason>;
export type Notification = z.infer<typeof Notification>;

// --- Service -----------------------------------------------------------------------------

export const IdParams = z.strictObject({ id });
export const Health = z.object({
  status: z.literal('ok'),
  serviceId: z.string(),
  time: iso,
  /** The reference rates in use: their day, and whether they are older than the last banking day. */
  rates: z.optional(z.object({ date: z.string(), stale: z.boolean() })),
});
export const EnummerListQuery = z.strictObject({ state: z.optional(EnummerState) });

/** The most transactions one page holds, and how many when ?limit is not given. */
export const MAX_PAGE_LIMIT = 1000;
export const DEFAULT_PAGE_LIMIT = 100;
export const TransactionListQuery = z.strictObject({
  limit: z
    ._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(MAX_PAGE_LIMIT)), DEFAULT_PAGE_LIMIT)
    .check(z.describe(`at most ${MAX_PAGE_LIMIT}; ${DEFAULT_PAGE_LIMIT} when not given`)),
  /** The `nextCursor` of the page before; none for the first page. */
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(200), z.regex(/^[A-Za-z0-9_-]+$/, 'a nextCursor as given'))),
});
export const TransactionPage = z.object({
  /** Newest first (then by id), in a stable order: a purchase made meanwhile is not in a later page. */
  items: z.array(Transaction),
  /** The cursor of the next page; null on the last one. */
  nextCursor: z.nullable(z.string()),
});
export type TransactionListQuery = z.input<typeof TransactionListQuery>;
export type TransactionPage = z.infer<typeof TransactionPage>;

export type CardChallenge = z.infer<typeof CardChallenge>;
export type CardLoginRequest = z.infer<typeof CardLoginRequest>;
export type DosaChallenge = z.infer<typeof DosaChallenge>;
export type Session = z.infer<typeof Session>;
export type SessionInfo = z.infer<typeof SessionInfo>;
export type LoginMethod = z.infer<typeof LoginMethod>;
export type PaymentCard = z.infer<typeof PaymentCard>;
export type Terms = z.infer<typeof Terms>;
export type AcceptTermsRequest = z.infer<typeof AcceptTermsRequest>;
export type AgreementEnded = z.infer<typeof AgreementEnded>;
export type CreateEnummerRequest = z.input<typeof CreateEnummerRequest>;
export type Enummer = z.infer<typeof Enummer>;
export type EnummerSecret = z.infer<typeof EnummerSecret>;
export type CreatedEnummer = z.infer<typeof CreatedEnummer>;
export type EnummerAction = z.infer<typeof EnummerAction>;
export type DeclineCode = z.infer<typeof DeclineCode>;
export type Transaction = z.infer<typeof Transaction>;
export type AuthorizationRequest = z.infer<typeof AuthorizationRequest>;
export type AuthorizationResult = z.infer<typeof AuthorizationResult>;
export type ApiError = z.infer<typeof ApiError>;
export type SignedIdentificationRequest = z.infer<typeof SignedIdentificationRequest>;
export type Health = z.infer<typeof Health>;
export type AppLoginStarted = z.infer<typeof AppLoginStarted>;
export type AppLoginQr = z.infer<typeof AppLoginQr>;
export type AppLoginPhase = z.infer<typeof AppLoginPhase>;
export type AppLoginStatus = z.infer<typeof AppLoginStatus>;
export type AppEnrolRequest = z.infer<typeof AppEnrolRequest>;
export type AppEnrolled = z.infer<typeof AppEnrolled>;
export type AppSeenCode = z.infer<typeof AppSeenCode>;
export type AppOrderLookupRequest = z.infer<typeof AppOrderLookupRequest>;
export type AppOrderLookup = z.infer<typeof AppOrderLookup>;
export type AppApproveRequest = z.infer<typeof AppApproveRequest>;
export type AppApproved = z.infer<typeof AppApproved>;

// --- Telephone service (the bank's phone menu, IVR) and app identification -----------------

export const PhoneStep = z.enum(['menu', 'app.userCode', 'app.waiting', 'table.userCode', 'table.password', 'table.cell', 'table.sms', 'block.personnummer', 'block.last4', 'block.confirm', 'reason', 'queued', 'ended']);
export const PhoneKeysRequest = z.strictObject({
  /** The keys pressed, in order ("1", "12345678#"); "" when none was (the phone system polls). */
  keys: z.string().check(z.regex(/^[0-9*#]{0,64}$/, '0 to 64 keys of 0-9, * and #')),
});
export const PhoneCall = z.object({
  callId: id,
  state: PhoneStep,
  /** What the caller hears now, in order (Swedish). */
  prompts: z.array(z.string()),
  identified: z.boolean(),
  /** Who the caller is, once identified in this call. */
  customer: z.optional(z.object({ name: z.string(), personnummer: z.string() })),
  method: z.optional(z.enum(['app', 'codetable'])),
  queue: z.optional(z.enum(['general', 'identified'])),
  reason: z.optional(z.enum(['cards', 'loans', 'payments', 'other'])),
  /** While waiting for the app: the identification code read out on the call. */
  identificationCode: z.optional(z.string()),
  ended: z.boolean(),
});
export const AppIdentification = z.object({ id, requester: z.string(), code: z.string(), createdAt: iso, expiresAt: iso });
export const AppIdentificationDecision = z.object({ id, state: z.enum(['pending', 'approved', 'rejected', 'expired']) });

export type PhoneKeysRequest = z.infer<typeof PhoneKeysRequest>;
export type PhoneCall = z.infer<typeof PhoneCall>;
export type AppIdentification = z.infer<typeof AppIdentification>;
export type AppIdentificationDecision = z.infer<typeof AppIdentificationDecision>;
