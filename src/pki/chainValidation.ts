/**
 * Path building and validation (RFC 5280 §6, the parts an e-legitimation login needs): from the
 * leaf up through intermediates to a trust anchor, signatures with node:crypto, validity at
 * `at`, CA constraints, the leaf's key usage, and revocation from CRLs. OCSP is not supported:
 * pass CRLs.
 */
import { createHash } from 'node:crypto';
import * as pkijs from 'pkijs';
import { EkortError } from '../errors.ts';
import { type CertificateInfo, isSignedBy, parseCertificate } from './certificate.ts';
import { checkDer } from './derGuard.ts';

export type ChainErrorCode =
  | 'UNTRUSTED_CHAIN'
  | 'CERT_EXPIRED'
  | 'CERT_NOT_YET_VALID'
  | 'CERT_REVOKED'
  | 'CRL_STALE'
  | 'CRL_INVALID'
  | 'WRONG_KEY_USAGE';

export class ChainError extends EkortError {
  declare readonly code: ChainErrorCode;
  /** Subject DN of the certificate the problem is with, when there is one. */
  readonly subject?: string;

  constructor(code: ChainErrorCode, message: string, subject?: string) {
    super(code, message);
    if (subject !== undefined) this.subject = subject;
  }
}

export interface ExpiryWarning {
  code: 'CERT_EXPIRES_SOON';
  daysLeft: number;
  message: string;
}

export interface ValidateChainInput {
  leaf: Uint8Array | CertificateInfo;
  intermediates: Uint8Array[];
  trustAnchors: Uint8Array[];
  crls?: Uint8Array[];
  at: Date;
}

export interface ValidatedChain {
  /** Leaf first, trust anchor last. */
  chain: CertificateInfo[];
  warnings: ExpiryWarning[];
}

/** Certificates in a path, anchor included: leaf, up to 3 intermediates, anchor. */
const MAX_PATH = 5;
const WARN_DAYS = 30;
const DAY_MS = 86_400_000;
/** RFC 5280 §4.2.1.12 id-kp-clientAuth. */
const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
/** Critical extensions this validation processes (RFC 5280 §4.2: refuse unknown critical ones). */
const PROCESSED_CRITICAL = new Set(['2.5.29.15', '2.5.29.19', '2.5.29.37', '2.5.29.14', '2.5.29.35', '2.5.29.17']);

const RENEW = 'Renew your e-legitimation at the bank that issued it.';

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));
const nameOf = (c: CertificateInfo): string => c.subject.commonName ?? c.subject.dn;

function parseAll(ders: Uint8Array[], what: string): CertificateInfo[] {
  return ders.map((der) => {
    try {
      return parseCertificate(der);
    } catch (e) {
      throw new ChainError('UNTRUSTED_CHAIN', `a ${what} certificate could not be read: ${(e as Error).message}`);
    }
  });
}

/** May `ca` issue certificates? (RFC 5280 §6.1.4 (k), (n)) */
function canIssue(ca: CertificateInfo): boolean {
  return ca.isCa && (!ca.hasKeyUsage || ca.keyUsage.includes('keyCertSign'));
}

/**
 * Depth-first search for a path from `cert` to an anchor. A candidate issuer must have the
 * right subject, be a CA and have signed `cert`. Returns the path above `cert`, or undefined.
 */
