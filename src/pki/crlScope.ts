/**
 * What a CRL covers and says (RFC 5280 §5.2, §5.3, §6.3.3): its number, whether it is a delta,
 * its issuing distribution point, and its entries with their reason codes. The chain validator
 * reads the facts once per CRL and asks revocationStatus per certificate; checking the CRL's
 * signature and currency stays with the caller. Indirect CRLs are not supported.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { EkortError } from '../errors.ts';
import { type CertificateInfo, pkijsCertificate } from './certificate.ts';
import { sameBytes } from './derDigest.ts';
import { toHex } from '../iso7816/index.ts';

/** What a CRL says, read once when the trust configuration is prepared (so lookups per login are cheap). */
export interface CrlFacts {
  /** The CRL issuer Name DER. */
  issuerDer: Uint8Array;
  /** Epoch ms. */
  thisUpdate: number;
  /** Epoch ms. */
  nextUpdate?: number;
  /** cRLNumber (2.5.29.20). */
  crlNumber?: bigint;
  /** Set for a delta CRL (2.5.29.27 deltaCRLIndicator): the BaseCRLNumber. */
  baseCrlNumber?: bigint;
  /** Issuing distribution point (2.5.29.28), when present. */
  scope?: CrlScope;
  /** Revoked serials (lowercase hex of the INTEGER content octets, as CertificateInfo.serialNumber) → CRLReason (§5.3.1), undefined when absent. */
  revoked: Map<string, number | undefined>;
  crl: pkijs.CertificateRevocationList;
}

export interface CrlScope {
  onlyUserCerts: boolean;
  onlyCaCerts: boolean;
  onlyAttributeCerts: boolean;
  onlySomeReasons: boolean;
  indirect: boolean;
  /** Each fullName GeneralName as lowercase hex of its DER. */
  distributionPoints: string[];
}

export type RevocationStatus =
  | { status: 'good'; used: CrlFacts[] }
  | { status: 'revoked'; reason?: number; used: CrlFacts[] }
  | { status: 'unknown'; why: string };

export class CrlScopeError extends EkortError {
  constructor(message: string) {
    super('CRL_INVALID', message);
  }
}

/** RFC 5280 §5.3.1 CRLReason values with a meaning here. */
export const REASON_CERTIFICATE_HOLD = 6;
export const REASON_REMOVE_FROM_CRL = 8;

const OID_CRL_NUMBER = '2.5.29.20'; // §5.2.3
const OID_DELTA_CRL_INDICATOR = '2.5.29.27'; // §5.2.4
const OID_ISSUING_DISTRIBUTION_POINT = '2.5.29.28'; // §5.2.5
const OID_REASON_CODE = '2.5.29.21'; // §5.3.1
const OID_INVALIDITY_DATE = '2.5.29.24'; // §5.3.2
const OID_CERTIFICATE_ISSUER = '2.5.29.29'; // §5.3.3
const OID_CRL_DISTRIBUTION_POINTS = '2.5.29.31'; // §4.2.1.13


/** A CRL number or BaseCRLNumber: INTEGER (0..MAX), at most 20 octets (§5.2.3). */
function crlNumberOf(ext: pkijs.Extension, what: string): bigint {
  const value: unknown = ext.parsedValue;
  if (!(value instanceof asn1js.Integer) || value instanceof asn1js.Enumerated || value.valueBeforeDecodeView.byteLength !== ext.extnValue.valueBlock.valueHexView.byteLength) {
    throw new CrlScopeError(`the ${what} of a revocation list is not an INTEGER`);
  }
  const bytes = value.valueBlock.valueHexView;
  if (bytes.length === 0 || bytes.length > 20 || (bytes[0]! & 0x80) !== 0) throw new CrlScopeError(`the ${what} of a revocation list is out of range`);
  return BigInt(`0x${toHex(bytes)}`);
}

