/**
 * Verifies a login signature: a detached CMS SignedData (RFC 5652) over the bank's challenge,
 * made by the card. Checks run in a fixed order — structure, challenge, signature, signing time,
 * certificate chain — so the first failing one names the error. The signature is checked with
 * the signer certificate's key only; nothing else in the CMS is trusted.
 */
import { CodedError, EkortError } from '../errors.ts';
import { type CertificateInfo, DIGEST_ALGORITHMS, parseCertificate, verifySignature } from './certificate.ts';
import { type ChainErrorCode, type ExpiryWarning, type TrustInput, TrustStore } from './chainValidation.ts';
import { type CmsSignedData, type CmsSignerInfo, DER_TAG, type DerValue, derTime, readSignedData } from './cmsDer.ts';
import { digest, sameBytes, view } from './derDigest.ts';
import { checkDer } from './derGuard.ts';

export type LoginSignatureErrorCode = 'CMS_MALFORMED' | 'WRONG_CHALLENGE' | 'BAD_SIGNATURE' | 'SIGNING_TIME_OUT_OF_WINDOW' | ChainErrorCode;

export class LoginSignatureError extends CodedError<LoginSignatureErrorCode> {}

interface LoginSignatureCheck {
  /** DER ContentInfo with a detached SignedData. */
  cms: Uint8Array;
  challenge: Uint8Array;
  now?: Date;
  /** How far in the future signingTime may be (clock skew). Default 300. */
  maxSkewSeconds?: number;
  /** How old signingTime may be. Default 120. */
  maxAgeSeconds?: number;
}

/**
 * The trust either prepared once (a service: TrustStore.from at start) or as DER lists, read
 * for this one call (the CLI).
 */
export type VerifyLoginSignatureInput = LoginSignatureCheck & ({ trust: TrustStore } | TrustInput);

export interface VerifiedLogin {
  signer: CertificateInfo;
  signingTime: Date;
  chain: CertificateInfo[];
  warnings: ExpiryWarning[];
}

