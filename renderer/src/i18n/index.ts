/**
 * Messages by key in Swedish (default) or English, and error codes translated by code.
 * DOM-free: unit-tested in node.
 */
import type { ApiFailure, Language } from '../../../src/client/api.ts';
import { en } from './en.ts';
import { sv, type MessageKey } from './sv.ts';

export type { MessageKey };
export type Params = Record<string, string | number>;
export type Translate = (key: MessageKey, params?: Params) => string;

export const catalogues: Record<Language, Record<MessageKey, string>> = { sv, en };

export function interpolate(template: string, params?: Params): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

export function translator(language: Language): Translate {
  const catalogue = catalogues[language] ?? sv;
  return (key, params) => interpolate(catalogue[key] ?? sv[key] ?? key, params);
}

export function isMessageKey(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(sv, key);
}

/** Anything thrown by a call, as an ApiFailure (non-API errors get code INTERNAL). */
export function asFailure(error: unknown): ApiFailure {
  if (error && typeof error === 'object' && typeof (error as { code?: unknown }).code === 'string') {
    const e = error as ApiFailure;
    return { ...e, message: typeof e.message === 'string' ? e.message : String(e.code) };
  }
  if (error instanceof Error) return { code: 'INTERNAL', message: error.message };
  return { code: 'INTERNAL', message: String(error) };
}

/**
 * Codes a customer meets only when something below the app misbehaves, by family: one text per
 * family says what to do and names the code for support (the card's ISO 7816 status words, the
 * HTTP and IPC protocol's refusals, the engineers' virtual devices and fixtures).
 */
const FAMILIES: Record<'card' | 'protocol' | 'engineer', readonly string[]> = {
  card: [
    'CLA_FUNCTION_NOT_SUPPORTED', 'CLA_NOT_SUPPORTED', 'COMMAND_NOT_ALLOWED', 'CONDITIONS_NOT_SATISFIED', 'DATA_CORRUPTED', 'END_OF_FILE',
    'EXECUTION_ERROR', 'EXECUTION_ERROR_STATE_CHANGED', 'FILE_DEACTIVATED', 'FILE_NOT_FOUND', 'FUNCTION_NOT_SUPPORTED', 'INCORRECT_P1P2',
    'INS_NOT_SUPPORTED', 'LOGICAL_CHANNEL_NOT_SUPPORTED', 'MEMORY_FAILURE', 'MORE_DATA', 'NOT_ENOUGH_MEMORY', 'NO_PRECISE_DIAGNOSIS',
    'RECORD_NOT_FOUND', 'REFERENCED_DATA_NOT_FOUND', 'REFERENCE_DATA_NOT_USABLE', 'SECURE_MESSAGING_NOT_SUPPORTED', 'SECURITY_ERROR',
    'SECURITY_STATUS_NOT_SATISFIED', 'SM_DATA_INCORRECT', 'SM_DATA_MISSING', 'UNKNOWN_STATUS', 'WARNING', 'WARNING_STATE_CHANGED',
    'WRONG_DATA', 'WRONG_LE', 'WRONG_LENGTH', 'WRONG_PARAMETERS', 'APDU_MALFORMED', 'TLV_MALFORMED', 'ATR_MALFORMED', 'DER_MALFORMED',
    'CERT_MALFORMED', 'METADATA_MALFORMED',
  ],
  protocol: [
    'BAD_URL', 'BODY_TOO_LARGE', 'HEADERS_TOO_LARGE', 'URI_TOO_LONG', 'MALFORMED_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'METHOD_NOT_ALLOWED',
    'REQUEST_TIMEOUT', 'FORBIDDEN_HOST', 'FORBIDDEN_ORIGIN', 'FORBIDDEN_PATH', 'FORBIDDEN_SENDER', 'UNKNOWN_METHOD', 'SERVICE_BAD_RESPONSE',
    'NETWORK_KEY_INVALID', 'IVR_KEY_INVALID', 'MIGRATION_FAILED', 'UNIQUE_VIOLATION',
  ],
  engineer: [
    'AUDIO_FAILED', 'AUDIO_UNAVAILABLE', 'CARD_IMAGE_INVALID', 'CARD_IMAGE_NOT_FOUND', 'CARD_IMAGE_UNREADABLE', 'CARD_IMAGE_WRITE_FAILED',
    'CERTIFICATE_INVALID', 'CERTIFICATE_MISMATCH', 'DOSA_FILE_INVALID', 'DOSA_NOT_FOUND', 'DOSA_UNREADABLE', 'DOSA_WRITE_FAILED',
    'FIXTURE_MALFORMED', 'INVALID_SUBJECT', 'NOT_A_VIRTUAL_READER', 'NO_VIRTUAL_CARD', 'OCRA_INPUT_INVALID', 'OCRA_SUITE_INVALID',
    'PKCS12_ITERATIONS_TOO_HIGH', 'PKCS12_LEGACY', 'PKCS12_MALFORMED', 'PKCS12_UNPROTECTED', 'PKCS12_UNSUPPORTED', 'PKI_DIR_EXISTS',
    'PKI_DIR_INVALID', 'REPLAY_EXHAUSTED', 'REPLAY_MISMATCH', 'REPLAY_UNUSED', 'VIRTUAL_TOKEN_INVALID', 'VIRTUAL_TOKEN_NOT_FOUND',
    'VIRTUAL_TOKEN_UNREADABLE', 'VIRTUAL_TOKEN_WRITE_FAILED', 'VPCD_PROTOCOL', 'VPCD_STOPPED', 'HEX_MALFORMED', 'PEM_MALFORMED', 'RATES_INVALID',
  ],
};

