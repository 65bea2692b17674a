/**
 * Path building and validation (RFC 5280 §6, the parts an e-legitimation login needs): from the
 * leaf up through intermediates to a trust anchor, signatures with node:crypto, validity at
 * `at`, CA constraints, the leaf's key usage, and revocation from CRLs. OCSP is not supported:
 * pass CRLs.
 */
import * as pkijs from 'pkijs';
import { EkortError } from '../errors.ts';
import { type CertificateInfo, isParsedCertificate, isSignedBy, parseCertificate } from './certificate.ts';
import { sameBytes, sha256Hex } from './derDigest.ts';
import { checkDer } from './derGuard.ts';
import { ocspStatus, type OcspStatus } from './ocsp.ts';

export type ChainErrorCode =
  | 'UNTRUSTED_CHAIN'
  | 'CERT_EXPIRED'
  | 'CERT_NOT_YET_VALID'
  | 'CERT_REVOKED'
  | 'CRL_STALE'
  | 'CRL_INVALID'
  | 'WRONG_KEY_USAGE'
  | 'OCSP_INVALID';

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
  /** OCSP responses (RFC 6960) the service has; used next to the CRLs. */
  ocspResponses?: Uint8Array[];
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
    const key = der instanceof Uint8Array ? sha256Hex(der) : '';
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
function checkRevocation(chain: CertificateInfo[], crls: ParsedCrl[], at: Date): Interval {
  const used: Interval = { from: -Infinity, until: Infinity };
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
      used.from = Math.max(used.from, crl.thisUpdate.value.getTime());
      if (nextUpdate) used.until = Math.min(used.until, nextUpdate.getTime());
      const revoked = (crl.revokedCertificates ?? []).some((r) => Buffer.from(r.userCertificate.valueBlock.valueHexView).toString('hex') === cert.serialNumber);
      if (revoked) {
        const role = i === 0 ? 'Your e-legitimation has been revoked.' : `The issuing certificate "${nameOf(cert)}" has been revoked.`;
        throw new ChainError('CERT_REVOKED', `${role} ${RENEW}`, cert.subject.dn);
      }
    }
  }
  return used;
}

/** A fresh OCSP answer of "revoked" refuses the chain; the answers used bound the cache interval. */
function checkOcsp(chain: CertificateInfo[], responses: Uint8Array[], at: Date, valid: Interval): void {
  for (let i = 0; i + 1 < chain.length; i++) {
    const cert = chain[i]!;
    for (const response of responses) {
      let answer: OcspStatus | undefined;
      try {
        answer = ocspStatus(response, cert, chain[i + 1]!, at);
      } catch (error) {
        throw new ChainError('OCSP_INVALID', `an OCSP response for "${nameOf(cert)}" cannot be trusted: ${(error as Error).message}`, cert.subject.dn);
      }
      if (!answer) continue;
      valid.from = Math.max(valid.from, answer.thisUpdate.getTime());
      valid.until = Math.min(valid.until, answer.nextUpdate?.getTime() ?? answer.thisUpdate.getTime());
      if (answer.status === 'revoked') {
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

interface Interval {
  /** Epoch ms, inclusive. */
  from: number;
  until: number;
}

/**
 * Successful validations, by the SHA-256 of every input (leaf, intermediates, anchors, CRLs, in
 * order), with the time interval in which the result holds: every certificate of the chain
 * within its validity and every CRL used within thisUpdate..nextUpdate. Nothing else in the
 * validation depends on `at` (path building, constraints and key usage look at the bytes only,
 * revocation at the serial numbers). Expiry warnings are recomputed on every call. Failures are
 * not cached: they are rare, and each would need its own reasoning about when it stops holding.
 */
const chainCache = new Map<string, { chain: CertificateInfo[]; valid: Interval }>();
const CHAIN_CACHE_SIZE = 1024;
let lastHit: object | undefined;

const sha256 = sha256Hex;

/** The cache key for `input`, or undefined when some input is not plain bytes (then no caching). */
function chainKey(input: ValidateChainInput): string | undefined {
  const { leaf, intermediates, trustAnchors } = input;
  const crls = input.crls ?? [];
  if (![intermediates, trustAnchors, crls].every((list) => Array.isArray(list) && list.every((d) => d instanceof Uint8Array))) return undefined;
  let leafKey: string;
  if (leaf instanceof Uint8Array) leafKey = sha256(leaf);
  else {
    // A CertificateInfo: only one parseCertificate made, still over the DER it was read from.
    if (!isParsedCertificate(leaf) || !(leaf.der instanceof Uint8Array)) return undefined;
    leafKey = sha256(leaf.der);
    if (leafKey !== leaf.fingerprints.sha256) return undefined;
  }
  let key = leafKey;
  for (const d of intermediates) key += `,${sha256(d)}`;
  key += '|';
  for (const d of trustAnchors) key += `,${sha256(d)}`;
  key += '|';
  for (const d of crls) key += `,${sha256(d)}`;
  const ocsp = input.ocspResponses ?? [];
  if (!ocsp.every((d) => d instanceof Uint8Array)) return undefined;
  if (ocsp.length > 0) key += `|${ocsp.map(sha256).join(',')}`;
  return key;
}

/** Validates `leaf` at `at`; a ChainError says why not. */
export async function validateChain(input: ValidateChainInput): Promise<ValidatedChain> {
  return validateChainSync(input);
}

/** validateChain without the promise, for callers on a hot path (the login verifier). */
export function validateChainSync(input: ValidateChainInput): ValidatedChain {
  const key = chainKey(input);
  const t = input.at instanceof Date ? input.at.getTime() : NaN;
  const hit = key === undefined ? undefined : chainCache.get(key);
  if (hit && t >= hit.valid.from && t <= hit.valid.until) {
    if (hit !== lastHit) {
      // Least recently used goes first; repeated hits on one entry need no reordering.
      chainCache.delete(key!);
      chainCache.set(key!, hit);
      lastHit = hit;
    }
    return { chain: [...hit.chain], warnings: expiryWarnings(hit.chain[0]!, input.at) };
  }
  const { chain, valid } = validateUncached(input);
  if (key !== undefined && t >= valid.from && t <= valid.until) {
    chainCache.delete(key);
    if (chainCache.size >= CHAIN_CACHE_SIZE) chainCache.delete(chainCache.keys().next().value!);
    const entry = { chain: [...chain], valid };
    chainCache.set(key, entry);
    lastHit = entry;
  }
  return { chain, warnings: expiryWarnings(chain[0]!, input.at) };
}

function validateUncached(input: ValidateChainInput): { chain: CertificateInfo[]; valid: Interval } {
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
  const valid = checkRevocation(chain, crls, input.at);
  checkOcsp(chain, input.ocspResponses ?? [], input.at, valid);
  for (const c of chain) {
    valid.from = Math.max(valid.from, c.notBefore.getTime());
    valid.until = Math.min(valid.until, c.notAfter.getTime());
  }
  return { chain, valid };
}
