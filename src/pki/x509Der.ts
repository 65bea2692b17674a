/**
 * A strict DER reader for X.509 certificates (RFC 5280 §4.1): the fields certificate.ts turns
 * into a CertificateInfo, as views into the input. Built on derReader.ts like the CMS reader,
 * for the same reason: pkijs/asn1js take about a millisecond a certificate, and a bank sees a
 * new signer certificate on nearly every login. pkijs still reads a certificate where its whole
 * object model is wanted (CertificateInfo.pkijs, on first use).
 */
import { algorithmAt, children, DerFormatError, derTime, expectTag, oidAt, TAG, type Tlv, tlvAt } from './derReader.ts';
import { checkDer } from './derGuard.ts';

export interface X509Extension {
  oid: string;
  critical: boolean;
  /** The extnValue OCTET STRING's content: the extension's own DER. */
  value: Uint8Array;
}

export interface X509NameAttribute {
  type: string;
  /** The value's tag (a string type, usually) and content octets. */
  tag: number;
  content: Uint8Array;
  /** The whole value TLV. */
  der: Uint8Array;
}

export interface X509Fields {
  /** TBSCertificate DER: the signed bytes. */
  tbs: Uint8Array;
  /** The outer signatureAlgorithm's OID (the TBS one is checked to be the same). */
  signatureAlgorithm: string;
  /** The signature BIT STRING's bits (no unused bits allowed). */
  signatureValue: Uint8Array;
  /** 0 = v1, 1 = v2, 2 = v3. */
  version: number;
  /** The serialNumber INTEGER's content octets. */
  serial: Uint8Array;
  issuer: Uint8Array;
  subject: Uint8Array;
  /** The names' attributes, RDN by RDN in DER order. */
  issuerAttributes: X509NameAttribute[][];
  subjectAttributes: X509NameAttribute[][];
  notBefore: Date;
  notAfter: Date;
  /** SubjectPublicKeyInfo DER, its algorithm OID, the parameters TLV when present, and the key bits. */
  spki: Uint8Array;
  keyAlgorithm: string;
  keyParameters?: Uint8Array;
  subjectPublicKey: Uint8Array;
  extensions: X509Extension[];
}

const bytes = (b: Uint8Array, t: Tlv): Uint8Array => b.subarray(t.value, t.end);
const whole = (b: Uint8Array, t: Tlv): Uint8Array => b.subarray(t.start, t.end);

/** BIT STRING content with no unused bits (signatures, keys); X.690 §8.6. */
function bitStringBytes(b: Uint8Array, t: Tlv | undefined, what: string): Uint8Array {
  const bits = expectTag(t, TAG.BIT_STRING, what);
  if (bits.value === bits.end || b[bits.value] !== 0) throw new DerFormatError(`${what} is not a whole number of bytes`);
  return b.subarray(bits.value + 1, bits.end);
}

/** A non-negative INTEGER that fits a JS number (versions, path lengths); X.690 §8.3. */
export function smallInteger(b: Uint8Array, t: Tlv | undefined, what: string): number {
  const n = expectTag(t, TAG.INTEGER, what);
  const len = n.end - n.value;
  if (len === 0 || len > 6 || (b[n.value]! & 0x80) !== 0) throw new DerFormatError(`${what} is not a small non-negative INTEGER`);
  if (len > 1 && b[n.value] === 0 && (b[n.value + 1]! & 0x80) === 0) throw new DerFormatError(`${what} is not a minimal INTEGER`);
  let v = 0;
  for (let i = n.value; i < n.end; i++) v = v * 256 + b[i]!;
  return v;
}

/**
 * BOOLEAN content. DER writes TRUE as 0xFF and omits a FALSE default; like OpenSSL, any nonzero
 * octet is read as TRUE and an explicit FALSE is accepted, as CAs in the field write them.
 */
export function booleanAt(b: Uint8Array, t: Tlv, what: string): boolean {
  expectTag(t, TAG.BOOLEAN, what);
  if (t.end - t.value !== 1) throw new DerFormatError(`${what} is not a BOOLEAN`);
  return b[t.value] !== 0;
}

