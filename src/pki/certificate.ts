/**
 * X.509 certificates (RFC 5280) read into the facts the login service needs, and signatures
 * checked against a certificate's key with node:crypto. The reading is x509Der.ts (strict DER,
 * no copies); pkijs parses a certificate only when its object model is asked for
 * (pkijsCertificate).
 */
import { createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';
import * as pkijs from 'pkijs';
import { EkortError } from '../errors.ts';
import { digest, sha256Hex } from './derDigest.ts';
import { children, DerFormatError, expectTag, oidAt, TAG, type Tlv, tlvAt } from './derReader.ts';
import { OID_ORG_AFFILIATION, organisationOf, type Organisation } from './organisation.ts';
import { booleanAt, extensionValue, readCertificateDer, smallInteger, type X509Extension, type X509Fields, type X509NameAttribute } from './x509Der.ts';
import { toHex } from '../iso7816/index.ts';

export class CertificateError extends EkortError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CERT_MALFORMED', message, options);
  }
}

export interface NameInfo {
  /** RFC 4514 string, most specific RDN first: "CN=Anna Andersson,serialNumber=199001012385,C=SE". */
  dn: string;
  /** The Name's DER, for exact issuer/subject matching (RFC 5280 §7.1 binary comparison). */
  der: Uint8Array;
}

export interface SubjectInfo extends NameInfo {
  commonName?: string;
  /** Swedish personal identity number, 12 digits, from serialNumber (2.5.4.5). */
  personnummer?: string;
  organizationIdentifier?: string;
  givenName?: string;
  surname?: string;
  /** organizationName (O, 2.5.4.10). */
  organizationName?: string;
  /**
   * An e-tjänstelegitimation's organisation (organisation.ts): set when the subject names a
   * person by an organisationsnummer plus a number within it. Such a certificate carries no
   * personnummer and identifies the organisation's representative, not a private person.
   */
  organisation?: Organisation;
}

export interface CertificateInfo {
  der: Uint8Array;
  subject: SubjectInfo;
  issuer: NameInfo;
  /** The INTEGER's content bytes as lowercase hex. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** RFC 5280 §4.2.1.3 bit names; empty when the extension is absent. */
  keyUsage: string[];
  /** RFC 5280 §4.2.1.12 OIDs; empty when the extension is absent. */
  extendedKeyUsage: string[];
  hasKeyUsage: boolean;
  hasExtendedKeyUsage: boolean;
  isCa: boolean;
  pathLength?: number;
  /** RFC 5280 §4.2.1.2, hex; used to find a CMS signer named by subjectKeyIdentifier. */
  subjectKeyIdentifier?: string;
  /** RFC 5280 §4.2.1.1 keyIdentifier, hex: the issuer's subjectKeyIdentifier, when present. */
  authorityKeyIdentifier?: string;
  /** OIDs of critical extensions, so that validation can refuse ones it does not process. */
  criticalExtensions: string[];
  /** OIDs of all extensions, critical or not (name constraints are refused either way). */
  extensionOids: string[];
  keyType: string;
  publicKey: KeyObject;
  /** The subjectPublicKey BIT STRING's bytes (OCSP's issuerKeyHash is over them). */
  subjectPublicKey: Uint8Array;
  /** What the issuer signed, with which algorithm (OID), and the signature: see isSignedBy. */
  tbs: Uint8Array;
  signatureAlgorithm: string;
  signatureValue: Uint8Array;
  fingerprints: { sha256: string; sha1: string };
}

const models = new WeakMap<CertificateInfo, pkijs.Certificate>();

/** pkijs's model of `info`'s certificate, parsed on first use (about a millisecond) and kept. */
export function pkijsCertificate(info: CertificateInfo): pkijs.Certificate {
  let model = models.get(info);
  if (!model) models.set(info, (model = pkijs.Certificate.fromBER(new Uint8Array(info.der))));
  return model;
}

