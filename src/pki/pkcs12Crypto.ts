/**
 * The password-based cryptography of PKCS #12 files, with node:crypto:
 * - RFC 7292 Appendix B.2: the PKCS #12 key derivation, used (ID 3) for the file's integrity
 *   MAC; the password as a BMPString with its two-zero-byte terminator.
 * - RFC 8018 §6.2 PBES2 with PBKDF2 (§5.2) and AES-CBC (or 3DES-CBC on reading), the password
 *   as its UTF-8 bytes (as OpenSSL does for PBES2 in PKCS #12).
 * Nothing here keeps a password or a derived key after the call.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import * as asn1js from 'asn1js';

export const PBE_OID = {
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  aes128cbc: '2.16.840.1.101.3.4.1.2',
  aes192cbc: '2.16.840.1.101.3.4.1.22',
  aes256cbc: '2.16.840.1.101.3.4.1.42',
  desEde3cbc: '1.2.840.113549.3.7',
} as const;

/** PBKDF2 PRFs (RFC 8018 §B.1.2), and the digests of MacData (RFC 7292 §4). */
const HMAC_PRF: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};
export const HMAC_SHA256_OID = '1.2.840.113549.2.9';
export const DIGEST_OID: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
export const SHA256_OID = '2.16.840.1.101.3.4.2.1';

const CIPHERS: Record<string, { name: string; keyLength: number }> = {
  [PBE_OID.aes128cbc]: { name: 'aes-128-cbc', keyLength: 16 },
  [PBE_OID.aes192cbc]: { name: 'aes-192-cbc', keyLength: 24 },
  [PBE_OID.aes256cbc]: { name: 'aes-256-cbc', keyLength: 32 },
  [PBE_OID.desEde3cbc]: { name: 'des-ede3-cbc', keyLength: 24 },
};

/** Not a scheme this reader supports (e.g. the legacy RC2/RC4 PKCS #12 PBEs). */
export class UnsupportedPbeError extends Error {}
/** The parameters are malformed. */
export class PbeFormatError extends Error {}

/** Iterations bounded so that a hostile file cannot make the app hash for minutes. */
export const MAX_ITERATIONS = 10_000_000;

const BLOCK_SIZE: Record<string, number> = { sha1: 64, sha256: 64, sha384: 128, sha512: 128 };
const OUTPUT_SIZE: Record<string, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

/** The password as PKCS #12 hashes it: BMPString (UTF-16BE) and a two-byte NUL. */
function bmpPassword(password: string): Buffer {
  const out = Buffer.alloc(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) out.writeUInt16BE(password.charCodeAt(i), i * 2);
  return out;
}

function repeatTo(source: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  if (source.length === 0) return out;
  for (let i = 0; i < length; i++) out[i] = source[i % source.length]!;
  return out;
}

/** RFC 7292 Appendix B.2. */
export function pkcs12Kdf(hash: string, password: string, salt: Uint8Array, id: 1 | 2 | 3, iterations: number, length: number): Buffer {
  const v = BLOCK_SIZE[hash];
  const u = OUTPUT_SIZE[hash];
  if (!v || !u) throw new UnsupportedPbeError(`PKCS #12 key derivation with ${hash}`);
  const pass = bmpPassword(password);
  const saltBuf = Buffer.from(salt);
  const I = Buffer.concat([repeatTo(saltBuf, v * Math.ceil(saltBuf.length / v)), repeatTo(pass, v * Math.ceil(pass.length / v))]);
  pass.fill(0);
  const D = Buffer.alloc(v, id);
  const blocks: Buffer[] = [];
  for (let produced = 0; produced < length; produced += u) {
    let A = createHash(hash).update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) A = createHash(hash).update(A).digest();
    blocks.push(A);
    if (produced + u >= length) break;
    const B = repeatTo(A, v);
    // I_j = (I_j + B + 1) mod 2^(8v), for each v-byte block of I.
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k]! + B[k]! + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  I.fill(0);
  return Buffer.concat(blocks).subarray(0, length);
}

/** The MacData HMAC over the authSafe's content (RFC 7292 §4, §5.1 step E). */
export function pkcs12Mac(hash: string, password: string, salt: Uint8Array, iterations: number, data: Uint8Array): Buffer {
  const key = pkcs12Kdf(hash, password, salt, 3, iterations, OUTPUT_SIZE[hash] ?? 0);
  try {
    return createHmac(hash, key).update(data).digest();
  } finally {
    key.fill(0);
  }
}

