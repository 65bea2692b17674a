/**
 * Path building and validation (RFC 5280 §6, the parts an e-legitimation login needs): from the
 * leaf up through intermediates to a trust anchor, signatures with node:crypto, validity at
 * `at`, CA constraints, the leaf's key usage, and revocation from CRLs and OCSP responses.
 * A TrustStore holds a trust configuration read once; validateChain makes one per call.
 */
import * as pkijs from 'pkijs';
import { EkortError } from '../errors.ts';
import { type CertificateInfo, isParsedCertificate, isSignedBy, parseCertificate } from './certificate.ts';
import { sameBytes, sha256Hex } from './derDigest.ts';
import { type CrlFacts, readCrlFacts, revocationStatus, type RevocationStatus } from './crlScope.ts';
import { checkDer } from './derGuard.ts';
import { ocspStatus, type OcspStatus } from './ocsp.ts';

export type ChainErrorCode =
  | 'UNTRUSTED_CHAIN'
  | 'CERT_EXPIRED'
  | 'CERT_NOT_YET_VALID'
  | 'CERT_REVOKED'
  | 'CRL_STALE'
  | 'CRL_INVALID'
  | 'REVOCATION_UNKNOWN'
  | 'WRONG_KEY_USAGE'
  | 'WEAK_KEY'
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

export interface ValidateChainInput extends TrustInput {
  leaf: Uint8Array | CertificateInfo;
  intermediates: Uint8Array[];
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
 * Signature checks one validation may spend on building its path. A login path is the signer,
 * one or two CAs and an anchor: three checks, a few more when cross-certificates offer a choice.
 * Without a bound, CA certificates of one name and one key in a CMS make a depth-first search
 * try every ordering of them (n^4 checks at depth 5: minutes of CPU for a 20 KB CMS).
 */
export const MAX_SIGNATURE_CHECKS = 16;
/** Certificates a CMS may add as candidate issuers; the rest it carries are not looked at. */
export const MAX_CMS_CANDIDATES = 4;

/** One path search: which signatures it has checked (each at most once) and how many. */
class PathSearch {
  checks = 0;
  /** By the signed certificate's SHA-256 and the issuer key's bits: the same key gives the same answer. */
  private readonly verified = new Map<string, boolean>();

  constructor(
    private readonly anchors: CertificateInfo[],
    private readonly at: number,
    readonly reasons: string[],
  ) {}

  private signedBy(cert: CertificateInfo, issuer: CertificateInfo): boolean {
    const key = `${cert.fingerprints.sha256}:${keyIdOf(issuer)}`;
    let ok = this.verified.get(key);
    if (ok === undefined) {
      if (this.checks >= MAX_SIGNATURE_CHECKS) {
        throw new ChainError('UNTRUSTED_CHAIN', `The e-legitimation is not issued by a trusted bank: no path was found within ${MAX_SIGNATURE_CHECKS} signature checks.`, cert.subject.dn);
      }
      this.checks++;
      ok = isSignedBy(cert, issuer);
      this.verified.set(key, ok);
    }
    return ok;
  }

  /** May `issuer` be next above `cert`: its name, RFC 5280 §4.2.1.1 key identifiers, CA rights, signature. */
  private issues(cert: CertificateInfo, issuer: CertificateInfo): boolean {
    if (!sameBytes(issuer.subject.der, cert.issuer.der)) return false;
    if (cert.authorityKeyIdentifier !== undefined && issuer.subjectKeyIdentifier !== undefined && cert.authorityKeyIdentifier !== issuer.subjectKeyIdentifier) {
      this.reasons.push(`"${nameOf(cert)}" names another key of "${nameOf(issuer)}" (authority key identifier)`);
      return false;
    }
    if (!canIssue(issuer)) {
      this.reasons.push(`"${nameOf(issuer)}" is not a CA`);
      return false;
    }
    if (!this.signedBy(cert, issuer)) {
      this.reasons.push(`the signature on "${nameOf(cert)}" does not verify with "${nameOf(issuer)}"`);
      return false;
    }
    return true;
  }

  /**
   * Depth-first search for a path from `cert` to an anchor, certificates valid at the time
   * tried first. Returns the path above `cert`, or undefined.
   */
  build(cert: CertificateInfo, pool: CertificateInfo[], depth: number): CertificateInfo[] | undefined {
    if (depth >= MAX_PATH) {
      this.reasons.push(`the path is longer than ${MAX_PATH} certificates`);
      return undefined;
    }
    for (const anchor of this.anchors) if (this.issues(cert, anchor)) return [anchor];
    const candidates = pool.filter((c) => c !== cert && sameBytes(c.subject.der, cert.issuer.der));
    candidates.sort((a, b) => Number(!this.validAt(a)) - Number(!this.validAt(b)));
    for (const candidate of candidates) {
      if (!this.issues(cert, candidate)) continue;
      const rest = this.build(
        candidate,
        pool.filter((c) => c !== candidate),
        depth + 1,
      );
      if (rest) return [candidate, ...rest];
    }
    return undefined;
  }

