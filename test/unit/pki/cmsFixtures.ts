/**
 * Detached CMS SignedData login signatures for tests, structured with pkijs and signed with
 * node:crypto. Hooks let a test break one thing at a time.
 */
import { createHash, sign, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { OID } from '../../../src/pki/loginSignature.ts';
import { NOW } from './pkiFixtures.ts';

export { OID };

const DIGEST_OIDS = { sha256: '2.16.840.1.101.3.4.2.1', sha384: '2.16.840.1.101.3.4.2.2', sha512: '2.16.840.1.101.3.4.2.3' } as const;
const ECDSA_OIDS = { sha256: '1.2.840.10045.4.3.2', sha384: '1.2.840.10045.4.3.3', sha512: '1.2.840.10045.4.3.4' } as const;
const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';

export interface SignLoginOptions {
  challenge: Uint8Array;
  /** DER of the signer certificate. */
  cert: Uint8Array;
  key: KeyObject;
  signingTime?: Date;
  digest?: keyof typeof DIGEST_OIDS;
  /** More certificates to include (intermediates). */
  certificates?: Uint8Array[];
  includeSignerCert?: boolean;
  /** Name the signer by subjectKeyIdentifier instead of issuerAndSerialNumber. */
  sidKeyIdentifier?: Uint8Array;
  /** Change the signed attributes before signing. */
  attributes?: (attrs: pkijs.Attribute[]) => pkijs.Attribute[];
  /** Change the finished SignedData after signing. */
  mutate?: (sd: pkijs.SignedData) => void;
}

/** SET OF must be sorted by encoding (X.690 §11.6). */
function sortedByEncoding(attrs: pkijs.Attribute[]): pkijs.Attribute[] {
  const enc = attrs.map((a) => ({ a, der: Buffer.from(a.toSchema().toBER(false)) }));
  return enc.sort((x, y) => Buffer.compare(x.der, y.der)).map((x) => x.a);
}

export function signLogin(o: SignLoginOptions): Uint8Array {
  const digest = o.digest ?? 'sha256';
  const cert = pkijs.Certificate.fromBER(new Uint8Array(o.cert));
  let attributes = [
    new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.data })] }),
    new pkijs.Attribute({ type: OID.signingTime, values: [new asn1js.UTCTime({ valueDate: o.signingTime ?? new Date(NOW.getTime() - 10_000) })] }),
    new pkijs.Attribute({ type: OID.messageDigest, values: [new asn1js.OctetString({ valueHex: createHash(digest).update(o.challenge).digest() })] }),
  ];
  if (o.attributes) attributes = o.attributes(attributes);
  const signedAttrs = new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: sortedByEncoding(attributes) });
  const toSign = new Uint8Array(signedAttrs.toSchema().toBER(false));
  toSign[0] = 0x31;
  const signature = sign(digest, toSign, o.key);

  const isRsa = o.key.asymmetricKeyType === 'rsa';
  const signerInfo = new pkijs.SignerInfo({
    version: o.sidKeyIdentifier ? 3 : 1,
    sid: o.sidKeyIdentifier
      ? new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: o.sidKeyIdentifier })
      : new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
    digestAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: DIGEST_OIDS[digest], algorithmParams: new asn1js.Null() }),
    signedAttrs,
    signatureAlgorithm: new pkijs.AlgorithmIdentifier(
      isRsa ? { algorithmId: RSA_ENCRYPTION, algorithmParams: new asn1js.Null() } : { algorithmId: ECDSA_OIDS[digest] },
    ),
    signature: new asn1js.OctetString({ valueHex: signature }),
  });
  const certificates = [...(o.includeSignerCert === false ? [] : [o.cert]), ...(o.certificates ?? [])].map((d) => pkijs.Certificate.fromBER(new Uint8Array(d)));
  const sd = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [new pkijs.AlgorithmIdentifier({ algorithmId: DIGEST_OIDS[digest], algorithmParams: new asn1js.Null() })],
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
    certificates,
    signerInfos: [signerInfo],
  });
  o.mutate?.(sd);
  const ci = new pkijs.ContentInfo({ contentType: OID.signedData, content: sd.toSchema(true) });
  return new Uint8Array(ci.toSchema().toBER(false));
}