/** Name ::= SEQUENCE OF RelativeDistinguishedName (SET OF AttributeTypeAndValue), RFC 5280 §4.1.2.4. */
function readName(b: Uint8Array, name: Tlv | undefined, what: string): X509NameAttribute[][] {
  return children(b, expectTag(name, TAG.SEQUENCE, what)).map((rdn) => {
    const atvs = children(b, expectTag(rdn, TAG.SET, `an RDN of the ${what}`));
    if (atvs.length === 0) throw new DerFormatError(`an RDN of the ${what} is empty`);
    return atvs.map((atv) => {
      const parts = children(b, expectTag(atv, TAG.SEQUENCE, `an attribute of the ${what}`));
      if (parts.length !== 2) throw new DerFormatError(`an attribute of the ${what} is not a type and a value`);
      const value = parts[1]!;
      // AttributeValue is ANY: whatever it is must itself be well-formed DER.
      try {
        checkDer(b.subarray(value.start, value.end));
      } catch (e) {
        throw new DerFormatError(`an attribute value of the ${what} is not DER: ${(e as Error).message}`);
      }
      return { type: oidAt(b, parts[0]!, `an attribute type of the ${what}`), tag: value.tag, content: bytes(b, value), der: whole(b, value) };
    });
  });
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue } (RFC 5280 §4.1). */
export function readCertificateDer(b: Uint8Array): X509Fields {
  const top = tlvAt(b, 0, b.length);
  if (top.tag !== TAG.SEQUENCE || top.end !== b.length) throw new DerFormatError('not a single DER SEQUENCE');
  const outer = children(b, top);
  if (outer.length !== 3) throw new DerFormatError('a Certificate has three fields');
  const tbsTlv = expectTag(outer[0], TAG.SEQUENCE, 'tbsCertificate');
  const signatureAlgorithm = algorithmAt(b, outer[1], 'signatureAlgorithm');
  const signatureValue = bitStringBytes(b, outer[2], 'signatureValue');

  const f = children(b, tbsTlv);
  let i = 0;
  let version = 0;
  if (f[i]?.tag === TAG.CTX0_CONSTRUCTED) {
    const explicit = children(b, f[i++]!);
    if (explicit.length !== 1) throw new DerFormatError('version is malformed');
    version = smallInteger(b, explicit[0], 'version');
    if (version > 2) throw new DerFormatError(`version ${version + 1} is not X.509 v1, v2 or v3`);
  }
  const serial = bytes(b, expectTag(f[i++], TAG.INTEGER, 'serialNumber'));
  if (serial.length === 0) throw new DerFormatError('serialNumber is empty');
  // RFC 5280 §4.1.1.2: the signature field must name the outer signatureAlgorithm.
  if (algorithmAt(b, f[i++], 'signature') !== signatureAlgorithm) throw new DerFormatError('signatureAlgorithm differs from the TBS signature field');
  const issuerTlv = expectTag(f[i++], TAG.SEQUENCE, 'issuer');
  const issuerAttributes = readName(b, issuerTlv, 'issuer');
  const validity = children(b, expectTag(f[i++], TAG.SEQUENCE, 'validity'));
  if (validity.length !== 2) throw new DerFormatError('validity has two times');
  const [notBefore, notAfter] = validity.map((t, k) => {
    if (t.tag !== TAG.UTC_TIME && t.tag !== TAG.GENERALIZED_TIME) throw new DerFormatError(`${k === 0 ? 'notBefore' : 'notAfter'} is not a time`);
    const d = derTime({ tag: t.tag, content: bytes(b, t) });
    if (Number.isNaN(d.getTime())) throw new DerFormatError(`${k === 0 ? 'notBefore' : 'notAfter'} is not a valid DER time`);
    return d;
  }) as [Date, Date];
  const subjectTlv = expectTag(f[i++], TAG.SEQUENCE, 'subject');
  const subjectAttributes = readName(b, subjectTlv, 'subject');

  const spkiTlv = expectTag(f[i++], TAG.SEQUENCE, 'subjectPublicKeyInfo');
  const spkiParts = children(b, spkiTlv);
  if (spkiParts.length !== 2) throw new DerFormatError('subjectPublicKeyInfo has two fields');
  const algParts = children(b, expectTag(spkiParts[0], TAG.SEQUENCE, 'the public key algorithm'));
  if (algParts.length < 1 || algParts.length > 2) throw new DerFormatError('the public key algorithm is not an AlgorithmIdentifier');
  const keyAlgorithm = oidAt(b, algParts[0]!, 'the public key algorithm');
  const subjectPublicKey = bitStringBytes(b, spkiParts[1], 'subjectPublicKey');

  // issuerUniqueID [1] and subjectUniqueID [2], IMPLICIT BIT STRINGs of v2 and v3: allowed, not used.
  if (version >= 1 && f[i]?.tag === 0x81) i++;
  if (version >= 1 && f[i]?.tag === 0x82) i++;
  const extensions: X509Extension[] = [];
  if (f[i]?.tag === TAG.CTX3_CONSTRUCTED) {
    if (version !== 2) throw new DerFormatError('extensions in a certificate that is not v3');
    const explicit = children(b, f[i++]!);
    if (explicit.length !== 1) throw new DerFormatError('extensions are malformed');
    const list = children(b, expectTag(explicit[0], TAG.SEQUENCE, 'extensions'));
    if (list.length === 0) throw new DerFormatError('extensions are empty');
    for (const ext of list) {
      const parts = children(b, expectTag(ext, TAG.SEQUENCE, 'an extension'));
      let k = 0;
      const oid = oidAt(b, parts[k++]!, 'an extension id');
      const critical = parts[k]?.tag === TAG.BOOLEAN ? booleanAt(b, parts[k++]!, `the critical flag of ${oid}`) : false;
      const value = bytes(b, expectTag(parts[k++], TAG.OCTET_STRING, `the value of ${oid}`));
      if (k !== parts.length) throw new DerFormatError(`extension ${oid} has extra fields`);
      // extnValue holds one DER value (RFC 5280 §4.1), read here or not.
      try {
        checkDer(value);
      } catch (e) {
        throw new DerFormatError(`the value of extension ${oid} is not DER: ${(e as Error).message}`);
      }
      extensions.push({ oid, critical, value });
    }
  }
  if (i !== f.length) throw new DerFormatError('tbsCertificate has extra fields');

  return {
    tbs: whole(b, tbsTlv),
    signatureAlgorithm,
    signatureValue,
    version,
    serial,
    issuer: whole(b, issuerTlv),
    subject: whole(b, subjectTlv),
    issuerAttributes,
    subjectAttributes,
    notBefore,
    notAfter,
    spki: whole(b, spkiTlv),
    keyAlgorithm,
    ...(algParts[1] ? { keyParameters: whole(b, algParts[1]) } : {}),
    subjectPublicKey,
    extensions,
  };
}

/** The one DER value an extension's extnValue holds (it must be exactly one). */
export function extensionValue(ext: X509Extension): { b: Uint8Array; t: Tlv } {
  const t = tlvAt(ext.value, 0, ext.value.length);
  if (t.end !== ext.value.length) throw new DerFormatError(`extension ${ext.oid} has trailing bytes`);
  return { b: ext.value, t };
}
