/**
 * A throw-away test PKI built with pkijs and webcrypto: a root CA, an intermediate, leaves for
 * every rejection reason and CRLs. Private keys are also handed out as node KeyObjects so that
 * tests sign with node:crypto, the way the card's answer arrives.
 */
import { KeyObject, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { expect } from 'vitest';
import { ChainError, type ValidateChainInput } from '../../../src/pki/chainValidation.ts';

export const NOW = new Date('2026-03-01T12:00:00Z');
const DAY = 86_400_000;

export type KeyKind = 'rsa1024' | 'rsa2048' | 'p256' | 'p384';

export interface Issued {
  der: Uint8Array;
  name: Uint8Array;
  serial: Uint8Array;
  privateKey: CryptoKey;
  key: KeyObject;
}

export interface IssueOptions {
  subject: Array<[oid: string, value: string]>;
  issuer?: Issued;
  keyKind?: KeyKind;
  notBefore?: Date;
  notAfter?: Date;
  ca?: { pathLength?: number };
  keyUsage?: string[];
  extendedKeyUsage?: string[];
  extraExtensions?: pkijs.Extension[];
  /** Certify this key pair instead of a new one (several certificates of one key). */
  keyPair?: CryptoKeyPair;
}

const KEY_USAGE_BITS = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign'];

export async function generate(kind: KeyKind): Promise<CryptoKeyPair> {
  const params =
    kind === 'rsa2048' || kind === 'rsa1024'
      ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: kind === 'rsa2048' ? 2048 : 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
      : { name: 'ECDSA', namedCurve: kind === 'p256' ? 'P-256' : 'P-384' };
  return (await crypto.subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** A Name with one attribute per RDN, in the order given (least specific first). */
export function makeName(attrs: Array<[string, string]>): pkijs.RelativeDistinguishedNames {
  const seq = new asn1js.Sequence({
    value: attrs.map(
      ([type, value]) =>
        new asn1js.Set({
          value: [
            new asn1js.Sequence({
              value: [
                new asn1js.ObjectIdentifier({ value: type }),
                type === '2.5.4.6' || type === '2.5.4.5' ? new asn1js.PrintableString({ value }) : new asn1js.Utf8String({ value }),
              ],
            }),
          ],
        }),
    ),
  });
  return pkijs.RelativeDistinguishedNames.fromBER(seq.toBER(false));
}

function keyUsageExtension(bits: string[]): pkijs.Extension {
  const indexes = bits.map((b) => KEY_USAGE_BITS.indexOf(b));
  const top = Math.max(...indexes);
  const bytes = new Uint8Array((top >> 3) + 1);
  for (const i of indexes) bytes[i >> 3]! |= 0x80 >> (i & 7);
  const unusedBits = bytes.length * 8 - (top + 1);
  return new pkijs.Extension({ extnID: '2.5.29.15', critical: true, extnValue: new asn1js.BitString({ valueHex: bytes, unusedBits }).toBER(false) });
}

const time = (d: Date): pkijs.Time => new pkijs.Time({ type: d.getUTCFullYear() < 2050 ? 0 : 1, value: d });

export async function issue(o: IssueOptions): Promise<Issued> {
  const pair = o.keyPair ?? (await generate(o.keyKind ?? 'p256'));
  const cert = new pkijs.Certificate();
  cert.version = 2;
  const serial = new Uint8Array(randomBytes(8));
  serial[0] = (serial[0]! & 0x7f) | 0x10;
  cert.serialNumber = new asn1js.Integer({ valueHex: serial });
  const subject = makeName(o.subject);
  cert.subject = subject;
  cert.issuer = o.issuer ? pkijs.RelativeDistinguishedNames.fromBER(new Uint8Array(o.issuer.name)) : subject;
  cert.notBefore = time(o.notBefore ?? new Date(NOW.getTime() - 365 * DAY));
  cert.notAfter = time(o.notAfter ?? new Date(NOW.getTime() + 2 * 365 * DAY));
  await cert.subjectPublicKeyInfo.importKey(pair.publicKey);

  const extensions: pkijs.Extension[] = [];
  if (o.ca) {
    const bc = new pkijs.BasicConstraints({ cA: true, ...(o.ca.pathLength !== undefined ? { pathLenConstraint: o.ca.pathLength } : {}) });
    extensions.push(new pkijs.Extension({ extnID: '2.5.29.19', critical: true, extnValue: bc.toSchema().toBER(false) }));
  }
  const ku = o.keyUsage ?? (o.ca ? ['keyCertSign', 'cRLSign'] : ['digitalSignature']);
  if (ku.length > 0) extensions.push(keyUsageExtension(ku));
  if (o.extendedKeyUsage) {
    extensions.push(new pkijs.Extension({ extnID: '2.5.29.37', extnValue: new pkijs.ExtKeyUsage({ keyPurposes: o.extendedKeyUsage }).toSchema().toBER(false) }));
  }
  const ski = new Uint8Array(await crypto.subtle.digest('SHA-1', cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView.slice()));
  extensions.push(new pkijs.Extension({ extnID: '2.5.29.14', extnValue: new asn1js.OctetString({ valueHex: ski }).toBER(false) }));
  extensions.push(...(o.extraExtensions ?? []));
  cert.extensions = extensions;

  const signer = o.issuer?.privateKey ?? pair.privateKey;
  await cert.sign(signer, 'SHA-256');
  return {
    der: new Uint8Array(cert.toSchema(true).toBER(false)),
    name: new Uint8Array(subject.toSchema().toBER(false)),
    serial,
    privateKey: pair.privateKey,
    key: KeyObject.from(pair.privateKey),
  };
}

export async function makeCrl(
  issuer: Issued,
  revoked: Issued[],
  opts: { thisUpdate?: Date; nextUpdate?: Date; signWith?: CryptoKey } = {},
): Promise<Uint8Array> {
  return makeCrlWith(issuer, { ...opts, entries: revoked.map((r) => ({ serial: r.serial })) });
}

const CN = '2.5.4.3';
const SERIAL = '2.5.4.5';
const C = '2.5.4.6';
const O = '2.5.4.10';
const GIVEN = '2.5.4.42';
const SURNAME = '2.5.4.4';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

export interface TestPki {
  root: Issued;
  intermediate: Issued;
  leafRsa: Issued;
  leafP256: Issued;
  revoked: Issued;
  expired: Issued;
  notYetValid: Issued;
  expiringSoon: Issued;
  noDigitalSignature: Issued;
  serverAuthOnly: Issued;
  /** Claims the intermediate as issuer but is signed by another key. */
  forged: Issued;
  /** Issued by leafRsa, which is not a CA. */
  issuedByLeaf: Issued;
  crl: Uint8Array;
}

const person = (given: string, surname: string, pnr: string): Array<[string, string]> => [
  [C, 'SE'],
  [SERIAL, pnr],
  [GIVEN, given],
  [SURNAME, surname],
  [CN, `${given} ${surname}`],
];

let cached: Promise<TestPki> | undefined;

/** The shared test PKI (built once per test file). */
export function testPki(): Promise<TestPki> {
  cached ??= build();
  return cached;
}

async function build(): Promise<TestPki> {
  const root = await issue({ subject: [[C, 'SE'], [O, 'Testbanken AB'], [CN, 'Testbanken Root CA']], keyKind: 'rsa2048', ca: {} });
  const intermediate = await issue({ subject: [[C, 'SE'], [O, 'Testbanken AB'], [CN, 'Testbanken e-legitimation CA']], issuer: root, ca: { pathLength: 0 } });
  const leaf = (o: Partial<IssueOptions> & { subject: Array<[string, string]> }): Promise<Issued> =>
    issue({ issuer: intermediate, keyUsage: ['digitalSignature', 'nonRepudiation'], extendedKeyUsage: [CLIENT_AUTH], ...o });
  const leafRsa = await leaf({ subject: person('Anna', 'Andersson', '199001012385'), keyKind: 'rsa2048' });
  const leafP256 = await leaf({ subject: person('Bo', 'Berg', 'SE198502024567'), extendedKeyUsage: undefined });
  const revoked = await leaf({ subject: person('Cecilia', 'Carlsson', '197703033456') });
  const expired = await leaf({ subject: person('David', 'Dahl', '196604044321'), notBefore: new Date('2023-01-01T00:00:00Z'), notAfter: new Date('2025-06-01T00:00:00Z') });
  const notYetValid = await leaf({ subject: person('Eva', 'Ek', '200005054321'), notBefore: new Date(NOW.getTime() + 10 * DAY) });
  const expiringSoon = await leaf({ subject: person('Filip', 'Fors', '199506062345'), notAfter: new Date(NOW.getTime() + 10 * DAY + 3_600_000) });
  const noDigitalSignature = await leaf({ subject: person('Gun', 'Gran', '198807071234'), keyUsage: ['keyEncipherment'] });
  const serverAuthOnly = await leaf({ subject: person('Hans', 'Holm', '197908081234'), extendedKeyUsage: [SERVER_AUTH] });
  const rogue = await issue({ subject: [[C, 'SE'], [O, 'Testbanken AB'], [CN, 'Testbanken e-legitimation CA']], ca: {} });
  const forged = await issue({ subject: person('Ivar', 'Ivarsson', '196109091234'), issuer: rogue, keyUsage: ['digitalSignature'] });
  const issuedByLeaf = await issue({ subject: person('Jon', 'Jonsson', '199910101234'), issuer: leafRsa, keyUsage: ['digitalSignature'] });
  const crl = await makeCrl(intermediate, [revoked]);
  return { root, intermediate, leafRsa, leafP256, revoked, expired, notYetValid, expiringSoon, noDigitalSignature, serverAuthOnly, forged, issuedByLeaf, crl };
}

/** A validateChain input for `leaf` through the fixture's intermediate to its root, with its CRL, at NOW. */
export const chainInput = (pki: TestPki, leaf: Uint8Array, o: Partial<ValidateChainInput> = {}): ValidateChainInput => ({
  leaf,
  intermediates: [pki.intermediate.der],
  trustAnchors: [pki.root.der],
  crls: [pki.crl],
  at: NOW,
  ...o,
});

/** 'VALID', or the ChainError code `p` rejects with (anything else fails the test). */
export async function chainCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ChainError);
    return (e as ChainError).code;
  }
  return 'VALID';
}

