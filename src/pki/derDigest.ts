/**
 * Digests on the login verifier's hot path. crypto.hash (Node ≥ 20.12) is a one-shot that skips
 * the Hash object, several times cheaper for inputs of a kilobyte; older Node 20 falls back.
 *
 * sha256Hex remembers the digest of DER inputs that come back on every login (trust anchors,
 * intermediates, CRLs, a parsed certificate's own DER) per Uint8Array object, together with a
 * copy of the bytes it was computed over. A reuse compares all the bytes first (memcmp, far
 * cheaper than hashing), so a buffer changed in place is hashed again: the digest always
 * matches the bytes.
 */
import * as crypto from 'node:crypto';

const oneShot: ((algorithm: string, data: Uint8Array) => Buffer) | undefined =
  typeof crypto.hash === 'function' ? (algorithm, data) => crypto.hash(algorithm, data, 'buffer') : undefined;

/** `algorithm` (a node:crypto digest name) of `data`. */
export function digest(algorithm: string, data: Uint8Array): Buffer {
  return oneShot ? oneShot(algorithm, data) : crypto.createHash(algorithm).update(data).digest();
}

const memo = new WeakMap<Uint8Array, { bytes: Buffer; sha256: string }>();

/** Lowercase hex SHA-256 of `der`, not remembered (for bytes seen once). */
export function sha256HexOnce(der: Uint8Array): string {
  return digest('sha256', der).toString('hex');
}

/** Lowercase hex SHA-256 of `der`, remembered for this Uint8Array while its bytes stay the same. */
export function sha256Hex(der: Uint8Array): string {
  const m = memo.get(der);
  if (m && m.bytes.equals(der)) return m.sha256;
  const sha256 = sha256HexOnce(der);
  memo.set(der, { bytes: Buffer.from(der), sha256 });
  return sha256;
}

/** A Buffer over the same memory (Buffer.from(uint8Array) would copy). */
export const view = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** Byte equality without copying either side. */
export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && view(a).equals(b);
