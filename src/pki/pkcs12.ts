/**
 * PKCS #12 (RFC 7292) files, as BankID på fil and OpenSSL keep a certificate and its private
 * key: written and read through pkijs's PFX classes (PFX, AuthenticatedSafe, SafeContents,
 * SafeBag, CertBag, PKCS8ShroudedKeyBag, EncryptedData, MacData), the cryptography with
 * node:crypto (pkcs12Crypto.ts), which bounds the work before any key is derived.
 *
 * Written here ("password integrity, password privacy" as `openssl pkcs12 -export` does it in
 * OpenSSL 3): the key in a pkcs8ShroudedKeyBag under PBES2 / PBKDF2-HMAC-SHA256 / AES-256-CBC,
 * and an HMAC-SHA256 MAC (PKCS #12 KDF) over the whole AuthenticatedSafe. One difference on
 * purpose: the certificates go in an unencrypted SafeContents (allowed by RFC 7292 §4.1), so an
 * app can show whose e-legitimation a file is before it asks for the password. The MAC covers
 * them too, so a changed certificate is found as soon as the password is given.
 *
 * Read here: that layout, and OpenSSL's default (the certificates in an encryptedData
 * SafeContents under PBES2). Refused before the password is tried: a file whose private key
 * lies unencrypted (PKCS12_UNPROTECTED: it opens with any password), the legacy PBEs and MACs
 * and too few iterations (PKCS12_LEGACY), too many (PKCS12_ITERATIONS_TOO_HIGH). Not read:
 * public-key integrity and privacy.
 */
import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { CodedError } from '../errors.ts';
import {
  checkEncryptionScheme,
  checkIterations,
  DIGEST_OID,
  IterationLimitError,
  LEGACY_ALGORITHMS,
  LegacyAlgorithmError,
  macMatches,
  MAX_ITERATIONS,
  MIN_ITERATIONS,
  PbeFormatError,
  pbes2Decrypt,
  pbes2Encrypt,
  pkcs12Mac,
  pkcs12MacSliced,
  schemaIntegers,
  SHA256_OID,
  UnsupportedPbeError,
} from './pkcs12Crypto.ts';

export type Pkcs12ErrorCode = 'PKCS12_MALFORMED' | 'PKCS12_UNSUPPORTED' | 'PKCS12_UNPROTECTED' | 'PKCS12_LEGACY' | 'PKCS12_ITERATIONS_TOO_HIGH';

export class Pkcs12Error extends CodedError<Pkcs12ErrorCode> {}

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
} as const;

/** OpenSSL 3's PKCS12_DEFAULT_ITER, for PBKDF2 and the MAC alike. */
export const DEFAULT_ITERATIONS = 2048;

const REEXPORT = 'Export it again with today\'s defaults (OpenSSL 3: openssl pkcs12 -export, which uses AES-256-CBC, PBKDF2-HMAC-SHA256 and an HMAC-SHA256 MAC), or get a new one from the issuer.';

/** A refusal from pkcs12Crypto.ts as the Pkcs12Error a caller can act on. */
function protectionError(error: unknown, where: string): Pkcs12Error {
  if (error instanceof LegacyAlgorithmError) {
    return new Pkcs12Error('PKCS12_LEGACY', `The file uses an old algorithm (${error.algorithm}, ${where}) that is no longer accepted. ${REEXPORT}`, { cause: error });
  }
  if (error instanceof IterationLimitError) {
    return new Pkcs12Error(
      'PKCS12_ITERATIONS_TOO_HIGH',
      `The file asks for ${error.iterations} iterations of ${error.what} (${where}), more than the ${MAX_ITERATIONS} accepted; real files use a few thousand. ${REEXPORT}`,
      { cause: error },
    );
  }
  if (error instanceof UnsupportedPbeError) return new Pkcs12Error('PKCS12_UNSUPPORTED', `The file is protected with a scheme this app does not read (${error.message}, ${where})`, { cause: error });
  if (error instanceof PbeFormatError) return new Pkcs12Error('PKCS12_MALFORMED', `The file is not a readable PKCS #12 (PFX) file: ${error.message}`, { cause: error });
  return new Pkcs12Error('PKCS12_MALFORMED', 'The file is not a readable PKCS #12 (PFX) file', { cause: error });
}

