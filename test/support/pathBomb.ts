/**
 * The worst login CMS for path building this project knows of: `count` CA certificates of one
 * name and one key, each self-issued and signed by that key, plus a signer certificate issued
 * under that name. Every CA verifies as the issuer of every other, so a path builder without
 * bounds tries every ordering of them up to its depth limit (count^4 signature checks at depth
 * 5). None of it leads to a trusted root. For the hardening test and the login-cms bench.
 */
import { createHash, KeyObject, randomBytes, sign, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { signChallenge } from '../../src/pki/loginSignature.ts';

pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as Crypto }));

export type BombKey = 'p256' | 'rsa2048' | 'rsa4096' | 'rsa8192';

export async function keyPair(kind: BombKey): Promise<CryptoKeyPair> {
  const params =
    kind === 'p256'
      ? { name: 'ECDSA', namedCurve: 'P-256' }
      : { name: 'RSASSA-PKCS1-v1_5', modulusLength: Number(kind.slice(3)), publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
  return (await webcrypto.subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair;
}

function name(cn: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({ typesAndValues: [new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value: cn }) })] });
}

const ext = (extnID: string, critical: boolean, value: asn1js.AsnType): pkijs.Extension => new pkijs.Extension({ extnID, critical, extnValue: value.toBER(false) });

/** KeyUsage with the one bit `bit` (RFC 5280 §4.2.1.3) set. */
function keyUsage(bits: number[]): asn1js.BitString {
  let v = 0;
  for (const b of bits) v |= 0x80 >> b;
  return new asn1js.BitString({ valueHex: new Uint8Array([v]), unusedBits: 1 });
}

async function certificate(o: { subject: string; issuer: string; publicKey: CryptoKey; signWith: CryptoKey; ca: boolean; keyId: Uint8Array; issuerKeyId: Uint8Array; at: Date }): Promise<Uint8Array> {
  const cert = new pkijs.Certificate();
  cert.version = 2;
  const serial = randomBytes(12);
  serial[0] = (serial[0]! & 0x7f) | 0x10;
  cert.serialNumber = new asn1js.Integer({ valueHex: serial });
  cert.subject = name(o.subject);
  cert.issuer = name(o.issuer);
  cert.notBefore = new pkijs.Time({ type: 0, value: new Date(o.at.getTime() - 86_400_000) });
  cert.notAfter = new pkijs.Time({ type: 0, value: new Date(o.at.getTime() + 365 * 86_400_000) });
  await cert.subjectPublicKeyInfo.importKey(o.publicKey);
  cert.extensions = [
    ...(o.ca ? [ext('2.5.29.19', true, new pkijs.BasicConstraints({ cA: true }).toSchema()), ext('2.5.29.15', true, keyUsage([5, 6]))] : [ext('2.5.29.15', true, keyUsage([0])), ext('2.5.29.37', false, new pkijs.ExtKeyUsage({ keyPurposes: ['1.3.6.1.5.5.7.3.2'] }).toSchema())]),
    ext('2.5.29.14', false, new asn1js.OctetString({ valueHex: o.keyId })),
    ext('2.5.29.35', false, new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: o.issuerKeyId }) }).toSchema()),
  ];
  await cert.sign(o.signWith, 'SHA-256');
  return new Uint8Array(cert.toSchema(true).toBER(false));
}

async function keyIdOf(key: CryptoKey): Promise<Uint8Array> {
  const spki = pkijs.PublicKeyInfo.fromBER(new Uint8Array(await webcrypto.subtle.exportKey('spki', key)));
  return new Uint8Array(createHash('sha1').update(spki.subjectPublicKey.valueBlock.valueHexView).digest());
}

export interface PathBomb {
  cms: Uint8Array;
  challenge: Uint8Array;
  /** How many CA certificates the CMS carries. */
  cas: number;
}

/**
 * A login CMS over `challenge` (a fresh one by default) carrying `count` CA certificates of one name and one
 * `caKey` (or the pair `caPair`), and a P-256 signer certificate under them, signed at `at`.
 */
export async function pathBomb(o: { count: number; caKey?: BombKey; at?: Date; caPair?: CryptoKeyPair; challenge?: Uint8Array }): Promise<PathBomb> {
  const at = o.at ?? new Date();
  const ca = o.caPair ?? (await keyPair(o.caKey ?? 'p256'));
  const caId = await keyIdOf(ca.publicKey);
  const holder = await keyPair('p256');
  const cas: Uint8Array[] = [];
  for (let i = 0; i < o.count; i++) {
    cas.push(await certificate({ subject: 'Bomb CA', issuer: 'Bomb CA', publicKey: ca.publicKey, signWith: ca.privateKey, ca: true, keyId: caId, issuerKeyId: caId, at }));
  }
  const leaf = await certificate({ subject: 'Bomb Holder', issuer: 'Bomb CA', publicKey: holder.publicKey, signWith: ca.privateKey, ca: false, keyId: await keyIdOf(holder.publicKey), issuerKeyId: caId, at });
  const challenge = o.challenge ?? new Uint8Array(randomBytes(32));
  const privateKey = KeyObject.from(holder.privateKey);
  const signed = await signChallenge(challenge, { certificate: leaf, keyType: 'p256', signDigest: () => Promise.reject(new Error('signs data')), signData: (data: Uint8Array) => Promise.resolve(sign('sha256', data, privateKey)) }, { signingTime: at });
  const info = pkijs.ContentInfo.fromBER(new Uint8Array(signed));
  const sd = new pkijs.SignedData({ schema: info.content });
  sd.certificates = [...(sd.certificates ?? []), ...cas.map((der) => pkijs.Certificate.fromBER(new Uint8Array(der)))];
  const cms = new Uint8Array(new pkijs.ContentInfo({ contentType: info.contentType, content: sd.toSchema(true) }).toSchema().toBER(false));
  return { cms, challenge, cas: o.count };
}
