/**
 * PKCS #12 (RFC 7292) files, as BankID på fil and OpenSSL keep a certificate and its private
 * key: written and read with asn1js and node:crypto (pkcs12Crypto.ts).
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
import { EkortError } from '../errors.ts';
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
  positiveInteger,
  SHA256_OID,
  UnsupportedPbeError,
} from './pkcs12Crypto.ts';

export type Pkcs12ErrorCode = 'PKCS12_MALFORMED' | 'PKCS12_UNSUPPORTED' | 'PKCS12_UNPROTECTED' | 'PKCS12_LEGACY' | 'PKCS12_ITERATIONS_TOO_HIGH';

export class Pkcs12Error extends EkortError {
  declare readonly code: Pkcs12ErrorCode;
  constructor(code: Pkcs12ErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

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

const explicit0 = (inner: asn1js.AsnType): asn1js.Constructed => new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [inner] });
const oid = (value: string): asn1js.ObjectIdentifier => new asn1js.ObjectIdentifier({ value });
const der = (node: asn1js.AsnType): Uint8Array => new Uint8Array(node.toBER(false));

function dataContentInfo(content: Uint8Array): asn1js.Sequence {
  return new asn1js.Sequence({ value: [oid(OID.data), explicit0(new asn1js.OctetString({ valueHex: content }))] });
}

function bagAttributes(localKeyId: Uint8Array, friendlyName: string | undefined): asn1js.Set {
  const attrs = [new asn1js.Sequence({ value: [oid(OID.localKeyId), new asn1js.Set({ value: [new asn1js.OctetString({ valueHex: localKeyId })] })] })];
  if (friendlyName !== undefined) {
    attrs.unshift(new asn1js.Sequence({ value: [oid(OID.friendlyName), new asn1js.Set({ value: [new asn1js.BmpString({ value: friendlyName })] })] }));
  }
  return new asn1js.Set({ value: attrs });
}

function safeBag(bagId: string, value: asn1js.AsnType, attributes?: asn1js.Set): asn1js.Sequence {
  return new asn1js.Sequence({ value: [oid(bagId), explicit0(value), ...(attributes ? [attributes] : [])] });
}

const certBag = (certificate: Uint8Array): asn1js.Sequence =>
  new asn1js.Sequence({ value: [oid(OID.x509Certificate), explicit0(new asn1js.OctetString({ valueHex: certificate }))] });

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
  let shrouded: asn1js.Sequence;
  try {
    const { algorithm, ciphertext } = pbes2Encrypt(pkcs8, options.password, iterations);
    shrouded = new asn1js.Sequence({ value: [algorithm, new asn1js.OctetString({ valueHex: ciphertext })] });
  } finally {
    pkcs8.fill(0);
  }

  const certs = new asn1js.Sequence({
    value: [safeBag(OID.certBag, certBag(options.certificate), attributes), ...(options.chain ?? []).map((c) => safeBag(OID.certBag, certBag(c)))],
  });
  const keys = new asn1js.Sequence({ value: [safeBag(OID.pkcs8ShroudedKeyBag, shrouded, bagAttributes(localKeyId, options.friendlyName))] });
  const authSafe = der(new asn1js.Sequence({ value: [dataContentInfo(der(certs)), dataContentInfo(der(keys))] }));

  const salt = new Uint8Array(randomBytes(16));
  const mac = pkcs12Mac('sha256', options.password, salt, macIterations, authSafe);
  const macData = new asn1js.Sequence({
    value: [
      new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [oid(SHA256_OID), new asn1js.Null()] }), new asn1js.OctetString({ valueHex: mac })] }),
      new asn1js.OctetString({ valueHex: salt }),
      new asn1js.Integer({ value: macIterations }),
    ],
  });
  return der(new asn1js.Sequence({ value: [new asn1js.Integer({ value: 3 }), dataContentInfo(authSafe), macData] }));
}

// ---------------------------------------------------------------------------------------------
// Reading

const malformed = (what: string): Pkcs12Error => new Pkcs12Error('PKCS12_MALFORMED', `The file is not a readable PKCS #12 (PFX) file: ${what}`);

function parse(bytes: Uint8Array, what: string): asn1js.AsnType {
  const parsed = asn1js.fromBER(bytes);
  if (parsed.offset === -1 || parsed.offset !== bytes.length) throw malformed(`${what} is not BER`);
  return parsed.result;
}

const children = (node: asn1js.AsnType | undefined, what: string): asn1js.AsnType[] => {
  if (!(node instanceof asn1js.Sequence) && !(node instanceof asn1js.Set)) throw malformed(`${what} is not a SEQUENCE`);
  return node.valueBlock.value;
};

const isContext0 = (node: asn1js.AsnType | undefined): node is asn1js.Constructed | asn1js.Primitive =>
  node !== undefined && node.idBlock.tagClass === 3 && node.idBlock.tagNumber === 0;

/** The content octets of an OCTET STRING, or of an implicitly tagged one; constructed (BER) forms joined. */
function octets(node: asn1js.AsnType | undefined, what: string): Uint8Array {
  if (node === undefined) throw malformed(`${what} is missing`);
  if (node.idBlock.isConstructed) {
    const parts = (node as asn1js.Constructed).valueBlock.value.map((part) => octets(part, what));
    return new Uint8Array(Buffer.concat(parts));
  }
  const block = (node as asn1js.Primitive).valueBlock as { valueHexView?: Uint8Array };
  if (!(block.valueHexView instanceof Uint8Array)) throw malformed(`${what} is not an OCTET STRING`);
  return new Uint8Array(block.valueHexView);
}