const unprotected = (): Pkcs12Error =>
  new Pkcs12Error(
    'PKCS12_UNPROTECTED',
    'The file is not password-protected: its private key is stored unencrypted, so it would open with any password and anyone with a copy can use it. Export it again with a password (openssl pkcs12 -export), or get a new one from the issuer.',
  );

export interface SafeBag {
  kind: 'certificate' | 'shroudedKey' | 'key';
  /** Certificate DER, EncryptedPrivateKeyInfo DER, or PrivateKeyInfo DER. */
  value: Uint8Array;
  /** Hex. */
  localKeyId?: string;
  friendlyName?: string;
}

export interface ParsedPfx {
  /** The bags readable without the password. */
  plainBags: SafeBag[];
  /** SafeContents still encrypted (read with decryptBags). */
  encryptedContents: Array<{ algorithm: string; params: asn1js.AsnType | undefined; ciphertext: Uint8Array }>;
  mac?: { hash: string; digest: Uint8Array; salt: Uint8Array; iterations: number };
  /** The AuthenticatedSafe's DER: what the MAC covers. */
  authSafe: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Writing

/** A ContentInfo of type data around DER content (RFC 7292 §4.1). */
const dataContentInfo = (content: Uint8Array): pkijs.ContentInfo => new pkijs.ContentInfo({ contentType: OID.data, content: new asn1js.OctetString({ valueHex: content }) });
const der = (value: { toSchema(): asn1js.AsnType }): Uint8Array => new Uint8Array(value.toSchema().toBER(false));

function bagAttributes(localKeyId: Uint8Array, friendlyName: string | undefined): pkijs.Attribute[] {
  const localKey = new pkijs.Attribute({ type: OID.localKeyId, values: [new asn1js.OctetString({ valueHex: localKeyId })] });
  if (friendlyName === undefined) return [localKey];
  return [new pkijs.Attribute({ type: OID.friendlyName, values: [new asn1js.BmpString({ value: friendlyName })] }), localKey];
}

function certSafeBag(certificate: Uint8Array, attributes?: pkijs.Attribute[]): pkijs.SafeBag {
  const bagValue = new pkijs.CertBag({ certId: OID.x509Certificate, certValue: new asn1js.OctetString({ valueHex: certificate }) });
  return new pkijs.SafeBag({ bagId: OID.certBag, bagValue, ...(attributes ? { bagAttributes: attributes } : {}) });
}

export interface WritePkcs12Options {
  /** The end-entity certificate, DER. */
  certificate: Uint8Array;
  /** CA certificates to include (DER), issuing CA first. */
  chain?: Uint8Array[];
  privateKey: KeyObject;
  password: string;
  friendlyName?: string;
  /** PBKDF2's, and the MAC's unless macIterations is given. */
  iterations?: number;
  macIterations?: number;
}

/** A PFX as described above, DER. */
export function writePkcs12(options: WritePkcs12Options): Uint8Array {
  if (options.password.length === 0) throw new Pkcs12Error('PKCS12_UNSUPPORTED', 'A BankID på fil needs a password');
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  const macIterations = options.macIterations ?? iterations;
  for (const count of [iterations, macIterations]) {
    if (!Number.isSafeInteger(count) || count < MIN_ITERATIONS || count > MAX_ITERATIONS) {
      throw new Pkcs12Error('PKCS12_UNSUPPORTED', `An iteration count is between ${MIN_ITERATIONS} and ${MAX_ITERATIONS}`);
    }
  }
  const localKeyId = new Uint8Array(createHash('sha1').update(options.certificate).digest());
  const attributes = bagAttributes(localKeyId, options.friendlyName);

  const pkcs8 = options.privateKey.export({ format: 'der', type: 'pkcs8' });
  let shrouded: pkijs.PKCS8ShroudedKeyBag;
  try {
    const { algorithm, ciphertext } = pbes2Encrypt(pkcs8, options.password, iterations);
    shrouded = new pkijs.PKCS8ShroudedKeyBag({ encryptionAlgorithm: algorithm, encryptedData: new asn1js.OctetString({ valueHex: ciphertext }) });
  } finally {
    pkcs8.fill(0);
  }

  const certs = new pkijs.SafeContents({ safeBags: [certSafeBag(options.certificate, attributes), ...(options.chain ?? []).map((c) => certSafeBag(c))] });
  const keys = new pkijs.SafeContents({
    safeBags: [new pkijs.SafeBag({ bagId: OID.pkcs8ShroudedKeyBag, bagValue: shrouded, bagAttributes: bagAttributes(localKeyId, options.friendlyName) })],
  });
  const authSafe = der(new pkijs.AuthenticatedSafe({ safeContents: [dataContentInfo(der(certs)), dataContentInfo(der(keys))] }));

  const salt = new Uint8Array(randomBytes(16));
  const mac = pkcs12Mac('sha256', options.password, salt, macIterations, authSafe);
  const macData = new pkijs.MacData({
    mac: new pkijs.DigestInfo({
      digestAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: SHA256_OID, algorithmParams: new asn1js.Null() }),
      digest: new asn1js.OctetString({ valueHex: mac }),
    }),
    macSalt: new asn1js.OctetString({ valueHex: salt }),
    iterations: macIterations,
  });
  return der(new pkijs.PFX({ version: 3, authSafe: dataContentInfo(authSafe), macData }));
}

