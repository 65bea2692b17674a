import { beforeAll, describe, expect, it } from 'vitest';
import { validateChain, type ValidateChainInput } from '../../../src/pki/chainValidation.ts';
import { NOW, chainCode as code, chainInput, testPki, type TestPki } from './pkiFixtures.ts';

const DAY = 86_400_000;
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

const input = (leaf: Uint8Array, o: Partial<ValidateChainInput> = {}): ValidateChainInput => chainInput(pki, leaf, o);

describe('validateChain result cache', () => {
  it('reuses a success only inside the CRL interval', async () => {
    expect(await code(validateChain(input(pki.leafRsa.der)))).toBe('VALID');
    expect(await code(validateChain(input(pki.leafRsa.der, { at: new Date(NOW.getTime() + DAY) })))).toBe('VALID');
    expect(await code(validateChain(input(pki.leafRsa.der, { at: new Date(NOW.getTime() + 7 * DAY) })))).toBe('CRL_STALE');
    expect(await code(validateChain(input(pki.leafRsa.der, { at: new Date(NOW.getTime() - 2 * DAY) })))).toBe('CRL_STALE');
  });

  it('reuses a success only inside the certificates’ validity, with warnings for the time asked', async () => {
    const soon = (days: number) => validateChain(input(pki.expiringSoon.der, { crls: [], at: new Date(NOW.getTime() + days * DAY) }));
    expect((await soon(0)).warnings[0]!.daysLeft).toBe(10);
    expect((await soon(5)).warnings[0]!.daysLeft).toBe(5);
    expect(await code(soon(11))).toBe('CERT_EXPIRED');
  });

  it('does not reuse a success for other anchors, CRLs or intermediates', async () => {
    expect(await code(validateChain(input(pki.revoked.der, { crls: [] })))).toBe('VALID');
    expect(await code(validateChain(input(pki.revoked.der)))).toBe('CERT_REVOKED');
    expect(await code(validateChain(input(pki.leafRsa.der)))).toBe('VALID');
    expect(await code(validateChain(input(pki.leafRsa.der, { trustAnchors: [pki.leafP256.der] })))).toBe('UNTRUSTED_CHAIN');
    expect(await code(validateChain(input(pki.leafRsa.der, { intermediates: [] })))).toBe('UNTRUSTED_CHAIN');
  });

  it('notices bytes changed in place in a buffer it has seen', async () => {
    const intermediate = new Uint8Array(pki.intermediate.der);
    expect(await code(validateChain(input(pki.leafRsa.der, { intermediates: [intermediate] })))).toBe('VALID');
    intermediate[intermediate.length - 1]! ^= 0x01;
    expect(await code(validateChain(input(pki.leafRsa.der, { intermediates: [intermediate] })))).toBe('UNTRUSTED_CHAIN');
  });

  it('returns a chain the caller may change without affecting later calls', async () => {
    const first = await validateChain(input(pki.leafRsa.der));
    first.chain.length = 0;
    expect((await validateChain(input(pki.leafRsa.der))).chain).toHaveLength(3);
  });
});