function generalNameHex(name: pkijs.GeneralName): string {
  const der = name.toSchema();
  if (der instanceof asn1js.Choice) throw new CrlScopeError(`a distribution point has a GeneralName of unknown type ${name.type}`);
  return toHex(new Uint8Array(der.toBER(false)));
}

/** The fullName GeneralNames of a DistributionPointName; undefined for nameRelativeToCRLIssuer, which is not supported. */
function fullNames(name: pkijs.DistributionPointName): string[] | undefined {
  return Array.isArray(name) ? name.map(generalNameHex) : undefined;
}

function readScope(ext: pkijs.Extension): CrlScope {
  const idp: unknown = ext.parsedValue;
  if (!(idp instanceof pkijs.IssuingDistributionPoint) || 'parsingError' in idp) throw new CrlScopeError('the issuing distribution point of a revocation list is malformed');
  const distributionPoints = idp.distributionPoint === undefined ? [] : fullNames(idp.distributionPoint);
  if (!distributionPoints) throw new CrlScopeError('the issuing distribution point of a revocation list is named relative to its issuer, which is not supported');
  const scope: CrlScope = {
    onlyUserCerts: idp.onlyContainsUserCerts,
    onlyCaCerts: idp.onlyContainsCACerts,
    onlyAttributeCerts: idp.onlyContainsAttributeCerts,
    // pkijs reads the ReasonFlags BIT STRING wrongly (its unused-bits octet), so only its presence is used.
    onlySomeReasons: idp.onlySomeReasons !== undefined,
    indirect: idp.indirectCRL,
    distributionPoints,
  };
  // §5.2.5: at most one of the "only" booleans, and not an empty SEQUENCE.
  if (Number(scope.onlyUserCerts) + Number(scope.onlyCaCerts) + Number(scope.onlyAttributeCerts) > 1) {
    throw new CrlScopeError('the issuing distribution point of a revocation list limits it to more than one kind of certificate');
  }
  if (idp.distributionPoint === undefined && !scope.onlyUserCerts && !scope.onlyCaCerts && !scope.onlyAttributeCerts && !scope.onlySomeReasons && !scope.indirect) {
    throw new CrlScopeError('the issuing distribution point of a revocation list is empty');
  }
  return scope;
}

/** The entry's CRLReason, refusing what this module cannot process (§5.3). */
function readEntry(entry: pkijs.RevokedCertificate, serial: string): number | undefined {
  let reason: number | undefined;
  const seen = new Set<string>();
  for (const ext of entry.crlEntryExtensions?.extensions ?? []) {
    if (seen.has(ext.extnID)) throw new CrlScopeError(`revocation list entry ${serial} has extension ${ext.extnID} twice`);
    seen.add(ext.extnID);
    if (ext.extnID === OID_CERTIFICATE_ISSUER) throw new CrlScopeError(`revocation list entry ${serial} names another certificate issuer; indirect revocation lists are not supported`);
    if (ext.extnID === OID_REASON_CODE) {
      const value: unknown = ext.parsedValue;
      const code = value instanceof asn1js.Enumerated ? value.valueBlock.valueDec : NaN;
      if (!Number.isInteger(code) || code < 0 || code > 10 || code === 7) throw new CrlScopeError(`revocation list entry ${serial} has a malformed reason code`);
      reason = code;
    } else if (ext.critical && ext.extnID !== OID_INVALIDITY_DATE) {
      throw new CrlScopeError(`revocation list entry ${serial} has a critical extension ${ext.extnID} that is not supported`);
    }
  }
  return reason;
}

/** Whether a repeated serial's entry `b` should replace the one kept, `a`: a lasting revocation outranks a hold. */
const stronger = (a: number | undefined, b: number | undefined): boolean =>
  (a === REASON_CERTIFICATE_HOLD || a === REASON_REMOVE_FROM_CRL) && b !== REASON_CERTIFICATE_HOLD && b !== REASON_REMOVE_FROM_CRL;