const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN', // RFC 4514 §3
  '2.5.4.4': 'SN', // surname, RFC 4519 §2.32
  '2.5.4.5': 'serialNumber', // RFC 4519 §2.31
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.42': 'givenName', // RFC 4519 §2.12
  '2.5.4.97': 'organizationIdentifier', // X.520 (2012)
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress', // PKCS #9
};

const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

// RFC 5280 §4.2.1
const OID_KEY_USAGE = '2.5.29.15';
const OID_EXT_KEY_USAGE = '2.5.29.37';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_SUBJECT_KEY_IDENTIFIER = '2.5.29.14';
const OID_AUTHORITY_KEY_IDENTIFIER = '2.5.29.35';


/** RFC 4514 §2.4 escaping. */
function escapeValue(v: string): string {
  if (!/[\\,+"<>;=\0]|^[ #]| $/.test(v)) return v;
  let s = v.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`).replace(/\0/g, '\\00');
  if (s.startsWith(' ') || s.startsWith('#')) s = `\\${s}`;
  // A trailing space is escaped too, unless it is the leading one just escaped (a value of one space).
  if (s.endsWith(' ') && s !== '\\ ') s = `${s.slice(0, -1)}\\ `;
  return s;
}

interface Attribute {
  type: string;
  /** undefined when the value is not a string type; the DN then shows it as #hex. */
  text?: string;
  der: Uint8Array;
}

/** Invalid UTF-8 makes the certificate malformed: replacing it would let different names read the same. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** Tags of the string types read one byte a character (X.680 §41: PrintableString, IA5String, …; and the two times). */
const BYTE_STRING_TAGS = new Set([0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1d]);

/** The text of a name attribute value of a string type, undefined for other types. */
function attributeText(a: X509NameAttribute): string | undefined {
  const c = a.content;
  if (a.tag === 0x0c) return utf8.decode(c); // UTF8String
  if (a.tag === 0x1e) {
    // BMPString: UCS-2, big-endian.
    if (c.length % 2 !== 0) throw new CertificateError('a BMPString in a name has an odd length');
    let s = '';
    for (let i = 0; i < c.length; i += 2) s += String.fromCharCode((c[i]! << 8) | c[i + 1]!);
    return s;
  }
  if (a.tag === 0x1c) {
    // UniversalString: UCS-4, big-endian.
    if (c.length % 4 !== 0) throw new CertificateError('a UniversalString in a name has a length not a multiple of 4');
    let s = '';
    for (let i = 0; i < c.length; i += 4) s += String.fromCodePoint(((c[i]! << 24) | (c[i + 1]! << 16) | (c[i + 2]! << 8) | c[i + 3]!) >>> 0);
    return s;
  }
  if (BYTE_STRING_TAGS.has(a.tag)) return String.fromCharCode(...c);
  return undefined;
}


function dnString(rdns: Attribute[][]): string {
  return [...rdns]
    .reverse()
    .map((rdn) =>
      rdn
        .map((a) => {
          // RFC 4514 §2.4: a type shown by its OID has its value as #hex of the BER, text or not.
          const name = ATTRIBUTE_NAMES[a.type];
          return `${name ?? a.type}=${a.text === undefined || name === undefined ? `#${toHex(a.der)}` : escapeValue(a.text)}`;
        })
        .join('+'),
    )
    .join(',');
}

/** A Name as x509Der.ts read it (RDNs in DER order) → its DN string and its attributes' text. */
function nameInfo(der: Uint8Array, rdnsDer: X509NameAttribute[][]): { info: NameInfo; attrs: Attribute[] } {
  const rdns = rdnsDer.map((rdn) => rdn.map((a) => ({ type: a.type, text: attributeText(a), der: a.der })));
  return { info: { dn: dnString(rdns), der }, attrs: rdns.flat() };
}

function personnummer(serial: string | undefined): string | undefined {
  const m = serial === undefined ? null : /^(?:SE)?(\d{12})$/.exec(serial);
  return m ? m[1] : undefined;
}

function describeKey(key: KeyObject): string {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return `rsa${d.modulusLength ?? ''}`;
  if (key.asymmetricKeyType === 'ec') {
    if (d.namedCurve === 'prime256v1') return 'p256';
    if (d.namedCurve === 'secp384r1') return 'p384';
    if (d.namedCurve === 'secp521r1') return 'p521';
    return `ec-${d.namedCurve ?? 'unknown'}`;
  }
  return key.asymmetricKeyType ?? 'unknown';
}

/** KeyUsage ::= BIT STRING (RFC 5280 §4.2.1.3): the names of the bits set. */
function keyUsageBits(b: Uint8Array, t: Tlv): string[] {
  expectTag(t, TAG.BIT_STRING, 'keyUsage');
  if (t.value === t.end || b[t.value]! > 7) throw new DerFormatError('keyUsage is not a BIT STRING');
  const bytes = b.subarray(t.value + 1, t.end);
  return KEY_USAGE_BITS.filter((_, i) => ((bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1);
}

const READ_EXTENSIONS = new Set([OID_KEY_USAGE, OID_EXT_KEY_USAGE, OID_BASIC_CONSTRAINTS, OID_SUBJECT_KEY_IDENTIFIER, OID_AUTHORITY_KEY_IDENTIFIER]);

/** The extensions certificateInfo reads (RFC 5280 §4.2.1.1, .2, .3, .9, .12), each decoded from its DER. */
function readExtension(ext: X509Extension, info: MutableInfo): void {
  if (!READ_EXTENSIONS.has(ext.oid)) return;
  const { b, t } = extensionValue(ext);
  switch (ext.oid) {
    case OID_KEY_USAGE:
      info.keyUsage = keyUsageBits(b, t);
      info.hasKeyUsage = true;
      break;
    case OID_EXT_KEY_USAGE:
      info.extendedKeyUsage = children(b, expectTag(t, TAG.SEQUENCE, 'extKeyUsage')).map((p) => oidAt(b, p, 'a key purpose'));
      info.hasExtendedKeyUsage = true;
      break;
    case OID_BASIC_CONSTRAINTS: {
      const parts = children(b, expectTag(t, TAG.SEQUENCE, 'basicConstraints'));
      let k = 0;
      info.isCa = parts[k]?.tag === TAG.BOOLEAN ? booleanAt(b, parts[k++]!, 'cA') : false;
      if (parts[k]) info.pathLength = smallInteger(b, parts[k++], 'pathLenConstraint');
      if (k !== parts.length) throw new DerFormatError('basicConstraints has extra fields');
      break;
    }
    case OID_SUBJECT_KEY_IDENTIFIER:
      info.subjectKeyIdentifier = toHex(b.subarray(expectTag(t, TAG.OCTET_STRING, 'subjectKeyIdentifier').value, t.end));
      break;
    case OID_AUTHORITY_KEY_IDENTIFIER: {
      // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL, [1], [2] }
      const first = children(b, expectTag(t, TAG.SEQUENCE, 'authorityKeyIdentifier'))[0];
      if (first?.tag === TAG.CTX0) info.authorityKeyIdentifier = toHex(b.subarray(first.value, first.end));
      break;
    }
  }
}

const OID_RSA = '1.2.840.113549.1.1.1';
const OID_EC = '1.2.840.10045.2.1';
/** Named curves (RFC 5480 §2.1.1.1) as JWK names, with their coordinate size. */
const JWK_CURVES: Record<string, { crv: string; size: number }> = {
  '1.2.840.10045.3.1.7': { crv: 'P-256', size: 32 },
  '1.3.132.0.34': { crv: 'P-384', size: 48 },
  '1.3.132.0.35': { crv: 'P-521', size: 66 },
};

const base64url = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');

/** An INTEGER's magnitude without its sign octet; negative ones are refused (RFC 8017 §A.1.1 n, e). */
function unsignedAt(b: Uint8Array, t: Tlv | undefined, what: string): Uint8Array {
  const n = expectTag(t, TAG.INTEGER, what);
  if (n.value === n.end || (b[n.value]! & 0x80) !== 0) throw new DerFormatError(`${what} is not a positive INTEGER`);
  if (b[n.value] === 0 && (n.end - n.value === 1 || (b[n.value + 1]! & 0x80) === 0)) throw new DerFormatError(`${what} is zero or not a minimal INTEGER`);
  return b.subarray(b[n.value] === 0 ? n.value + 1 : n.value, n.end);
}

/**
 * The key as a JWK for RSA and uncompressed EC points: OpenSSL 3 decodes a DER
 * SubjectPublicKeyInfo through its generic decoder, ~100 us a key, while a JWK is built from
 * the numbers directly (~4 us for RSA). Anything else goes the SPKI way.
 */
function jwkOf(f: X509Fields): JsonWebKey | undefined {
  const params = f.keyParameters;
  if (f.keyAlgorithm === OID_RSA && params?.length === 2 && params[0] === TAG.NULL && params[1] === 0) {
    const k = f.subjectPublicKey;
    const top = tlvAt(k, 0, k.length);
    const parts = children(k, expectTag(top, TAG.SEQUENCE, 'RSAPublicKey'));
    if (top.end !== k.length || parts.length !== 2) throw new DerFormatError('RSAPublicKey is malformed');
    const n = unsignedAt(k, parts[0], 'the modulus');
    const e = unsignedAt(k, parts[1], 'the exponent');
    checkRsaSize(n.length * 8 - Math.clz32(n[0]!) + 24, e.length * 8 - Math.clz32(e[0]!) + 24);
    return { kty: 'RSA', n: base64url(n), e: base64url(e) };
  }
  if (f.keyAlgorithm === OID_EC && params) {
    const t = tlvAt(params, 0, params.length);
    const curve = t.tag === TAG.OID && t.end === params.length ? JWK_CURVES[oidAt(params, t, 'the named curve')] : undefined;
    const p = f.subjectPublicKey;
    if (curve && p.length === 1 + 2 * curve.size && p[0] === 0x04) {
      return { kty: 'EC', crv: curve.crv, x: base64url(p.subarray(1, 1 + curve.size)), y: base64url(p.subarray(1 + curve.size)) };
    }
  }
  return undefined;
}

/**
 * The cost of an RSA public operation grows with the modulus squared times the exponent's
 * length: a 16384-bit modulus or an exponent as long as the modulus makes one signature check
 * cost milliseconds to seconds. Keys past these sizes are refused outright (OpenSSL likewise
 * caps the exponent at 64 bits for moduli over 3072 bits; Go's crypto/rsa at 31).
 */
export const MAX_RSA_MODULUS_BITS = 8192;
export const MAX_RSA_EXPONENT_BITS = 32;

function checkRsaSize(modulusBits: number, exponentBits: number): void {
  if (modulusBits > MAX_RSA_MODULUS_BITS) throw new CertificateError(`an RSA key of ${modulusBits} bits is over the ${MAX_RSA_MODULUS_BITS}-bit limit`);
  if (exponentBits > MAX_RSA_EXPONENT_BITS) throw new CertificateError(`an RSA public exponent of ${exponentBits} bits is over the ${MAX_RSA_EXPONENT_BITS}-bit limit`);
}

function publicKeyOf(f: X509Fields): KeyObject {
  // RFC 5480 §2.1.1: EC keys name their curve; explicit parameters (a curve of the sender's
  // choosing that OpenSSL may still match to a named one) are refused.
  if (f.keyAlgorithm === OID_EC && f.keyParameters?.[0] !== TAG.OID) throw new CertificateError('an EC key without a named curve is not supported');
  let key: KeyObject;
  try {
    const jwk = jwkOf(f);
    key = jwk ? createPublicKey({ key: jwk, format: 'jwk' }) : createPublicKey({ key: Buffer.from(f.spki), format: 'der', type: 'spki' });
  } catch (e) {
    if (e instanceof CertificateError) throw e;
    throw new CertificateError('the certificate public key is not usable', { cause: e });
  }
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType?.startsWith('rsa') && d) checkRsaSize(d.modulusLength ?? 0, (d.publicExponent ?? 0n).toString(2).length);
  return key;
}

/** Every CertificateInfo parseCertificate made: their fields were read from their `der`. */
const madeHere = new WeakSet<CertificateInfo>();

/** True when `info` came from parseCertificate (not built by a caller), so its fields match its DER. */
export function isParsedCertificate(info: CertificateInfo): boolean {
  return madeHere.has(info);
}

/**
 * Recently parsed certificates: the same anchors, intermediates and a returning holder's card
 * certificate come back login after login. Looked up by length and the last 16 bytes (the end
 * of the signature value, FNV-1a), then confirmed by comparing every byte with a private copy
 * of the DER the entry was parsed from. Entries are shared, so callers must not modify a
 * CertificateInfo.
 */
const recent = new Map<number, { bytes: Buffer; info: CertificateInfo }>();
const CACHE_SIZE = 256;

function tailKey(der: Uint8Array): number {
  let h = 0x811c9dc5 ^ der.length;
  for (let i = Math.max(0, der.length - 16); i < der.length; i++) h = Math.imul(h ^ der[i]!, 0x01000193);
  return h >>> 0;
}

/** Parses one DER certificate; anything malformed or unsupported is a CertificateError. */
export function parseCertificate(der: Uint8Array): CertificateInfo {
  const tail = der instanceof Uint8Array && der.length <= 64 * 1024 ? tailKey(der) : undefined;
  const hit = tail === undefined ? undefined : recent.get(tail);
  if (hit && hit.bytes.equals(der)) return hit.info;
  const info = parseUncached(der);
  madeHere.add(info);
  if (tail !== undefined) {
    recent.delete(tail);
    if (recent.size >= CACHE_SIZE) recent.delete(recent.keys().next().value!);
    recent.set(tail, { bytes: Buffer.from(der), info });
  }
  return info;
}

function parseUncached(der: Uint8Array): CertificateInfo {
  if (!(der instanceof Uint8Array)) throw new CertificateError('the certificate is not bytes');
  const copy = new Uint8Array(der);
  let fields: X509Fields;
  try {
    fields = readCertificateDer(copy);
  } catch (e) {
    throw new CertificateError(`the bytes are not a DER X.509 certificate: ${(e as Error).message}`, { cause: e });
  }
  try {
    return certificateInfo(fields, copy);
  } catch (e) {
    if (e instanceof CertificateError) throw e;
    throw new CertificateError(`the certificate could not be read: ${(e as Error).message}`, { cause: e });
  }
}

type MutableInfo = Pick<CertificateInfo, 'keyUsage' | 'extendedKeyUsage' | 'criticalExtensions' | 'extensionOids' | 'hasKeyUsage' | 'hasExtendedKeyUsage' | 'isCa'> & {
  pathLength?: number;
  subjectKeyIdentifier?: string;
  authorityKeyIdentifier?: string;
};

/** `der` is the certificate's private copy: every view in the result points into it. */
function certificateInfo(f: X509Fields, der: Uint8Array): CertificateInfo {
  const subject = nameInfo(f.subject, f.subjectAttributes);
  const issuer = nameInfo(f.issuer, f.issuerAttributes);
  // The first value of each attribute type in the subject.
  const text: Record<string, string | undefined> = {};
  for (const a of subject.attrs) if (!(a.type in text)) text[a.type] = a.text;
  const serialNumber = text['2.5.4.5'];

  const info: MutableInfo = { keyUsage: [], extendedKeyUsage: [], criticalExtensions: [], extensionOids: [], hasKeyUsage: false, hasExtendedKeyUsage: false, isCa: false };
  const seen = new Set<string>();
  for (const ext of f.extensions) {
    if (seen.has(ext.oid)) throw new CertificateError(`extension ${ext.oid} appears twice`);
    seen.add(ext.oid);
    info.extensionOids.push(ext.oid);
    if (ext.critical) info.criticalExtensions.push(ext.oid);
    try {
      readExtension(ext, info);
    } catch (e) {
      throw new CertificateError(`malformed extension ${ext.oid}: ${(e as Error).message}`, { cause: e });
    }
  }
  const publicKey = publicKeyOf(f);

  return {
    ...info,
    der,
    subject: {
      ...subject.info,
      commonName: text['2.5.4.3'],
      personnummer: personnummer(serialNumber),
      organizationIdentifier: text['2.5.4.97'],
      givenName: text['2.5.4.42'],
      surname: text['2.5.4.4'],
      organizationName: text['2.5.4.10'],
      organisation: organisationOf({
        serialNumber,
        organizationIdentifier: text['2.5.4.97'],
        organizationName: text['2.5.4.10'],
        orgAffiliation: text[OID_ORG_AFFILIATION],
        personnummer: personnummer(serialNumber),
      }),
    },
    issuer: issuer.info,
    serialNumber: toHex(f.serial),
    notBefore: f.notBefore,
    notAfter: f.notAfter,
    keyType: describeKey(publicKey),
    publicKey,
    subjectPublicKey: f.subjectPublicKey,
    tbs: f.tbs,
    signatureAlgorithm: f.signatureAlgorithm,
    signatureValue: f.signatureValue,
    fingerprints: { sha256: sha256Hex(der), sha1: digest('sha1', der).toString('hex') },
  };
}

/** Signature algorithms accepted for certificates, CRLs and CMS, with their digest. */
const SIGNATURE_ALGORITHMS: Record<string, { key: 'rsa' | 'ec'; hash: string }> = {
  '1.2.840.113549.1.1.11': { key: 'rsa', hash: 'sha256' }, // sha256WithRSAEncryption, RFC 4055 §5
  '1.2.840.113549.1.1.12': { key: 'rsa', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { key: 'rsa', hash: 'sha512' },
  '1.2.840.10045.4.3.2': { key: 'ec', hash: 'sha256' }, // ecdsa-with-SHA256, RFC 5758 §3.2
  '1.2.840.10045.4.3.3': { key: 'ec', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { key: 'ec', hash: 'sha512' },
};

/** Digest OIDs (RFC 5754 §2) to node:crypto names. */
export const DIGEST_ALGORITHMS: Record<string, string> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** The node:crypto digest for `algorithmOid` used with `key`, or undefined when the pair is not accepted. */
export function signatureHash(algorithmOid: string, key: KeyObject): string | undefined {
  const alg = SIGNATURE_ALGORITHMS[algorithmOid];
  return alg && alg.key === key.asymmetricKeyType ? alg.hash : undefined;
}

/**
 * True when `signature` (RSASSA-PKCS1-v1_5, or DER ECDSA) over `data` verifies with `key`.
 * OpenSSL checks PKCS #1 v1.5 by encoding the expected block and comparing (RFC 8017 §8.2.2),
 * so the lax-parser forgeries after Bleichenbacher 2006 do not pass (test/unit/pki/signatureForgeries.test.ts).
 */
export function verifySignature(hash: string, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify(hash, data, key, signature);
  } catch {
    return false;
  }
}

/** What an issuer signs: a certificate's or a CRL's to-be-signed bytes, the algorithm OID and the signature. */
export interface SignedObject {
  tbs: Uint8Array;
  signatureAlgorithm: string;
  signatureValue: Uint8Array;
}

/** True when `issuer`'s key made `signed`'s signature (a certificate or a CRL). */
export function isSignedBy(signed: SignedObject, issuer: CertificateInfo): boolean {
  const hash = signatureHash(signed.signatureAlgorithm, issuer.publicKey);
  if (!hash) return false;
  return verifySignature(hash, issuer.publicKey, signed.tbs, signed.signatureValue);
}
