/**
 * Path building is bounded (issue 16): a login CMS of dozens of CA certificates of one name and
 * one key costs a handful of signature checks, not every ordering of them. The checks are
 * counted through certificate.ts's isSignedBy; past a limit far above the budget the counter
 * throws, so a builder without bounds fails here quickly instead of running for minutes.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import * as certificate from '../../../src/pki/certificate.ts';
import { MAX_SIGNATURE_CHECKS } from '../../../src/pki/chainValidation.ts';
import { LoginSignatureError, verifyLoginSignatureSync } from '../../../src/pki/cmsVerifier.ts';
import { pathBomb } from '../../support/pathBomb.ts';
import { signLogin } from './cmsFixtures.ts';
import { NOW, testPki, type TestPki } from './pkiFixtures.ts';

const counter = vi.hoisted(() => ({ checks: 0 }));
vi.mock('../../../src/pki/certificate.ts', async (importOriginal) => {
  const original = await importOriginal<typeof certificate>();
  return {
    ...original,
    isSignedBy: (...args: Parameters<typeof original.isSignedBy>) => {
      if (++counter.checks > 1000) throw new Error('more than 1000 signature checks in one validation');
      return original.isSignedBy(...args);
    },
  };
});

let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

function rejection(f: () => unknown): LoginSignatureError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LoginSignatureError);
    return e as LoginSignatureError;
  }
  throw new Error('expected a LoginSignatureError');
}

describe('path building under attack', () => {
  it('40 CA certificates of one name and one key: UNTRUSTED_CHAIN within the signature budget', async () => {
    const bomb = await pathBomb({ count: 40, at: NOW });
    counter.checks = 0;
    const e = rejection(() => verifyLoginSignatureSync({ cms: bomb.cms, challenge: bomb.challenge, trustAnchors: [pki.root.der], intermediates: [pki.intermediate.der], now: NOW }));
    expect(e.code).toBe('UNTRUSTED_CHAIN');
    expect(counter.checks).toBeGreaterThan(0);
    expect(counter.checks).toBeLessThanOrEqual(MAX_SIGNATURE_CHECKS);
  }, 60_000);

  it('the bomb behind the real signer (first in the CMS) still leaves an honest chain valid', async () => {
    const bomb = await pathBomb({ count: 6, at: NOW });
    const sd = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(new Uint8Array(bomb.cms)).content });
    const cas = (sd.certificates ?? []).slice(1).map((c) => new Uint8Array((c as pkijs.Certificate).toSchema().toBER(false)));
    const challenge = new Uint8Array(32).fill(7);
    const cms = signLogin({ challenge, cert: pki.leafRsa.der, key: pki.leafRsa.key, certificates: cas });
    counter.checks = 0;
    const r = verifyLoginSignatureSync({ cms, challenge, trustAnchors: [pki.root.der], intermediates: [pki.intermediate.der], now: NOW });
    expect(r.chain.map((c) => c.subject.commonName)).toEqual(['Anna Andersson', 'Testbanken e-legitimation CA', 'Testbanken Root CA']);
    expect(counter.checks).toBeLessThanOrEqual(MAX_SIGNATURE_CHECKS);
  });
});

describe('DER nesting in a login CMS', () => {
  it('a signed attribute nested 200 deep is CMS_MALFORMED, one nested 3 deep is not', () => {
    const nested = (depth: number): asn1js.AsnType => {
      let v: asn1js.AsnType = new asn1js.Null();
      for (let i = 0; i < depth; i++) v = new asn1js.Sequence({ value: [v] });
      return v;
    };
    const withAttribute = (depth: number) => {
      const challenge = new Uint8Array(32).fill(depth);
      const cms = signLogin({
        challenge,
        cert: pki.leafRsa.der,
        key: pki.leafRsa.key,
        certificates: [pki.intermediate.der],
        attributes: (attrs) => [...attrs, new pkijs.Attribute({ type: '1.2.3.4', values: [nested(depth)] })],
      });
      return () => verifyLoginSignatureSync({ cms, challenge, trustAnchors: [pki.root.der], intermediates: [pki.intermediate.der], now: NOW });
    };
    expect(withAttribute(3)().signer.subject.commonName).toBe('Anna Andersson');
    const e = rejection(withAttribute(200));
    expect(e.code).toBe('CMS_MALFORMED');
    expect(e.message).toMatch(/nesting deeper than/);
  });
});