/** Reads the facts of a parsed CRL; a CrlScopeError says what cannot be processed. */
export function readCrlFacts(crl: pkijs.CertificateRevocationList): CrlFacts {
  const issuerDer = new Uint8Array(crl.issuer.valueBeforeDecode.byteLength > 0 ? crl.issuer.valueBeforeDecode.slice(0) : crl.issuer.toSchema().toBER(false));
  const facts: CrlFacts = { issuerDer, thisUpdate: crl.thisUpdate.value.getTime(), revoked: new Map(), crl };
  if (crl.nextUpdate) facts.nextUpdate = crl.nextUpdate.value.getTime();

  const seen = new Set<string>();
  for (const ext of crl.crlExtensions?.extensions ?? []) {
    if (seen.has(ext.extnID)) throw new CrlScopeError(`a revocation list has extension ${ext.extnID} twice`);
    seen.add(ext.extnID);
    switch (ext.extnID) {
      case OID_CRL_NUMBER:
        facts.crlNumber = crlNumberOf(ext, 'CRL number');
        break;
      case OID_DELTA_CRL_INDICATOR:
        facts.baseCrlNumber = crlNumberOf(ext, 'base CRL number');
        break;
      case OID_ISSUING_DISTRIBUTION_POINT:
        facts.scope = readScope(ext);
        break;
      default:
        if (ext.critical) throw new CrlScopeError(`a revocation list has a critical extension ${ext.extnID} that is not supported`);
    }
  }
  // §5.2.4: a delta CRL carries its own CRL number, newer than its base.
  if (facts.baseCrlNumber !== undefined && (facts.crlNumber === undefined || facts.crlNumber <= facts.baseCrlNumber)) {
    throw new CrlScopeError('a delta revocation list has no CRL number above its base');
  }

  for (const entry of crl.revokedCertificates ?? []) {
    const serial = toHex(entry.userCertificate.valueBlock.valueHexView);
    const reason = readEntry(entry, serial);
    if (!facts.revoked.has(serial) || stronger(facts.revoked.get(serial), reason)) facts.revoked.set(serial, reason);
  }
  // §5.2.3: conforming CRL issuers MUST include a (non-critical) CRL number in every CRL.
  if (facts.crlNumber === undefined) throw new CrlScopeError('a revocation list has no CRL number');
  if (crl.crlExtensions?.extensions.some((e) => e.extnID === OID_CRL_NUMBER && e.critical)) throw new CrlScopeError('a revocation list has its CRL number marked critical');
  return facts;
}

/**
 * The cert's CRL distribution point fullName GeneralNames (2.5.29.31), lowercase hex DER each; []
 * when absent. Names relative to the CRL issuer are left out, so they never match an IDP (fails closed).
 */
export function crlDistributionPoints(cert: pkijs.Certificate): string[] {
  const ext = cert.extensions?.find((e) => e.extnID === OID_CRL_DISTRIBUTION_POINTS);
  if (!ext) return [];
  const cdp: unknown = ext.parsedValue;
  if (!(cdp instanceof pkijs.CRLDistributionPoints) || 'parsingError' in cdp) throw new CrlScopeError('the CRL distribution points of a certificate are malformed');
  return cdp.distributionPoints.flatMap((dp) => (dp.distributionPoint === undefined ? [] : (fullNames(dp.distributionPoint) ?? [])));
}

/** The scope check of §6.3.3 (b)(2), delta or not. */
function scopeCovers(facts: CrlFacts, cert: CertificateInfo): 'complete' | 'partial' | 'none' {
  const scope = facts.scope;
  if (!scope) return 'complete';
  if (scope.indirect || scope.onlyAttributeCerts) return 'none';
  if (scope.onlyUserCerts && cert.isCa) return 'none';
  if (scope.onlyCaCerts && !cert.isCa) return 'none';
  if (scope.distributionPoints.length > 0 && pkijsCertificate(cert).extensions?.some((e) => e.extnID === OID_CRL_DISTRIBUTION_POINTS)) {
    const points = new Set(crlDistributionPoints(pkijsCertificate(cert)));
    if (!scope.distributionPoints.some((n) => points.has(n))) return 'none';
  }
  return scope.onlySomeReasons ? 'partial' : 'complete';
}

