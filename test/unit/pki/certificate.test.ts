import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CertificateError, parseCertificate } from '../../../src/pki/certificate.ts';
import { issue, testPki, type TestPki } from './pkiFixtures.ts';

let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

describe('parseCertificate', () => {
  it('reads subject, issuer, usage, key type and fingerprints of a leaf', () => {
    const c = parseCertificate(pki.leafRsa.der);
    expect(c.subject).toMatchObject({
      dn: 'CN=Anna Andersson,SN=Andersson,givenName=Anna,serialNumber=199001012385,C=SE',
      commonName: 'Anna Andersson',
      personnummer: '199001012385',
      givenName: 'Anna',
      surname: 'Andersson',
    });
    expect(c.issuer.dn).toBe('CN=Testbanken e-legitimation CA,O=Testbanken AB,C=SE');
    expect(c.serialNumber).toBe(Buffer.from(pki.leafRsa.serial).toString('hex'));
    expect(c.keyUsage).toEqual(['digitalSignature', 'nonRepudiation']);
    expect(c.extendedKeyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(c.isCa).toBe(false);
    expect(c.keyType).toBe('rsa2048');
    expect(c.fingerprints.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(c.fingerprints.sha1).toMatch(/^[0-9a-f]{40}$/);
    expect(c.notAfter.getTime()).toBeGreaterThan(c.notBefore.getTime());
  });

  it('reads CA constraints and the P-256/P-384 key types', async () => {
    const ca = parseCertificate(pki.intermediate.der);
    expect(ca).toMatchObject({ isCa: true, pathLength: 0, keyType: 'p256', keyUsage: ['keyCertSign', 'cRLSign'] });
    expect(parseCertificate(pki.root.der).pathLength).toBeUndefined();
    const p384 = await issue({ subject: [['2.5.4.3', 'x']], keyKind: 'p384' });
    expect(parseCertificate(p384.der).keyType).toBe('p384');
  });

  it('takes the personnummer from "SE"+12 digits and ignores other serialNumbers', async () => {
    expect(parseCertificate(pki.leafP256.der).subject.personnummer).toBe('198502024567');
    const odd = await issue({ subject: [['2.5.4.5', '12345'], ['2.5.4.3', 'a, "b"+c']] });
    const c = parseCertificate(odd.der);
    expect(c.subject.personnummer).toBeUndefined();
    expect(c.subject.dn).toBe('CN=a\\, \\"b\\"\\+c,serialNumber=12345');
  });

  it('rejects garbage and trailing bytes with CERT_MALFORMED', () => {
    for (const bad of [new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]), new Uint8Array([...pki.root.der, 0]), new Uint8Array(0)]) {
      expect(() => parseCertificate(bad)).toThrow(CertificateError);
    }
  });

  it('refuses an RSA key whose modulus or exponent is not a minimal positive INTEGER', () => {
    const withKey = (modulus: Uint8Array, exponent: Uint8Array): Uint8Array => {
      const cert = pkijs.Certificate.fromBER(new Uint8Array(pki.leafRsa.der));
      const rsaKey = new asn1js.Sequence({ value: [new asn1js.Integer({ valueHex: modulus }), new asn1js.Integer({ valueHex: exponent })] });
      cert.subjectPublicKeyInfo.subjectPublicKey = new asn1js.BitString({ valueHex: rsaKey.toBER(false) });
      return new Uint8Array(cert.toSchema(true).toBER(false));
    };
    const jwk = parseCertificate(pki.leafRsa.der).publicKey.export({ format: 'jwk' });
    const n = Buffer.from(jwk.n!, 'base64url');
    const e = Buffer.from(jwk.e!, 'base64url');
    // The control: the same key, re-encoded, reads.
    expect(parseCertificate(withKey(Buffer.concat([Buffer.of(0), n]), e)).keyType).toBe('rsa2048');
    for (const [modulus, exponent] of [
      [Buffer.concat([Buffer.of(0, 0), n]), e],
      [Buffer.concat([Buffer.of(0), n]), Buffer.concat([Buffer.of(0), e])],
      [n, e],
      [Buffer.concat([Buffer.of(0), n]), Buffer.of(0)],
    ] as const) {
      expect(() => parseCertificate(withKey(modulus, exponent))).toThrow(expect.objectContaining({ code: 'CERT_MALFORMED' }));
    }
  });
});