const FAMILY_OF = new Map(Object.entries(FAMILIES).flatMap(([family, codes]) => codes.map((code) => [code, family as keyof typeof FAMILIES] as const)));

/** The family text's key for a code that has no text of its own. */
export function errorFamily(code: string): keyof typeof FAMILIES | undefined {
  return FAMILY_OF.get(code);
}

/**
 * The text a person can act on for a failed call, by its code: tries left for PIN and
 * svarskod, a decline code's reason; an unknown code shows the message as given.
 */
export function errorText(error: unknown, t: Translate): string {
  const f = asFailure(error);
  if (f.code === 'PIN_INCORRECT') {
    return typeof f.retriesLeft === 'number' ? t('error.PIN_INCORRECT', { n: f.retriesLeft }) : t('error.PIN_INCORRECT_NOCOUNT');
  }
  if (f.code === 'DOSA_CODE_WRONG') {
    return typeof f.triesLeft === 'number' ? t('error.DOSA_CODE_WRONG', { n: f.triesLeft }) : t('error.DOSA_CODE_WRONG_NOCOUNT');
  }
  if (f.code === 'PASSWORD_INCORRECT') {
    return typeof f.triesLeft === 'number' ? t('error.PASSWORD_INCORRECT', { n: f.triesLeft }) : t('error.PASSWORD_INCORRECT_NOCOUNT');
  }
  if (f.code === 'CODE_TOO_EASY' && typeof f.reason === 'string' && isMessageKey(`weak.${f.reason}`)) {
    return `${t('error.CODE_TOO_EASY')} ${t(`weak.${f.reason}` as MessageKey)}`;
  }
  if (f.code === 'TRY_LATER') {
    return typeof f.retryAfter === 'number' ? t('error.TRY_LATER', { n: f.retryAfter }) : t('error.TRY_LATER_NOCOUNT');
  }
  if (f.pinMayBeSpent === true) return t('card.pinMayBeSpent');
  if (f.code === 'STORAGE_FULL' || f.code === 'STORAGE_READ_ONLY') {
    return typeof f.folder === 'string' ? t(`error.${f.code}`, { folder: f.folder }) : t(`error.${f.code}_NOFOLDER`);
  }
  const key = `error.${f.code}`;
  if (isMessageKey(key)) return t(key);
  const decline = `decline.${f.code}`;
  if (isMessageKey(decline)) {
    const reason = t(decline);
    return reason.charAt(0).toUpperCase() + reason.slice(1) + '.';
  }
  const family = errorFamily(f.code);
  if (family) return t(`error.family.${family}`, { code: f.code, message: f.message });
  return f.message || t('error.unknown', { message: f.code });
}

/** A decline code's reason ("fel CVC"); an unknown code as given. */
export function declineText(code: string | null, t: Translate): string {
  if (!code) return '';
  const key = `decline.${code}`;
  return isMessageKey(key) ? t(key) : code;
}

/** Codes that end the session: the app logs out with a message. */
export function endsSession(error: unknown): boolean {
  const code = asFailure(error).code;
  return code === 'SESSION_EXPIRED' || code === 'NOT_LOGGED_IN' || code === 'UNAUTHENTICATED';
}
