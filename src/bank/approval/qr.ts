/**
 * The animated QR code of BankID's RP API v6.0, as its public documentation describes it:
 * `bankid.<qrStartToken>.<time>.<qrAuthCode>`, where time is the whole seconds since the
 * order started (as a decimal string) and qrAuthCode is HMAC-SHA256 keyed with the order's
 * qrStartSecret over that string, in lower-case hex. It changes every second, so a photo of
 * an old code is useless: the service refuses a code older than 30 seconds, judged both by
 * the seconds it says and by its HMAC (a forged, newer seconds value has no valid HMAC).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** A code older than this (seconds) is refused. */
export const QR_FRESH_SECONDS = 30;
/** How far a code may be ahead of the service's clock (clock skew between instances). */
const QR_AHEAD_SECONDS = 2;
/** BankID tokens are UUIDs; ours too. */
const PATTERN = /^bankid\.([0-9A-Za-z-]{8,64})\.(0|[1-9][0-9]{0,5})\.([0-9a-f]{64})$/;

export function qrAuthCode(qrStartSecret: string, seconds: number): string {
  return createHmac('sha256', Buffer.from(qrStartSecret, 'utf8')).update(String(seconds), 'utf8').digest('hex');
}

/** Whole seconds since the order started (never negative). */
export const qrSeconds = (startedAt: number, now: number): number => Math.max(0, Math.floor((now - startedAt) / 1000));

export function qrContent(qrStartToken: string, qrStartSecret: string, seconds: number): string {
  return `bankid.${qrStartToken}.${seconds}.${qrAuthCode(qrStartSecret, seconds)}`;
}

export interface ParsedQr {
  qrStartToken: string;
  seconds: number;
  authCode: string;
}

export function parseQrContent(text: string): ParsedQr | undefined {
  const m = PATTERN.exec(text.trim());
  if (!m) return undefined;
  return { qrStartToken: m[1]!, seconds: Number(m[2]), authCode: m[3]! };
}

export type QrCheck = 'ok' | 'malformed' | 'wrong-order' | 'bad-code' | 'stale' | 'ahead';

/**
 * Is `text` a genuine, fresh code of the order (token, secret, start) at `now`? The HMAC is
 * compared in constant time; freshness is measured from the seconds the code states, which
 * the HMAC proves.
 */
export function checkQr(text: string, order: { qrStartToken: string; qrStartSecret: string; startedAt: number }, now: number): QrCheck {
  const parsed = parseQrContent(text);
  if (!parsed) return 'malformed';
  if (parsed.qrStartToken !== order.qrStartToken) return 'wrong-order';
  const expected = Buffer.from(qrAuthCode(order.qrStartSecret, parsed.seconds), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(parsed.authCode, 'hex'))) return 'bad-code';
  const age = qrSeconds(order.startedAt, now) - parsed.seconds;
  if (age > QR_FRESH_SECONDS) return 'stale';
  if (age < -QR_AHEAD_SECONDS) return 'ahead';
  return 'ok';
}

/** The same-device link that opens the app on this device (BankID's autostart URL form). */
export const autoStartLink = (autoStartToken: string): string => `bankid:///?autostarttoken=${encodeURIComponent(autoStartToken)}&redirect=null`;
