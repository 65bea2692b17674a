import { beforeAll, describe, expect, it } from 'vitest';
import { ChainError, validateChain, type ValidateChainInput } from '../../../src/pki/chainValidation.ts';
import { NOW, chainCode as code, chainInput, crlNumberExtension, deltaCrlIndicator, issue, issuingDistributionPoint, makeCrl, makeCrlWith, testPki, type TestPki } from './pkiFixtures.ts';

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

describe('validateChain with scoped and delta CRLs (RFC 5280 §5.2.4, §5.2.5)', () => {
  const entry = (issued: { serial: Uint8Array }, reason?: number) => ({ serial: issued.serial, ...(reason === undefined ? {} : { reason }) });

  it('refuses a leaf whose issuer has lists, none of them covering it (a CA-only list)', async () => {
    const caOnly = await makeCrlWith(pki.intermediate, { extensions: [crlNumberExtension(1n), issuingDistributionPoint({ onlyCaCerts: true })] });
    expect(await code(validateChain(input(pki.leafRsa.der, { crls: [caOnly] })))).toBe('REVOCATION_UNKNOWN');
    expect(await code(validateChain(input(pki.leafRsa.der, { crls: [caOnly, pki.crl] })))).toBe('VALID');
  });

  it('a delta CRL on top of its base revokes; one removing a hold releases it', async () => {
    const base = await makeCrlWith(pki.intermediate, { extensions: [crlNumberExtension(5n)], entries: [entry(pki.leafP256, 6)] });
    const delta = await makeCrlWith(pki.intermediate, { extensions: [crlNumberExtension(6n), deltaCrlIndicator(5n)], entries: [entry(pki.leafRsa, 1)] });
    const release = await makeCrlWith(pki.intermediate, { extensions: [crlNumberExtension(7n), deltaCrlIndicator(5n)], entries: [entry(pki.leafP256, 8)] });
    expect(await code(validateChain(input(pki.leafRsa.der, { crls: [base] })))).toBe('VALID');
    expect(await code(validateChain(input(pki.leafRsa.der, { crls: [base, delta] })))).toBe('CERT_REVOKED');
    expect(await code(validateChain(input(pki.leafP256.der, { crls: [base] })))).toBe('CERT_REVOKED');
    expect(await code(validateChain(input(pki.leafP256.der, { crls: [base, release] })))).toBe('VALID');
    expect(await code(validateChain(input(pki.leafRsa.der, { crls: [delta] })))).toBe('REVOCATION_UNKNOWN');
  });

  it('refuses a list with a critical extension it does not process', async () => {
    const unknown = await makeCrlWith(pki.intermediate, { extensions: [crlNumberExtension(1n, '1.2.3.4', true)] });
    expect(await code(validateChain(input(pki.leafRsa.der, { crls: [unknown] })))).toBe('CRL_INVALID');
  });
});