export function macMatches(expected: Uint8Array, actual: Uint8Array): boolean {
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

const intValue = (n: asn1js.Integer): number => {
  const value = n.valueBlock.valueDec;
  if (!Number.isSafeInteger(value) || value < 1) throw new PbeFormatError('an iteration count or key length is not a positive integer');
  return value;
};

interface Pbes2Params {
  salt: Buffer;
  iterations: number;
  prf: string;
  cipher: { name: string; keyLength: number };
  iv: Buffer;
}

/** PBES2-params (RFC 8018 §A.4) from an AlgorithmIdentifier's parameters. */
function readPbes2Params(params: asn1js.AsnType | undefined): Pbes2Params {
  if (!(params instanceof asn1js.Sequence)) throw new PbeFormatError('PBES2 parameters are not a SEQUENCE');
  const [kdf, scheme] = params.valueBlock.value;
  const [kdfOid, kdfParams] = kdf instanceof asn1js.Sequence ? kdf.valueBlock.value : [];
  if (!(kdfOid instanceof asn1js.ObjectIdentifier)) throw new PbeFormatError('PBES2 without a key derivation function');
  if (kdfOid.getValue() !== PBE_OID.pbkdf2) throw new UnsupportedPbeError(`PBES2 key derivation ${kdfOid.getValue()}`);
  if (!(kdfParams instanceof asn1js.Sequence)) throw new PbeFormatError('PBKDF2 parameters are not a SEQUENCE');
  const [salt, iterations, ...rest] = kdfParams.valueBlock.value;
  if (!(salt instanceof asn1js.OctetString) || !(iterations instanceof asn1js.Integer)) throw new PbeFormatError('PBKDF2 salt or iteration count missing');
  let prf = 'sha1'; // RFC 8018 §A.2: hmacWithSHA1 by default.
  let keyLength: number | undefined;
  for (const item of rest) {
    if (item instanceof asn1js.Integer) keyLength = intValue(item);
    else if (item instanceof asn1js.Sequence) {
      const [prfOid] = item.valueBlock.value;
      const name = prfOid instanceof asn1js.ObjectIdentifier ? HMAC_PRF[prfOid.getValue()] : undefined;
      if (!name) throw new UnsupportedPbeError('a PBKDF2 PRF other than HMAC-SHA-1/256/384/512');
      prf = name;
    }
  }
  const [schemeOid, iv] = scheme instanceof asn1js.Sequence ? scheme.valueBlock.value : [];
  const cipher = schemeOid instanceof asn1js.ObjectIdentifier ? CIPHERS[schemeOid.getValue()] : undefined;
  if (!cipher) throw new UnsupportedPbeError('a PBES2 cipher other than AES-CBC or 3DES-CBC');
  if (!(iv instanceof asn1js.OctetString)) throw new PbeFormatError('PBES2 cipher without its IV');
  if (keyLength !== undefined && keyLength !== cipher.keyLength) throw new PbeFormatError('PBKDF2 key length does not fit the cipher');
  const count = intValue(iterations);
  if (count > MAX_ITERATIONS) throw new UnsupportedPbeError(`${count} PBKDF2 iterations`);
  return { salt: Buffer.from(salt.valueBlock.valueHexView), iterations: count, prf, cipher, iv: Buffer.from(iv.valueBlock.valueHexView) };
}

/**
 * Decrypts PBES2 content. A wrong password shows as a padding error most of the time only:
 * the caller checks the file's MAC first, or that the plaintext parses.
 */
export function pbes2Decrypt(algorithmOid: string, params: asn1js.AsnType | undefined, ciphertext: Uint8Array, password: string): Buffer {
  if (algorithmOid !== PBE_OID.pbes2) throw new UnsupportedPbeError(`encryption scheme ${algorithmOid} (only PBES2 is read)`);
  const p = readPbes2Params(params);
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), p.salt, p.iterations, p.cipher.keyLength, p.prf);
  try {
    const decipher = createDecipheriv(p.cipher.name, key, p.iv);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } finally {
    key.fill(0);
  }
}

/** PBES2 / PBKDF2-HMAC-SHA256 / AES-256-CBC: the AlgorithmIdentifier and the ciphertext. */
export function pbes2Encrypt(plaintext: Uint8Array, password: string, iterations: number): { algorithm: asn1js.Sequence; ciphertext: Buffer } {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  let ciphertext: Buffer;
  try {
    const cipher = createCipheriv('aes-256-cbc', key, iv);
    ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  } finally {
    key.fill(0);
  }
  const algorithm = new asn1js.Sequence({
    value: [
      new asn1js.ObjectIdentifier({ value: PBE_OID.pbes2 }),
      new asn1js.Sequence({
        value: [
          new asn1js.Sequence({
            value: [
              new asn1js.ObjectIdentifier({ value: PBE_OID.pbkdf2 }),
              new asn1js.Sequence({
                value: [
                  new asn1js.OctetString({ valueHex: salt }),
                  new asn1js.Integer({ value: iterations }),
                  new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: HMAC_SHA256_OID }), new asn1js.Null()] }),
                ],
              }),
            ],
          }),
          new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: PBE_OID.aes256cbc }), new asn1js.OctetString({ valueHex: iv })] }),
        ],
      }),
    ],
  });
  return { algorithm, ciphertext };
}