// CRLs with extensions and entry extensions, for the CRL scope tests (RFC 5280 §5.2, §5.3).

export interface CrlEntrySpec {
  /** The serial's INTEGER content octets, or an INTEGER as built. */
  serial: Uint8Array | asn1js.Integer;
  /** RFC 5280 §5.3.1 CRLReason, as a reasonCode entry extension. */
  reason?: number;
  extensions?: pkijs.Extension[];
}

/** A CRL by `issuer` with any CRL extensions and entries. */
export async function makeCrlWith(
  issuer: Issued,
  o: { entries?: CrlEntrySpec[]; extensions?: pkijs.Extension[]; thisUpdate?: Date; nextUpdate?: Date; signWith?: CryptoKey } = {},
): Promise<Uint8Array> {
  const crl = new pkijs.CertificateRevocationList();
  crl.version = 1;
  crl.issuer = pkijs.RelativeDistinguishedNames.fromBER(new Uint8Array(issuer.name));
  crl.thisUpdate = time(o.thisUpdate ?? new Date(NOW.getTime() - DAY));
  crl.nextUpdate = time(o.nextUpdate ?? new Date(NOW.getTime() + 6 * DAY));
  if (o.entries && o.entries.length > 0) {
    crl.revokedCertificates = o.entries.map((e) => {
      const extensions = [...(e.reason === undefined ? [] : [reasonCodeExtension(e.reason)]), ...(e.extensions ?? [])];
      return new pkijs.RevokedCertificate({
        userCertificate: e.serial instanceof asn1js.Integer ? e.serial : new asn1js.Integer({ valueHex: e.serial }),
        revocationDate: time(new Date(NOW.getTime() - 2 * DAY)),
        ...(extensions.length > 0 ? { crlEntryExtensions: new pkijs.Extensions({ extensions }) } : {}),
      });
    });
  }
  // RFC 5280 §5.2.3: every CRL carries a CRL number; one is added unless the test gives its own extensions.
  const extensions = o.extensions ?? [crlNumberExtension(1n)];
  if (extensions.length > 0) crl.crlExtensions = new pkijs.Extensions({ extensions });
  await crl.sign(o.signWith ?? issuer.privateKey, 'SHA-256');
  return new Uint8Array(crl.toSchema(true).toBER(false));
}

