/**
 * The login signature (docs/protocols.md, "The CMS login signature"): a detached
 * CMS SignedData (RFC 5652) over the bank's challenge, signed by a key that never leaves the
 * card. pkijs builds every structure; the card only ever sees a SHA-256 digest, through the
 * one narrow seam `CardSigner.signDigest`.
 */
import { X509Certificate, createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { EkortError } from '../errors.ts';

export type CardKeyType = 'rsa2048' | 'p256';

/**
 * What signing needs from a card: its certificate and "sign this SHA-256 digest". The PIV card
 * implements it in src/piv/pivSigner.ts, BankID på fil in fileSigner.ts.
 */
export interface CardSigner {
  /** The signer's X.509 certificate, DER. */
  certificate: Uint8Array;
  keyType: CardKeyType;
  /** RSA: the raw PKCS#1 v1.5 signature; P-256: a DER ECDSA-Sig-Value. */
  signDigest(digest: Uint8Array): Promise<Uint8Array>;
  /**
   * Optional: the same signature made over the message itself (SHA-256 hashed by the signer).
   * A software key (BankID på fil) signs this way, with OpenSSL's own constant-time code;
   * signChallenge prefers it when present.
   */
  signData?(data: Uint8Array): Promise<Uint8Array>;
}

export const OID = {
  /** RFC 5652 §4 id-data, §5.1 id-signedData. */
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  /** RFC 5652 §11.1-11.3 signed attributes. */
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  /** RFC 5754 §2.2 id-sha256. */
  sha256: '2.16.840.1.101.3.4.2.1',
  /** RFC 3370 §3.2 rsaEncryption, as CMS names PKCS#1 v1.5 signatures. */
  rsaEncryption: '1.2.840.113549.1.1.1',
  /** RFC 5758 §3.2 ecdsa-with-SHA256. */
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  /** RFC 5480 §2.1.1 id-ecPublicKey and §2.1.1.1 secp256r1. */
  ecPublicKey: '1.2.840.10045.2.1',
  secp256r1: '1.2.840.10045.3.1.7',
} as const;

export class CardSignerError extends EkortError {}

/** The key type a certificate's SubjectPublicKeyInfo names; other keys cannot sign logins here. */
export function certificateKeyType(certificate: Uint8Array): CardKeyType {
  let key;
  try {
    key = new X509Certificate(certificate).publicKey;
  } catch (cause) {
    throw new CardSignerError('CERTIFICATE_MALFORMED', 'The signer certificate is not DER X.509', { cause });
  }
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa' && details?.modulusLength === 2048) return 'rsa2048';
  if (key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') return 'p256';
  throw new CardSignerError('UNSUPPORTED_KEY', 'The certificate key is neither RSA-2048 nor EC P-256: it cannot sign a login here');
}

/** X.690 §11.6: a DER SET OF lists its elements ascending by their encodings. */
function compareEncodings(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function attribute(type: string, value: asn1js.AsnType): { der: Uint8Array; attribute: pkijs.Attribute } {
  const attr = new pkijs.Attribute({ type, values: [value] });
  return { der: new Uint8Array(attr.toSchema().toBER(false)), attribute: attr };
}

const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest());

/**
 * The DER ContentInfo of a detached SignedData over `challenge`, signed by `signer`:
 * signed attributes contentType id-data, messageDigest SHA-256(challenge), signingTime.
 */
export async function signChallenge(challenge: Uint8Array, signer: CardSigner, options: { signingTime?: Date } = {}): Promise<Uint8Array> {
  let certificate: pkijs.Certificate;
  try {
    certificate = pkijs.Certificate.fromBER(new Uint8Array(signer.certificate));
  } catch (cause) {
    throw new CardSignerError('CERTIFICATE_MALFORMED', 'The signer certificate is not DER X.509', { cause });
  }
  const signingTime = new Date(Math.floor((options.signingTime ?? new Date()).getTime() / 1000) * 1000);
  // RFC 5652 §11.3: UTCTime for dates from 1950 through 2049.
  const time = signingTime.getUTCFullYear() < 2050 ? new asn1js.UTCTime({ valueDate: signingTime }) : new asn1js.GeneralizedTime({ valueDate: signingTime });
  const attributes = [
    attribute(OID.contentType, new asn1js.ObjectIdentifier({ value: OID.data })),
    attribute(OID.messageDigest, new asn1js.OctetString({ valueHex: sha256(challenge) })),
    attribute(OID.signingTime, time),
  ].sort((a, b) => compareEncodings(a.der, b.der));
  const signedAttrs = new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: attributes.map((a) => a.attribute) });

  // RFC 5652 §5.4: the signature covers the attributes as an explicit SET OF, not as [0].
  const toSign = new Uint8Array(signedAttrs.toSchema().toBER(false));
  toSign[0] = 0x31;
  const signature = signer.signData ? await signer.signData(toSign) : await signer.signDigest(sha256(toSign));

  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: certificate.issuer, serialNumber: certificate.serialNumber }),
    digestAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 }),
    signedAttrs,
    signatureAlgorithm:
      signer.keyType === 'rsa2048'
        ? // RFC 3370 §3.2: rsaEncryption takes NULL parameters; RFC 5758 §3.2: ECDSA takes none.
          new pkijs.AlgorithmIdentifier({ algorithmId: OID.rsaEncryption, algorithmParams: new asn1js.Null() })
        : new pkijs.AlgorithmIdentifier({ algorithmId: OID.ecdsaWithSha256 }),
    signature: new asn1js.OctetString({ valueHex: signature }),
  });
  const signedData = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 })],
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
    certificates: [certificate],
    signerInfos: [signerInfo],
  });
  const contentInfo = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
  return new Uint8Array(contentInfo.toSchema().toBER(false));
}