function buildPath(cert: CertificateInfo, pool: CertificateInfo[], anchors: CertificateInfo[], depth: number, reasons: string[]): CertificateInfo[] | undefined {
  if (depth >= MAX_PATH) {
    reasons.push(`the path is longer than ${MAX_PATH} certificates`);
    return undefined;
  }
  for (const anchor of anchors) {
    if (!sameBytes(anchor.subject.der, cert.issuer.der)) continue;
    if (!canIssue(anchor)) reasons.push(`"${nameOf(anchor)}" is not a CA`);
    else if (!isSignedBy(cert.pkijs, anchor)) reasons.push(`the signature on "${nameOf(cert)}" does not verify with "${nameOf(anchor)}"`);
    else return [anchor];
  }
  for (const candidate of pool) {
    if (!sameBytes(candidate.subject.der, cert.issuer.der) || candidate === cert) continue;
    if (!canIssue(candidate)) {
      reasons.push(`"${nameOf(candidate)}" is not a CA`);
      continue;
    }
    if (!isSignedBy(cert.pkijs, candidate)) {
      reasons.push(`the signature on "${nameOf(cert)}" does not verify with "${nameOf(candidate)}"`);
      continue;
    }
    const rest = buildPath(
      candidate,
      pool.filter((c) => c !== candidate),
      anchors,
      depth + 1,
      reasons,
    );
    if (rest) return [candidate, ...rest];
  }
  return undefined;
}

function checkValidity(chain: CertificateInfo[], at: Date): void {
  for (const [i, c] of chain.entries()) {
    const role = i === 0 ? 'Your e-legitimation' : `The issuing certificate "${nameOf(c)}"`;
    if (at.getTime() > c.notAfter.getTime()) {
      throw new ChainError('CERT_EXPIRED', `${role} expired on ${c.notAfter.toISOString().slice(0, 10)}. ${RENEW}`, c.subject.dn);
    }
    if (at.getTime() < c.notBefore.getTime()) {
      throw new ChainError(
        'CERT_NOT_YET_VALID',
        `${role} is valid only from ${c.notBefore.toISOString()}. Check the computer's clock, or wait until then.`,
        c.subject.dn,
      );
    }
  }
}

function checkConstraints(chain: CertificateInfo[]): void {
  for (const c of chain) {
    const unknown = c.criticalExtensions.find((oid) => !PROCESSED_CRITICAL.has(oid));
    if (unknown) throw new ChainError('UNTRUSTED_CHAIN', `"${nameOf(c)}" has a critical extension ${unknown} that is not supported`, c.subject.dn);
  }
  // RFC 5280 §6.1.4 (l), (m): pathLenConstraint counts the intermediates below a CA.
  for (let i = 1; i < chain.length; i++) {
    const ca = chain[i]!;
    const below = i - 1;
    if (ca.pathLength !== undefined && below > ca.pathLength) {
      throw new ChainError('UNTRUSTED_CHAIN', `"${nameOf(ca)}" may not have ${below} CA certificates below it`, ca.subject.dn);
    }
  }
}

function checkLeafUsage(leaf: CertificateInfo): void {
  if (!leaf.hasKeyUsage || !leaf.keyUsage.includes('digitalSignature')) {
    throw new ChainError('WRONG_KEY_USAGE', 'This certificate is not meant for signing in (no digitalSignature key usage). Use the e-legitimation for identification.', leaf.subject.dn);
  }
  if (leaf.hasExtendedKeyUsage && !leaf.extendedKeyUsage.includes(EKU_CLIENT_AUTH)) {
    throw new ChainError('WRONG_KEY_USAGE', 'This certificate is not meant for logging in (no clientAuth extended key usage). Use the e-legitimation for identification.', leaf.subject.dn);
  }
}

interface ParsedCrl {
  crl: pkijs.CertificateRevocationList;
  issuerDer: Uint8Array;
}

/** Parsed CRLs by SHA-256 of their DER: the same lists come with every login. */
const crlCache = new Map<string, ParsedCrl>();

function parseCrls(ders: Uint8Array[]): ParsedCrl[] {
  return ders.map((der) => {
    const key = der instanceof Uint8Array ? createHash('sha256').update(der).digest('hex') : '';
    const cached = crlCache.get(key);
    if (cached) return cached;
    const parsed = parseCrl(der);
    if (crlCache.size >= 64) crlCache.delete(crlCache.keys().next().value!);
    crlCache.set(key, parsed);
    return parsed;
  });
}

