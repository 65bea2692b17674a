/**
 * Key material as the PIV card takes and gives it: the key generation request (SP 800-73-4
 * Part 2 §3.3.2, with Yubico's PIN and touch policies), a public key as GENERATE answers it,
 * and Yubico's IMPORT ASYMMETRIC KEY data (RSA by its CRT parts, P-256 by its scalar).
 */
import { createECDH, createPrivateKey, type KeyObject } from 'node:crypto';
import { concatBytes, decodeTlv, tlv, type Tlv } from '../iso7816/index.ts';
import type { PivKeyType, PivSlot } from './cardImage.ts';

/** SP 800-78-4 Table 6-2: cryptographic algorithm identifiers. */
export const PIV_ALG_RSA_2048 = 0x07;
export const PIV_ALG_ECC_P256 = 0x11;

/** PIN policy as Yubico numbers it: the one each slot has on this card (SP 800-73-4). */
export const SLOT_PIN_POLICY: Record<PivSlot, number> = { '9a': 0x02, '9c': 0x03, '9e': 0x01 };

/** Yubico's PIN (AA) and touch (AB) policies: only the default or what this card does anyway. */
function keptPolicy(t: Tlv, slot: PivSlot): boolean {
  const value = t.value.length === 1 ? t.value[0] : undefined;
  if (t.tag === 0xaa) return value === 0x00 || value === SLOT_PIN_POLICY[slot];
  return t.tag === 0xab && (value === 0x00 || value === 0x01);
}

/** Shallow: AA and AB are constructed by their tag numbers, but hold one byte each. */
function fields(data: Uint8Array): Tlv[] | undefined {
  try {
    return decodeTlv(data, { allowPadding: false, shallow: true });
  } catch {
    return undefined;
  }
}

/** AC { 80 algorithm, AA?, AB? } → the key type to generate; undefined for anything else. */
export function generationRequest(data: Uint8Array, slot: PivSlot): PivKeyType | undefined {
  const outer = fields(data);
  if (outer?.length !== 1 || outer[0]!.tag !== 0xac) return undefined;
  const inner = fields(outer[0]!.value);
  const algorithm = inner?.find((t) => t.tag === 0x80);
  if (!inner || !algorithm || algorithm.value.length !== 1 || inner.some((t) => t !== algorithm && !keptPolicy(t, slot))) return undefined;
  return keyTypeOf(algorithm.value[0]!);
}

function keyTypeOf(algorithm: number): PivKeyType | undefined {
  return algorithm === PIV_ALG_RSA_2048 ? 'rsa2048' : algorithm === PIV_ALG_ECC_P256 ? 'p256' : undefined;
}

/** The public key as GENERATE ASYMMETRIC KEY PAIR answers it: RSA 81 modulus, 82 exponent; EC 86 point. */
export function publicKeyTlv(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty === 'RSA') return concatBytes(tlv(0x81, Buffer.from(jwk.n!, 'base64url')), tlv(0x82, Buffer.from(jwk.e!, 'base64url')));
  return tlv(0x86, Uint8Array.of(0x04, ...Buffer.from(jwk.x!, 'base64url'), ...Buffer.from(jwk.y!, 'base64url')));
}

const big = (bytes: Uint8Array): bigint => (bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`));
const b64u = (v: bigint): string => {
  const hex = v.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex').toString('base64url');
};

/** x⁻¹ mod m (extended Euclid); undefined when they share a factor. */
function modInverse(x: bigint, m: bigint): bigint | undefined {
  let [a, b, u, v] = [((x % m) + m) % m, m, 1n, 0n];
  while (b !== 0n) {
    const q = a / b;
    [a, b, u, v] = [b, a - q * b, v, u - q * v];
  }
  return a === 1n ? ((u % m) + m) % m : undefined;
}

/**
 * Yubico's IMPORT ASYMMETRIC KEY data: RSA-2048 as 01 p, 02 q, 03 dP, 04 dQ, 05 qInv (e is
 * 65537, as on a YubiKey); P-256 as 06 d; then AA and AB policies. Undefined for anything else,
 * a key that is not what it claims included.
 */
export function importedKey(algorithm: number, data: Uint8Array, slot: PivSlot): { keyType: PivKeyType; key: KeyObject } | undefined {
  const keyType = keyTypeOf(algorithm);
  const parts = fields(data);
  if (!keyType || !parts) return undefined;
  const values = new Map<number, Uint8Array>();
  for (const t of parts) {
    if (t.tag >= 0x01 && t.tag <= 0x06 && !values.has(t.tag)) values.set(t.tag, t.value);
    else if (!keptPolicy(t, slot)) return undefined;
  }
  const wanted = keyType === 'p256' ? [0x06] : [0x01, 0x02, 0x03, 0x04, 0x05];
  // Each part of a 2048-bit key is at most 128 bytes: nothing bigger reaches the arithmetic.
  if (values.size !== wanted.length || wanted.some((tag) => !values.get(tag)?.length || values.get(tag)!.length > 128)) return undefined;
  try {
    if (keyType === 'p256') {
      const d = values.get(0x06)!;
      if (d.length !== 32) return undefined;
      const ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(d);
      const pub = ecdh.getPublicKey();
      const key = createPrivateKey({
        key: { kty: 'EC', crv: 'P-256', d: Buffer.from(d).toString('base64url'), x: pub.subarray(1, 33).toString('base64url'), y: pub.subarray(33).toString('base64url') },
        format: 'jwk',
      });
      return { keyType, key };
    }
    const [p, q, dp, dq, qi] = wanted.map((tag) => big(values.get(tag)!));
    const e = 65537n;
    const n = p! * q!;
    const d = modInverse(e, (p! - 1n) * (q! - 1n));
    if (d === undefined || n.toString(2).length !== 2048 || dp !== d % (p! - 1n) || dq !== d % (q! - 1n) || (qi! * q!) % p! !== 1n) return undefined;
    const key = createPrivateKey({
      key: { kty: 'RSA', n: b64u(n), e: b64u(e), d: b64u(d), p: b64u(p!), q: b64u(q!), dp: b64u(dp!), dq: b64u(dq!), qi: b64u(qi!) },
      format: 'jwk',
    });
    return { keyType, key };
  } catch {
    return undefined;
  }
}
