/**
 * The säkerhetsdosa face of the token layer: the bank's 8-digit kontrollnummer, the dosa's
 * 8-digit svarskod (OCRA, RFC 6287) and the response-only login code (HOTP or TOTP).
 */
import { randomInt } from 'node:crypto';
import { EkortError } from '../errors.ts';
import { hmac, hotp, totp, truncate, type OtpAlgorithm, type OtpDigits } from './hotp.ts';
import { ocra, parseOcraSuite, type OcraSuite } from './ocra.ts';

export const DEFAULT_DOSA_SUITE = 'OCRA-1:HOTP-SHA1-8:QN08';

/** The svarskod and the login code are both 8 digits. */
export const DOSA_CODE_DIGITS = 8;

export type DosaLoginKind = 'hotp' | 'totp';

/** What the bank enrols: everything it needs to check svarskoder and login codes. */
export interface DosaBankRecord {
  serial: string;
  suite: string;
  /** base64. */
  secret: string;
  kind: DosaLoginKind;
  /** HOTP: the next counter value the dosa will use; absent for TOTP. */
  counter?: number;
  /** Login code parameters (TOTP: 30-second steps from the Unix epoch). */
  digits: 8;
  algorithm: OtpAlgorithm;
}

/**
 * The suite, parsed, if a dosa can use it: an 8-digit numeric challenge (the kontrollnummer),
 * an 8-digit response, no counter (C) and no session information (S), which a dosa keyed by
 * hand has no way to take. A PIN (P) is the dosa's own PIN; a time step (T) the dosa's clock.
 */
export function dosaSuite(suite: string): OcraSuite {
  const s = parseOcraSuite(suite);
  const why =
    s.challenge.format !== 'N' || s.challenge.length !== 8
      ? 'the challenge must be QN08 (an 8-digit kontrollnummer)'
      : s.digits !== DOSA_CODE_DIGITS
        ? 'the response must be 8 digits (HOTP-SHA*-8)'
        : s.counter
          ? 'a counter (C) is not supported by the dosa'
          : s.sessionLength !== undefined
            ? 'session information (S) is not supported by the dosa'
            : undefined;
  if (why) throw new EkortError('OCRA_SUITE_INVALID', `The suite "${suite}" cannot be used by a säkerhetsdosa: ${why}.`);
  return s;
}


/** '12345678' → '1234 5678'. */
export function formatKontrollnummer(kontrollnummer: string): string {
  const digits = parseKontrollnummer(kontrollnummer);
  return `${digits.slice(0, 4)} ${digits.slice(4)}`;
}

/** Accepts '12345678', '1234 5678', '1234-5678' (spaces/hyphens anywhere); returns 8 digits. */
export function parseKontrollnummer(text: string): string {
  const digits = typeof text === 'string' ? text.trim().replace(/[\s-]/g, '') : '';
  if (!/^[0-9]{8}$/.test(digits)) {
    throw new EkortError('CHALLENGE_FORMAT', 'A kontrollnummer is exactly 8 digits (spaces and hyphens are allowed).');
  }
  return digits;
}

/** A new kontrollnummer: 8 uniformly random digits from the CSPRNG. */
export function newKontrollnummer(): string {
  return randomInt(0, 100_000_000).toString().padStart(8, '0');
}

export interface SvarskodOptions {
  key: Uint8Array;
  suite?: string;
  kontrollnummer: string;
  /** Only for suites with C, P or T. */
  counter?: bigint | number;
  pin?: string;
  time?: Date;
}

/** The dosa's answer to a kontrollnummer: OCRA over the (parsed) 8-digit challenge. */
export function svarskod(opts: SvarskodOptions): string {
  const challenge = parseKontrollnummer(opts.kontrollnummer);
  return ocra({
    suite: opts.suite ?? DEFAULT_DOSA_SUITE,
    key: opts.key,
    challenge,
    counter: opts.counter,
    pin: opts.pin,
    time: opts.time,
  });
}

export type DosaToken =
  | { kind: 'hotp'; secret: Uint8Array; counter: bigint | number; digits?: OtpDigits; algorithm?: OtpAlgorithm }
  | {
      kind: 'totp';
      secret: Uint8Array;
      period?: number;
      t0?: number;
      digits?: OtpDigits;
      algorithm?: OtpAlgorithm;
    };

/**
 * The response-only login code ("APPLI 1"). Defaults: 8 digits, SHA-1. For HOTP the caller
 * advances its stored counter after use; for TOTP `time` defaults to now.
 */
export function loginCode(token: DosaToken, time: Date = new Date()): string {
  const digits = token.digits ?? 8;
  const algorithm = token.algorithm ?? 'sha1';
  if (token.kind === 'hotp') return hotp({ secret: token.secret, counter: token.counter, digits, algorithm });
  if (token.kind === 'totp') {
    return totp({ secret: token.secret, time, period: token.period, t0: token.t0, digits, algorithm });
  }
  throw new EkortError('OTP_INVALID_INPUT', 'The token kind must be "hotp" or "totp".');
}

/**
 * The suite name the bank enrols a HID security token (a YubiKey-style OTP token with
 * HMAC-SHA1 challenge-response in slot 2) under, as a dosa.
 *
 * Why not OCRA: an OCRA svarskod is HMAC over the suite name, a zero byte and the 128-byte
 * padded challenge (RFC 6287 §5.1), so its data input is over 64 bytes; the token's
 * challenge-response takes at most 64 bytes and computes HMAC-SHA1 over exactly what it is
 * given. The scheme is therefore: the token computes HMAC-SHA1(key, the 8 ASCII digits of the
 * kontrollnummer) (variable-length mode: the host pads, the token strips the padding), and the
 * svarskod is the RFC 4226 §5.3 dynamic truncation of that 20-byte HMAC to 8 digits. The bank
 * recomputes the same with the enrolled key. "QN08" names the 8-digit numeric challenge, as
 * in the OCRA suites.
 */
export const HID_HMAC_SUITE = 'HMAC-SHA1-CR-8:QN08';

/** The svarskod a HID token gives for `kontrollnummer` under HID_HMAC_SUITE (see above). */
export function hidSvarskod(key: Uint8Array, kontrollnummer: string): string {
  const challenge = Buffer.from(parseKontrollnummer(kontrollnummer), 'ascii');
  return truncate(hmac('sha1', key, challenge), 8);
}

/** The svarskod from the token's 20-byte HMAC-SHA1 answer (the host side of hidSvarskod). */
export function hidSvarskodFromHmac(response: Uint8Array): string {
  if (response.length !== 20) throw new EkortError('OTP_INVALID_INPUT', 'An HMAC-SHA1 answer is 20 bytes.');
  return truncate(response, 8);
}
