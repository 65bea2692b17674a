/**
 * Enrolling the customer's approval app: the bank issues a one-time enrolment code (valid
 * 24 hours; only its SHA-256 is kept) through customer service (`ekort bank enrol-app`); the
 * app makes an EC P-256 key pair, proves it holds the private key by signing the code with
 * it, and sends the public key with the code. The code is used up in one conditional UPDATE.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { iso } from '../calendar.ts';
import { type BankContext, sha256Hex } from '../context.ts';
import { approvalError } from './errors.ts';
import { p256PublicKey, verifyStatement } from './statement.ts';

export const ENROLMENT_CODE_LIFE_MS = 24 * 60 * 60_000;
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'; // no I, O, 0, 1: read aloud, typed by hand

/** 16 characters of 32 (80 bits), shown as XXXX-XXXX-XXXX-XXXX. */
function newCode(): string {
  const bytes = randomBytes(16);
  const chars = [...bytes].map((b) => ALPHABET[b & 31]!).join('');
  return chars.match(/.{4}/g)!.join('-');
}

/** The code as typed ("abcd efgh-…") in its stored form. */
export const normaliseEnrolmentCode = (code: string): string => code.toUpperCase().replace(/[\s-]/g, '');

export async function issueEnrolmentCode(ctx: BankContext, customerId: string): Promise<{ code: string; expiresAt: string }> {
  const now = ctx.config.now();
  const code = newCode();
  await ctx.db.run('INSERT INTO app_enrolment_codes (code_hash, customer_id, created_at, expires_at) VALUES (?, ?, ?, ?)', [
    sha256Hex(normaliseEnrolmentCode(code)),
    customerId,
    now,
    now + ENROLMENT_CODE_LIFE_MS,
  ]);
  return { code, expiresAt: iso(now + ENROLMENT_CODE_LIFE_MS) };
}

export interface EnrolRequest {
  code: string;
  /** SPKI DER, base64: an EC P-256 public key. */
  publicKey: string;
  /** base64 DER ECDSA signature over the enrolment proof statement (statement.ts). */
  proof: string;
  name?: string | undefined;
}

export interface EnrolledApp {
  deviceId: string;
  customer: { name: string; personnummer: string };
}

export async function enrolApp(ctx: BankContext, request: EnrolRequest): Promise<EnrolledApp> {
  const key = p256PublicKey(request.publicKey);
  if (!key) throw approvalError('ENROLMENT_CODE_INVALID', 'The app key must be an EC P-256 public key (SPKI DER, base64).');
  if (!verifyStatement({ type: 'ekort-app-enrolment', version: 1, code: request.code, publicKey: request.publicKey }, request.proof, key)) {
    throw approvalError('ENROLMENT_CODE_INVALID', 'The enrolment proof does not verify with the key sent.');
  }
  const now = ctx.config.now();
  const deviceId = randomUUID();
  return ctx.db.transaction(async (tx) => {
    const [used] = await tx.query<{ customer_id: string }>(
      'UPDATE app_enrolment_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING customer_id',
      [now, sha256Hex(normaliseEnrolmentCode(request.code)), now],
    );
    if (!used) throw approvalError('ENROLMENT_CODE_INVALID', 'The enrolment code is wrong, used or more than 24 hours old. Ask the bank for a new one.');
    await tx.run('INSERT INTO app_devices (id, customer_id, public_key, name, created_at) VALUES (?, ?, ?, ?, ?)', [
      deviceId,
      used.customer_id,
      request.publicKey,
      request.name ?? 'e-kort app',
      now,
    ]);
    const [customer] = await tx.query<{ name: string; personnummer: string }>('SELECT name, personnummer FROM customers WHERE id = ?', [used.customer_id]);
    return { deviceId, customer: { name: customer!.name, personnummer: customer!.personnummer } };
  });
}