function parseCrl(der: Uint8Array): ParsedCrl {
  try {
    checkDer(der, { maxBytes: 16 * 1024 * 1024 });
    const crl = pkijs.CertificateRevocationList.fromBER(new Uint8Array(der));
    return { crl, issuerDer: new Uint8Array(crl.issuer.valueBeforeDecode.slice(0)) };
  } catch (e) {
    throw new ChainError('CRL_INVALID', `a revocation list could not be read: ${(e as Error).message}`);
  }
}

/**
 * Every CRL naming a CA in the chain must be signed by it and current; a certificate listed in
 * its issuer's CRL is revoked. A CRL that fails its issuer's signature is an error rather than
 * ignored, so that a damaged list cannot silently hide a revocation.
 */
function checkRevocation(chain: CertificateInfo[], crls: ParsedCrl[], at: Date): void {
  for (let i = 0; i + 1 < chain.length; i++) {
    const cert = chain[i]!;
    const issuer = chain[i + 1]!;
    for (const { crl, issuerDer } of crls) {
      if (!sameBytes(issuerDer, issuer.subject.der)) continue;
      if ((issuer.hasKeyUsage && !issuer.keyUsage.includes('cRLSign')) || !isSignedBy(crl, issuer)) {
        throw new ChainError('CRL_INVALID', `the revocation list of "${nameOf(issuer)}" is not signed by it`, issuer.subject.dn);
      }
      const nextUpdate = crl.nextUpdate?.value;
      if (at.getTime() < crl.thisUpdate.value.getTime() || (nextUpdate && at.getTime() > nextUpdate.getTime())) {
        throw new ChainError('CRL_STALE', `the revocation list of "${nameOf(issuer)}" is not current (this update ${crl.thisUpdate.value.toISOString()})`, issuer.subject.dn);
      }
      const revoked = (crl.revokedCertificates ?? []).some((r) => Buffer.from(r.userCertificate.valueBlock.valueHexView).toString('hex') === cert.serialNumber);
      if (revoked) {
        const role = i === 0 ? 'Your e-legitimation has been revoked.' : `The issuing certificate "${nameOf(cert)}" has been revoked.`;
        throw new ChainError('CERT_REVOKED', `${role} ${RENEW}`, cert.subject.dn);
      }
    }
  }
}

function expiryWarnings(leaf: CertificateInfo, at: Date): ExpiryWarning[] {
  const msLeft = leaf.notAfter.getTime() - at.getTime();
  if (msLeft > WARN_DAYS * DAY_MS) return [];
  const daysLeft = Math.floor(msLeft / DAY_MS);
  return [
    {
      code: 'CERT_EXPIRES_SOON',
      daysLeft,
      message: `Your e-legitimation expires on ${leaf.notAfter.toISOString().slice(0, 10)} (${daysLeft} days left). ${RENEW}`,
    },
  ];
}

/** Validates `leaf` at `at`; a ChainError says why not. */
export async function validateChain(input: ValidateChainInput): Promise<ValidatedChain> {
  const leaf = input.leaf instanceof Uint8Array ? parseAll([input.leaf], 'signer')[0]! : input.leaf;
  const anchors = parseAll(input.trustAnchors, 'trust anchor');
  const pool = parseAll(input.intermediates, 'intermediate');
  const crls = parseCrls(input.crls ?? []);

  const reasons: string[] = [];
  const above = buildPath(leaf, pool, anchors, 1, reasons);
  if (!above) {
    const why = reasons.length > 0 ? reasons[0] : `no issuer "${leaf.issuer.dn}" among the known certificates`;
    throw new ChainError('UNTRUSTED_CHAIN', `The e-legitimation is not issued by a trusted bank: ${why}.`, leaf.subject.dn);
  }
  const chain = [leaf, ...above];
  checkValidity(chain, input.at);
  checkConstraints(chain);
  checkLeafUsage(leaf);
  checkRevocation(chain, crls, input.at);
  return { chain, warnings: expiryWarnings(leaf, input.at) };
}
