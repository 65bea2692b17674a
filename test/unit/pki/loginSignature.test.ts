import { X509Certificate, createHash, verify } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { describe, expect, it } from 'vitest';
import { InProcessTransport } from '../../../src/pcsc/inProcessTransport.ts';
import { PivSession } from '../../../src/piv/pivSession.ts';
import { pivSigner } from '../../../src/piv/pivSigner.ts';
import { OID, certificateKeyType, signChallenge, type CardSigner } from '../../../src/pki/loginSignature.ts';
import { createCardImage, type CardImage, type PivKeyType } from '../../../src/virtual/cardImage.ts';
import { VirtualPivCard } from '../../../src/virtual/pivCard.ts';

const images = new Map<PivKeyType, Promise<CardImage>>();
const imageOf = (keyType: PivKeyType): Promise<CardImage> => {
  if (!images.has(keyType)) images.set(keyType, createCardImage({ keyType, name: 'Anna Andersson', personnummer: '199001012385' }));
  return images.get(keyType)!;
};

async function openSession(keyType: PivKeyType): Promise<PivSession> {
  return PivSession.open(new InProcessTransport(new VirtualPivCard(structuredClone(await imageOf(keyType)))));
}

const challenge = new TextEncoder().encode('login challenge 4711');
const signingTime = new Date('2026-03-01T12:34:56Z');
const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const hex = (b: ArrayBuffer | Uint8Array) => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');

function parse(cms: Uint8Array) {
  const contentInfo = pkijs.ContentInfo.fromBER(new Uint8Array(cms));
  const signedData = new pkijs.SignedData({ schema: contentInfo.content });
  return { contentInfo, signedData, signerInfo: signedData.signerInfos[0]! };
}

