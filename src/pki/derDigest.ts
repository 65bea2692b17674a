/**
 * Digests on the login verifier's hot path. crypto.hash (Node ≥ 20.12) is a one-shot that skips
 * the Hash object, several times cheaper for inputs of a kilobyte; older Node 20 falls back.
 */
import * as crypto from 'node:crypto';

const oneShot: ((algorithm: string, data: Uint8Array) => Buffer) | undefined =
  typeof crypto.hash === 'function' ? (algorithm, data) => crypto.hash(algorithm, data, 'buffer') : undefined;

/** `algorithm` (a node:crypto digest name) of `data`. */
export function digest(algorithm: string, data: Uint8Array): Buffer {
  return oneShot ? oneShot(algorithm, data) : crypto.createHash(algorithm).update(data).digest();
}

/** Lowercase hex SHA-256 of `der`. */
export function sha256Hex(der: Uint8Array): string {
  return digest('sha256', der).toString('hex');
}

/** A Buffer over the same memory (Buffer.from(uint8Array) would copy). */
export const view = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** Byte equality without copying either side; short inputs (names, OIDs) without leaving JS. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  if (n > 128) return view(a).equals(b);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}