  private validAt(c: CertificateInfo): boolean {
    return this.at >= c.notBefore.getTime() && this.at <= c.notAfter.getTime();
  }
}

/** An issuer key's identity for PathSearch: SHA-256 of its subjectPublicKey bits, computed once a certificate. */
const keyIds = new WeakMap<CertificateInfo, string>();
function keyIdOf(c: CertificateInfo): string {
  let id = keyIds.get(c);
  if (id === undefined) keyIds.set(c, (id = sha256Hex(c.subjectPublicKey)));
  return id;
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

/**
 * Extensions that restrict a path and that this validation does not process: name constraints
 * (RFC 5280 §4.2.1.10) and the policy ones (§4.2.1.5, .11, .14). A certificate carrying any of
 * them, critical or not, is refused rather than its restriction ignored.
 */
const UNPROCESSED_RESTRICTIONS: Record<string, string> = {
  '2.5.29.30': 'name constraints',
  '2.5.29.33': 'policy mappings',
  '2.5.29.36': 'policy constraints',
  '2.5.29.54': 'inhibit anyPolicy',
};

/** Key types a login path may use: RSA from 2048 bits (the upper bound is certificate.ts's), EC on the NIST curves of RFC 5480. */
const STRONG_KEY = /^(?:rsa(\d+)|p256|p384|p521)$/;

function checkKeysAndSerials(chain: CertificateInfo[]): void {
  for (const c of chain) {
    const m = STRONG_KEY.exec(c.keyType);
    if (!m || (m[1] !== undefined && Number(m[1]) < 2048)) {
      throw new ChainError('WEAK_KEY', `"${nameOf(c)}" has a ${c.keyType} key; a login needs RSA of 2048 bits or more, or EC on P-256, P-384 or P-521.`, c.subject.dn);
    }
    // RFC 5280 §4.1.2.2: a positive INTEGER of at most 20 octets.
    const serial = c.serialNumber;
    const negative = parseInt(serial.slice(0, 2), 16) >= 0x80;
    if (negative || /^0*$/.test(serial) || serial.length > 40) {
      throw new ChainError('UNTRUSTED_CHAIN', `"${nameOf(c)}" has a serial number that is not a positive integer of at most 20 octets`, c.subject.dn);
    }
    const restriction = c.extensionOids.find((oid) => oid in UNPROCESSED_RESTRICTIONS);
    if (restriction) throw new ChainError('UNTRUSTED_CHAIN', `"${nameOf(c)}" carries ${UNPROCESSED_RESTRICTIONS[restriction]}, which are not supported`, c.subject.dn);
  }
}

function checkLeafUsage(leaf: CertificateInfo): void {
  // A CA's key signs certificates; one that also signs logins is not a login certificate.
  if (leaf.isCa || leaf.keyUsage.includes('keyCertSign')) {
    throw new ChainError('WRONG_KEY_USAGE', 'This is a certificate authority\'s certificate, not an e-legitimation for logging in.', leaf.subject.dn);
  }
  if (!leaf.hasKeyUsage || !leaf.keyUsage.includes('digitalSignature')) {
    throw new ChainError('WRONG_KEY_USAGE', 'This certificate is not meant for signing in (no digitalSignature key usage). Use the e-legitimation for identification.', leaf.subject.dn);
  }
  if (leaf.hasExtendedKeyUsage && !leaf.extendedKeyUsage.includes(EKU_CLIENT_AUTH)) {
    throw new ChainError('WRONG_KEY_USAGE', 'This certificate is not meant for logging in (no clientAuth extended key usage). Use the e-legitimation for identification.', leaf.subject.dn);
  }
}

/**
 * The certificates a CMS adds to the pool: CAs only, none already there, at most
 * MAX_CMS_CANDIDATES of them in the order sent. A login CMS carries its signer's CA or two; an
 * attacker's extra CAs are simply not looked at.
 */
function cmsCandidates(leaf: CertificateInfo, extra: CertificateInfo[], pool: CertificateInfo[]): CertificateInfo[] {
  const out: CertificateInfo[] = [];
  const known = new Set([leaf, ...pool].map((c) => c.fingerprints.sha256));
  for (const c of extra) {
    if (out.length >= MAX_CMS_CANDIDATES) break;
    if (!canIssue(c) || known.has(c.fingerprints.sha256)) continue;
    known.add(c.fingerprints.sha256);
    out.push(c);
  }
  return out;
}

/** Parsed CRLs by SHA-256 of their DER: preparing a TrustStore again for the same lists is cheap. */
const crlCache = new Map<string, CrlFacts>();

function parseCrls(ders: Uint8Array[]): CrlFacts[] {
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

function parseCrl(der: Uint8Array): CrlFacts {
  try {
    checkDer(der, { maxBytes: 16 * 1024 * 1024 });
    return readCrlFacts(pkijs.CertificateRevocationList.fromBER(new Uint8Array(der)));
  } catch (e) {
    throw new ChainError('CRL_INVALID', `a revocation list could not be read: ${(e as Error).message}`);
  }
}

/**
 * Every CRL of a CA in the chain must be signed by it and current: a damaged or stale list is
 * an error rather than ignored, so that it cannot silently hide a revocation. Which lists count
 * for a certificate (scope, deltas, holds) is crlScope.ts's answer; when its issuer has lists
 * but none covers it, whether it is revoked cannot be told, and the chain is refused.
 */
function checkRevocation(chain: CertificateInfo[], crls: CrlFacts[], at: Date, signedBy: (crl: CrlFacts, issuer: CertificateInfo) => boolean): Interval {
  const used: Interval = { from: -Infinity, until: Infinity };
  const t = at.getTime();
  for (let i = 0; i + 1 < chain.length; i++) {
    const cert = chain[i]!;
    const issuer = chain[i + 1]!;
    for (const facts of crls) {
      if (!sameBytes(facts.issuerDer, issuer.subject.der)) continue;
      if ((issuer.hasKeyUsage && !issuer.keyUsage.includes('cRLSign')) || !signedBy(facts, issuer)) {
        throw new ChainError('CRL_INVALID', `the revocation list of "${nameOf(issuer)}" is not signed by it`, issuer.subject.dn);
      }
      const { thisUpdate, nextUpdate } = facts;
      if (t < thisUpdate || (nextUpdate !== undefined && t > nextUpdate)) {
        throw new ChainError('CRL_STALE', `the revocation list of "${nameOf(issuer)}" is not current (this update ${new Date(thisUpdate).toISOString()})`, issuer.subject.dn);
      }
      // Every list checked here bounds the interval a success may be reused in, used or not.
      used.from = Math.max(used.from, thisUpdate);
      if (nextUpdate !== undefined) used.until = Math.min(used.until, nextUpdate);
    }
    let status: RevocationStatus;
    try {
      status = revocationStatus(cert, crls);
    } catch (e) {
      throw new ChainError('CRL_INVALID', (e as Error).message, cert.subject.dn);
    }
    if (status.status === 'unknown') {
      throw new ChainError('REVOCATION_UNKNOWN', `Whether "${nameOf(cert)}" is revoked cannot be told: ${status.why}.`, cert.subject.dn);
    }
    if (status.status === 'revoked') {
      const role = i === 0 ? 'Your e-legitimation has been revoked.' : `The issuing certificate "${nameOf(cert)}" has been revoked.`;
      throw new ChainError('CERT_REVOKED', `${role} ${RENEW}`, cert.subject.dn);
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

/** What a trust configuration is made of: DER certificates, CRLs and OCSP responses. */
export interface TrustInput {
  trustAnchors: Uint8Array[];
  intermediates?: Uint8Array[];
  crls?: Uint8Array[];
  /** OCSP responses (RFC 6960) the service has; used next to the CRLs. */
  ocspResponses?: Uint8Array[];
}

const CHAIN_CACHE_SIZE = 1024;

/**
 * A trust configuration read once: anchors, intermediates and CRLs parsed, revoked serials
 * indexed, CRL signatures checked once per issuer. A service makes one at start (and a new one
 * when its CRLs change) instead of handing the same bytes to every login.
 *
 * It also remembers successful validations by the leaf's SHA-256, with the interval in which
 * the result holds: every certificate of the chain within its validity and every CRL or OCSP
 * answer used within its thisUpdate..nextUpdate. Nothing else in the validation depends on the
 * time (path building, constraints and key usage look at the bytes only, revocation at the
 * serial numbers). Expiry warnings are recomputed on every call. Failures are not remembered:
 * they are rare, and each would need its own reasoning about when it stops holding.
 */
export class TrustStore {
  private readonly chains = new Map<string, { chain: CertificateInfo[]; valid: Interval }>();
  /** CRL signature results by CRL and issuer fingerprint. */
  private readonly crlSignatures = new WeakMap<CrlFacts, Map<string, boolean>>();

  private constructor(
    private readonly anchors: CertificateInfo[],
    private readonly pool: CertificateInfo[],
    private readonly crls: CrlFacts[],
    private readonly ocspResponses: Uint8Array[],
  ) {}

  /** Reads `input`; a ChainError (UNTRUSTED_CHAIN, CRL_INVALID) says what of it cannot be used. */
  static from(input: TrustInput): TrustStore {
    const lists = [input.trustAnchors, input.intermediates ?? [], input.crls ?? [], input.ocspResponses ?? []];
    if (!lists.every((list) => Array.isArray(list) && list.every((d) => d instanceof Uint8Array))) {
      throw new ChainError('UNTRUSTED_CHAIN', 'the trust configuration is not lists of DER bytes');
    }
    return new TrustStore(
      parseAll(input.trustAnchors, 'trust anchor'),
      parseAll(input.intermediates ?? [], 'intermediate'),
      parseCrls(input.crls ?? []),
      (input.ocspResponses ?? []).map((d) => new Uint8Array(d)),
    );
  }

  /**
   * Validates `leaf` at `at`; a ChainError says why not. `extra` are more candidate
   * intermediates (those a CMS carries), never anchors.
   */
  validate(leaf: CertificateInfo | Uint8Array, at: Date, extra: CertificateInfo[] = []): ValidatedChain {
    const cert = leaf instanceof Uint8Array ? parseAll([leaf], 'signer')[0]! : leaf;
    const t = at instanceof Date ? at.getTime() : NaN;
    if (Number.isNaN(t)) throw new TypeError('validate: `at` is not a valid Date');
    // Only a CertificateInfo parseCertificate made is known to match the fingerprint it names.
    const key = !isParsedCertificate(cert) || !extra.every(isParsedCertificate) ? undefined : extra.length === 0 ? cert.fingerprints.sha256 : [cert, ...extra].map((c) => c.fingerprints.sha256).join(',');
    const hit = key === undefined ? undefined : this.chains.get(key);
    if (hit && t >= hit.valid.from && t <= hit.valid.until) return { chain: [...hit.chain], warnings: expiryWarnings(cert, at) };

    const { chain, valid } = this.validateUncached(cert, at, extra);
    if (key !== undefined && t >= valid.from && t <= valid.until) {
      this.chains.delete(key);
      if (this.chains.size >= CHAIN_CACHE_SIZE) this.chains.delete(this.chains.keys().next().value!);
      this.chains.set(key, { chain: [...chain], valid });
    }
    return { chain, warnings: expiryWarnings(cert, at) };
  }

  private validateUncached(leaf: CertificateInfo, at: Date, extra: CertificateInfo[]): { chain: CertificateInfo[]; valid: Interval } {
    const reasons: string[] = [];
    const pool = extra.length === 0 ? this.pool : [...this.pool, ...cmsCandidates(leaf, extra, this.pool)];
    const above = new PathSearch(this.anchors, at.getTime(), reasons).build(leaf, pool, 1);
    if (!above) {
      const why = reasons.length > 0 ? reasons[0] : `no issuer "${leaf.issuer.dn}" among the known certificates`;
      throw new ChainError('UNTRUSTED_CHAIN', `The e-legitimation is not issued by a trusted bank: ${why}.`, leaf.subject.dn);
    }
    const chain = [leaf, ...above];
    checkValidity(chain, at);
    checkConstraints(chain);
    checkKeysAndSerials(chain);
    checkLeafUsage(leaf);
    const valid = checkRevocation(chain, this.crls, at, (crl, issuer) => this.crlSignedBy(crl, issuer));
    checkOcsp(chain, this.ocspResponses, at, valid);
    for (const c of chain) {
      valid.from = Math.max(valid.from, c.notBefore.getTime());
      valid.until = Math.min(valid.until, c.notAfter.getTime());
    }
    return { chain, valid };
  }

  private crlSignedBy(parsed: CrlFacts, issuer: CertificateInfo): boolean {
    let byIssuer = this.crlSignatures.get(parsed);
    if (!byIssuer) this.crlSignatures.set(parsed, (byIssuer = new Map()));
    let ok = isParsedCertificate(issuer) ? byIssuer.get(issuer.fingerprints.sha256) : undefined;
    if (ok === undefined) {
      const { crl } = parsed;
      ok = isSignedBy({ tbs: crl.tbsView, signatureAlgorithm: crl.signatureAlgorithm.algorithmId, signatureValue: crl.signatureValue.valueBlock.valueHexView }, issuer);
      if (isParsedCertificate(issuer)) byIssuer.set(issuer.fingerprints.sha256, ok);
    }
    return ok;
  }
}

/** Validates `input.leaf` at `input.at` against a TrustStore made for this call; a ChainError says why not. */
export async function validateChain(input: ValidateChainInput): Promise<ValidatedChain> {
  return TrustStore.from(input).validate(input.leaf, input.at);
}
