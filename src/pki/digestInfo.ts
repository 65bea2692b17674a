/**
 * The one DigestInfo table and EMSA-PKCS1-v1_5 encoding (RFC 8017 §9.2): what an RSA PKCS#1 v1.5
 * signature signs. The PIV session pads with it for the card and the file signer encodes
 * with it, so the two cannot drift apart (verification is node:crypto's).
 */
import { EkortError } from '../errors.ts';
import { bytesEqual, concatBytes, fromHex } from '../iso7816/index.ts';

export type DigestName = 'sha256' | 'sha384' | 'sha512';

/** Input that an RSA PKCS#1 v1.5 signature cannot take (a wrong hash or digest length). */
export class SignInputError extends EkortError {
  declare readonly code: 'INVALID_SIGN_INPUT';

  constructor(message: string) {
    super('INVALID_SIGN_INPUT', message);
  }
}

export interface DigestInfoPrefix {
  /** The DER DigestInfo up to and including the digest's OCTET STRING header. */
  readonly prefix: Uint8Array;
  readonly digestBytes: number;
}

/** RFC 8017 §9.2 note 1: the DER DigestInfo prefix of each hash, before the digest itself. */
const DIGEST_INFO_PREFIXES: Readonly<Record<DigestName, DigestInfoPrefix>> = {
  sha256: { prefix: fromHex('30 31 30 0d 06 09 60 86 48 01 65 03 04 02 01 05 00 04 20'), digestBytes: 32 },
  sha384: { prefix: fromHex('30 41 30 0d 06 09 60 86 48 01 65 03 04 02 02 05 00 04 30'), digestBytes: 48 },
  sha512: { prefix: fromHex('30 51 30 0d 06 09 60 86 48 01 65 03 04 02 03 05 00 04 40'), digestBytes: 64 },
};

/** The table's entry for a hash named at run time (e.g. from a CMS), or undefined for any other name. */
export function digestInfoPrefix(hash: string): DigestInfoPrefix | undefined {
  return Object.hasOwn(DIGEST_INFO_PREFIXES, hash) ? DIGEST_INFO_PREFIXES[hash as DigestName] : undefined;
}

/** The DER DigestInfo of a digest (RFC 8017 §9.2 step 2), what an RSA PKCS#1 v1.5 signature signs. */
export function digestInfo(hash: DigestName, digest: Uint8Array): Uint8Array {
  const info = digestInfoPrefix(hash);
  if (!info) throw new SignInputError(`Unknown hash "${String(hash)}": use sha256, sha384 or sha512`);
  if (digest.length !== info.digestBytes) {
    throw new SignInputError(`A ${hash} digest is ${info.digestBytes} bytes, got ${digest.length}`);
  }
  return concatBytes(info.prefix, digest);
}

/** True when `input` is a SHA-256/384/512 DigestInfo of the right length (a bare digest is not). */
export function isDigestInfo(input: Uint8Array): boolean {
  return Object.values(DIGEST_INFO_PREFIXES).some(
    ({ prefix, digestBytes }) => input.length === prefix.length + digestBytes && bytesEqual(input.subarray(0, prefix.length), prefix),
  );
}

/** EMSA-PKCS1-v1_5 (RFC 8017 §9.2 step 5): 00 01 FF..FF 00 DigestInfo, as long as the modulus. */
export function pkcs1v15Block(digestInfoBytes: Uint8Array, modulusBytes: number): Uint8Array {
  const paddingBytes = modulusBytes - digestInfoBytes.length - 3;
  // §9.2 step 3: at least 8 bytes of FF.
  if (paddingBytes < 8) {
    throw new SignInputError(`A DigestInfo of ${digestInfoBytes.length} bytes does not fit a ${modulusBytes}-byte RSA block`);
  }
  const block = new Uint8Array(modulusBytes).fill(0xff);
  block[0] = 0x00;
  block[1] = 0x01;
  block[2 + paddingBytes] = 0x00;
  block.set(digestInfoBytes, 3 + paddingBytes);
  return block;
}