// ---------------------------------------------------------------------------------------------
// Reading

const malformed = (what: string, cause?: unknown): Pkcs12Error =>
  new Pkcs12Error('PKCS12_MALFORMED', `The file is not a readable PKCS #12 (PFX) file: ${what}`, cause === undefined ? undefined : { cause });

function parse(bytes: Uint8Array, what: string): asn1js.AsnType {
  const parsed = asn1js.fromBER(bytes);
  if (parsed.offset === -1 || parsed.offset !== bytes.length) throw malformed(`${what} is not BER`);
  return parsed.result;
}

/** A pkijs object from its schema, or PKCS12_MALFORMED naming what did not fit. */
function read<T>(what: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof Pkcs12Error) throw error;
    throw malformed(`${what} does not follow its schema`, error);
  }
}

/** The content octets of an OCTET STRING (or an implicitly tagged one); constructed (BER) forms joined. */
function octets(node: unknown, what: string): Uint8Array {
  if (!(node instanceof asn1js.BaseBlock)) throw malformed(`${what} is missing`);
  if (node.idBlock.isConstructed) {
    const parts = (node as asn1js.Constructed).valueBlock.value.map((part) => octets(part, what));
    return new Uint8Array(Buffer.concat(parts));
  }
  const block = (node as asn1js.Primitive).valueBlock as { valueHexView?: Uint8Array };
  if (!(block.valueHexView instanceof Uint8Array)) throw malformed(`${what} is not an OCTET STRING`);
  return new Uint8Array(block.valueHexView);
}

/** localKeyId (hex) and friendlyName of a SafeBag's attributes. */
function attributesOf(bag: pkijs.SafeBag): Omit<SafeBag, 'kind' | 'value'> {
  const out: Omit<SafeBag, 'kind' | 'value'> = {};
  for (const attribute of bag.bagAttributes ?? []) {
    const [first]: unknown[] = attribute.values;
    if (attribute.type === OID.localKeyId && first instanceof asn1js.OctetString) out.localKeyId = Buffer.from(first.valueBlock.valueHexView).toString('hex');
    if (attribute.type === OID.friendlyName && first instanceof asn1js.BmpString) out.friendlyName = first.getValue();
  }
  return out;
}

