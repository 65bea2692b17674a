/**
 * What the customer's app signs, and how.
 *
 * Canonical form: a JSON object serialised with its keys sorted by UTF-16 code unit at every
 * level, no whitespace, strings as JSON.stringify writes them, only strings, integers and
 * objects (no floats, arrays or null), encoded as UTF-8. Both sides build the bytes from the
 * fields, never from a string the other side sent, so there is nothing to normalise.
 *
 * The approval statement (version 1):
 *   { "deviceId":   the enrolled app's id at the bank,
 *     "orderRef":   the order approved,
 *     "relyingParty": who asks (the service's id),
 *     "seen":       { "kind": "qr" | "autostart", "value": the QR content or auto-start token the app read },
 *     "time":       ISO 8601 UTC time of the approval (the app's clock),
 *     "type":       "ekort-app-approval",
 *     "version":    1,
 *     "visibleText": the text the app showed }
 * The identification statement (version 1), the app's answer to the telephone service:
 *   { "code": the identification code the app showed (also read out on the call),
 *     "deviceId", "requestId": the identification request approved,
 *     "requester": who asked ("S-Bankens kundtjänst"), "time", "type":
 *     "ekort-app-identification", "version": 1 }
 * The enrolment proof (version 1): { "code", "publicKey" (SPKI DER base64), "type":
 * "ekort-app-enrolment", "version": 1 }: the app proves it holds the key it enrols.
 *
 * Signature: ECDSA P-256 with SHA-256 over those bytes, DER-encoded (X9.62 Ecdsa-Sig-Value),
 * base64 — what node:crypto.sign('sha256', …) makes and OpenSSL's `dgst -sha256 -sign` too.
 */
import { createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

export type Canonical = string | number | { [key: string]: Canonical };

export function canonicalJson(value: Canonical): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError('canonical JSON takes integers only');
    return String(value);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError('canonical JSON takes strings, integers and objects only');
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`).join(',')}}`;
}

export interface ApprovalStatement {
  type: 'ekort-app-approval';
  version: 1;
  orderRef: string;
  relyingParty: string;
  visibleText: string;
  seen: { kind: 'qr' | 'autostart'; value: string };
  time: string;
  deviceId: string;
}

export interface IdentificationStatement {
  type: 'ekort-app-identification';
  version: 1;
  requestId: string;
  requester: string;
  code: string;
  time: string;
  deviceId: string;
}

export type SignedStatement = ApprovalStatement | EnrolmentProof | IdentificationStatement;

export interface EnrolmentProof {
  type: 'ekort-app-enrolment';
  version: 1;
  code: string;
  publicKey: string;
}

export const statementBytes = (statement: SignedStatement): Buffer =>
  Buffer.from(canonicalJson(statement as unknown as Canonical), 'utf8');

export function signStatement(statement: SignedStatement, privateKey: KeyObject): string {
  return sign('sha256', statementBytes(statement), { key: privateKey, dsaEncoding: 'der' }).toString('base64');
}

/** The P-256 public key of SPKI DER (base64), or undefined when it is anything else. */
export function p256PublicKey(spkiBase64: string): KeyObject | undefined {
  try {
    const key = createPublicKey({ key: Buffer.from(spkiBase64, 'base64'), format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return undefined;
    return key;
  } catch {
    return undefined;
  }
}

export function verifyStatement(statement: SignedStatement, signatureBase64: string, publicKey: KeyObject): boolean {
  try {
    return verify('sha256', statementBytes(statement), { key: publicKey, dsaEncoding: 'der' }, Buffer.from(signatureBase64, 'base64'));
  } catch {
    return false;
  }
}
