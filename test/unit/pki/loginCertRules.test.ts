/** What a login path may not contain (issue 16): weak keys, CAs as signers, unprocessed restrictions, huge RSA keys. */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CertificateError, parseCertificate } from '../../../src/pki/certificate.ts';
import { validateChain } from '../../../src/pki/chainValidation.ts';
import { chainCode as code, chainInput, issue, testPki, type TestPki } from './pkiFixtures.ts';

let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

const CN = '2.5.4.3';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

describe('login certificate rules', () => {
  it('WEAK_KEY for an RSA-1024 login certificate or intermediate', async () => {
    const leaf = await issue({ subject: [[CN, 'Weak leaf']], issuer: pki.intermediate, keyKind: 'rsa1024', keyUsage: ['digitalSignature'], extendedKeyUsage: [CLIENT_AUTH] });
    expect(await code(validateChain(chainInput(pki, leaf.der, { crls: [] })))).toBe('WEAK_KEY');
    const weakCa = await issue({ subject: [[CN, 'Weak CA']], issuer: pki.root, keyKind: 'rsa1024', ca: {} });
    const under = await issue({ subject: [[CN, 'Under weak CA']], issuer: weakCa, keyUsage: ['digitalSignature'] });
    expect(await code(validateChain(chainInput(pki, under.der, { intermediates: [weakCa.der], crls: [] })))).toBe('WEAK_KEY');
  });

  it('WRONG_KEY_USAGE for a CA certificate or a keyCertSign key as the login signer', async () => {
    const ca = await issue({ subject: [[CN, 'CA signer']], issuer: pki.intermediate, ca: {}, keyUsage: ['digitalSignature', 'keyCertSign'] });
    expect(await code(validateChain(chainInput(pki, ca.der, { crls: [] })))).toBe('WRONG_KEY_USAGE');
    const certSigner = await issue({ subject: [[CN, 'Cert signer']], issuer: pki.intermediate, keyUsage: ['digitalSignature', 'keyCertSign'] });
    expect(await code(validateChain(chainInput(pki, certSigner.der, { crls: [] })))).toBe('WRONG_KEY_USAGE');
  });

  it('UNTRUSTED_CHAIN for a CA with name constraints, even non-critical ones (not processed: fail closed)', async () => {
    const nc = new pkijs.NameConstraints({ permittedSubtrees: [new pkijs.GeneralSubtree({ base: new pkijs.GeneralName({ type: 2, value: 'example.se' }) })] });
    const constrained = await issue({ subject: [[CN, 'Constrained CA']], issuer: pki.root, ca: {}, extraExtensions: [new pkijs.Extension({ extnID: '2.5.29.30', critical: false, extnValue: nc.toSchema().toBER(false) })] });
    const leaf = await issue({ subject: [[CN, 'Constrained leaf']], issuer: constrained, keyUsage: ['digitalSignature'] });
    const e = await validateChain(chainInput(pki, leaf.der, { intermediates: [constrained.der], crls: [] })).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'UNTRUSTED_CHAIN', message: expect.stringMatching(/name constraints/) });
  });

  it('skips an issuer whose subject key identifier differs from the authority key identifier', async () => {
    const ski = new Uint8Array(20).fill(9);
    const aki = new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: ski }) });
    const leaf = await issue({ subject: [[CN, 'AKI leaf']], issuer: pki.intermediate, keyUsage: ['digitalSignature'], extraExtensions: [new pkijs.Extension({ extnID: '2.5.29.35', extnValue: aki.toSchema().toBER(false) })] });
    const e = await validateChain(chainInput(pki, leaf.der, { crls: [] })).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'UNTRUSTED_CHAIN', message: expect.stringMatching(/authority key identifier/) });
  });

  it('refuses an RSA modulus over 8192 bits or an exponent over 32 bits before any signature check', async () => {
    const rsaCert = async (modulusBytes: number, exponent: Uint8Array): Promise<Uint8Array> => {
      const n = new Uint8Array(modulusBytes).fill(0xc5);
      n[n.length - 1] = 0x01;
      const rsaKey = new asn1js.Sequence({ value: [new asn1js.Integer({ valueHex: Uint8Array.of(0, ...n) }), new asn1js.Integer({ valueHex: exponent })] });
      const base = pkijs.Certificate.fromBER(new Uint8Array(pki.leafP256.der));
      base.subjectPublicKeyInfo = new pkijs.PublicKeyInfo({
        algorithm: new pkijs.AlgorithmIdentifier({ algorithmId: '1.2.840.113549.1.1.1', algorithmParams: new asn1js.Null() }),
        subjectPublicKey: new asn1js.BitString({ valueHex: rsaKey.toBER(false) }),
      });
      await base.sign(pki.intermediate.privateKey, 'SHA-256');
      return new Uint8Array(base.toSchema(true).toBER(false));
    };
    const huge = await rsaCert(1032, Uint8Array.of(1, 0, 1));
    expect(() => parseCertificate(huge)).toThrow(CertificateError);
    expect(() => parseCertificate(huge)).toThrow(/8256 bits is over the 8192-bit limit/);
    const bigExponent = await rsaCert(256, Uint8Array.of(1, 0, 0, 0, 1));
    expect(() => parseCertificate(bigExponent)).toThrow(/exponent of 33 bits/);
    expect(parseCertificate(await rsaCert(256, Uint8Array.of(1, 0, 1))).keyType).toBe('rsa2048');
  });
});
