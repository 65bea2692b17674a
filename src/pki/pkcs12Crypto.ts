/**
 * The password-based cryptography of PKCS #12 files, with node:crypto:
 * - RFC 7292 Appendix B.2: the PKCS #12 key derivation, used (ID 3) for the file's integrity
 *   MAC; the password as a BMPString with its two-zero-byte terminator.
 * - RFC 8018 §6.2 PBES2 with PBKDF2 (§5.2) and AES-CBC, the password as its UTF-8 bytes (as
 *   OpenSSL does for PBES2 in PKCS #12).
 * Nothing here keeps a password or a derived key after the call.
 *
 * What is read is what OpenSSL 3 writes by default (PBES2 / PBKDF2-HMAC-SHA256 / AES-256-CBC,
 * HMAC-SHA256 MAC). The old schemes (the PKCS #12 and PBES1 PBEs: RC2, RC4, DES, 3DES; 3DES
 * under PBES2; an MD5 MAC) and counts below MIN_ITERATIONS are refused as LegacyAlgorithmError,
 * counts above MAX_ITERATIONS as IterationLimitError, both before any key is derived.
 *
 * The reading side never blocks the event loop for long: PBKDF2 runs on libuv's thread pool
 * (the callback form of node:crypto's pbkdf2), and the PKCS #12 KDF, which node:crypto does
 * not have, hashes in slices with a turn of the event loop between them. The Sync forms are
 * used only by writing (the `ekort pki issue --p12` command, not the agent or the service).
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

const pbkdf2Async = promisify(pbkdf2);

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
};

/**
 * Schemes of the past, by OID: RFC 7292 Appendix C (the PKCS #12 PBEs), RFC 8018 §A.3 (PBES1),
 * the DES-family and RC2 ciphers under PBES2 (RFC 8018 §B.2), and MD2/MD5 MACs.
 */
export const LEGACY_ALGORITHMS: Record<string, string> = {
  '1.2.840.113549.1.12.1.1': 'pbeWithSHAAnd128BitRC4',
  '1.2.840.113549.1.12.1.2': 'pbeWithSHAAnd40BitRC4',
  '1.2.840.113549.1.12.1.3': 'pbeWithSHAAnd3-KeyTripleDES-CBC',
  '1.2.840.113549.1.12.1.4': 'pbeWithSHAAnd2-KeyTripleDES-CBC',
  '1.2.840.113549.1.12.1.5': 'pbeWithSHAAnd128BitRC2-CBC',
  '1.2.840.113549.1.12.1.6': 'pbeWithSHAAnd40BitRC2-CBC',
  '1.2.840.113549.1.5.1': 'pbeWithMD2AndDES-CBC',
  '1.2.840.113549.1.5.3': 'pbeWithMD5AndDES-CBC',
  '1.2.840.113549.1.5.4': 'pbeWithMD2AndRC2-CBC',
  '1.2.840.113549.1.5.6': 'pbeWithMD5AndRC2-CBC',
  '1.2.840.113549.1.5.10': 'pbeWithSHA1AndDES-CBC',
  '1.2.840.113549.1.5.11': 'pbeWithSHA1AndRC2-CBC',
  [PBE_OID.desEde3cbc]: 'DES-EDE3-CBC (3DES)',
  '1.3.14.3.2.7': 'DES-CBC',
  '1.2.840.113549.3.2': 'RC2-CBC',
  '1.2.840.113549.2.2': 'MD2',
  '1.2.840.113549.2.5': 'MD5',
};

/**
 * The bounds on an iteration count, for PBKDF2 and the MAC's PKCS #12 KDF alike (OpenSSL's
 * `-iter` sets both). Below: RFC 7292 Appendix B.2 asks for at least 1024 and NIST SP 800-132
 * §5.2 for at least 1000; a count of 1 (`-noiter`, `-nomaciter`) makes a stolen file's password
 * cheap to guess. Above: OWASP's figure for PBKDF2-HMAC-SHA256 (Password Storage Cheat Sheet,
 * 2023), far over what real files use (OpenSSL 2048, Windows 2000, Java's keytool 10 000, old
 * Java 100 000 for the MAC); it bounds what a hostile file can make the app compute to about
 * 0.2 s of PBKDF2 per encrypted part and 3 s of (sliced) MAC hashing.
 */
