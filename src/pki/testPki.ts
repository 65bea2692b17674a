/**
 * The test bank's PKI, kept in one directory: a root CA, two issuing CAs under it (RSA-2048
 * and EC P-256, one for each card key type), a CRL for each issuing CA and state.json with the
 * serials issued and revoked. For tests and demos only: the CA keys are plain PEM files
 * (mode 0600). pkijs builds the certificates and CRLs; webcrypto signs them.
 */
import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { CodedError } from '../errors.ts';
import { ensurePrivateDir, writeFileAtomic } from '../files/index.ts';
import {
  OID,
  name,
  time,
  randomSerial,
  keyIdentifier,
  extension,
  keyUsage,
  DIGITAL_SIGNATURE,
  KEY_CERT_SIGN,
  CRL_SIGN,
  authorityKeyIdentifier,
  buildCertificate,
  engine,
  type CertificateIssuer,
  type IssueCertificate,
} from './certificateBuilder.ts';
import type { TrustInput } from './chainValidation.ts';
import { derToPem, pemToDer } from './pem.ts';

export type TestPkiErrorCode = 'PKI_DIR_INVALID' | 'PKI_DIR_EXISTS' | 'UNKNOWN_SERIAL' | 'UNSUPPORTED_KEY' | 'INVALID_SUBJECT';

export class TestPkiError extends CodedError<TestPkiErrorCode> {}

export type IssuingCaName = 'issuing-rsa' | 'issuing-ec';
export const ISSUING_CAS: readonly IssuingCaName[] = ['issuing-rsa', 'issuing-ec'];

export interface TestPkiState {
  issued: Array<{ issuer: IssuingCaName; serial: string; commonName: string }>;
  revoked: Array<{ issuer: IssuingCaName; serial: string; date: string }>;
  /** RFC 5280 §5.2.3: each CA's CRLs are numbered, increasing. */
  crlNumber: Record<IssuingCaName, number>;
}

/** DER, as verifyLoginSignature takes them. */
export interface TestPkiMaterial {
  root: Uint8Array;
  intermediates: Uint8Array[];
  crls: Uint8Array[];
}

const DAY_MS = 86_400_000;
const ROOT_YEARS = 20;
const ISSUING_YEARS = 10;
const CRL_DAYS = 7;
/** Backdating covers a verifier whose clock runs a little behind. */
const CLOCK_SKEW_MS = 5 * 60_000;

const RSA_SIGN = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
const EC_SIGN = { name: 'ECDSA', namedCurve: 'P-256' } as const;

const file = (dir: string, name: string) => path.join(dir, name);

// ---------------------------------------------------------------------------------------------
// Structures

/** Serial numbers as state.json and the CLI write them: lower-case hex, no leading zeros. */
export function normalizeSerial(hex: string): string {
  const clean = hex.replace(/[:\s]/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(clean)) throw new TestPkiError('UNKNOWN_SERIAL', `"${hex}" is not a serial number in hex`);
  return clean.replace(/^0+(?=.)/, '');
}

function caExtensions(pathLength?: number): pkijs.Extension[] {
  const constraints = new pkijs.BasicConstraints(pathLength === undefined ? { cA: true } : { cA: true, pathLenConstraint: pathLength });
  return [extension(OID.basicConstraints, true, constraints.toSchema()), extension(OID.keyUsage, true, keyUsage(KEY_CERT_SIGN, CRL_SIGN))];
}

async function buildCrl(issuer: CertificateIssuer, crlNumber: number, revoked: TestPkiState['revoked'], now: Date): Promise<Uint8Array> {
  const crl = new pkijs.CertificateRevocationList();
  crl.version = 1; // v2
  crl.issuer = issuer.subject;
  crl.thisUpdate = time(now);
  crl.nextUpdate = time(new Date(now.getTime() + CRL_DAYS * DAY_MS));
  if (revoked.length > 0) {
    crl.revokedCertificates = revoked.map(
      (r) =>
        new pkijs.RevokedCertificate({
          userCertificate: new asn1js.Integer({ valueHex: Buffer.from(r.serial.length % 2 ? `0${r.serial}` : r.serial, 'hex') }),
          revocationDate: time(new Date(r.date)),
        }),
    );
  }
  crl.crlExtensions = new pkijs.Extensions({
    extensions: [
      extension(OID.authorityKeyIdentifier, false, authorityKeyIdentifier(issuer.keyId)),
      extension(OID.crlNumber, false, new asn1js.Integer({ value: crlNumber })),
    ],
  });
  await crl.sign(issuer.key, 'SHA-256', engine);
  return new Uint8Array(crl.toSchema(true).toBER(false));
}

