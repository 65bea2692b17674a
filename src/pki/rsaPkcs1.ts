/**
 * RSASSA-PKCS1-v1_5 verification (RFC 8017 §8.2.2) by encoding and comparing: the signature is
 * opened with the public key (no padding) and the whole encoded message must be exactly
 * 00 01 FF…FF 00 || DigestInfo || H — nothing parsed, so nothing can be slipped past a parser.
 * It answers as crypto.verify does (the tests hold the two side by side) about a microsecond
 * sooner: OpenSSL 3 builds a digest-verify context on every crypto.verify, and the login
 * verifier makes one check per login.
 */
import { constants, type KeyObject, publicDecrypt } from 'node:crypto';
import { digest } from './derDigest.ts';
import { digestInfo, digestInfoPrefix, pkcs1v15Block, type DigestName } from './digestInfo.ts';

/** 00 01 FF…FF 00 || DigestInfo: the encoded message up to the hash, by hash and modulus size. */
const prefixes = new Map<string, Buffer>();

function prefixFor(hash: string, k: number): Buffer | undefined {
  let prefix = prefixes.get(`${hash}:${k}`);
  if (prefix) return prefix;
  const info = digestInfoPrefix(hash);
  // §9.2 step 3: at least 8 bytes of FF.
  if (!info || k < info.prefix.length + info.digestBytes + 11) return undefined;
  // Built once per hash and modulus size: the block of an all-zero digest, cut before the digest.
  const block = pkcs1v15Block(digestInfo(hash as DigestName, new Uint8Array(info.digestBytes)), k);
  prefix = Buffer.from(block.subarray(0, k - info.digestBytes));
  prefixes.set(`${hash}:${k}`, prefix);
  return prefix;
}

/** True when `signature` is `key`'s PKCS#1 v1.5 signature with `hash` over `data`. */
export function rsaPkcs1Verify(hash: string, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  const bits = key.asymmetricKeyType === 'rsa' ? key.asymmetricKeyDetails?.modulusLength : undefined;
  if (bits === undefined) return false;
  const k = Math.ceil(bits / 8);
  const prefix = prefixFor(hash, k);
  // §8.2.2 step 1: the signature is exactly as long as the modulus.
  if (!prefix || signature.length !== k) return false;
  let em: Buffer;
  try {
    // Refuses a signature representative not below the modulus (§5.2.2 step 1).
    em = publicDecrypt({ key, padding: constants.RSA_NO_PADDING }, signature);
  } catch {
    return false;
  }
  if (em.length !== k || em.compare(prefix, 0, prefix.length, 0, prefix.length) !== 0) return false;
  const h = digest(hash, data);
  return em.compare(h, 0, h.length, prefix.length, k) === 0;
}
