/**
 * HOTP (RFC 4226) and TOTP (RFC 6238) for response-only dosa codes.
 *
 * Generation goes through otplib v13 (`generateSync`, functional API, its default audited
 * noble crypto plugin, secrets passed as raw bytes). otplib v13 limits counters to
 * Number.MAX_SAFE_INTEGER (it throws CounterOverflowError above 2^53 - 1), while an HOTP
 * counter is an 8-byte unsigned integer; for counters above that limit, and for OCRA (whose
 * truncation lengths 4-10 otplib does not cover), `truncate` below implements RFC 4226 §5.3
 * dynamic truncation over a node:crypto HMAC. Tests check that both paths agree.
 *
 * Verification is done here rather than with otplib's verify so that the replay rules are
 * explicit: the HOTP counter only moves forward on success, and a TOTP step at or before the
 * last accepted one is refused. Codes are compared in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { generateSync } from 'otplib';
import { EkortError } from '../errors.ts';

export type OtpAlgorithm = 'sha1' | 'sha256' | 'sha512';
export type OtpDigits = 6 | 7 | 8;

const ALGORITHMS: readonly OtpAlgorithm[] = ['sha1', 'sha256', 'sha512'];
/** RFC 4226 R6: the shared secret is at least 128 bits (otplib v13 enforces the same). */
const MIN_SECRET_BYTES = 16;
const MAX_COUNTER = (1n << 64n) - 1n;

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

function toCounter(counter: bigint | number, what = 'counter'): bigint {
  if (typeof counter === 'number') {
    if (!Number.isSafeInteger(counter)) throw invalid(`The OTP ${what} must be a safe integer, not ${counter}.`);
    counter = BigInt(counter);
  }
  if (typeof counter !== 'bigint') throw invalid(`The OTP ${what} must be a bigint or a number.`);
  if (counter < 0n || counter > MAX_COUNTER) throw invalid(`The OTP ${what} must fit in 8 unsigned bytes.`);
  return counter;
}

/**
 * RFC 4226 §5.3 dynamic truncation of an HMAC value to `digits` decimal digits (1-10).
 * The 31-bit value is below 10^10, so 10 digits is the full value zero-padded.
 */
export function truncate(hmac: Uint8Array, digits: number): string {
  const offset = (hmac[hmac.length - 1] ?? 0) & 0x0f;
  const b = (i: number): number => hmac[offset + i] ?? 0;
  const binCode = ((b(0) & 0x7f) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
  return (binCode % 10 ** digits).toString().padStart(digits, '0');
}

/** HMAC with node:crypto. */
export function hmac(algorithm: OtpAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac(algorithm, key).update(data).digest());
}

function counterBytes(counter: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, counter);
  return out;
}

/** Compares two codes in constant time (for equal lengths; the length itself is public). */
export function codesEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ba.length !== bb.length) return false;
  return timingSafeEqual(ba, bb);
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
  if (counter > BigInt(Number.MAX_SAFE_INTEGER)) {
    // Beyond otplib v13's counter limit: same algorithm, computed here.
    return truncate(hmac(opts.algorithm, opts.secret, counterBytes(counter)), opts.digits);
  }
  try {
    return generateSync({
      strategy: 'hotp',
      secret: opts.secret,
      counter: Number(counter),
      digits: opts.digits,
      algorithm: opts.algorithm,
    });
  } catch (e) {
    throw invalid(`HOTP generation failed: ${(e as Error).message}`, e);
  }
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
  try {
    return generateSync({
      strategy: 'totp',
      secret: opts.secret,
      epoch,
      period,
      t0,
      digits: opts.digits,
      algorithm: opts.algorithm,
    });
  } catch (e) {
    throw invalid(`TOTP generation failed: ${(e as Error).message}`, e);
  }
}

export interface VerifyHotpOptions {
  secret: Uint8Array;
  code: string;
  /** The next expected counter (one past the last accepted). */
  counter: bigint | number;
  /** How many counters past `counter` are also tried (resynchronisation window, default 10). */
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
  const start = toCounter(opts.counter);
  const lookAhead = opts.lookAhead ?? 10;
  if (!Number.isSafeInteger(lookAhead) || lookAhead < 0 || lookAhead > 1000) {
    throw invalid(`HOTP look-ahead must be an integer from 0 to 1000, not ${lookAhead}.`);
  }
  if (typeof opts.code !== 'string') return { ok: false };
  let matched: bigint | undefined;
  // No early exit: every candidate in the window is computed and compared.
  for (let i = 0n; i <= BigInt(lookAhead); i++) {
    const c = start + i;
    if (c > MAX_COUNTER) break;
    const expected = hotp({ secret: opts.secret, counter: c, digits: opts.digits, algorithm: opts.algorithm });
    if (codesEqual(expected, opts.code) && matched === undefined) matched = c;
  }
  return matched === undefined ? { ok: false } : { ok: true, nextCounter: matched + 1n };
}

export interface VerifyTotpOptions {
  secret: Uint8Array;
  code: string;
  time: Date;
  /** Steps accepted on each side of the current one (clock drift, default 1). */
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
  if (!Number.isSafeInteger(window) || window < 0 || window > 100) {
    throw invalid(`TOTP window must be an integer from 0 to 100, not ${window}.`);
  }
  const current = totpStep(opts.time, period, t0);
  if (typeof opts.code !== 'string') return { ok: false };
  let matched: number | undefined;
  // Current step first, then nearest neighbours; all candidates are computed.
  for (let d = 0; d <= window; d++) {
    for (const step of d === 0 ? [current] : [current - d, current + d]) {
      if (step < 0) continue;
      if (opts.lastAcceptedStep !== undefined && step <= opts.lastAcceptedStep) continue;
      const time = new Date((t0 + step * period) * 1000);
      const expected = totp({ secret: opts.secret, time, period, t0, digits: opts.digits, algorithm: opts.algorithm });
      if (codesEqual(expected, opts.code) && matched === undefined) matched = step;
    }
  }
  return matched === undefined ? { ok: false } : { ok: true, step: matched };
}
