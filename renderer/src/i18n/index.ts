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
  if (f.code === 'TRY_LATER') {
    return typeof f.retryAfter === 'number' ? t('error.TRY_LATER', { n: f.retryAfter }) : t('error.TRY_LATER_NOCOUNT');
  }
  const key = `error.${f.code}`;
  if (isMessageKey(key)) return t(key);
  const decline = `decline.${f.code}`;
  if (isMessageKey(decline)) {
    const reason = t(decline);
    return reason.charAt(0).toUpperCase() + reason.slice(1) + '.';
  }
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
