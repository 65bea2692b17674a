import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';
import { LoginSignatureError, verifyLoginSignature, type VerifyLoginSignatureInput } from '../../../src/pki/cmsVerifier.ts';
import { OID, signLogin, type SignLoginOptions } from './cmsFixtures.ts';
import { NOW, makeCrl, testPki, type Issued, type TestPki } from './pkiFixtures.ts';

const challenge = new Uint8Array(createHash('sha256').update('bank challenge 42').digest());
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

function cmsFor(who: Issued, o: Partial<SignLoginOptions> = {}): Uint8Array {
  return signLogin({ challenge, cert: who.der, key: who.key, certificates: [pki.intermediate.der], ...o });
}

function input(cms: Uint8Array, o: Partial<VerifyLoginSignatureInput> = {}): VerifyLoginSignatureInput {
  return { cms, challenge, trustAnchors: [pki.root.der], crls: [pki.crl], now: NOW, ...o };
}

async function rejection(p: Promise<unknown>): Promise<LoginSignatureError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(LoginSignatureError);
    return e as LoginSignatureError;
  }
  throw new Error('expected a LoginSignatureError');
}

const codeOf = async (p: Promise<unknown>): Promise<string> => (await rejection(p)).code;

describe('verifyLoginSignature accepts', () => {
  it('an RSA-2048 signer with a 3-certificate chain and a CRL', async () => {
    const r = await verifyLoginSignature(input(cmsFor(pki.leafRsa)));
    expect(r.signer.subject.personnummer).toBe('199001012385');
    expect(r.signer.subject.dn).toBe('CN=Anna Andersson,SN=Andersson,givenName=Anna,serialNumber=199001012385,C=SE');
    expect(r.signer.keyType).toBe('rsa2048');
    expect(r.chain.map((c) => c.subject.commonName)).toEqual(['Anna Andersson', 'Testbanken e-legitimation CA', 'Testbanken Root CA']);
    expect(r.signingTime.getTime()).toBe(Math.floor((NOW.getTime() - 10_000) / 1000) * 1000);
    expect(r.warnings).toEqual([]);
  });

  it('a P-256 signer without EKU, intermediate passed by the caller instead of the CMS', async () => {
    const r = await verifyLoginSignature(input(cmsFor(pki.leafP256, { certificates: [] }), { intermediates: [pki.intermediate.der] }));
    expect(r.signer.keyType).toBe('p256');
    expect(r.signer.subject.personnummer).toBe('198502024567');
  });

  it('SHA-384 and SHA-512 digests', async () => {
    for (const digest of ['sha384', 'sha512'] as const) {
      await expect(verifyLoginSignature(input(cmsFor(pki.leafRsa, { digest })))).resolves.toBeDefined();
      await expect(verifyLoginSignature(input(cmsFor(pki.leafP256, { digest })))).resolves.toBeDefined();
    }
  });

  it('a signer named by subjectKeyIdentifier', async () => {
    const ski = pki.leafP256.der && (await import('../../../src/pki/certificate.ts')).parseCertificate(pki.leafP256.der).subjectKeyIdentifier!;
    const r = await verifyLoginSignature(input(cmsFor(pki.leafP256, { sidKeyIdentifier: Buffer.from(ski, 'hex') })));
    expect(r.signer.subject.commonName).toBe('Bo Berg');
  });

  it('warns from 30 days before the leaf expires', async () => {
    const r = await verifyLoginSignature(input(cmsFor(pki.expiringSoon)));
    expect(r.warnings).toEqual([expect.objectContaining({ code: 'CERT_EXPIRES_SOON', daysLeft: 10 })]);
    expect(r.warnings[0]!.message).toMatch(/Renew your e-legitimation/);
  });
});

describe('verifyLoginSignature rejects with CMS_MALFORMED', () => {
  const cases: Array<[string, () => Uint8Array]> = [
    ['not DER', () => new Uint8Array([1, 2, 3])],
    ['ContentInfo that is not SignedData', () => new Uint8Array(new pkijs.ContentInfo({ contentType: OID.data, content: new asn1js.OctetString({ valueHex: new Uint8Array(4) }) }).toSchema().toBER())],
    ['no signer', () => cmsFor(pki.leafRsa, { mutate: (sd) => (sd.signerInfos = []) })],
    ['two signers', () => cmsFor(pki.leafRsa, { mutate: (sd) => sd.signerInfos.push(sd.signerInfos[0]!) })],
    ['no signed attributes', () => cmsFor(pki.leafRsa, { mutate: (sd) => (sd.signerInfos[0]!.signedAttrs = undefined) })],
    ['no contentType', () => cmsFor(pki.leafRsa, { attributes: (a) => a.filter((x) => x.type !== OID.contentType) })],
    ['no messageDigest', () => cmsFor(pki.leafRsa, { attributes: (a) => a.filter((x) => x.type !== OID.messageDigest) })],
    ['no signingTime', () => cmsFor(pki.leafRsa, { attributes: (a) => a.filter((x) => x.type !== OID.signingTime) })],
    ['two signingTime attributes', () => cmsFor(pki.leafRsa, { attributes: (a) => [...a, a.find((x) => x.type === OID.signingTime)!] })],
    ['embedded content (not detached)', () => cmsFor(pki.leafRsa, { mutate: (sd) => (sd.encapContentInfo.eContent = new asn1js.OctetString({ valueHex: challenge })) })],
    ['signer certificate not included', () => cmsFor(pki.leafRsa, { includeSignerCert: false })],
    ['over 64 KiB', () => new Uint8Array(70_000)],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      expect(await codeOf(verifyLoginSignature(input(make())))).toBe('CMS_MALFORMED');
    });
  }
});

