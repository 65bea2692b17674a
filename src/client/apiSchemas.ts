/**
 * One zod schema per API method for its input: the IPC table and the browser bridge validate
 * every input with these before the agent sees it. The e-kort service's own request schemas
 * (src/bank/api/schemas.ts) are reused where the agent passes the input on.
 */
import { z } from 'zod';
import { firstControlCharacter } from '../text/index.ts';
import * as S from '../bank/api/schemas.ts';
import type { ApiMethod } from './api.ts';

/** No input: absent, null or an empty object (a bridge client may send `{}`). */
const none = z
  .union([z.undefined(), z.null(), z.strictObject({})])
  .transform(() => undefined);

const readerName = z.string().min(1).max(200);
const pin = z.string().regex(/^[0-9]{6,8}$/, 'the PIN: 6 to 8 digits');
/** A BankID på fil the user picked: an absolute path. */
const credentialPath = z.string().min(2).max(4096).refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'an absolute path');
const serviceUrl = z
  .string()
  .max(500)
  .refine((u) => {
    try {
      const url = new URL(u);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '';
    } catch {
      return false;
    }
  }, 'an http(s) URL without credentials');

export const SettingsSchema = z.strictObject({
  language: z.enum(['sv', 'en']),
  engineerMode: z.boolean(),
  service: z.discriminatedUnion('mode', [z.strictObject({ mode: z.literal('embedded') }), z.strictObject({ mode: z.literal('remote'), url: serviceUrl })]),
});

export const API_INPUT_SCHEMAS = {
  settings: none,
  updateSettings: SettingsSchema.partial(),
  startDemo: none,
  platform: none,
  readers: none,
  cardHolder: z.strictObject({ reader: readerName }),
  tokens: none,
  loginWithCard: z.strictObject({ reader: readerName, pin: pin.optional() }),
  fileCredentials: z.union([z.undefined(), z.null(), z.strictObject({ paths: z.array(credentialPath).max(20).optional() })]).transform((v) => v ?? {}),
  loginWithFile: z
    .strictObject({ id: z.string().regex(/^[0-9a-f]{64}$/, 'the id from fileCredentials').optional(), path: credentialPath.optional(), password: z.string().min(1).max(1024) })
    .refine((v) => (v.id === undefined) !== (v.path === undefined), 'give the file by id or by path, one of them'),
  startDosaLogin: S.DosaChallengeRequest,
  finishDosaLogin: S.DosaLoginRequest,
  answerWithToken: z.strictObject({ challengeId: S.Id, token: z.string().min(1).max(300) }),
  cancelToken: none,
  startAppLogin: none,
  appLoginStatus: z.strictObject({ orderRef: S.Id }),
  cancelAppLogin: z.strictObject({ orderRef: S.Id }),
  session: none,
  logout: none,
  terms: none,
  paymentCards: none,
  connectCard: z.strictObject({ cardId: S.Id, termsVersion: z.string().min(1).max(40) }),
  blockCard: z.strictObject({ cardId: S.Id }),
  acceptTerms: S.AcceptTermsRequest,
  endAgreement: none,
  enummers: none,
  createEnummer: S.CreateEnummerRequest,
  revealEnummer: z.strictObject({ id: S.Id }),
  changeEnummer: z.strictObject({ id: S.Id, action: S.EnummerAction }),
  transactions: z.union([z.undefined(), z.null(), z.strictObject({ enummerId: S.Id.optional() })]).transform((v) => v ?? {}),
  disputeTransaction: S.DisputeRequest.extend({ transactionId: S.Id }),
  disputes: none,
  requestRefund: S.RefundRequestBody.omit({ exactAmountNotGiven: true }).extend({ transactionId: S.Id }),
  refunds: none,
  submitPoliceReport: S.PoliceReportRequest.extend({ id: S.Id }),
  notifications: none,
  preferences: none,
  setPreferences: S.PreferencesRequest,
  oathCodes: z.strictObject({ reader: readerName }),
  oathCode: z.strictObject({ reader: readerName, id: z.string().min(1).max(64).refine((v) => firstControlCharacter(v) === undefined, 'control characters') }),
  apduTrace: none,
  insertVirtualCard: z.union([z.undefined(), z.null(), z.strictObject({ reader: readerName.optional() })]).transform((v) => v ?? {}),
  removeVirtualCard: none,
  pinPadEntry: z.union([z.strictObject({ pin: z.string().regex(/^[0-9]{4,12}$/, '4 to 12 digits') }), z.strictObject({ cancel: z.literal(true) })]),
  plugVirtualToken: z.union([z.undefined(), z.null(), z.strictObject({ touch: z.boolean().optional() })]).transform((v) => v ?? {}),
  unplugVirtualToken: none,
  authorizePurchase: S.AuthorizationRequest,
} as const satisfies Record<ApiMethod, z.ZodType>;

export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(API_INPUT_SCHEMAS, name);
}
