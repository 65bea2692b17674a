/**
 * Certificates built with pkijs for the test PKI (src/pki/testPki.ts) and the virtual card's
 * self-signed ones (src/virtual/cardImage.ts): RFC 5280 v3 certificates with one attribute per
 * RDN, positive random serials, and SKI/AKI.
 */
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

export const engine = new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'] });

/** X.520 §6.2 attribute types; RFC 5280 §4.2.1 / §5.2 extensions. */
export const OID = {
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  country: '2.5.4.6',
  organization: '2.5.4.10',
  /** X.520 (2012); ETSI EN 319 412-1 §5.1.4 "NTRSE-<organisationsnummer>". */
  organizationIdentifier: '2.5.4.97',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  /** RFC 5280 §4.2.1.12 id-kp-clientAuth. */
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** RFC 5280 §4.1.2.4: one attribute per RDN, in the order given. */
export function name(attributes: Array<[string, string]>): pkijs.RelativeDistinguishedNames {
  const rdns = attributes.map(([type, value]) => {
    // X.520: countryName and serialNumber are PrintableString; the rest UTF8String.
    const printable = type === OID.country || type === OID.serialNumber;
    const asnValue = printable ? new asn1js.PrintableString({ value }) : new asn1js.Utf8String({ value });
    return new asn1js.Set({ value: [new pkijs.AttributeTypeAndValue({ type, value: asnValue }).toSchema()] });
  });
  return pkijs.RelativeDistinguishedNames.fromBER(new asn1js.Sequence({ value: rdns }).toBER(false));
}

/** RFC 5280 §5.1.2.4: UTCTime through 2049, GeneralizedTime after. */
export function time(date: Date): pkijs.Time {
  return new pkijs.Time({ type: date.getUTCFullYear() < 2050 ? 0 : 1, value: date });
}

/** A positive INTEGER of 16 random bytes (RFC 5280 §4.1.2.2: at most 20 octets). */
export function randomSerial(): Uint8Array {
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  return new Uint8Array(serial);
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's bits. */
export function keyIdentifier(spki: pkijs.PublicKeyInfo): Uint8Array {
  return new Uint8Array(createHash('sha1').update(spki.subjectPublicKey.valueBlock.valueHexView).digest());
}

export function extension(extnID: string, critical: boolean, value: asn1js.AsnType): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER(false) });
}

/** RFC 5280 §4.2.1.3 KeyUsage bits, counted from the left. */
export function keyUsage(...bits: number[]): asn1js.BitString {
  let value = 0;
  for (const bit of bits) value |= 0x80 >> bit;
  const last = Math.max(...bits);
  return new asn1js.BitString({ valueHex: Uint8Array.of(value), unusedBits: 7 - last });
}
export const DIGITAL_SIGNATURE = 0;
export const KEY_CERT_SIGN = 5;
export const CRL_SIGN = 6;

export function authorityKeyIdentifier(keyId: Uint8Array): asn1js.AsnType {
  return new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: keyId }) }).toSchema();
}

export interface CertificateIssuer {
  subject: pkijs.RelativeDistinguishedNames;
  keyId: Uint8Array;
  notAfter: Date;
  key: webcrypto.CryptoKey;
}

export async function buildCertificate(options: {
  serial: Uint8Array;
  subject: pkijs.RelativeDistinguishedNames;
  spki: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  extensions: pkijs.Extension[];
  /** Self-signed when absent. */
  issuer?: CertificateIssuer;
  selfKey?: webcrypto.CryptoKey;
}): Promise<Uint8Array> {
  const spki = pkijs.PublicKeyInfo.fromBER(new Uint8Array(options.spki));
  const cert = new pkijs.Certificate();
  cert.version = 2; // v3
  cert.serialNumber = new asn1js.Integer({ valueHex: options.serial });
  cert.subject = options.subject;
  cert.issuer = options.issuer?.subject ?? options.subject;
  cert.notBefore = time(options.notBefore);
  cert.notAfter = time(options.notAfter);
  cert.subjectPublicKeyInfo = spki;
  const ski = keyIdentifier(spki);
  cert.extensions = [
    ...options.extensions,
    extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: ski })),
    extension(OID.authorityKeyIdentifier, false, authorityKeyIdentifier(options.issuer?.keyId ?? ski)),
  ];
  const key = options.issuer?.key ?? options.selfKey;
  if (!key) throw new Error('buildCertificate: no signing key');
  await cert.sign(key, 'SHA-256', engine);
  return new Uint8Array(cert.toSchema(true).toBER(false));
}


/** The subject a card's certificate is issued to (X.520 attribute names). */
export interface CertificateSubject {
  commonName: string;
  /** The personnummer, as BankID certificates carry it. */
  serialNumber?: string;
  country: 'SE';
  /** Which key the certificate is for: 9A login (PIV Authentication), 9C signing. */
  slot: '9a' | '9c' | '9e';
}

/** Issues a certificate: SubjectPublicKeyInfo DER in, certificate DER out. */
export type IssueCertificate = (publicKeySpki: Uint8Array, subject: CertificateSubject) => Promise<Uint8Array>;

/** A card subject as a Name in DER order, country first: C=SE, serialNumber, CN. */
export function cardSubjectName(subject: CertificateSubject): pkijs.RelativeDistinguishedNames {
  const attributes: Array<[string, string]> = [[OID.country, subject.country]];
  if (subject.serialNumber !== undefined) attributes.push([OID.serialNumber, subject.serialNumber]);
  attributes.push([OID.commonName, subject.commonName]);
  return name(attributes);
}