describe('verifyLoginSignature rejects', () => {
  it('WRONG_CHALLENGE when messageDigest is of another challenge', async () => {
    expect(await codeOf(verifyLoginSignature(input(cmsFor(pki.leafRsa), { challenge: new Uint8Array(32) })))).toBe('WRONG_CHALLENGE');
  });

  it('BAD_SIGNATURE when the signature bytes are changed (RSA and P-256)', async () => {
    for (const who of [pki.leafRsa, pki.leafP256]) {
      const cms = cmsFor(who, {
        mutate: (sd) => {
          const sig = new Uint8Array(sd.signerInfos[0]!.signature.valueBlock.valueHexView);
          sig[sig.length - 5]! ^= 1;
          sd.signerInfos[0]!.signature = new asn1js.OctetString({ valueHex: sig });
        },
      });
      expect(await codeOf(verifyLoginSignature(input(cms)))).toBe('BAD_SIGNATURE');
    }
  });

  it('BAD_SIGNATURE when signed by another key than the named certificate', async () => {
    const cms = signLogin({ challenge, cert: pki.leafRsa.der, key: pki.root.key, certificates: [pki.intermediate.der] });
    expect(await codeOf(verifyLoginSignature(input(cms)))).toBe('BAD_SIGNATURE');
  });

  it('SIGNING_TIME_OUT_OF_WINDOW too old and too far ahead; inside the window passes', async () => {
    const at = (s: number): Uint8Array => cmsFor(pki.leafP256, { signingTime: new Date(NOW.getTime() + s * 1000) });
    expect(await codeOf(verifyLoginSignature(input(at(-121))))).toBe('SIGNING_TIME_OUT_OF_WINDOW');
    expect(await codeOf(verifyLoginSignature(input(at(301))))).toBe('SIGNING_TIME_OUT_OF_WINDOW');
    await expect(verifyLoginSignature(input(at(-119)))).resolves.toBeDefined();
    await expect(verifyLoginSignature(input(at(299)))).resolves.toBeDefined();
    expect(await codeOf(verifyLoginSignature(input(at(-119), { maxAgeSeconds: 60 })))).toBe('SIGNING_TIME_OUT_OF_WINDOW');
  });

  it('checks in order: challenge before signature before time before chain', async () => {
    const bad = cmsFor(pki.expired, { signingTime: new Date(NOW.getTime() - 3_600_000), mutate: (sd) => (sd.signerInfos[0]!.signature = new asn1js.OctetString({ valueHex: new Uint8Array(64) })) });
    expect(await codeOf(verifyLoginSignature(input(bad, { challenge: new Uint8Array(1) })))).toBe('WRONG_CHALLENGE');
    expect(await codeOf(verifyLoginSignature(input(bad)))).toBe('BAD_SIGNATURE');
    expect(await codeOf(verifyLoginSignature(input(cmsFor(pki.expired, { signingTime: new Date(NOW.getTime() - 3_600_000) }))))).toBe('SIGNING_TIME_OUT_OF_WINDOW');
    expect(await codeOf(verifyLoginSignature(input(cmsFor(pki.expired))))).toBe('CERT_EXPIRED');
  });

  const chainCases: Array<[string, keyof TestPki, Partial<VerifyLoginSignatureInput>?]> = [
    ['CERT_EXPIRED', 'expired'],
    ['CERT_NOT_YET_VALID', 'notYetValid'],
    ['CERT_REVOKED', 'revoked'],
    ['WRONG_KEY_USAGE', 'noDigitalSignature'],
    ['WRONG_KEY_USAGE', 'serverAuthOnly'],
    ['UNTRUSTED_CHAIN', 'forged'],
    ['UNTRUSTED_CHAIN', 'issuedByLeaf'],
  ];
  for (const [code, who] of chainCases) {
    it(`${code} passed through from the chain (${who})`, async () => {
      const signer = pki[who] as Issued;
      const e = await rejection(verifyLoginSignature(input(cmsFor(signer, { certificates: [pki.intermediate.der, pki.leafRsa.der] }))));
      expect(e.code).toBe(code);
    });
  }

  it('UNTRUSTED_CHAIN when the root is not a trust anchor', async () => {
    const other = await testPkiOtherRoot();
    expect(await codeOf(verifyLoginSignature(input(cmsFor(pki.leafRsa), { trustAnchors: [other] })))).toBe('UNTRUSTED_CHAIN');
  });

  it('CRL_STALE and CRL_INVALID', async () => {
    const stale = await makeCrl(pki.intermediate, [], { thisUpdate: new Date(NOW.getTime() - 20 * 86_400_000), nextUpdate: new Date(NOW.getTime() - 86_400_000) });
    expect(await codeOf(verifyLoginSignature(input(cmsFor(pki.leafRsa), { crls: [stale] })))).toBe('CRL_STALE');
    const forged = await makeCrl(pki.intermediate, [], { signWith: pki.leafP256.privateKey });
    expect(await codeOf(verifyLoginSignature(input(cmsFor(pki.leafRsa), { crls: [forged] })))).toBe('CRL_INVALID');
  });

  it('messages for people on expiry and revocation', async () => {
    for (const who of [pki.expired, pki.revoked]) {
      const e = await rejection(verifyLoginSignature(input(cmsFor(who))));
      expect(e.message).toMatch(/Renew your e-legitimation at the bank/);
    }
  });
});

async function testPkiOtherRoot(): Promise<Uint8Array> {
  const { issue } = await import('./pkiFixtures.ts');
  return (await issue({ subject: [['2.5.4.3', 'Testbanken Root CA']], ca: {} })).der;
}
