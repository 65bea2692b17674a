import { beforeAll, describe, expect, it } from 'vitest';
import { TrustStore, type TrustInput } from '../../../src/pki/chainValidation.ts';
import { NOW, chainCode as code, testPki, type TestPki } from './pkiFixtures.ts';

const DAY = 86_400_000;
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

const trustInput = (o: Partial<TrustInput> = {}): TrustInput => ({ trustAnchors: [pki.root.der], intermediates: [pki.intermediate.der], crls: [pki.crl], ...o });
const at = (days: number) => new Date(NOW.getTime() + days * DAY);
const check = async (store: TrustStore, leaf: Uint8Array, when = NOW) => code(Promise.resolve().then(() => store.validate(leaf, when)));

describe('TrustStore', () => {
  it('reuses a success only inside the CRL interval', async () => {
    const store = TrustStore.from(trustInput());
    expect(await check(store, pki.leafRsa.der)).toBe('VALID');
    expect(await check(store, pki.leafRsa.der, at(1))).toBe('VALID');
    expect(await check(store, pki.leafRsa.der, at(7))).toBe('CRL_STALE');
    expect(await check(store, pki.leafRsa.der, at(-2))).toBe('CRL_STALE');
  });

  it('reuses a success only inside the certificates’ validity, with warnings for the time asked', async () => {
    const store = TrustStore.from(trustInput({ crls: [] }));
    expect(store.validate(pki.expiringSoon.der, at(0)).warnings[0]!.daysLeft).toBe(10);
    expect(store.validate(pki.expiringSoon.der, at(5)).warnings[0]!.daysLeft).toBe(5);
    expect(await check(store, pki.expiringSoon.der, at(11))).toBe('CERT_EXPIRED');
  });

  it('answers from the trust it was made with: other anchors, CRLs or intermediates are another store', async () => {
    expect(await check(TrustStore.from(trustInput({ crls: [] })), pki.revoked.der)).toBe('VALID');
    expect(await check(TrustStore.from(trustInput()), pki.revoked.der)).toBe('CERT_REVOKED');
    expect(await check(TrustStore.from(trustInput({ trustAnchors: [pki.leafP256.der] })), pki.leafRsa.der)).toBe('UNTRUSTED_CHAIN');
    expect(await check(TrustStore.from(trustInput({ intermediates: [] })), pki.leafRsa.der)).toBe('UNTRUSTED_CHAIN');
  });

  it('keeps its own copy: bytes changed in place afterwards change nothing, a new store sees them', async () => {
    const intermediate = new Uint8Array(pki.intermediate.der);
    const store = TrustStore.from(trustInput({ intermediates: [intermediate] }));
    intermediate[intermediate.length - 1]! ^= 0x01;
    expect(await check(store, pki.leafRsa.der)).toBe('VALID');
    expect(await check(TrustStore.from(trustInput({ intermediates: [intermediate] })), pki.leafRsa.der)).toBe('UNTRUSTED_CHAIN');
  });

  it('returns a chain the caller may change without affecting later calls', () => {
    const store = TrustStore.from(trustInput());
    const first = store.validate(pki.leafRsa.der, NOW);
    first.chain.length = 0;
    expect(store.validate(pki.leafRsa.der, NOW).chain).toHaveLength(3);
  });

  it('refuses a trust configuration that is not lists of DER bytes, and an unreadable CRL, when made', async () => {
    expect(await code(Promise.resolve().then(() => TrustStore.from({ trustAnchors: ['x' as unknown as Uint8Array] })))).toBe('UNTRUSTED_CHAIN');
    expect(await code(Promise.resolve().then(() => TrustStore.from(trustInput({ crls: [Uint8Array.of(0x30, 0x00)] }))))).toBe('CRL_INVALID');
  });
});
