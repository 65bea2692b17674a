/**
 * The HTTP API's contract, once: zod schemas validate requests at the edge, type the
 * service's answers and the typed client, and produce the OpenAPI document. Money is öre
 * (integers), times ISO 8601, card numbers digits only.
 */
import { z } from 'zod';

const id = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'an id of 8 to 64 letters, digits, _ or -');
const iso = z.string().describe('ISO 8601 time');
const ore = z.number().int().min(1).max(100_000_000_00).describe('an amount in öre (1 kr = 100 öre)');

export const Id = id;

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
  cms: z.string().min(1).max(90_000).regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64'),
});
export const DosaSerial = z.string().regex(/^[0-9]{6,12}$/, 'the dosa serial: 6 to 12 digits');
export const DosaChallengeRequest = z.strictObject({ serial: DosaSerial });
export const DosaChallenge = z.object({ challengeId: id, kontrollnummer: z.string().regex(/^[0-9]{8}$/), expiresAt: iso });
export const DosaLoginRequest = z.strictObject({ challengeId: id, svarskod: z.string().regex(/^[0-9 ]{8,9}$/, 'the 8-digit svarskod') });
export const DosaCodeLoginRequest = z.strictObject({ serial: DosaSerial, code: z.string().regex(/^[0-9 ]{6,9}$/, 'the login code from the dosa') });

export const LoginMethod = z.enum(['card', 'dosa', 'dosa-code']);
export const Session = z.object({
  /** Bearer token for the following calls; keep it secret. */
  token: z.string(),
  customer: z.object({ name: z.string(), personnummer: z.string() }),
  method: LoginMethod,
  authenticatedAt: iso,
  idleTimeoutSeconds: z.number().int(),
});
export const SessionInfo = Session.omit({ token: true });

// --- Payment cards -----------------------------------------------------------------------

export const PaymentCard = z.object({
  id,
  last4: z.string(),
  product: z.string(),
  state: z.enum(['active', 'blocked']),
  connected: z.boolean(),
  termsVersion: z.string().nullable(),
  termsAcceptedAt: iso.nullable(),
  limitPerPurchase: z.number().int(),
  limitPerMonth: z.number().int(),
});
export const Terms = z.object({ version: z.string(), title: z.string(), text: z.string() });
export const ConnectCardRequest = z.strictObject({ termsVersion: z.string().min(1).max(40), accepted: z.literal(true) });

// --- e-nummer ----------------------------------------------------------------------------

export const EnummerState = z.enum(['open', 'paused', 'closed']);
export const CloseReason = z.enum(['expired', 'closed_by_holder', 'card_blocked', 'used']);
export const CreateEnummerRequest = z
  .strictObject({
    cardId: id,
    merchant: z.string().trim().min(1).max(100),
    recurring: z.boolean().default(false),
    months: z.number().int().min(1).max(24).optional(),
    limit: z.strictObject({ amount: ore, period: z.enum(['purchase', 'month']) }).optional(),
    nickname: z.string().trim().min(1).max(60).optional(),
  })
  .refine((r) => r.recurring || r.months === undefined || r.months === 1, {
    message: 'a single-purchase e-nummer is valid one month; choose recurring for 1 to 24 months',
    path: ['months'],
  });
export const Enummer = z.object({
  id,
  last4: z.string(),
  cardLast4: z.string().nullable(),
  merchant: z.string(),
  kind: z.enum(['single', 'recurring']),
  months: z.number().int(),
  expiry: z.string().describe('MM/YY'),
  validUntil: iso,
  nickname: z.string().nullable(),
  limit: z.object({ amount: z.number().int(), period: z.enum(['purchase', 'month']) }).nullable(),
  state: EnummerState,
  closeReason: CloseReason.nullable(),
  createdAt: iso,
  closedAt: iso.nullable(),
});
export const EnummerSecret = z.object({ id, pan: z.string(), expiry: z.string(), cvc: z.string() });
export const CreatedEnummer = z.object({ enummer: Enummer, secret: EnummerSecret });
export const EnummerAction = z.enum(['pause', 'resume', 'close']);

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
]);
export const Transaction = z.object({
  id,
  enummerId: id.nullable(),
  last4: z.string(),
  merchant: z.string(),
  amount: z.number().int(),
  decision: z.enum(['approved', 'declined']),
  declineCode: DeclineCode.nullable(),
  createdAt: iso,
});

// --- Card network ------------------------------------------------------------------------

export const AuthorizationRequest = z.strictObject({
  pan: z.string().regex(/^[0-9]{12,19}$/, '12 to 19 digits'),
  expiry: z.string().regex(/^(0[1-9]|1[0-2])\/[0-9]{2}$/, 'MM/YY'),
  cvc: z.string().regex(/^[0-9]{3,4}$/, '3 or 4 digits'),
  merchant: z.string().min(1).max(100),
  amount: ore,
  /** The network's id for this request: a retried request gets the first answer again. */
  requestId: z.string().min(1).max(64).optional(),
});
export const AuthorizationResult = z.object({ approved: z.boolean(), declineCode: DeclineCode.nullable(), transactionId: id });

export const ApiError = z.object({
  code: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  /** DOSA_CODE_WRONG / DOSA_BLOCKED: wrong answers left before the dosa is blocked. */
  triesLeft: z.number().int().optional(),
});

// --- Service -----------------------------------------------------------------------------

export const IdParams = z.strictObject({ id });
export const Health = z.object({ status: z.literal('ok'), serviceId: z.string(), time: iso });
export const EnummerListQuery = z.strictObject({ state: EnummerState.optional() });

export type CardChallenge = z.infer<typeof CardChallenge>;
export type CardLoginRequest = z.infer<typeof CardLoginRequest>;
export type DosaChallenge = z.infer<typeof DosaChallenge>;
export type Session = z.infer<typeof Session>;
export type SessionInfo = z.infer<typeof SessionInfo>;
export type LoginMethod = z.infer<typeof LoginMethod>;
export type PaymentCard = z.infer<typeof PaymentCard>;
export type Terms = z.infer<typeof Terms>;
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
export type Health = z.infer<typeof Health>;