const MAX_CMS_BYTES = 64 * 1024;
/** Certificates of a CMS that are read: a login CMS carries its signer's and a CA or two. */
const MAX_CMS_CERTIFICATES = 8;
/** DER nesting a login CMS needs is about 12 deep (ContentInfo → … → an extension's value). */
const MAX_CMS_DEPTH = 24;
// RFC 5652 §3, §5.3, §11
const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_DATA = '1.2.840.113549.1.7.1';
/** id-data's OID content octets, to compare the contentType attribute without decoding it. */
const OID_DATA_CONTENT = Buffer.from('2a864886f70d010701', 'hex');
/** The signed attributes a login signature must have (RFC 5652 §11.1-11.3), by OID. */
const ATTRIBUTE_NAMES: Record<string, 'contentType' | 'messageDigest' | 'signingTime'> = {
  '1.2.840.113549.1.9.3': 'contentType',
  '1.2.840.113549.1.9.4': 'messageDigest',
  '1.2.840.113549.1.9.5': 'signingTime',
};
// RFC 3279 §2.2.1 / RFC 8017 rsaEncryption, as OpenSSL writes it in SignerInfo.signatureAlgorithm
const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
/** SignerInfo.signatureAlgorithm → key type and, for the hash-specific ones, its digest (RFC 4056, RFC 5753). */
const CMS_SIGNATURE_ALGORITHMS: Record<string, { key: 'rsa' | 'ec'; hash?: string }> = {
  [OID_RSA_ENCRYPTION]: { key: 'rsa' },
  '1.2.840.113549.1.1.11': { key: 'rsa', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { key: 'rsa', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { key: 'rsa', hash: 'sha512' },
  [OID_EC_PUBLIC_KEY]: { key: 'ec' },
  '1.2.840.10045.4.3.2': { key: 'ec', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { key: 'ec', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { key: 'ec', hash: 'sha512' },
};

const malformed = (message: string, cause?: unknown): LoginSignatureError =>
  new LoginSignatureError('CMS_MALFORMED', `The login signature is malformed: ${message}.`, cause === undefined ? undefined : { cause });

interface ParsedCms {
  signerInfo: CmsSignerInfo;
  /** The DER of each certificate in SignedData.certificates, as sent. */
  certificates: Uint8Array[];
}

/** ContentInfo → SignedData with the strict reader in cmsDer.ts (not pkijs: see there why). */
function parseCms(cms: Uint8Array): ParsedCms {
  if (!(cms instanceof Uint8Array)) throw malformed('not bytes');
  if (cms.length > MAX_CMS_BYTES) throw malformed(`${cms.length} bytes is over the ${MAX_CMS_BYTES}-byte limit`);
  let signedData: CmsSignedData;
  try {
    // The strict reader walks only what it reads; nesting anywhere else (unknown attribute
    // values, unsigned attributes) is bounded here, before anything else looks at it.
    checkDer(cms, { maxBytes: MAX_CMS_BYTES, maxDepth: MAX_CMS_DEPTH });
    signedData = readSignedData(cms, OID_SIGNED_DATA);
  } catch (e) {
    throw malformed((e as Error).message, e);
  }
  if (signedData.contentType !== OID_SIGNED_DATA) throw malformed(`content type ${signedData.contentType} is not SignedData`);
  if (signedData.eContentType !== OID_DATA) throw malformed('the signed content type is not id-data');
  if (signedData.hasEContent) throw malformed('the content is embedded; a login signature must be detached');
  if (signedData.signerInfos.length !== 1) throw malformed(`${signedData.signerInfos.length} signers; expected exactly one`);
  const signerInfo = signedData.signerInfos[0]!;
  if (!signerInfo.signedAttrsDer) throw malformed('no signed attributes');
  return { signerInfo, certificates: signedData.certificates };
}

/** The signer's certificate among those the CMS carries, and the others (candidate intermediates). */
function findSigner(parsed: ParsedCms): { signer: CertificateInfo; others: CertificateInfo[] } {
  const { issuerAndSerial, subjectKeyIdentifier } = parsed.signerInfo;
  const serial = issuerAndSerial && view(issuerAndSerial.serial).toString('hex');
  const ski = subjectKeyIdentifier && view(subjectKeyIdentifier).toString('hex');
  let signer: CertificateInfo | undefined;
  const others: CertificateInfo[] = [];
  // Reading a certificate imports its key (tens of microseconds): a CMS stuffed with thousands
  // of them must not cost more than a few.
  for (const der of parsed.certificates.slice(0, MAX_CMS_CERTIFICATES)) {
    let cert: CertificateInfo;
    try {
      cert = parseCertificate(der);
    } catch (e) {
      throw malformed(`a certificate in it cannot be read (${(e as Error).message})`, e);
    }
    const named = issuerAndSerial ? serial === cert.serialNumber && sameBytes(issuerAndSerial.issuer, cert.issuer.der) : ski !== undefined && cert.subjectKeyIdentifier === ski;
    if (named && signer === undefined) signer = cert;
    else others.push(cert);
  }
  if (!signer) throw malformed(`the signer certificate is not among the first ${MAX_CMS_CERTIFICATES} certificates it carries`);
  return { signer, others };
}

interface SignedLogin {
  parsed: ParsedCms;
  signer: CertificateInfo;
  /** The other certificates in the CMS. */
  others: CertificateInfo[];
  hash: string;
  messageDigest: Uint8Array;
  signingTime: Date;
}

/** The three signed attributes a login signature has, each exactly once with one value. */
function loginAttributes(signerInfo: CmsSignerInfo): { contentType: DerValue; messageDigest: DerValue; signingTime: DerValue } {
  const found: Record<string, DerValue | undefined> = {};
  for (const { type, values } of signerInfo.signedAttrs) {
    const name = ATTRIBUTE_NAMES[type];
    if (name === undefined) continue;
    if (found[name] !== undefined || values.length !== 1) throw malformed(`more than one ${name} attribute`);
    found[name] = values[0];
  }
  for (const name of Object.values(ATTRIBUTE_NAMES)) if (found[name] === undefined) throw malformed(`no ${name} attribute`);
  return found as { contentType: DerValue; messageDigest: DerValue; signingTime: DerValue };
}

/** Step 1: everything that makes the CMS well-formed; any surprise while reading it is CMS_MALFORMED too. */
function readStructure(cms: Uint8Array): SignedLogin {
  try {
    const parsed = parseCms(cms);
    const { signerInfo } = parsed;
    const { contentType, messageDigest, signingTime: signingTimeValue } = loginAttributes(signerInfo);
    if (contentType.tag !== DER_TAG.OID || !sameBytes(contentType.content, OID_DATA_CONTENT)) throw malformed('the contentType attribute is not id-data');
    if (messageDigest.tag !== DER_TAG.OCTET_STRING) throw malformed('the messageDigest attribute is not an OCTET STRING');
    if (signingTimeValue.tag !== DER_TAG.UTC_TIME && signingTimeValue.tag !== DER_TAG.GENERALIZED_TIME) throw malformed('the signingTime attribute is not a time');
    const signingTime = derTime(signingTimeValue);
    if (Number.isNaN(signingTime.getTime())) throw malformed('the signingTime attribute is not a valid time');
    const hash = DIGEST_ALGORITHMS[signerInfo.digestAlgorithm];
    if (!hash) throw malformed(`digest algorithm ${signerInfo.digestAlgorithm} is not supported`);
    const { signer, others } = findSigner(parsed);
    const sigAlg = CMS_SIGNATURE_ALGORITHMS[signerInfo.signatureAlgorithm];
    if (!sigAlg || sigAlg.key !== signer.publicKey.asymmetricKeyType || (sigAlg.hash !== undefined && sigAlg.hash !== hash)) {
      throw malformed(`signature algorithm ${signerInfo.signatureAlgorithm} does not fit the ${signer.keyType} key and ${hash}`);
    }
    return { parsed, signer, others, hash, messageDigest: messageDigest.content, signingTime };
  } catch (e) {
    if (e instanceof LoginSignatureError) throw e;
    throw malformed((e as Error).message ?? String(e), e);
  }
}

/** Verifies a detached CMS login signature over `challenge`; rejects with a LoginSignatureError that says why not. */
export async function verifyLoginSignature(input: VerifyLoginSignatureInput): Promise<VerifiedLogin> {
  return verifyLoginSignatureSync(input);
}

/**
 * verifyLoginSignature without the promise, for the service's login route: nothing in it waits,
 * and an async function costs a login about 1.5 us (5% of an RSA verification).
 */
export function verifyLoginSignatureSync(input: VerifyLoginSignatureInput): VerifiedLogin {
  const now = input.now ?? new Date();
  const maxSkew = (input.maxSkewSeconds ?? 300) * 1000;
  const maxAge = (input.maxAgeSeconds ?? 120) * 1000;

  // 1. Structure.
  const { parsed, signer, others, hash, messageDigest, signingTime } = readStructure(input.cms);
  const { signerInfo } = parsed;

  // 2. Challenge.
  const expected = digest(hash, input.challenge);
  if (!expected.equals(messageDigest)) {
    throw new LoginSignatureError('WRONG_CHALLENGE', 'The signature is not over this login challenge. Start the login again.');
  }

  // 3. Signature, over the signed attributes' DER with the [0] IMPLICIT tag made SET (RFC 5652 §5.4).
  const signedBytes = new Uint8Array(signerInfo.signedAttrsDer!);
  signedBytes[0] = 0x31;
  const signature = signerInfo.signature;
  if (!verifySignature(hash, signer.publicKey, signedBytes, signature)) {
    throw new LoginSignatureError('BAD_SIGNATURE', 'The signature does not verify with the e-legitimation it names. Start the login again.');
  }

  // 4. Signing time.
  const t = signingTime.getTime();
  if (t < now.getTime() - maxAge || t > now.getTime() + maxSkew) {
    throw new LoginSignatureError(
      'SIGNING_TIME_OUT_OF_WINDOW',
      `The signature was made at ${signingTime.toISOString()}, outside the accepted window around ${now.toISOString()}. Check the computer's clock and start the login again.`,
    );
  }

  // 5. Chain. Certificates from the CMS are candidate intermediates, never anchors.
  try {
    const trust = 'trust' in input ? input.trust : TrustStore.from(input);
    if (!(trust instanceof TrustStore)) throw new TypeError('verifyLoginSignature: `trust` is not a TrustStore');
    const { chain, warnings } = trust.validate(signer, now, others);
    return { signer, signingTime, chain, warnings };
  } catch (e) {
    if (e instanceof EkortError) throw new LoginSignatureError(e.code as ChainErrorCode, e.message, { cause: e });
    throw e;
  }
}