/** cRLNumber (2.5.29.20), or with `extnID` 2.5.29.27 a deltaCRLIndicator's BaseCRLNumber. */
export const crlNumberExtension = (n: bigint, extnID = '2.5.29.20', critical = false): pkijs.Extension =>
  new pkijs.Extension({ extnID, critical, extnValue: asn1js.Integer.fromBigInt(n).toBER(false) });

/** deltaCRLIndicator (2.5.29.27, critical as RFC 5280 §5.2.4 requires). */
export const deltaCrlIndicator = (baseCrlNumber: bigint): pkijs.Extension => crlNumberExtension(baseCrlNumber, '2.5.29.27', true);

/** reasonCode entry extension (2.5.29.21). */
export const reasonCodeExtension = (code: number): pkijs.Extension =>
  new pkijs.Extension({ extnID: '2.5.29.21', extnValue: new asn1js.Enumerated({ value: code }).toBER(false) });

/** A URI GeneralName ([6] IA5String). */
export const uriName = (uri: string): pkijs.GeneralName => new pkijs.GeneralName({ type: 6, value: uri });

/**
 * issuingDistributionPoint (2.5.29.28), critical, encoded here rather than by pkijs, which writes
 * onlySomeReasons without its BIT STRING unused-bits octet. `onlySomeReasons` is the first
 * ReasonFlags octet (0x40 keyCompromise, 0x20 cACompromise, …).
 */
