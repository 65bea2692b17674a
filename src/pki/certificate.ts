/**
 * X.509 certificates (RFC 5280) read into the facts the login service needs, and signatures
 * checked against a certificate's key with node:crypto.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { EkortError } from '../errors.ts';
import { sha256Hex } from './derDigest.ts';
import { checkDer } from './derGuard.ts';
import { OID_ORG_AFFILIATION, organisationOf, type Organisation } from './organisation.ts';

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
  /** OIDs of critical extensions, so that validation can refuse ones it does not process. */
  criticalExtensions: string[];
  keyType: string;
  publicKey: KeyObject;
  fingerprints: { sha256: string; sha1: string };
  pkijs: pkijs.Certificate;
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

const hex = (b: ArrayBuffer | Uint8Array): string => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');

/** RFC 4514 §2.4 escaping. */
function escapeValue(v: string): string {
  let s = v.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`).replace(/\0/g, '\\00');
  if (s.startsWith(' ') || s.startsWith('#')) s = `\\${s}`;
  if (s.endsWith(' ') && s.length > 1) s = `${s.slice(0, -1)}\\ `;
  return s;
}

interface Attribute {
  type: string;
  /** undefined when the value is not a string type; the DN then shows it as #hex. */
  text?: string;
  der: Uint8Array;
}

/** Name ::= SEQUENCE OF RelativeDistinguishedName (SET OF AttributeTypeAndValue), in DER order. */
function readName(der: Uint8Array): Attribute[][] {
  const parsed = asn1js.fromBER(der);
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) throw new CertificateError('a Name is not a SEQUENCE');
  return parsed.result.valueBlock.value.map((rdn) => {
    if (!(rdn instanceof asn1js.Set)) throw new CertificateError('an RDN is not a SET');
    return rdn.valueBlock.value.map((atv) => {
      const [type, value] = atv instanceof asn1js.Sequence ? atv.valueBlock.value : [];
      if (!(type instanceof asn1js.ObjectIdentifier) || !value) throw new CertificateError('malformed AttributeTypeAndValue');
      const text = value instanceof asn1js.BaseStringBlock ? value.getValue() : undefined;
      return { type: type.getValue(), text, der: new Uint8Array(value.valueBeforeDecodeView) };
    });
  });
}

function dnString(rdns: Attribute[][]): string {
  return [...rdns]
    .reverse()
    .map((rdn) =>
      rdn
        .map((a) => `${ATTRIBUTE_NAMES[a.type] ?? a.type}=${a.text === undefined ? `#${hex(a.der)}` : escapeValue(a.text)}`)
        .join('+'),
    )
    .join(',');
}

function nameInfo(name: pkijs.RelativeDistinguishedNames): { info: NameInfo; attrs: Attribute[] } {
  const der = new Uint8Array(name.valueBeforeDecode.slice(0));
  const rdns = readName(der);
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

function keyUsageBits(value: asn1js.BitString): string[] {
  const bytes = value.valueBlock.valueHexView;
  return KEY_USAGE_BITS.filter((_, i) => ((bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1);
}

/**
 * Recently parsed certificates by SHA-256 of their DER: the same anchors, intermediates and
 * card certificates come back on every login, and parsing is most of a verification's cost.
 * Entries are shared, so callers must not modify a CertificateInfo.
 */
const parsedCache = new Map<string, CertificateInfo>();
const CACHE_SIZE = 256;
/** Every CertificateInfo parseCertificate made: their fields were read from their `der`. */
const madeHere = new WeakSet<CertificateInfo>();

/** True when `info` came from parseCertificate (not built by a caller), so its fields match its DER. */
export function isParsedCertificate(info: CertificateInfo): boolean {
  return madeHere.has(info);
}

/**
 * The same cache looked up without hashing: by length and the last 16 bytes (the end of the
 * signature value, FNV-1a), then confirmed by comparing every byte with a private copy of the
 * DER the entry was parsed from. Saves the SHA-256 of the signer certificate on every login.
 */
const byTail = new Map<number, { bytes: Buffer; info: CertificateInfo }>();

function tailKey(der: Uint8Array): number {
  let h = 0x811c9dc5 ^ der.length;
  for (let i = Math.max(0, der.length - 16); i < der.length; i++) h = Math.imul(h ^ der[i]!, 0x01000193);
  return h >>> 0;
}

/** Parses one DER certificate; anything malformed or unsupported is a CertificateError. */
export function parseCertificate(der: Uint8Array): CertificateInfo {
  const cacheable = der instanceof Uint8Array && der.length <= 64 * 1024;
  const tail = cacheable ? tailKey(der) : undefined;
  const quick = tail === undefined ? undefined : byTail.get(tail);
  if (quick && quick.bytes.equals(der)) return quick.info;
  const key = cacheable ? sha256Hex(der) : undefined;
  const info = (key === undefined ? undefined : parsedCache.get(key)) ?? parseUncached(der);
  if (!madeHere.has(info)) {
    madeHere.add(info);
    if (parsedCache.size >= CACHE_SIZE) parsedCache.delete(parsedCache.keys().next().value!);
    parsedCache.set(info.fingerprints.sha256, info);
  }
  if (tail !== undefined) {
    if (byTail.size >= CACHE_SIZE) byTail.delete(byTail.keys().next().value!);
    byTail.set(tail, { bytes: Buffer.from(der), info });
  }
  return info;
}

function parseUncached(der: Uint8Array): CertificateInfo {
  try {
    checkDer(der);
  } catch (e) {
    throw new CertificateError(`the certificate is not valid DER: ${(e as Error).message}`, { cause: e });
  }
  let cert: pkijs.Certificate;
  try {
    cert = pkijs.Certificate.fromBER(new Uint8Array(der));
  } catch (e) {
    throw new CertificateError('the bytes are not an X.509 certificate', { cause: e });
  }
  try {
    return certificateInfo(cert, der);
  } catch (e) {
    if (e instanceof CertificateError) throw e;
    throw new CertificateError(`the certificate could not be read: ${(e as Error).message}`, { cause: e });
  }
}

function certificateInfo(cert: pkijs.Certificate, der: Uint8Array): CertificateInfo {
  // RFC 5280 §4.1.1.2: the outer and the signed algorithm must be the same.
  if (cert.signature.algorithmId !== cert.signatureAlgorithm.algorithmId) {
    throw new CertificateError('signatureAlgorithm differs from the TBS signature field');
  }
  const subject = nameInfo(cert.subject);
  const issuer = nameInfo(cert.issuer);
  const first = (oid: string): string | undefined => subject.attrs.find((a) => a.type === oid)?.text;

  const info: Partial<CertificateInfo> & { keyUsage: string[]; extendedKeyUsage: string[]; criticalExtensions: string[] } = {
    keyUsage: [],
    extendedKeyUsage: [],
    criticalExtensions: [],
    hasKeyUsage: false,
    hasExtendedKeyUsage: false,
    isCa: false,
  };
  const seen = new Set<string>();
  for (const ext of cert.extensions ?? []) {
    if (seen.has(ext.extnID)) throw new CertificateError(`extension ${ext.extnID} appears twice`);
    seen.add(ext.extnID);
    if (ext.critical) info.criticalExtensions.push(ext.extnID);
    const parsed: unknown = ext.parsedValue;
    switch (ext.extnID) {
      case OID_KEY_USAGE:
        if (!(parsed instanceof asn1js.BitString)) throw new CertificateError('malformed keyUsage');
        info.keyUsage = keyUsageBits(parsed);
        info.hasKeyUsage = true;
        break;
      case OID_EXT_KEY_USAGE:
        if (!(parsed instanceof pkijs.ExtKeyUsage)) throw new CertificateError('malformed extKeyUsage');
        info.extendedKeyUsage = [...parsed.keyPurposes];
        info.hasExtendedKeyUsage = true;
        break;
      case OID_BASIC_CONSTRAINTS:
        if (!(parsed instanceof pkijs.BasicConstraints)) throw new CertificateError('malformed basicConstraints');
        info.isCa = parsed.cA === true;
        if (parsed.pathLenConstraint !== undefined) {
          const n = parsed.pathLenConstraint instanceof asn1js.Integer ? parsed.pathLenConstraint.valueBlock.valueDec : parsed.pathLenConstraint;
          if (typeof n === 'number') info.pathLength = n;
        }
        break;
      case OID_SUBJECT_KEY_IDENTIFIER:
        if (!(parsed instanceof asn1js.OctetString)) throw new CertificateError('malformed subjectKeyIdentifier');
        info.subjectKeyIdentifier = hex(parsed.valueBlock.valueHexView);
        break;
    }
  }

  let publicKey: KeyObject;
  try {
    const spki = new Uint8Array(cert.subjectPublicKeyInfo.toSchema().toBER());
    publicKey = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (e) {
    throw new CertificateError('the certificate public key is not usable', { cause: e });
  }

  return {
    ...info,
    der: new Uint8Array(der),
    subject: {
      ...subject.info,
      commonName: first('2.5.4.3'),
      personnummer: personnummer(first('2.5.4.5')),
      organizationIdentifier: first('2.5.4.97'),
      givenName: first('2.5.4.42'),
      surname: first('2.5.4.4'),
      organizationName: first('2.5.4.10'),
      organisation: organisationOf({
        serialNumber: first('2.5.4.5'),
        organizationIdentifier: first('2.5.4.97'),
        organizationName: first('2.5.4.10'),
        orgAffiliation: first(OID_ORG_AFFILIATION),
        personnummer: personnummer(first('2.5.4.5')),
      }),
    },
    issuer: issuer.info,
    serialNumber: hex(cert.serialNumber.valueBlock.valueHexView),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    keyType: describeKey(publicKey),
    publicKey,
    fingerprints: { sha256: createHash('sha256').update(der).digest('hex'), sha1: createHash('sha1').update(der).digest('hex') },
    pkijs: cert,
  } as CertificateInfo;
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

/** True when `signature` (PKCS#1 v1.5, or DER ECDSA) over `data` verifies with `key`. */
export function verifySignature(hash: string, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify(hash, data, key, signature);
  } catch {
    return false;
  }
}

/** True when `issuer`'s key made `signed`'s signature (a certificate or a CRL). */
export function isSignedBy(signed: { tbsView: Uint8Array; signatureAlgorithm: pkijs.AlgorithmIdentifier; signatureValue: asn1js.BitString }, issuer: CertificateInfo): boolean {
  const hash = signatureHash(signed.signatureAlgorithm.algorithmId, issuer.publicKey);
  if (!hash) return false;
  return verifySignature(hash, issuer.publicKey, signed.tbsView, signed.signatureValue.valueBlock.valueHexView);
}