/**
 * Whether this CRL covers `cert` per its issuing distribution point (§6.3.3 (b)(2)): 'complete'
 * when it is a complete CRL for every reason, 'partial' when it covers only some reasons or is a
 * delta CRL (never enough on its own), 'none' when the certificate is outside its scope.
 */
export function crlCoverage(facts: CrlFacts, cert: CertificateInfo): 'complete' | 'partial' | 'none' {
  const covers = scopeCovers(facts, cert);
  return covers === 'complete' && facts.baseCrlNumber !== undefined ? 'partial' : covers;
}

/** Newer first: by CRL number when both have one, else by thisUpdate. */
function newer(a: CrlFacts, b: CrlFacts): number {
  if (a.crlNumber !== undefined && b.crlNumber !== undefined && a.crlNumber !== b.crlNumber) return a.crlNumber > b.crlNumber ? -1 : 1;
  return b.thisUpdate - a.thisUpdate;
}

/**
 * The revocation status of `cert` from CRLs already checked (signature, currency) by the caller.
 * The newest complete covering CRL is the base; the newest delta CRL (§5.2.4) built on it or on an
 * older base and numbered above it brings it up to date. A certificateHold counts as revoked
 * unless that delta removes it. Entries in other covering CRLs revoke too, except holds (a later
 * CRL may have released them). 'good' and 'revoked' list the CRLs the answer rests on; with no
 * CRL from the cert's issuer at all the answer is 'good' with `used` empty, and the caller
 * decides whether that is enough. 'unknown' (fail closed) when the issuer's CRLs exist but none
 * is complete for this certificate.
 */
export function revocationStatus(cert: CertificateInfo, crls: CrlFacts[]): RevocationStatus {
  const mine = crls.filter((f) => sameBytes(f.issuerDer, cert.issuer.der));
  if (mine.length === 0) return { status: 'good', used: [] };
  const covering = mine.filter((f) => scopeCovers(f, cert) !== 'none');
  const bases = covering.filter((f) => crlCoverage(f, cert) === 'complete').sort(newer);
  const base = bases[0];
  if (!base) return { status: 'unknown', why: `none of the ${mine.length} revocation lists of "${cert.issuer.dn}" is a complete list covering this certificate` };

  const baseNumber = base.crlNumber;
  const delta =
    baseNumber === undefined
      ? undefined
      : covering.filter((f) => f.baseCrlNumber !== undefined && f.baseCrlNumber <= baseNumber && f.crlNumber! > baseNumber).sort(newer)[0];
  const used = delta ? [base, delta] : [base];

  const serial = cert.serialNumber;
  for (const other of covering) {
    if (other === base || other.baseCrlNumber !== undefined || !other.revoked.has(serial)) continue;
    const reason = other.revoked.get(serial);
    if (reason !== REASON_CERTIFICATE_HOLD && reason !== REASON_REMOVE_FROM_CRL) return { status: 'revoked', reason, used: [...used, other] };
  }

  const inBase = base.revoked.has(serial);
  const baseReason = base.revoked.get(serial);
  if (delta?.revoked.has(serial)) {
    const deltaReason = delta.revoked.get(serial);
    if (deltaReason !== REASON_REMOVE_FROM_CRL) return revoked(deltaReason, used);
    // removeFromCRL releases a hold; a lasting revocation in the base stays.
    if (inBase && baseReason !== REASON_CERTIFICATE_HOLD && baseReason !== REASON_REMOVE_FROM_CRL) return revoked(baseReason, used);
    return { status: 'good', used };
  }
  if (inBase && baseReason !== REASON_REMOVE_FROM_CRL) return revoked(baseReason, used);
  return { status: 'good', used };
}

function revoked(reason: number | undefined, used: CrlFacts[]): RevocationStatus {
  return reason === undefined ? { status: 'revoked', used } : { status: 'revoked', reason, used };
}