function readSafeContents(bytes: Uint8Array): SafeBag[] {
  const node = parse(bytes, 'SafeContents');
  const contents = read('SafeContents', () => new pkijs.SafeContents({ schema: node }));
  const bags: SafeBag[] = [];
  for (const bag of contents.safeBags) {
    const value: unknown = bag.bagValue;
    if (bag.bagId === OID.certBag && value instanceof pkijs.CertBag) {
      if (value.certId !== OID.x509Certificate) continue; // attribute certificates: not for us
      bags.push({ kind: 'certificate', value: octets(value.certValue, 'a certificate'), ...attributesOf(bag) });
    } else if (bag.bagId === OID.pkcs8ShroudedKeyBag && value instanceof pkijs.PKCS8ShroudedKeyBag) {
      bags.push({ kind: 'shroudedKey', value: der(value), ...attributesOf(bag) });
    } else if (bag.bagId === OID.keyBag && value instanceof pkijs.PrivateKeyInfo) {
      bags.push({ kind: 'key', value: der(value), ...attributesOf(bag) });
    }
    // CRL, secret and nested bags: not needed for a login.
  }
  return bags;
}

/** The PFX's structure, without the password: its unencrypted bags, the rest still encrypted. */
export function parsePfx(bytes: Uint8Array): ParsedPfx {
  try {
    return parsePfxUnchecked(bytes);
  } catch (error) {
    if (error instanceof Pkcs12Error) throw error;
    throw new Pkcs12Error('PKCS12_MALFORMED', 'The file is not a readable PKCS #12 (PFX) file', { cause: error });
  }
}

function parsePfxUnchecked(bytes: Uint8Array): ParsedPfx {
  const root = parse(bytes, 'the file');
  const pfx = read('PFX', () => new pkijs.PFX({ schema: root }));
  if (pfx.version !== 3) throw malformed('PFX version is not 3');
  if (pfx.authSafe.contentType !== OID.data) throw new Pkcs12Error('PKCS12_UNSUPPORTED', 'PKCS #12 files with public-key integrity are not supported');
  const authSafe = octets(pfx.authSafe.content, 'authSafe content');
  const authSafeNode = parse(authSafe, 'AuthenticatedSafe');
  const safe = read('AuthenticatedSafe', () => new pkijs.AuthenticatedSafe({ schema: authSafeNode }));

  const result: ParsedPfx = { plainBags: [], encryptedContents: [], authSafe };
  for (const info of safe.safeContents) {
    if (info.contentType === OID.data) {
      result.plainBags.push(...readSafeContents(octets(info.content, 'SafeContents')));
    } else if (info.contentType === OID.encryptedData) {
      const encrypted = read('EncryptedData', () => new pkijs.EncryptedData({ schema: info.content }));
      const { contentEncryptionAlgorithm: algorithm, encryptedContent } = encrypted.encryptedContentInfo;
      if (!encryptedContent) continue; // no content: nothing to read
      result.encryptedContents.push({ algorithm: algorithm.algorithmId, params: algorithm.algorithmParams, ciphertext: octets(encryptedContent, 'encryptedContent') });
    } else {
      throw new Pkcs12Error('PKCS12_UNSUPPORTED', 'PKCS #12 files with public-key privacy (enveloped data) are not supported');
    }
  }

  // The key must be encrypted: a plain keyBag outside encrypted content opens with any password.
  if (result.plainBags.some((b) => b.kind === 'key')) throw unprotected();
  for (const contents of result.encryptedContents) checkScheme(contents.algorithm, contents.params, 'the certificates');
  for (const bag of result.plainBags) if (bag.kind === 'shroudedKey') checkShroudedKey(bag.value);

  if (pfx.macData) {
    const macOid = pfx.macData.mac.digestAlgorithm.algorithmId;
    const legacy = LEGACY_ALGORITHMS[macOid];
    if (legacy) throw protectionError(new LegacyAlgorithmError(`an ${legacy} MAC`), 'the integrity MAC');
    const hash = DIGEST_OID[macOid];
    if (!hash) throw new Pkcs12Error('PKCS12_UNSUPPORTED', 'The file is protected by a MAC this app cannot check (PBMAC1 or an unknown digest)');
    let count: number;
    try {
      // RFC 7292 §4: iterations INTEGER DEFAULT 1. pkijs reads large counts as 0, so the count is read again here.
      const macSchema = pkijs.PFX.schema({ names: { macData: { names: { blockName: 'macData', iterations: 'macIterations', optional: true } } } });
      count = schemaIntegers(root, macSchema, ['macIterations'] as const).macIterations ?? 1;
      checkIterations(count, `the ${hash.toUpperCase()} MAC's key derivation`);
    } catch (error) {
      throw protectionError(error, 'the integrity MAC');
    }
    result.mac = { hash, digest: octets(pfx.macData.mac.digest, 'the MAC'), salt: octets(pfx.macData.macSalt, 'the MAC salt'), iterations: count };
  }
  return result;
}

