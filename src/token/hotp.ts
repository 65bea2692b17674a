/**
 * HOTP (RFC 4226) and TOTP (RFC 6238) for response-only dosa codes, through otplib v13 (its
 * functional API and its default audited noble crypto plugin, secrets as raw bytes).
 *
 * otplib refuses counters above Number.MAX_SAFE_INTEGER, and so do we: an HOTP counter is an
 * 8-byte integer on the wire, but no token reaches 2^53 (YKOATH keeps a 4-byte counter; a dosa
 * starts at 0 and moves one per code).
 *
 * The replay rules stay explicit in the callers: verifyHotp returns the counter to store
 * (the HOTP counter only moves forward on success), verifyTotp refuses a step at or before
 * the last accepted one (otplib's afterTimeStep).
 *
 * OCRA (RFC 6287) and the HID token's HMAC challenge-response are not HOTP: they HMAC other
 * data, so they compute the HMAC here and truncate it with otplib's RFC 4226 §5.3 functions.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { dynamicTruncate, truncateDigits } from '@otplib/core';
import { generateSync, verifySync } from 'otplib';
import { EkortError } from '../errors.ts';

export type OtpAlgorithm = 'sha1' | 'sha256' | 'sha512';
export type OtpDigits = 6 | 7 | 8;

const ALGORITHMS: readonly OtpAlgorithm[] = ['sha1', 'sha256', 'sha512'];
/** RFC 4226 R6: the shared secret is at least 128 bits (otplib v13 enforces the same). */
const MIN_SECRET_BYTES = 16;
/** otplib checks at most 99 candidates in one verification (its MAX_WINDOW guardrail). */
const MAX_CANDIDATES = 99;

function invalid(message: string, cause?: unknown): EkortError {
  return new EkortError('OTP_INVALID_INPUT', message, cause === undefined ? undefined : { cause });
}

function checkCommon(secret: unknown, digits: unknown, algorithm: unknown): void {
  if (!(secret instanceof Uint8Array)) throw invalid('The OTP secret must be a Uint8Array of raw key bytes.');
  if (secret.length < MIN_SECRET_BYTES) {
    throw invalid(`The OTP secret is ${secret.length} bytes; at least ${MIN_SECRET_BYTES} bytes are required.`);
  }
  if (digits !== 6 && digits !== 7 && digits !== 8) throw invalid(`OTP digits must be 6, 7 or 8, not ${String(digits)}.`);
  if (!ALGORITHMS.includes(algorithm as OtpAlgorithm)) {
    throw invalid(`OTP algorithm must be one of ${ALGORITHMS.join(', ')}, not ${String(algorithm)}.`);
  }
}

function toCounter(counter: bigint | number): number {
  if (typeof counter === 'bigint') {
    if (counter < 0n || counter > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid('The OTP counter must be from 0 to 2^53 - 1.');
    return Number(counter);
  }
  if (typeof counter !== 'number' || !Number.isSafeInteger(counter) || counter < 0) {
    throw invalid(`The OTP counter must be an integer from 0 to 2^53 - 1, not ${String(counter)}.`);
  }
  return counter;
}

/** RFC 4226 §5.3 dynamic truncation of an HMAC value to `digits` decimal digits (1-10). */
export function truncate(hmacValue: Uint8Array, digits: number): string {
  if (hmacValue.length < 20) throw invalid(`An HMAC to truncate has at least 20 bytes, not ${hmacValue.length}.`);
  return truncateDigits(dynamicTruncate(hmacValue), digits);
}

/** HMAC with node:crypto. */
export function hmac(algorithm: OtpAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac(algorithm, key).update(data).digest());
}

/** Compares two codes in constant time (for equal lengths; the length itself is public). */
export function codesEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ba.length !== bb.length) return false;
  return timingSafeEqual(ba, bb);
}

function viaOtplib<T>(what: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    throw invalid(`${what} failed: ${(e as Error).message}`, e);
  }
}

/** A code otplib would refuse as malformed is simply wrong: it never matches. */
function wellFormed(code: unknown, digits: number): code is string {
  return typeof code === 'string' && code.length === digits && /^[0-9]+$/.test(code);
}

export interface HotpOptions {
  secret: Uint8Array;
  counter: bigint | number;
  digits: OtpDigits;
  algorithm: OtpAlgorithm;
}

export function hotp(opts: HotpOptions): string {
  checkCommon(opts.secret, opts.digits, opts.algorithm);
  const counter = toCounter(opts.counter);
  return viaOtplib('HOTP generation', () =>
    generateSync({ strategy: 'hotp', secret: opts.secret, counter, digits: opts.digits, algorithm: opts.algorithm }),
  );
}

export interface TotpOptions {
  secret: Uint8Array;
  time: Date;
  /** Time step in seconds (default 30). */
  period?: number;
  digits: OtpDigits;
  algorithm: OtpAlgorithm;
  /** Unix time in seconds where step 0 starts (default 0). */
  t0?: number;
}

