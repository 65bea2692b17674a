import { beforeAll, describe, expect, it } from 'vitest';
import { ChainError, validateChain, type ValidateChainInput } from '../../../src/pki/chainValidation.ts';
import { NOW, issue, makeCrl, chainCode as code, chainInput, testPki, type TestPki } from './pkiFixtures.ts';

let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

const input = (leaf: Uint8Array, o: Partial<ValidateChainInput> = {}): ValidateChainInput => chainInput(pki, leaf, o);

describe('validateChain', () => {
  it('builds leaf → intermediate → root, ignoring unrelated intermediates', async () => {
    const r = await validateChain(input(pki.leafRsa.der, { intermediates: [pki.leafP256.der, pki.intermediate.der] }));
    expect(r.chain.map((c) => c.subject.commonName)).toEqual(['Anna Andersson', 'Testbanken e-legitimation CA', 'Testbanken Root CA']);
  });

  it('UNTRUSTED_CHAIN without the intermediate, with a forged issuer, or a non-CA issuer', async () => {
    expect(await code(validateChain(input(pki.leafRsa.der, { intermediates: [] })))).toBe('UNTRUSTED_CHAIN');
    expect(await code(validateChain(input(pki.forged.der)))).toBe('UNTRUSTED_CHAIN');
    expect(await code(validateChain(input(pki.issuedByLeaf.der, { intermediates: [pki.intermediate.der, pki.leafRsa.der] })))).toBe('UNTRUSTED_CHAIN');
  });

  it('UNTRUSTED_CHAIN when a pathLenConstraint is exceeded', async () => {
    const sub = await issue({ subject: [['2.5.4.3', 'Sub CA']], issuer: pki.intermediate, ca: {} });
    const leaf = await issue({ subject: [['2.5.4.3', 'Deep leaf']], issuer: sub, keyUsage: ['digitalSignature'] });
    expect(await code(validateChain(input(leaf.der, { intermediates: [pki.intermediate.der, sub.der], crls: [] })))).toBe('UNTRUSTED_CHAIN');
  });

  it('stops at the path length bound on a loop of cross-signed CAs', async () => {
    const a = await issue({ subject: [['2.5.4.3', 'Loop']], ca: {} });
    const leaf = await issue({ subject: [['2.5.4.3', 'L']], issuer: a, keyUsage: ['digitalSignature'] });
    expect(await code(validateChain(input(leaf.der, { intermediates: [a.der, a.der, a.der] })))).toBe('UNTRUSTED_CHAIN');
  });

  it('time, usage and revocation codes', async () => {
    expect(await code(validateChain(input(pki.expired.der)))).toBe('CERT_EXPIRED');
    expect(await code(validateChain(input(pki.notYetValid.der)))).toBe('CERT_NOT_YET_VALID');
    expect(await code(validateChain(input(pki.leafRsa.der, { at: new Date('2030-01-01') })))).toBe('CERT_EXPIRED');
    expect(await code(validateChain(input(pki.noDigitalSignature.der)))).toBe('WRONG_KEY_USAGE');
    expect(await code(validateChain(input(pki.serverAuthOnly.der)))).toBe('WRONG_KEY_USAGE');
    expect(await code(validateChain(input(pki.revoked.der)))).toBe('CERT_REVOKED');
    expect(await code(validateChain(input(pki.revoked.der, { crls: [] })))).toBe('VALID');
  });

  it('CERT_REVOKED for an intermediate on the root CRL', async () => {
    const rootCrl = await makeCrl(pki.root, [pki.intermediate]);
    const e = await validateChain(input(pki.leafRsa.der, { crls: [rootCrl] })).catch((x: unknown) => x as ChainError);
    expect(e).toMatchObject({ code: 'CERT_REVOKED', message: expect.stringMatching(/issuing certificate .* has been revoked/) });
  });

  it('CRL_INVALID for an unreadable CRL', async () => {
    expect(await code(validateChain(input(pki.leafRsa.der, { crls: [new Uint8Array([0x30, 0x00])] })))).toBe('CRL_INVALID');
  });

  it('warns CERT_EXPIRES_SOON within 30 days and not before', async () => {
    const r = await validateChain(input(pki.expiringSoon.der));
    expect(r.warnings).toMatchObject([{ code: 'CERT_EXPIRES_SOON', daysLeft: 10 }]);
    const early = await validateChain(input(pki.expiringSoon.der, { at: new Date(NOW.getTime() - 25 * 86_400_000), crls: [] }));
    expect(early.warnings).toEqual([]);
  });
});