export const MIN_ITERATIONS = 1000;
export const MAX_ITERATIONS = 600_000;

/** Not a scheme this reader supports (neither current nor a known legacy one). */
export class UnsupportedPbeError extends Error {}
/** The parameters are malformed. */
export class PbeFormatError extends Error {}
/** An old scheme (or too few iterations): the file must be exported again with today's defaults. */
export class LegacyAlgorithmError extends Error {
  constructor(readonly algorithm: string) {
    super(`${algorithm} is an old algorithm`);
  }
}
/** More iterations than MAX_ITERATIONS. */
export class IterationLimitError extends Error {
  constructor(
    readonly iterations: number,
    readonly what: string,
  ) {
    super(`${what} asks for ${iterations} iterations, more than ${MAX_ITERATIONS}`);
  }
}

/** Throws unless MIN_ITERATIONS <= count <= MAX_ITERATIONS. */
export function checkIterations(count: number, what: string): void {
  if (count > MAX_ITERATIONS) throw new IterationLimitError(count, what);
  if (count < MIN_ITERATIONS) throw new LegacyAlgorithmError(`${what} with ${count} iteration${count === 1 ? '' : 's'}`);
}

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

/** Hashes per slice of the PKCS #12 KDF between turns of the event loop (about 10 ms). */
const KDF_SLICE = 2048;