function checkTime(time: unknown, period: number, t0: number): number {
  if (!(time instanceof Date) || !Number.isFinite(time.getTime())) throw invalid('TOTP time must be a valid Date.');
  if (!Number.isSafeInteger(period) || period < 1) throw invalid(`TOTP period must be a positive integer, not ${period}.`);
  if (!Number.isSafeInteger(t0) || t0 < 0) throw invalid(`TOTP t0 must be a non-negative integer, not ${t0}.`);
  const seconds = Math.floor(time.getTime() / 1000);
  if (seconds < t0) throw invalid('TOTP time is before t0.');
  return seconds;
}

/** The RFC 6238 time step T = floor((unixSeconds - t0) / period). */
export function totpStep(time: Date, period = 30, t0 = 0): number {
  const seconds = checkTime(time, period, t0);
  return Math.floor((seconds - t0) / period);
}

export function totp(opts: TotpOptions): string {
  const period = opts.period ?? 30;
  const t0 = opts.t0 ?? 0;
  checkCommon(opts.secret, opts.digits, opts.algorithm);
  const epoch = checkTime(opts.time, period, t0);
  return viaOtplib('TOTP generation', () =>
    generateSync({ strategy: 'totp', secret: opts.secret, epoch, period, t0, digits: opts.digits, algorithm: opts.algorithm }),
  );
}

export interface VerifyHotpOptions {
  secret: Uint8Array;
  code: string;
  /** The next expected counter (one past the last accepted). */
  counter: bigint | number;
  /** How many counters past `counter` are also tried (resynchronisation window, default 10, at most 98). */
  lookAhead?: number;
  digits: OtpDigits;
  algorithm: OtpAlgorithm;
}

export type VerifyHotpResult = { ok: true; nextCounter: bigint } | { ok: false };

/**
 * Accepts `code` if it matches a counter in [counter, counter + lookAhead]. On success the
 * caller must store `nextCounter` (matched + 1), so the same code is never accepted twice;
 * on failure the counter does not move.
 */
export function verifyHotp(opts: VerifyHotpOptions): VerifyHotpResult {
  checkCommon(opts.secret, opts.digits, opts.algorithm);
  const counter = toCounter(opts.counter);
  const lookAhead = opts.lookAhead ?? 10;
  if (!Number.isSafeInteger(lookAhead) || lookAhead < 0 || lookAhead > MAX_CANDIDATES - 1) {
    throw invalid(`HOTP look-ahead must be an integer from 0 to ${MAX_CANDIDATES - 1}, not ${lookAhead}.`);
  }
  if (!wellFormed(opts.code, opts.digits)) return { ok: false };
  const reachable = Math.min(lookAhead, Number.MAX_SAFE_INTEGER - counter);
  const { secret, code: token, digits, algorithm } = opts;
  const result = viaOtplib('HOTP verification', () =>
    verifySync({ strategy: 'hotp', secret, token, counter, counterTolerance: [0, reachable], digits, algorithm }),
  );
  return result.valid ? { ok: true, nextCounter: BigInt(counter + result.delta + 1) } : { ok: false };
}

export interface VerifyTotpOptions {
  secret: Uint8Array;
  code: string;
  time: Date;
  /** Steps accepted on each side of the current one (clock drift, default 1, at most 49). */
  window?: number;
  period?: number;
  t0?: number;
  digits: OtpDigits;
  algorithm: OtpAlgorithm;
  /** The step of the last accepted code; this and earlier steps are refused (replay). */
  lastAcceptedStep?: number;
}

export type VerifyTotpResult = { ok: true; step: number } | { ok: false };

/** Accepts `code` for a step within ±window of `time`, never at or before lastAcceptedStep. */
export function verifyTotp(opts: VerifyTotpOptions): VerifyTotpResult {
  checkCommon(opts.secret, opts.digits, opts.algorithm);
  const period = opts.period ?? 30;
  const t0 = opts.t0 ?? 0;
  const window = opts.window ?? 1;
  const maxWindow = (MAX_CANDIDATES - 1) / 2;
  if (!Number.isSafeInteger(window) || window < 0 || window > maxWindow) {
    throw invalid(`TOTP window must be an integer from 0 to ${maxWindow}, not ${window}.`);
  }
  const epoch = checkTime(opts.time, period, t0);
  const current = Math.floor((epoch - t0) / period);
  const after = opts.lastAcceptedStep;
  if (after !== undefined && !Number.isSafeInteger(after)) throw invalid('The last accepted TOTP step must be an integer.');
  // Every step in the window is at or before the last accepted one: nothing can be accepted.
  if (after !== undefined && after >= current + window) return { ok: false };
  if (!wellFormed(opts.code, opts.digits)) return { ok: false };
  const { secret, code: token, digits, algorithm } = opts;
  const result = viaOtplib('TOTP verification', () =>
    verifySync({
      strategy: 'totp',
      secret,
      token,
      epoch,
      period,
      t0,
      epochTolerance: window * period,
      ...(after !== undefined && after >= 0 ? { afterTimeStep: after } : {}),
      digits,
      algorithm,
    }),
  );
  return result.valid && 'timeStep' in result ? { ok: true, step: result.timeStep } : { ok: false };
}