describe.each(['rsa2048', 'p256'] as const)('signChallenge with a %s virtual card', (keyType) => {
  it('builds a detached SignedData that the card key verifiably signed', async () => {
    const session = await openSession(keyType);
    const signer = await pivSigner(session, '9a');
    expect(signer.keyType).toBe(keyType);
    expect(hex(signer.certificate)).toBe(Buffer.from((await imageOf(keyType)).slots['9a']!.certificate!, 'base64').toString('hex'));
    await session.verifyPin('123456');
    const cms = await signChallenge(challenge, signer, { signingTime });

    const { contentInfo, signedData, signerInfo } = parse(cms);
    expect(contentInfo.contentType).toBe(OID.signedData);
    expect(signedData.version).toBe(1);
    expect(signedData.digestAlgorithms.map((a) => a.algorithmId)).toEqual([OID.sha256]);
    expect(signedData.encapContentInfo.eContentType).toBe(OID.data);
    expect(signedData.encapContentInfo.eContent).toBeUndefined();
    expect(signedData.certificates).toHaveLength(1);
    const certificate = signedData.certificates![0] as pkijs.Certificate;
    expect(hex(certificate.toSchema().toBER(false))).toBe(hex(signer.certificate));
    expect(signedData.signerInfos).toHaveLength(1);

    // sid: issuerAndSerialNumber of the card certificate.
    expect(signerInfo.version).toBe(1);
    expect(signerInfo.sid).toBeInstanceOf(pkijs.IssuerAndSerialNumber);
    const sid = signerInfo.sid as pkijs.IssuerAndSerialNumber;
    expect(hex(sid.serialNumber.valueBlock.valueHexView)).toBe(new X509Certificate(signer.certificate).serialNumber.toLowerCase());
    expect(hex(sid.issuer.toSchema().toBER(false))).toBe(hex(certificate.issuer.toSchema().toBER(false)));
    expect(signerInfo.digestAlgorithm.algorithmId).toBe(OID.sha256);
    expect(signerInfo.signatureAlgorithm.algorithmId).toBe(keyType === 'rsa2048' ? OID.rsaEncryption : OID.ecdsaWithSha256);

    // Signed attributes, DER-sorted: contentType (30 18), signingTime (30 1c), messageDigest (30 2f).
    const attrs = signerInfo.signedAttrs!.attributes;
    expect(attrs.map((a) => a.type)).toEqual([OID.contentType, OID.signingTime, OID.messageDigest]);
    expect((attrs[0]!.values[0] as asn1js.ObjectIdentifier).valueBlock.toString()).toBe(OID.data);
    expect((attrs[1]!.values[0] as asn1js.UTCTime).toDate()).toEqual(signingTime);
    expect(hex((attrs[2]!.values[0] as asn1js.OctetString).valueBlock.valueHexView)).toBe(hex(sha256(challenge)));

    // pkijs hands the attributes back re-tagged as SET (31); in the CMS they are [0] IMPLICIT (A0).
    const encoded = new Uint8Array(signerInfo.signedAttrs!.encodedValue);
    expect(encoded[0]).toBe(0x31);
    const inCms = Uint8Array.from(encoded);
    inCms[0] = 0xa0;
    expect(Buffer.from(cms).indexOf(Buffer.from(inCms))).toBeGreaterThan(0);
    const elements = (asn1js.fromBER(encoded).result as asn1js.Constructed).valueBlock.value.map((e) => Buffer.from(e.toBER(false)));
    expect(elements).toHaveLength(3);
    const sorted = [...elements].sort(Buffer.compare);
    expect(elements.map((e) => e.toString('hex'))).toEqual(sorted.map((e) => e.toString('hex')));

    // RFC 5652 §5.4: the signature covers the attributes as SET (31), not as [0].
    const signature = signerInfo.signature.valueBlock.valueHexView;
    const publicKey = new X509Certificate(signer.certificate).publicKey;
    expect(verify('sha256', encoded, publicKey, signature)).toBe(true);
    expect(verify('sha256', inCms, publicKey, signature)).toBe(false);
  });

  it('signs with 9C only when the PIN is verified right before, as a signDigest wrapper does', async () => {
    const session = await openSession(keyType);
    const onCard = await pivSigner(session, '9c');
    await session.verifyPin('123456');
    await session.readCertificate('9a');
    await expect(signChallenge(challenge, onCard)).rejects.toMatchObject({ code: 'PIN_REQUIRED' });
    const signer: CardSigner = {
      ...onCard,
      signDigest: async (digest) => {
        await session.verifyPin('123456');
        return onCard.signDigest(digest);
      },
    };
    const { signerInfo } = parse(await signChallenge(challenge, signer));
    expect(signerInfo.signature.valueBlock.valueHexView.length).toBeGreaterThan(0);
  });
});

describe('the signer seam', () => {
  it('hands the signer only a SHA-256 digest of the attributes, and puts its answer in unchanged', async () => {
    const real = await pivSigner(await openSession('p256'), '9a');
    const seen: Uint8Array[] = [];
    const fake: CardSigner = { certificate: real.certificate, keyType: 'p256', signDigest: async (d) => (seen.push(d), Uint8Array.of(0x30, 0x00)) };
    const { signerInfo } = parse(await signChallenge(challenge, fake, { signingTime }));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toHaveLength(32);
    const toSign = new Uint8Array(signerInfo.signedAttrs!.encodedValue);
    expect(toSign[0]).toBe(0x31);
    expect(hex(seen[0]!)).toBe(hex(sha256(toSign)));
    expect(hex(signerInfo.signature.valueBlock.valueHexView)).toBe('3000');
  });

  it('refuses a card without a certificate in the slot and a certificate that is not DER', async () => {
    const image = structuredClone(await imageOf('p256'));
    delete image.slots['9c'];
    const session = await PivSession.open(new InProcessTransport(new VirtualPivCard(image)));
    await expect(pivSigner(session, '9c')).rejects.toMatchObject({ code: 'NO_CERTIFICATE' });
    expect(() => certificateKeyType(Uint8Array.of(1, 2, 3))).toThrow(expect.objectContaining({ code: 'CERTIFICATE_MALFORMED' }));
    const fake: CardSigner = { certificate: Uint8Array.of(1, 2, 3), keyType: 'p256', signDigest: async () => new Uint8Array(0) };
    await expect(signChallenge(challenge, fake)).rejects.toMatchObject({ code: 'CERTIFICATE_MALFORMED' });
  });
});