// ---------------------------------------------------------------------------------------------
// Files


async function readText(dir: string, name: string): Promise<string> {
  try {
    return await readFile(file(dir, name), 'utf8');
  } catch (cause) {
    throw new TestPkiError('PKI_DIR_INVALID', `${dir} is not a test PKI directory: cannot read ${name} (run \`ekort pki init --out ${dir}\`)`, { cause });
  }
}

async function readPem(dir: string, name: string, label: string): Promise<Uint8Array<ArrayBuffer>> {
  const text = await readText(dir, name);
  try {
    return new Uint8Array(pemToDer(text, label));
  } catch (cause) {
    throw new TestPkiError('PKI_DIR_INVALID', `${file(dir, name)} holds no ${label}`, { cause });
  }
}

async function readState(dir: string): Promise<TestPkiState> {
  const text = await readText(dir, 'state.json');
  try {
    const state = JSON.parse(text) as TestPkiState;
    if (!Array.isArray(state.issued) || !Array.isArray(state.revoked) || typeof state.crlNumber !== 'object') throw new Error('fields missing');
    return state;
  } catch (cause) {
    throw new TestPkiError('PKI_DIR_INVALID', `${file(dir, 'state.json')} is not a test PKI state file`, { cause });
  }
}

const writeState = (dir: string, state: TestPkiState) => writeFileAtomic(file(dir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`, 0o600);

async function generateKey(kind: 'rsa3072' | 'rsa2048' | 'p256'): Promise<webcrypto.CryptoKeyPair> {
  const algorithm = kind === 'p256' ? EC_SIGN : { ...RSA_SIGN, modulusLength: kind === 'rsa3072' ? 3072 : 2048, publicExponent: Uint8Array.of(1, 0, 1) };
  return webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']) as Promise<webcrypto.CryptoKeyPair>;
}

async function loadIssuer(dir: string, ca: 'root' | IssuingCaName): Promise<CertificateIssuer> {
  const certificate = pkijs.Certificate.fromBER(await readPem(dir, `${ca}.pem`, 'CERTIFICATE'));
  const pkcs8 = await readPem(dir, `${ca}.key.pem`, 'PRIVATE KEY');
  const isEc = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }).asymmetricKeyType === 'ec';
  const key = await webcrypto.subtle.importKey('pkcs8', pkcs8, isEc ? EC_SIGN : RSA_SIGN, false, ['sign']);
  return { subject: certificate.subject, keyId: keyIdentifier(certificate.subjectPublicKeyInfo), notAfter: certificate.notAfter.value, key };
}

// ---------------------------------------------------------------------------------------------
// The API

/**
 * Creates the PKI in `dir` (made if missing). Refuses a directory that already holds one
 * unless `force`. Root CA RSA-3072, 20 years; issuing CAs RSA-2048 and P-256, 10 years,
 * pathLen 0; an empty CRL for each issuing CA.
 */
export async function initTestPki(dir: string, options: { bankName?: string; force?: boolean; now?: Date } = {}): Promise<TestPkiMaterial> {
  const bank = options.bankName ?? 'e-kort Testbank';
  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
  await ensurePrivateDir(dir);
  const exists = await readFile(file(dir, 'root.pem')).then(() => true, () => false);
  if (exists && !options.force) throw new TestPkiError('PKI_DIR_EXISTS', `${dir} already holds a test PKI; pass --force to replace it`);

  const years = (n: number) => new Date(Date.UTC(now.getUTCFullYear() + n, now.getUTCMonth(), now.getUTCDate(), now.getUTCHours(), now.getUTCMinutes()));
  const spkiOf = async (key: webcrypto.CryptoKey) => new Uint8Array(await webcrypto.subtle.exportKey('spki', key));
  const writeKey = async (ca: string, key: webcrypto.CryptoKey) =>
    writeFileAtomic(file(dir, `${ca}.key.pem`), derToPem(new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', key)), 'PRIVATE KEY'), 0o600);

  const rootKeys = await generateKey('rsa3072');
  const rootSubject = name([[OID.country, 'SE'], [OID.organization, bank], [OID.commonName, `${bank} Root CA`]]);
  const root = await buildCertificate({
    serial: randomSerial(),
    subject: rootSubject,
    spki: await spkiOf(rootKeys.publicKey),
    notBefore,
    notAfter: years(ROOT_YEARS),
    extensions: caExtensions(),
    selfKey: rootKeys.privateKey,
  });
  const rootIssuer: CertificateIssuer = {
    subject: rootSubject,
    keyId: keyIdentifier(pkijs.Certificate.fromBER(new Uint8Array(root)).subjectPublicKeyInfo),
    notAfter: years(ROOT_YEARS),
    key: rootKeys.privateKey,
  };

  const intermediates: Uint8Array[] = [];
  const crls: Uint8Array[] = [];
  const files: Array<[string, string]> = [['root.pem', derToPem(root, 'CERTIFICATE')]];
  for (const ca of ISSUING_CAS) {
    const keys = await generateKey(ca === 'issuing-rsa' ? 'rsa2048' : 'p256');
    const subject = name([[OID.country, 'SE'], [OID.organization, bank], [OID.commonName, `${bank} Issuing CA ${ca === 'issuing-rsa' ? 'RSA' : 'EC'}`]]);
    const spki = await spkiOf(keys.publicKey);
    const der = await buildCertificate({
      serial: randomSerial(),
      subject,
      spki,
      notBefore,
      notAfter: years(ISSUING_YEARS),
      extensions: caExtensions(0),
      issuer: rootIssuer,
    });
    const issuer: CertificateIssuer = { subject, keyId: keyIdentifier(pkijs.PublicKeyInfo.fromBER(spki)), notAfter: years(ISSUING_YEARS), key: keys.privateKey };
    const crl = await buildCrl(issuer, 1, [], now);
    intermediates.push(der);
    crls.push(crl);
    await writeKey(ca, keys.privateKey);
    files.push([`${ca}.pem`, derToPem(der, 'CERTIFICATE')], [`${ca}.crl.pem`, derToPem(crl, 'X509 CRL')]);
  }
  await writeKey('root', rootKeys.privateKey);
  for (const [name, text] of files) await writeFileAtomic(file(dir, name), text, 0o644);
  await writeState(dir, { issued: [], revoked: [], crlNumber: { 'issuing-rsa': 1, 'issuing-ec': 1 } });
  return { root, intermediates, crls };
}

export interface IssueCardCertificateOptions {
  /** The card key's SubjectPublicKeyInfo, DER. */
  publicKeySpki: Uint8Array;
  commonName: string;
  /** YYYYMMDDNNNN, as the subject's serialNumber (as BankID certificates carry it). */
  personnummer?: string;
  /**
   * An e-tjänstelegitimation instead (no personnummer): subject O (name), organizationIdentifier
   * "NTRSE-<number>" and serialNumber "<number>-<personId>" (Expisoft style), see organisation.ts.
   */
  organisation?: { number: string; name?: string; personId: string };
  days?: number;
  now?: Date;
}

/** The issuing CA for a key: RSA → issuing-rsa, EC P-256 → issuing-ec. */
export function issuingCaFor(publicKeySpki: Uint8Array): IssuingCaName {
  let key;
  try {
    key = createPublicKey({ key: Buffer.from(publicKeySpki), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new TestPkiError('UNSUPPORTED_KEY', 'The public key is not a DER SubjectPublicKeyInfo', { cause });
  }
  if (key.asymmetricKeyType === 'rsa') return 'issuing-rsa';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'issuing-ec';
  throw new TestPkiError('UNSUPPORTED_KEY', `A ${key.asymmetricKeyType} key cannot get a card certificate here: use RSA or EC P-256`);
}

/**
 * A card (end-entity) certificate: subject C=SE, serialNumber, CN; keyUsage digitalSignature
 * (critical), EKU clientAuth, AKI/SKI, a random unique serial. Writes only state.json.
 */
export async function issueCardCertificate(dir: string, options: IssueCardCertificateOptions): Promise<Uint8Array> {
  const ca = issuingCaFor(options.publicKeySpki);
  const state = await readState(dir);
  const issuer = await loadIssuer(dir, ca);
  const now = options.now ?? new Date();
  const days = options.days ?? 730;
  const notAfter = new Date(Math.min(now.getTime() + days * DAY_MS, issuer.notAfter.getTime()));
  let serial: Uint8Array;
  do serial = randomSerial();
  while (state.issued.some((i) => i.serial === normalizeSerial(Buffer.from(serial).toString('hex'))));

  const subject: Array<[string, string]> = [[OID.country, 'SE']];
  const org = options.organisation;
  if (org && options.personnummer !== undefined) throw new TestPkiError('INVALID_SUBJECT', 'An e-tjänstelegitimation carries no personnummer: give the organisation or the personnummer, not both');
  if (org) {
    if (org.name !== undefined) subject.push([OID.organization, org.name]);
    subject.push([OID.organizationIdentifier, `NTRSE-${org.number}`], [OID.serialNumber, `${org.number}-${org.personId}`]);
  }
  if (options.personnummer !== undefined) subject.push([OID.serialNumber, options.personnummer]);
  subject.push([OID.commonName, options.commonName]);
  const der = await buildCertificate({
    serial,
    subject: name(subject),
    spki: options.publicKeySpki,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter,
    extensions: [
      extension(OID.keyUsage, true, keyUsage(DIGITAL_SIGNATURE)),
      extension(OID.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: [OID.clientAuth] }).toSchema()),
    ],
    issuer,
  });
  state.issued.push({ issuer: ca, serial: normalizeSerial(Buffer.from(serial).toString('hex')), commonName: options.commonName });
  await writeState(dir, state);
  return der;
}

/** The `issue` callback of createCardImage: certificates from this PKI. */
export function issuerFor(dir: string): IssueCertificate {
  return (publicKeySpki, subject) =>
    issueCardCertificate(dir, {
      publicKeySpki,
      commonName: subject.commonName,
      ...(subject.serialNumber === undefined ? {} : { personnummer: subject.serialNumber }),
    });
}

/** Lists the serial on its issuing CA's CRL and re-issues that CRL (thisUpdate now). */
export async function revokeCertificate(dir: string, serialHex: string, options: { now?: Date } = {}): Promise<{ issuer: IssuingCaName; serial: string; date: string }> {
  const serial = normalizeSerial(serialHex);
  const state = await readState(dir);
  const issued = state.issued.find((i) => i.serial === serial);
  if (!issued) throw new TestPkiError('UNKNOWN_SERIAL', `No certificate with serial ${serial} was issued by the test PKI in ${dir}`);
  const now = options.now ?? new Date();
  let entry = state.revoked.find((r) => r.serial === serial);
  if (!entry) {
    entry = { issuer: issued.issuer, serial, date: new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString() };
    state.revoked.push(entry);
  }
  state.crlNumber[issued.issuer] = (state.crlNumber[issued.issuer] ?? 1) + 1;
  const crl = await buildCrl(
    await loadIssuer(dir, issued.issuer),
    state.crlNumber[issued.issuer],
    state.revoked.filter((r) => r.issuer === issued.issuer),
    now,
  );
  await writeFileAtomic(file(dir, `${issued.issuer}.crl.pem`), derToPem(crl, 'X509 CRL'), 0o644);
  await writeState(dir, state);
  return entry;
}

/** The root, the issuing CAs and their CRLs, DER, for verifyLoginSignature. */
/** The files of a test PKI directory that card-login trust is made of. */
export const TEST_PKI_TRUST_FILES: readonly string[] = ['root.pem', ...ISSUING_CAS.flatMap((ca) => [`${ca}.pem`, `${ca}.crl.pem`])];

/** Card-login trust from a test PKI directory: the root as the anchor, the issuing CAs and their CRLs. */
export async function loadTestPkiTrust(dir: string): Promise<TrustInput & { intermediates: Uint8Array[]; crls: Uint8Array[] }> {
  const pki = await loadTestPki(dir);
  return { trustAnchors: [pki.root], intermediates: pki.intermediates, crls: pki.crls };
}

export async function loadTestPki(dir: string): Promise<TestPkiMaterial> {
  const root = await readPem(dir, 'root.pem', 'CERTIFICATE');
  const intermediates: Uint8Array[] = [];
  const crls: Uint8Array[] = [];
  for (const ca of ISSUING_CAS) {
    intermediates.push(await readPem(dir, `${ca}.pem`, 'CERTIFICATE'));
    crls.push(await readPem(dir, `${ca}.crl.pem`, 'X509 CRL'));
  }
  return { root, intermediates, crls };
}