/** RFC 7292 Appendix B.2, yielding every KDF_SLICE hashes; run by runSync or runSliced. */
function* pkcs12KdfSteps(hash: string, password: string, salt: Uint8Array, id: 1 | 2 | 3, iterations: number, length: number): Generator<void, Buffer> {
  const v = BLOCK_SIZE[hash];
  const u = OUTPUT_SIZE[hash];
  if (!v || !u) throw new UnsupportedPbeError(`PKCS #12 key derivation with ${hash}`);
  const pass = bmpPassword(password);
  const saltBuf = Buffer.from(salt);
  const I = Buffer.concat([repeatTo(saltBuf, v * Math.ceil(saltBuf.length / v)), repeatTo(pass, v * Math.ceil(pass.length / v))]);
  pass.fill(0);
  const D = Buffer.alloc(v, id);
  const blocks: Buffer[] = [];
  try {
    for (let produced = 0; produced < length; produced += u) {
      let A = createHash(hash).update(D).update(I).digest();
      for (let r = 1; r < iterations; r++) {
        A = createHash(hash).update(A).digest();
        if (r % KDF_SLICE === 0) yield;
      }
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
  } finally {
    I.fill(0);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function runSync<T>(steps: Generator<void, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

async function runSliced<T>(steps: Generator<void, T>): Promise<T> {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** RFC 7292 Appendix B.2, in one go (for writing). */
export function pkcs12Kdf(hash: string, password: string, salt: Uint8Array, id: 1 | 2 | 3, iterations: number, length: number): Buffer {
  return runSync(pkcs12KdfSteps(hash, password, salt, id, iterations, length));
}

function macWith(hash: string, key: Buffer, data: Uint8Array): Buffer {
  try {
    return createHmac(hash, key).update(data).digest();
  } finally {
    key.fill(0);
  }
}

/** The MacData HMAC over the authSafe's content (RFC 7292 §4, §5.1 step E), in one go (for writing). */
export function pkcs12Mac(hash: string, password: string, salt: Uint8Array, iterations: number, data: Uint8Array): Buffer {
  return macWith(hash, pkcs12Kdf(hash, password, salt, 3, iterations, OUTPUT_SIZE[hash] ?? 0), data);
}

/** pkcs12Mac for reading: the key derivation in slices, the event loop free between them. */
export async function pkcs12MacSliced(hash: string, password: string, salt: Uint8Array, iterations: number, data: Uint8Array): Promise<Buffer> {
  return macWith(hash, await runSliced(pkcs12KdfSteps(hash, password, salt, 3, iterations, OUTPUT_SIZE[hash] ?? 0)), data);
}

export function macMatches(expected: Uint8Array, actual: Uint8Array): boolean {
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * A positive INTEGER (an iteration count, a key length) as a number. asn1js's valueDec (and so
 * pkijs's iterationCount, keyLength and MacData iterations) reads 4-byte and longer contents
 * as 0, so the value is taken as a BigInt; one too large for a number is still large, and
 * refused as such by checkIterations.
 */
export function positiveInteger(n: asn1js.Integer): number {
  const value = n.toBigInt();
  if (value < 1n) throw new PbeFormatError('an iteration count or key length is not a positive integer');
  return Number(value);
}

/**
 * The INTEGERs `names` of `node` read by pkijs's own schema for it (its static schema() with
 * those members named), as positiveInteger reads them; absent ones are left out.
 */
export function schemaIntegers<K extends string>(node: asn1js.AsnType, schema: asn1js.AsnType, names: readonly K[]): Partial<Record<K, number>> {
  const matched = asn1js.compareSchema(node, node, schema);
  if (!matched.verified) throw new PbeFormatError('an INTEGER is not where the schema has it');
  const out: Partial<Record<K, number>> = {};
  for (const name of names) {
    const value: unknown = (matched.result as Record<string, unknown>)[name];
    if (value instanceof asn1js.Integer) out[name] = positiveInteger(value);
  }
  return out;
}

interface Pbes2Params {
  salt: Buffer;
  iterations: number;
  prf: string;
  cipher: { name: string; keyLength: number };
  iv: Buffer;
}

function fromSchema<T>(what: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    throw new PbeFormatError(`${what} do not follow their schema`, { cause: error });
  }
}

/** PBES2-params (RFC 8018 §A.4) from an AlgorithmIdentifier's parameters, through pkijs's PBES2Params and PBKDF2Params. */
function readPbes2Params(params: asn1js.AsnType | undefined): Pbes2Params {
  if (!(params instanceof asn1js.Sequence)) throw new PbeFormatError('PBES2 parameters are not a SEQUENCE');
  const pbes2 = fromSchema('PBES2 parameters', () => new pkijs.PBES2Params({ schema: params }));
  const kdf = pbes2.keyDerivationFunc;
  if (kdf.algorithmId !== PBE_OID.pbkdf2) throw new UnsupportedPbeError(`PBES2 key derivation ${kdf.algorithmId}`);
  const kdfParams: unknown = kdf.algorithmParams;
  if (!(kdfParams instanceof asn1js.Sequence)) throw new PbeFormatError('PBKDF2 parameters are not a SEQUENCE');
  const pbkdf2Params = fromSchema('PBKDF2 parameters', () => new pkijs.PBKDF2Params({ schema: kdfParams }));
  const counts = schemaIntegers(kdfParams, pkijs.PBKDF2Params.schema({ names: { iterationCount: 'iterations', keyLength: 'keyLength' } }), ['iterations', 'keyLength'] as const);
  const salt: unknown = pbkdf2Params.salt;
  if (!(salt instanceof asn1js.OctetString)) throw new PbeFormatError('PBKDF2 salt is not an OCTET STRING');
  // RFC 8018 §A.2: hmacWithSHA1 by default.
  const prfOid = pbkdf2Params.prf?.algorithmId;
  const prf = prfOid === undefined ? 'sha1' : HMAC_PRF[prfOid];
  if (!prf) throw new UnsupportedPbeError('a PBKDF2 PRF other than HMAC-SHA-1/256/384/512');
  const schemeName = pbes2.encryptionScheme.algorithmId;
  const legacy = LEGACY_ALGORITHMS[schemeName];
  if (legacy) throw new LegacyAlgorithmError(`PBES2 with ${legacy}`);
  const cipher = CIPHERS[schemeName];
  if (!cipher) throw new UnsupportedPbeError('a PBES2 cipher other than AES-CBC');
  const iv: unknown = pbes2.encryptionScheme.algorithmParams;
  if (!(iv instanceof asn1js.OctetString)) throw new PbeFormatError('PBES2 cipher without its IV');
  if (counts.keyLength !== undefined && counts.keyLength !== cipher.keyLength) throw new PbeFormatError('PBKDF2 key length does not fit the cipher');
  if (counts.iterations === undefined) throw new PbeFormatError('PBKDF2 iteration count missing');
  checkIterations(counts.iterations, 'PBKDF2');
  return { salt: Buffer.from(salt.valueBlock.valueHexView), iterations: counts.iterations, prf, cipher, iv: Buffer.from(iv.valueBlock.valueHexView) };
}

/**
 * Checks an encryption AlgorithmIdentifier without deriving anything: LegacyAlgorithmError,
 * IterationLimitError, UnsupportedPbeError or PbeFormatError when it is not one to decrypt.
 */
export function checkEncryptionScheme(algorithmOid: string, params: asn1js.AsnType | undefined): void {
  readEncryptionScheme(algorithmOid, params);
}

function readEncryptionScheme(algorithmOid: string, params: asn1js.AsnType | undefined): Pbes2Params {
  const legacy = LEGACY_ALGORITHMS[algorithmOid];
  if (legacy) throw new LegacyAlgorithmError(legacy);
  if (algorithmOid !== PBE_OID.pbes2) throw new UnsupportedPbeError(`encryption scheme ${algorithmOid} (only PBES2 is read)`);
  return readPbes2Params(params);
}

/**
 * Decrypts PBES2 content, PBKDF2 on the thread pool. A wrong password shows as a padding error
 * most of the time only: the caller checks the file's MAC first, or that the plaintext parses.
 */
export async function pbes2Decrypt(algorithmOid: string, params: asn1js.AsnType | undefined, ciphertext: Uint8Array, password: string): Promise<Buffer> {
  const p = readEncryptionScheme(algorithmOid, params);
  const key = await pbkdf2Async(Buffer.from(password, 'utf8'), p.salt, p.iterations, p.cipher.keyLength, p.prf);
  try {
    const decipher = createDecipheriv(p.cipher.name, key, p.iv);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } finally {
    key.fill(0);
  }
}

/** PBES2 / PBKDF2-HMAC-SHA256 / AES-256-CBC: the AlgorithmIdentifier and the ciphertext (for writing). */
export function pbes2Encrypt(plaintext: Uint8Array, password: string, iterations: number): { algorithm: pkijs.AlgorithmIdentifier; ciphertext: Buffer } {
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
  const pbkdf2Params = new pkijs.PBKDF2Params({
    salt: new asn1js.OctetString({ valueHex: salt }),
    iterationCount: iterations,
    prf: new pkijs.AlgorithmIdentifier({ algorithmId: HMAC_SHA256_OID, algorithmParams: new asn1js.Null() }),
  });
  const pbes2 = new pkijs.PBES2Params({
    keyDerivationFunc: new pkijs.AlgorithmIdentifier({ algorithmId: PBE_OID.pbkdf2, algorithmParams: pbkdf2Params.toSchema() }),
    encryptionScheme: new pkijs.AlgorithmIdentifier({ algorithmId: PBE_OID.aes256cbc, algorithmParams: new asn1js.OctetString({ valueHex: iv }) }),
  });
  return { algorithm: new pkijs.AlgorithmIdentifier({ algorithmId: PBE_OID.pbes2, algorithmParams: pbes2.toSchema() }), ciphertext };
}