function checkScheme(algorithm: string, params: asn1js.AsnType | undefined, where: string): void {
  try {
    checkEncryptionScheme(algorithm, params);
  } catch (error) {
    throw protectionError(error, where);
  }
}

/** An EncryptedPrivateKeyInfo (RFC 5208 §6): its scheme and its ciphertext. */
function readEncryptedKey(value: Uint8Array): { algorithm: string; params: asn1js.AsnType | undefined; ciphertext: Uint8Array } {
  const node = parse(value, 'EncryptedPrivateKeyInfo');
  const key = read('EncryptedPrivateKeyInfo', () => new pkijs.PKCS8ShroudedKeyBag({ schema: node }));
  const algorithm = key.encryptionAlgorithm;
  return { algorithm: algorithm.algorithmId, params: algorithm.algorithmParams, ciphertext: octets(key.encryptedData, 'the encrypted key') };
}

function checkShroudedKey(value: Uint8Array): void {
  const { algorithm, params } = readEncryptedKey(value);
  checkScheme(algorithm, params, 'the private key');
}

/**
 * The PKCS #8 PrivateKeyInfo DER of a pkcs8ShroudedKeyBag, decrypted with PBKDF2 on the thread
 * pool (node:crypto's createPrivateKey with a passphrase would derive on the event loop, at
 * whatever count the file names). The caller zeroes it after use.
 */
export async function decryptShroudedKey(value: Uint8Array, password: string): Promise<Buffer> {
  let key: ReturnType<typeof readEncryptedKey>;
  try {
    key = readEncryptedKey(value);
  } catch (error) {
    throw error instanceof Pkcs12Error ? error : malformed('the encrypted key');
  }
  checkScheme(key.algorithm, key.params, 'the private key');
  return pbes2Decrypt(key.algorithm, key.params, key.ciphertext, password);
}

/**
 * True or false when the file has a MAC to check the password against; undefined when it has
 * none. The MAC's key derivation runs in slices so the event loop stays free.
 */
export async function pfxPasswordMatches(pfx: ParsedPfx, password: string): Promise<boolean | undefined> {
  if (!pfx.mac) return undefined;
  return macMatches(pfx.mac.digest, await pkcs12MacSliced(pfx.mac.hash, password, pfx.mac.salt, pfx.mac.iterations, pfx.authSafe));
}

/** Decryption failed: with no MAC to say so, most likely a wrong password. */
export class Pkcs12DecryptError extends Error {}

/** Every bag: the plain ones and those of the encrypted SafeContents (whose key bags are checked as parsePfx checks the plain ones). */
export async function decryptBags(pfx: ParsedPfx, password: string): Promise<SafeBag[]> {
  const bags = [...pfx.plainBags];
  for (const contents of pfx.encryptedContents) {
    checkScheme(contents.algorithm, contents.params, 'the certificates');
    let plain: Buffer;
    try {
      plain = await pbes2Decrypt(contents.algorithm, contents.params, contents.ciphertext, password);
    } catch (error) {
      throw new Pkcs12DecryptError('the SafeContents did not decrypt', { cause: error });
    }
    let inner: SafeBag[];
    try {
      inner = readSafeContents(plain);
    } catch (error) {
      throw new Pkcs12DecryptError('the decrypted SafeContents do not parse', { cause: error });
    }
    for (const bag of inner) if (bag.kind === 'shroudedKey') checkShroudedKey(bag.value);
    bags.push(...inner);
  }
  return bags;
}
