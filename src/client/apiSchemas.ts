/**
 * One zod schema per API method for its input: the IPC table and the browser bridge validate
 * every input with these before the agent sees it. The e-kort service's own request schemas
 * (src/bank/api/schemas.ts) are reused where the agent passes the input on.
 */
import * as z from '../zod.ts';
import { firstControlCharacter } from '../text/index.ts';
import * as S from '../bank/api/schemas.ts';
import type { ApiMethod } from './api.ts';

/** No input: absent, null or an empty object (a bridge client may send `{}`). */
const none = z.pipe(
  z.union([z.undefined(), z.null(), z.strictObject({})]),
  z.transform(() => undefined),
);
/** Options or none: absent or null is {}. */
const orEmpty = <T extends z.ZodMiniObject>(options: T) => z.pipe(z.union([z.undefined(), z.null(), options]), z.transform((v) => v ?? {}));

const readerName = z.string().check(z.minLength(1), z.maxLength(200));
const pin = z.string().check(z.regex(/^[0-9]{6,8}$/, 'the PIN: 6 to 8 digits'));
/** A BankID på fil the user picked: an absolute path. */
const credentialPath = z.string().check(
  z.minLength(2),
  z.maxLength(4096),
  z.refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'an absolute path'),
);
const serviceUrl = z.string().check(
  z.maxLength(500),
  z.refine((u) => {
    try {
      const url = new URL(u);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '';
    } catch {
      return false;
    }
  }, 'an http(s) URL without credentials'),
);

export const SettingsSchema = z.strictObject({
  language: z.enum(['sv', 'en']),
  engineerMode: z.boolean(),
  service: z.discriminatedUnion('mode', [z.strictObject({ mode: z.literal('embedded') }), z.strictObject({ mode: z.literal('remote'), url: serviceUrl })]),
});

export const API_INPUT_SCHEMAS = {
  settings: none,
  updateSettings: z.partial(SettingsSchema),
  startDemo: none,
  platform: none,
  readers: none,
  cardHolder: z.strictObject({ reader: readerName }),
  tokens: none,
  loginWithCard: z.strictObject({ reader: readerName, pin: z.optional(pin) }),
  fileCredentials: orEmpty(z.strictObject({ paths: z.optional(z.array(credentialPath).check(z.maxLength(20))) })),
  loginWithFile: z
    .strictObject({
      id: z.optional(z.string().check(z.regex(/^[0-9a-f]{64}$/, 'the id from fileCredentials'))),
      path: z.optional(credentialPath),
      password: z.string().check(z.minLength(1), z.maxLength(1024)),
    })
    .check(z.refine((v) => (v.id === undefined) !== (v.path === undefined), 'give the file by id or by path, one of them')),
  startDosaLogin: S.DosaChallengeRequest,
  finishDosaLogin: S.DosaLoginRequest,
  answerWithToken: z.strictObject({ challengeId: S.Id, token: z.string().check(z.minLength(1), z.maxLength(300)) }),
  cancelToken: none,
  startAppLogin: none,
  appLoginStatus: z.strictObject({ orderRef: S.Id }),
  cancelAppLogin: z.strictObject({ orderRef: S.Id }),
  session: none,
  logout: none,
  terms: none,
  paymentCards: none,
  connectCard: z.strictObject({ cardId: S.Id, termsVersion: z.string().check(z.minLength(1), z.maxLength(40)) }),
  blockCard: z.strictObject({ cardId: S.Id }),
  acceptTerms: S.AcceptTermsRequest,
  endAgreement: none,
  enummers: none,
  createEnummer: S.CreateEnummerRequest,
  revealEnummer: z.strictObject({ id: S.Id }),
  changeEnummer: z.strictObject({ id: S.Id, action: S.EnummerAction }),
  transactions: orEmpty(z.strictObject({ enummerId: z.optional(S.Id) })),
  disputeTransaction: z.extend(S.DisputeRequest, { transactionId: S.Id }),
  disputes: none,
  requestRefund: z.extend(z.omit(S.RefundRequestBody, { exactAmountNotGiven: true }), { transactionId: S.Id }),
  refunds: none,
  submitPoliceReport: z.extend(S.PoliceReportRequest, { id: S.Id }),
  notifications: none,
  preferences: none,
  setPreferences: S.PreferencesRequest,
  oathCodes: z.strictObject({ reader: readerName }),
  oathCode: z.strictObject({
    reader: readerName,
    id: z.string().check(z.minLength(1), z.maxLength(64), z.refine((v) => firstControlCharacter(v) === undefined, 'control characters')),
  }),
  apduTrace: none,
  insertVirtualCard: orEmpty(z.strictObject({ reader: z.optional(readerName) })),
  removeVirtualCard: none,
  pinPadEntry: z.union([z.strictObject({ pin: z.string().check(z.regex(/^[0-9]{4,12}$/, '4 to 12 digits')) }), z.strictObject({ cancel: z.literal(true) })]),
  plugVirtualToken: orEmpty(z.strictObject({ touch: z.optional(z.boolean()) })),
  unplugVirtualToken: none,
  authorizePurchase: S.AuthorizationRequest,
} as const satisfies Record<ApiMethod, z.ZodMiniType>;

export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(API_INPUT_SCHEMAS, name);
}
