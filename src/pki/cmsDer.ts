/**
 * A strict DER reader for the one CMS shape a login signature has (RFC 5652 §5: a ContentInfo
 * with a detached SignedData and one SignerInfo), extracting only the fields the verifier uses.
 *
 * Why not pkijs: parsing the SignedData with pkijs/asn1js builds a schema-matched object tree
 * and costs about a millisecond, several times a signature check, and it is on every login.
 * pkijs stays the tool for building structures; this is the verifier's fast path. It is safe on
 * any input: every length is checked against its parent before use and must be DER (definite,
 * minimal), there is no recursion (every constructed value is walked as a flat list of its
 * children) and nothing is copied. Parts the verifier never reads (algorithm parameters,
 * unsigned attributes, CRLs) are skipped by their length, not walked.
 */
import { algorithmAt, children, DerFormatError, type DerValue, expectTag, oidAt, TAG, type Tlv, tlvAt } from './derReader.ts';

export { DerFormatError as CmsFormatError, derTime, type DerValue, TAG as DER_TAG } from './derReader.ts';

export interface SignedAttribute {
  type: string;
  values: DerValue[];
}

export interface CmsSignerInfo {
  /** sid as IssuerAndSerialNumber: the issuer Name's DER and the serial INTEGER's content octets. */
  issuerAndSerial?: { issuer: Uint8Array; serial: Uint8Array };
  /** sid as [0] subjectKeyIdentifier. */
  subjectKeyIdentifier?: Uint8Array;
  digestAlgorithm: string;
  /** signedAttrs exactly as sent, [0] IMPLICIT tag included; undefined when absent. */
  signedAttrsDer?: Uint8Array;
  signedAttrs: SignedAttribute[];
  signatureAlgorithm: string;
  signature: Uint8Array;
}

export interface CmsSignedData {
  contentType: string;
  eContentType: string;
  hasEContent: boolean;
  /** DER of each certificate in SignedData.certificates (views into the input). */
  certificates: Uint8Array[];
  signerInfos: CmsSignerInfo[];
}

function signerInfoAt(b: Uint8Array, t: Tlv): CmsSignerInfo {
  const f = children(b, expectTag(t, TAG.SEQUENCE, 'a SignerInfo'));
  let i = 0;
  expectTag(f[i++], TAG.INTEGER, 'SignerInfo.version');
  const sid = f[i++];
  const info: Partial<CmsSignerInfo> = {};
  if (sid?.tag === TAG.SEQUENCE) {
    const parts = children(b, sid);
    const issuer = expectTag(parts[0], TAG.SEQUENCE, 'the sid issuer');
    const serial = expectTag(parts[1], TAG.INTEGER, 'the sid serial number');
    if (parts.length > 2) throw new DerFormatError('IssuerAndSerialNumber has extra fields');
    info.issuerAndSerial = { issuer: b.subarray(issuer.start, issuer.end), serial: b.subarray(serial.value, serial.end) };
  } else if (sid?.tag === TAG.CTX0) {
    info.subjectKeyIdentifier = b.subarray(sid.value, sid.end);
  } else if (sid?.tag === TAG.CTX0_CONSTRUCTED) {
    const inner = expectTag(children(b, sid)[0], TAG.OCTET_STRING, 'the sid subjectKeyIdentifier');
    info.subjectKeyIdentifier = b.subarray(inner.value, inner.end);
  } else {
    throw new DerFormatError('SignerInfo.sid is missing or not of the expected type');
  }
  info.digestAlgorithm = algorithmAt(b, f[i++], 'SignerInfo.digestAlgorithm');
  info.signedAttrs = [];
  if (f[i]?.tag === TAG.CTX0_CONSTRUCTED) {
    const attrs = f[i++]!;
    info.signedAttrsDer = b.subarray(attrs.start, attrs.end);
    for (const a of children(b, attrs)) {
      const parts = children(b, expectTag(a, TAG.SEQUENCE, 'a signed attribute'));
      if (parts.length !== 2) throw new DerFormatError('a signed attribute is not a type and a value set');
      const values: DerValue[] = [];
      for (const v of children(b, expectTag(parts[1], TAG.SET, 'a signed attribute value set'))) values.push({ tag: v.tag, content: b.subarray(v.value, v.end) });
      info.signedAttrs.push({ type: oidAt(b, parts[0]!, 'a signed attribute type'), values });
    }
  }
  info.signatureAlgorithm = algorithmAt(b, f[i++], 'SignerInfo.signatureAlgorithm');
  const signature = expectTag(f[i++], TAG.OCTET_STRING, 'SignerInfo.signature');
  info.signature = b.subarray(signature.value, signature.end);
  if (f[i]?.tag === TAG.CTX1_CONSTRUCTED) i++; // unsignedAttrs: not used
  if (i !== f.length) throw new DerFormatError('SignerInfo has extra fields');
  return info as CmsSignerInfo;
}

/**
 * Reads ContentInfo → SignedData (RFC 5652 §3, §5.1). Stops after the content type when it is
 * not `signedDataOid`, returning no SignedData fields.
 */
export function readSignedData(b: Uint8Array, signedDataOid: string): CmsSignedData {
  const top = tlvAt(b, 0, b.length);
  if (top.tag !== TAG.SEQUENCE || top.end !== b.length) throw new DerFormatError('not a CMS ContentInfo');
  const ci = children(b, top);
  const contentType = oidAt(b, expectTag(ci[0], TAG.OID, 'ContentInfo.contentType'), 'ContentInfo.contentType');
  const out: CmsSignedData = { contentType, eContentType: '', hasEContent: false, certificates: [], signerInfos: [] };
  if (contentType !== signedDataOid) return out;
  if (ci.length !== 2 || ci[1]!.tag !== TAG.CTX0_CONSTRUCTED) throw new DerFormatError('not a CMS ContentInfo');
  const explicit = children(b, ci[1]!);
  if (explicit.length !== 1 || explicit[0]!.tag !== TAG.SEQUENCE) throw new DerFormatError('the SignedData is not a SEQUENCE');

  const f = children(b, explicit[0]!);
  let i = 0;
  expectTag(f[i++], TAG.INTEGER, 'SignedData.version');
  for (const alg of children(b, expectTag(f[i++], TAG.SET, 'SignedData.digestAlgorithms'))) algorithmAt(b, alg, 'a digest algorithm');
  const encap = children(b, expectTag(f[i++], TAG.SEQUENCE, 'SignedData.encapContentInfo'));
  out.eContentType = oidAt(b, expectTag(encap[0], TAG.OID, 'eContentType'), 'eContentType');
  if (encap.length > 2 || (encap.length === 2 && encap[1]!.tag !== TAG.CTX0_CONSTRUCTED)) throw new DerFormatError('encapContentInfo has unexpected fields');
  out.hasEContent = encap.length === 2;
  if (f[i]?.tag === TAG.CTX0_CONSTRUCTED) {
    for (const c of children(b, f[i++]!)) {
      if (c.tag !== TAG.SEQUENCE) throw new DerFormatError('a certificate choice other than X.509 is not supported');
      out.certificates.push(b.subarray(c.start, c.end));
    }
  }
  if (f[i]?.tag === TAG.CTX1_CONSTRUCTED) i++; // crls: not used (the caller passes CRLs)
  out.signerInfos = children(b, expectTag(f[i++], TAG.SET, 'SignedData.signerInfos')).map((s) => signerInfoAt(b, s));
  if (i !== f.length) throw new DerFormatError('SignedData has extra fields');
  return out;
}

