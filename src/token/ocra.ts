/**
 * OCRA, the OATH Challenge-Response Algorithm (RFC 6287).
 *
 * OCRASuite = <Algorithm>:<CryptoFunction>:<DataInput>
 *   Algorithm      = OCRA-1
 *   CryptoFunction = HOTP-SHA1-t | HOTP-SHA256-t | HOTP-SHA512-t, t = 0 (no truncation) or 4-10
 *   DataInput      = [C] | QFxx | [PH] | [Snnn] | [TG], '-' separated, in this order
 *     QFxx: F = A (alphanumeric) | N (numeric) | H (hex), xx = 04-64
 *     PH:   PSHA1 | PSHA256 | PSHA512
 *     Snnn: session information of nnn bytes (S alone = S064)
 *     TG:   G = [1-59]S | [1-59]M | [0-48]H
 *
 * DataInput bytes (§5.1): suite || 0x00 || C (8 bytes) || Q (128 bytes) || P || S || T (8 bytes).
 */
import { createHash } from 'node:crypto';
import { EkortError } from '../errors.ts';
import { hmac, truncate, type OtpAlgorithm } from './hotp.ts';

export type ChallengeFormat = 'A' | 'N' | 'H';

export interface OcraSuite {
  /** The suite string as given. */
  suite: string;
  version: 1;
  hash: OtpAlgorithm;
  /** 0 = no truncation (the full HMAC, lowercase hex), else 4-10 decimal digits. */
  digits: number;
  counter: boolean;
  challenge: { format: ChallengeFormat; length: number };
  password?: OtpAlgorithm;
  /** Session information length in bytes. */
  sessionLength?: number;
  /** Time step in seconds. */
  timeStep?: number;
}

function suiteError(suite: string, what: string): EkortError {
  return new EkortError('OCRA_SUITE_INVALID', `Invalid OCRA suite "${suite}": ${what}.`);
}

function inputError(what: string): EkortError {
  return new EkortError('OCRA_INPUT_INVALID', `Invalid OCRA input: ${what}.`);
}

const HASHES: Record<string, OtpAlgorithm> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };
const HASH_BYTES: Record<OtpAlgorithm, number> = { sha1: 20, sha256: 32, sha512: 64 };

export function parseOcraSuite(suite: string): OcraSuite {
  if (typeof suite !== 'string') throw suiteError(String(suite), 'not a string');
  const parts = suite.split(':');
  if (parts.length !== 3) throw suiteError(suite, 'expected three parts Algorithm:CryptoFunction:DataInput');
  const [algorithm, cryptoFunction, dataInput] = parts as [string, string, string];

  if (algorithm !== 'OCRA-1') throw suiteError(suite, `unsupported algorithm/version "${algorithm}" (only OCRA-1)`);

  const cf = /^HOTP-(SHA1|SHA256|SHA512)-(\d{1,2})$/.exec(cryptoFunction);
  if (!cf) throw suiteError(suite, `crypto function "${cryptoFunction}" is not HOTP-SHA1|SHA256|SHA512-t`);
  const hash = HASHES[cf[1] as string] as OtpAlgorithm;
  const digits = Number(cf[2]);
  if (!(digits === 0 || (digits >= 4 && digits <= 10)) || cf[2] !== String(digits)) {
    throw suiteError(suite, `truncation length "${cf[2]}" must be 0 or 4-10`);
  }

  const fields = dataInput.split('-');
  const out: OcraSuite = { suite, version: 1, hash, digits, counter: false, challenge: { format: 'N', length: 0 } };
  let i = 0;
  if (fields[i] === 'C') {
    out.counter = true;
    i++;
  }
  const q = /^Q([ANH])(\d\d)$/.exec(fields[i] ?? '');
  if (!q) throw suiteError(suite, `expected the challenge field QFxx (F = A, N or H) at "${fields[i] ?? ''}"`);
  const qLen = Number(q[2]);
  if (qLen < 4 || qLen > 64) throw suiteError(suite, `challenge length ${q[2]} must be 04-64`);
  out.challenge = { format: q[1] as ChallengeFormat, length: qLen };
  i++;

  const p = /^PSHA(1|256|512)$/.exec(fields[i] ?? '');
  if (p) {
    out.password = HASHES[`SHA${p[1]}`];
    i++;
  } else if (fields[i]?.startsWith('P')) {
    throw suiteError(suite, `password field "${fields[i]}" must be PSHA1, PSHA256 or PSHA512`);
  }

  const s = /^S(\d{3})?$/.exec(fields[i] ?? '');
  if (s) {
    const n = s[1] === undefined ? 64 : Number(s[1]);
    if (n < 1 || n > 512) throw suiteError(suite, `session length ${s[1]} must be 001-512`);
    out.sessionLength = n;
    i++;
  } else if (fields[i]?.startsWith('S')) {
    throw suiteError(suite, `session field "${fields[i]}" must be S or Snnn`);
  }

  const t = /^T(\d{1,2})([SMH])$/.exec(fields[i] ?? '');
  if (t) {
    const n = Number(t[1]);
    const unit = t[2] as 'S' | 'M' | 'H';
    const ok = unit === 'H' ? n >= 1 && n <= 48 : n >= 1 && n <= 59;
    if (!ok || t[1] !== String(n)) {
      throw suiteError(suite, `time step "${fields[i]}" must be 1-59S, 1-59M or 1-48H`);
    }
    out.timeStep = n * (unit === 'S' ? 1 : unit === 'M' ? 60 : 3600);
    i++;
  } else if (fields[i]?.startsWith('T')) {
    throw suiteError(suite, `time field "${fields[i]}" must be T followed by 1-59S, 1-59M or 1-48H`);
  }

  if (i !== fields.length) {
    throw suiteError(suite, `unexpected or out-of-order data input field "${fields[i]}" (order is C, Q, P, S, T)`);
  }
  return out;
}

