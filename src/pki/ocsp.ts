/**
 * OCSP responses (RFC 6960) as a revocation source next to CRLs: the status one response
 * gives for one certificate, after checking that the issuer (or a responder it delegated to,
 * with id-kp-OCSPSigning) signed it and that it is fresh at the given time.
 */
import { createHash, verify as verifySignature, type KeyObject, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { EkortError } from '../errors.ts';
import type { CertificateInfo } from './certificate.ts';
import { checkDer } from './derGuard.ts';
import { toHex } from '../iso7816/index.ts';

export class OcspError extends EkortError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('OCSP_INVALID', message, options);
  }
}

export type OcspCertStatus = 'good' | 'revoked' | 'unknown';

export interface OcspStatus {
  status: OcspCertStatus;
  thisUpdate: Date;
  nextUpdate?: Date;
}

/** RFC 6960 §4.2.1 id-pkix-ocsp-basic. */
const OID_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
/** RFC 5280 §4.2.1.12 id-kp-OCSPSigning. */
const OID_KP_OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';
/** Signature algorithms (RFC 4055, RFC 5758) and the hash each uses. */
const SIGNATURE_HASH: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};
/** CertID hash algorithms (RFC 6960 §4.1.1 allows any; SHA-1 is what most responders use). */
const CERT_ID_HASH: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
/** A responder's clock may run a little ahead of ours. */
const SKEW_MS = 5 * 60_000;


function parseBasic(der: Uint8Array): pkijs.BasicOCSPResponse {
  try {
    checkDer(der);
    const response = pkijs.OCSPResponse.fromBER(Uint8Array.from(der));
    const status = response.responseStatus.valueBlock.valueDec;
    if (status !== 0) throw new OcspError(`the OCSP responder answered with status ${status}, not "successful"`);
    if (!response.responseBytes || response.responseBytes.responseType !== OID_OCSP_BASIC) throw new OcspError('not a basic OCSP response');
    return pkijs.BasicOCSPResponse.fromBER(Uint8Array.from(response.responseBytes.response.valueBlock.valueHexView));
  } catch (error) {
    if (error instanceof OcspError) throw error;
    throw new OcspError('the OCSP response is not valid DER', { cause: error });
  }
}

function signedBy(basic: pkijs.BasicOCSPResponse, key: KeyObject): boolean {
  const hash = SIGNATURE_HASH[basic.signatureAlgorithm.algorithmId];
  if (!hash) return false;
  const dsaEncoding = key.asymmetricKeyType === 'ec' ? 'der' : undefined;
  try {
    return verifySignature(hash, basic.tbsResponseData.tbsView, dsaEncoding ? { key, dsaEncoding } : key, basic.signature.valueBlock.valueHexView);
  } catch {
    return false;
  }
}

/** The issuer itself, or a certificate in the response that the issuer made an OCSP responder. */
function checkResponder(basic: pkijs.BasicOCSPResponse, issuer: CertificateInfo, at: Date): void {
  if (signedBy(basic, issuer.publicKey)) return;
  for (const cert of basic.certs ?? []) {
    const x509 = new X509Certificate(Buffer.from(cert.toSchema().toBER()));
    const delegated =
      x509.checkIssued(new X509Certificate(Buffer.from(issuer.der))) &&
      x509.verify(issuer.publicKey) &&
      new Date(x509.validFrom) <= at &&
      at <= new Date(x509.validTo) &&
      (x509.keyUsage ?? []).includes(OID_KP_OCSP_SIGNING);
    if (delegated && signedBy(basic, x509.publicKey)) return;
  }
  throw new OcspError(`the OCSP response is not signed by ${issuer.subject.dn} or a responder it authorised`);
}

function matches(certId: pkijs.CertID, cert: CertificateInfo, issuer: CertificateInfo): boolean {
  const hash = CERT_ID_HASH[certId.hashAlgorithm.algorithmId];
  if (!hash) return false;
  if (toHex(certId.serialNumber.valueBlock.valueHexView).replace(/^(00)+(?=.)/, '') !== cert.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, '')) return false;
  const issuerName = createHash(hash).update(issuer.subject.der).digest('hex');
  const spki = issuer.subjectPublicKey;
  const issuerKey = createHash(hash).update(spki).digest('hex');
  return toHex(certId.issuerNameHash.valueBlock.valueHexView) === issuerName && toHex(certId.issuerKeyHash.valueBlock.valueHexView) === issuerKey;
}

/**
 * What `response` says about `cert` at time `at`: undefined when it says nothing about this
 * certificate or is not fresh then (the caller falls back to CRLs); an OcspError when it is
 * malformed or not signed by the issuer or its delegated responder.
 */
export function ocspStatus(response: Uint8Array, cert: CertificateInfo, issuer: CertificateInfo, at: Date): OcspStatus | undefined {
  const basic = parseBasic(response);
  const single = basic.tbsResponseData.responses.find((r) => matches(r.certID, cert, issuer));
  if (!single) return undefined;
  checkResponder(basic, issuer, at);
  if (single.thisUpdate.getTime() > at.getTime() + SKEW_MS) return undefined;
  if (single.nextUpdate && single.nextUpdate.getTime() < at.getTime()) return undefined;
  const tag = (single.certStatus as asn1js.BaseBlock).idBlock.tagNumber;
  const status: OcspCertStatus = tag === 0 ? 'good' : tag === 1 ? 'revoked' : 'unknown';
  return { status, thisUpdate: single.thisUpdate, ...(single.nextUpdate ? { nextUpdate: single.nextUpdate } : {}) };
}