export function issuingDistributionPoint(o: {
  uris?: string[];
  onlyUserCerts?: boolean;
  onlyCaCerts?: boolean;
  onlySomeReasons?: number;
  indirect?: boolean;
  onlyAttributeCerts?: boolean;
}): pkijs.Extension {
  const ctx = (tagNumber: number): { tagClass: number; tagNumber: number } => ({ tagClass: 3, tagNumber });
  const flag = (tagNumber: number): asn1js.Primitive => new asn1js.Primitive({ idBlock: ctx(tagNumber), valueHex: new Uint8Array([0xff]) });
  const value: asn1js.AsnType[] = [];
  if (o.uris) {
    const fullName = new asn1js.Constructed({ idBlock: ctx(0), value: o.uris.map((u) => uriName(u).toSchema()) });
    value.push(new asn1js.Constructed({ idBlock: ctx(0), value: [fullName] }));
  }
  if (o.onlyUserCerts) value.push(flag(1));
  if (o.onlyCaCerts) value.push(flag(2));
  if (o.onlySomeReasons !== undefined) {
    const bits = o.onlySomeReasons;
    let unused = 0;
    while (unused < 7 && !((bits >> unused) & 1)) unused++;
    value.push(new asn1js.Primitive({ idBlock: ctx(3), valueHex: new Uint8Array([unused, bits]) }));
  }
  if (o.indirect) value.push(flag(4));
  if (o.onlyAttributeCerts) value.push(flag(5));
  return new pkijs.Extension({ extnID: '2.5.29.28', critical: true, extnValue: new asn1js.Sequence({ value }).toBER(false) });
}

/** cRLDistributionPoints (2.5.29.31), one DistributionPoint per URI. */
export const crlDistributionPointsExtension = (uris: string[]): pkijs.Extension =>
  new pkijs.Extension({
    extnID: '2.5.29.31',
    extnValue: new pkijs.CRLDistributionPoints({ distributionPoints: uris.map((u) => new pkijs.DistributionPoint({ distributionPoint: [uriName(u)] })) })
      .toSchema()
      .toBER(false),
  });

/** `cert` with its serial replaced by `serial` (INTEGER content octets) and signed again by `issuer`. */
export async function reissueWithSerial(cert: Issued, issuer: Issued, serial: Uint8Array): Promise<Issued> {
  const parsed = pkijs.Certificate.fromBER(new Uint8Array(cert.der));
  parsed.serialNumber = new asn1js.Integer({ valueHex: serial });
  await parsed.sign(issuer.privateKey, 'SHA-256');
  return { ...cert, der: new Uint8Array(parsed.toSchema(true).toBER(false)), serial };
}