/** The inner value of an [0] EXPLICIT. */
function explicitValue(node: asn1js.AsnType | undefined, what: string): asn1js.AsnType {
  if (!isContext0(node) || !node.idBlock.isConstructed) throw malformed(`${what} is not [0] EXPLICIT`);
  const [inner] = (node as asn1js.Constructed).valueBlock.value;
  if (!inner) throw malformed(`${what} is empty`);
  return inner;
}

const oidOf = (node: asn1js.AsnType | undefined, what: string): string => {
  if (!(node instanceof asn1js.ObjectIdentifier)) throw malformed(`${what} has no OBJECT IDENTIFIER`);
  return node.getValue();
};

function readSafeContents(bytes: Uint8Array): SafeBag[] {
  const bags: SafeBag[] = [];
  for (const bag of children(parse(bytes, 'SafeContents'), 'SafeContents')) {
    const [idNode, valueNode, attrsNode] = children(bag, 'a SafeBag');
    const bagId = oidOf(idNode, 'a SafeBag');
    const value = explicitValue(valueNode, 'a SafeBag value');
    const out: Omit<SafeBag, 'kind' | 'value'> = {};
    if (attrsNode instanceof asn1js.Set) {
      for (const attr of attrsNode.valueBlock.value) {
        const [type, values] = children(attr, 'a bag attribute');
        const [first] = values instanceof asn1js.Set ? values.valueBlock.value : [];
        const attrType = type instanceof asn1js.ObjectIdentifier ? type.getValue() : '';
        if (attrType === OID.localKeyId && first instanceof asn1js.OctetString) out.localKeyId = Buffer.from(first.valueBlock.valueHexView).toString('hex');
        if (attrType === OID.friendlyName && first instanceof asn1js.BmpString) out.friendlyName = first.getValue();
      }
    }
    if (bagId === OID.certBag) {
      const [certType, certValue] = children(value, 'a CertBag');
      if (oidOf(certType, 'a CertBag') !== OID.x509Certificate) continue; // SDSI certificates: not for us
      bags.push({ kind: 'certificate', value: octets(explicitValue(certValue, 'a CertBag value'), 'a certificate'), ...out });
    } else if (bagId === OID.pkcs8ShroudedKeyBag || bagId === OID.keyBag) {
      bags.push({ kind: bagId === OID.keyBag ? 'key' : 'shroudedKey', value: new Uint8Array(value.valueBeforeDecodeView), ...out });
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
  const [version, authSafeInfo, macNode] = children(parse(bytes, 'the file'), 'PFX');
  if (!(version instanceof asn1js.Integer) || version.valueBlock.valueDec !== 3) throw malformed('PFX version is not 3');
  const [contentType, content] = children(authSafeInfo, 'authSafe');
  if (oidOf(contentType, 'authSafe') !== OID.data) throw new Pkcs12Error('PKCS12_UNSUPPORTED', 'PKCS #12 files with public-key integrity are not supported');
  const authSafe = octets(explicitValue(content, 'authSafe content'), 'authSafe content');

  const result: ParsedPfx = { plainBags: [], encryptedContents: [], authSafe };
  for (const info of children(parse(authSafe, 'AuthenticatedSafe'), 'AuthenticatedSafe')) {
    const [type, value] = children(info, 'a ContentInfo');
    const kind = oidOf(type, 'a ContentInfo');
    if (kind === OID.data) {
      result.plainBags.push(...readSafeContents(octets(explicitValue(value, 'SafeContents'), 'SafeContents')));
    } else if (kind === OID.encryptedData) {
      const [, encryptedContentInfo] = children(explicitValue(value, 'EncryptedData'), 'EncryptedData');
      const [, algorithm, encrypted] = children(encryptedContentInfo, 'EncryptedContentInfo');
      const [algOid, params] = children(algorithm, 'an encryption algorithm');
      if (!isContext0(encrypted)) continue; // no content: nothing to read
      result.encryptedContents.push({ algorithm: oidOf(algOid, 'an encryption algorithm'), params, ciphertext: octets(encrypted, 'encryptedContent') });
    } else {
      throw new Pkcs12Error('PKCS12_UNSUPPORTED', 'PKCS #12 files with public-key privacy (enveloped data) are not supported');
    }
  }

  // The key must be encrypted: a plain keyBag outside encrypted content opens with any password.
  if (result.plainBags.some((b) => b.kind === 'key')) throw unprotected();
  for (const contents of result.encryptedContents) checkScheme(contents.algorithm, contents.params, 'the certificates');
  for (const bag of result.plainBags) if (bag.kind === 'shroudedKey') checkShroudedKey(bag.value);

  if (macNode !== undefined) {
    const [digestInfo, salt, iterations] = children(macNode, 'MacData');
    const [algorithm, digest] = children(digestInfo, 'the MAC');
    const [digestOid] = children(algorithm, 'the MAC algorithm');
    const macOid = oidOf(digestOid, 'the MAC algorithm');
    const legacy = LEGACY_ALGORITHMS[macOid];
    if (legacy) throw protectionError(new LegacyAlgorithmError(`an ${legacy} MAC`), 'the integrity MAC');
    const hash = DIGEST_OID[macOid];
    if (!hash) throw new Pkcs12Error('PKCS12_UNSUPPORTED', 'The file is protected by a MAC this app cannot check (PBMAC1 or an unknown digest)');
    // RFC 7292 §4: iterations INTEGER DEFAULT 1.
    if (iterations !== undefined && !(iterations instanceof asn1js.Integer)) throw malformed('the MAC iteration count is not an INTEGER');
    let count = 1;
    try {
      if (iterations) count = positiveInteger(iterations);
      checkIterations(count, `the ${hash.toUpperCase()} MAC's key derivation`);
    } catch (error) {
      throw protectionError(error, 'the integrity MAC');
    }
    result.mac = { hash, digest: octets(digest, 'the MAC'), salt: octets(salt, 'the MAC salt'), iterations: count };
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
  const [algorithm, encrypted] = children(parse(value, 'EncryptedPrivateKeyInfo'), 'EncryptedPrivateKeyInfo');
  const [algOid, params] = children(algorithm, 'the key encryption algorithm');
  return { algorithm: oidOf(algOid, 'the key encryption algorithm'), params, ciphertext: octets(encrypted, 'the encrypted key') };
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