export interface OcraOptions {
  suite: string | OcraSuite;
  key: Uint8Array;
  /**
   * The challenge. For mutual challenge-response (RFC 6287 §7.3) pass the two challenges
   * as an array; they are concatenated and each must fit the suite's QFxx.
   */
  challenge: string | readonly string[];
  counter?: bigint | number;
  /** The hash of the PIN/password, already computed with the suite's PH. */
  passwordHash?: Uint8Array;
  /** The PIN/password itself (UTF-8); hashed here with the suite's PH. */
  pin?: string;
  /** Session information; shorter values are left-padded with zero bytes. */
  session?: Uint8Array | string;
  time?: Date;
}

const CHALLENGE_CHARS: Record<ChallengeFormat, RegExp> = {
  N: /^[0-9]+$/,
  A: /^[A-Za-z0-9]+$/,
  H: /^[0-9A-Fa-f]+$/,
};

/** Q: the challenge as hex digits, left-justified and zero-padded to 128 bytes. */
function encodeChallenge(s: OcraSuite, challenge: string | readonly string[]): Uint8Array {
  const parts = typeof challenge === 'string' ? [challenge] : [...challenge];
  if (parts.length === 0) throw inputError('no challenge given');
  const { format, length } = s.challenge;
  for (const part of parts) {
    if (typeof part !== 'string' || !CHALLENGE_CHARS[format].test(part)) {
      throw inputError(`the challenge must be ${format === 'N' ? 'numeric' : format === 'A' ? 'alphanumeric' : 'hexadecimal'}`);
    }
    if (part.length < 4 || part.length > length) {
      throw inputError(`each challenge must be 4 to ${length} characters, got ${part.length}`);
    }
  }
  const joined = parts.join('');
  let hex: string;
  if (format === 'N') hex = BigInt(joined).toString(16); // as RFC 6287's reference implementation
  else if (format === 'A') hex = Buffer.from(joined, 'ascii').toString('hex');
  else hex = joined;
  if (hex.length > 256) throw inputError('the challenge does not fit in 128 bytes');
  return new Uint8Array(Buffer.from(hex.padEnd(256, '0'), 'hex'));
}

function u64(value: bigint, what: string): Uint8Array {
  if (value < 0n || value >= 1n << 64n) throw inputError(`${what} must fit in 8 unsigned bytes`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value);
  return out;
}

/** Builds the DataInput bytes of RFC 6287 §5.1 (exported for tests and diagnostics). */
export function ocraDataInput(opts: OcraOptions): Uint8Array {
  const s = typeof opts.suite === 'string' ? parseOcraSuite(opts.suite) : opts.suite;
  const chunks: Uint8Array[] = [new Uint8Array(Buffer.from(s.suite, 'ascii')), new Uint8Array([0])];

  if (s.counter) {
    if (opts.counter === undefined) throw inputError('the suite needs a counter (C)');
    if (typeof opts.counter === 'number' && !Number.isSafeInteger(opts.counter)) throw inputError('counter must be an integer');
    chunks.push(u64(BigInt(opts.counter), 'counter'));
  }

  chunks.push(encodeChallenge(s, opts.challenge));

  if (s.password) {
    let ph: Uint8Array;
    if (opts.passwordHash !== undefined) {
      if (opts.pin !== undefined) throw inputError('give either passwordHash or pin, not both');
      ph = opts.passwordHash;
    } else if (opts.pin !== undefined) {
      ph = new Uint8Array(createHash(s.password).update(opts.pin, 'utf8').digest());
    } else {
      throw inputError('the suite needs a password hash (P)');
    }
    if (!(ph instanceof Uint8Array) || ph.length !== HASH_BYTES[s.password]) {
      throw inputError(`the password hash must be ${HASH_BYTES[s.password]} bytes (${s.password})`);
    }
    chunks.push(ph);
  }

  if (s.sessionLength !== undefined) {
    if (opts.session === undefined) throw inputError('the suite needs session information (S)');
    const raw = typeof opts.session === 'string' ? new Uint8Array(Buffer.from(opts.session, 'utf8')) : opts.session;
    if (raw.length > s.sessionLength) throw inputError(`session information is longer than ${s.sessionLength} bytes`);
    const padded = new Uint8Array(s.sessionLength);
    padded.set(raw, s.sessionLength - raw.length);
    chunks.push(padded);
  }

  if (s.timeStep !== undefined) {
    if (!(opts.time instanceof Date) || !Number.isFinite(opts.time.getTime())) {
      throw inputError('the suite needs a time (T)');
    }
    const seconds = Math.floor(opts.time.getTime() / 1000);
    if (seconds < 0) throw inputError('time must not be before 1970');
    chunks.push(u64(BigInt(Math.floor(seconds / s.timeStep)), 'time step'));
  }

  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Computes the OCRA response for the given suite and inputs. */
export function ocra(opts: OcraOptions): string {
  const s = typeof opts.suite === 'string' ? parseOcraSuite(opts.suite) : opts.suite;
  if (!(opts.key instanceof Uint8Array) || opts.key.length === 0) throw inputError('key must be a non-empty Uint8Array');
  const mac = hmac(s.hash, opts.key, ocraDataInput({ ...opts, suite: s }));
  return s.digits === 0 ? Buffer.from(mac).toString('hex') : truncate(mac, s.digits);
}
