import { createHash, randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCertificate } from '../../../src/pki/certificate.ts';
import { LoginSignatureError, verifyLoginSignature } from '../../../src/pki/cmsVerifier.ts';
import { signLogin } from './cmsFixtures.ts';
import { NOW, testPki, type TestPki } from './pkiFixtures.ts';

const challenge = new Uint8Array(createHash('sha256').update('hostile').digest());
let pki: TestPki;
let real: Uint8Array;
beforeAll(async () => {
  pki = await testPki();
  real = signLogin({ challenge, cert: pki.leafP256.der, key: pki.leafP256.key, certificates: [pki.intermediate.der] });
});

async function malformedCode(cms: Uint8Array): Promise<string> {
  try {
    await verifyLoginSignature({ cms, challenge, trustAnchors: [pki.root.der], now: NOW });
  } catch (e) {
    if (!(e instanceof LoginSignatureError)) throw e;
    return e.code;
  }
  return 'ACCEPTED';
}

describe('hostile DER gets a clean typed rejection, fast', () => {
  it('the real CMS verifies (control)', async () => {
    expect(await malformedCode(real)).toBe('ACCEPTED');
  });

  it('is CMS_MALFORMED at every truncated length of a real CMS', async () => {
    const t0 = performance.now();
    for (let n = 0; n < real.length; n++) expect(await malformedCode(real.subarray(0, n)), `length ${n}`).toBe('CMS_MALFORMED');
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('a 4-byte length claiming 2 GB', async () => {
    const cms = Uint8Array.from([0x30, 0x84, 0x80, 0x00, 0x00, 0x00, 0x06, 0x09, 0x2a, 0x86, 0x48]);
    expect(await malformedCode(cms)).toBe('CMS_MALFORMED');
  });

  it('10 000 nested SEQUENCEs (indefinite and definite)', async () => {
    const indefinite = new Uint8Array(40_000);
    for (let i = 0; i < 10_000; i++) indefinite.set([0x30, 0x80], 2 * i);
    const definite: number[] = [0x05, 0x00];
    for (let i = 0; i < 10_000 && definite.length < 60_000; i++) definite.unshift(0x30, ...(definite.length < 128 ? [definite.length] : [0x82, definite.length >> 8, definite.length & 0xff]));
    const t0 = performance.now();
    expect(await malformedCode(indefinite)).toBe('CMS_MALFORMED');
    expect(await malformedCode(Uint8Array.from(definite))).toBe('CMS_MALFORMED');
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it('1 MiB input', async () => {
    const big = new Uint8Array(1 << 20);
    big.set([0x30, 0x83, 0x0f, 0xff, 0xfc]);
    const t0 = performance.now();
    expect(await malformedCode(big)).toBe('CMS_MALFORMED');
    expect(performance.now() - t0).toBeLessThan(50);
  });

  it('2000 random buffers, and 500 with one random byte of the real CMS changed', async () => {
    const t0 = performance.now();
    for (let i = 0; i < 2000; i++) {
      const code = await malformedCode(new Uint8Array(randomBytes(1 + (i % 700))));
      expect(code).toBe('CMS_MALFORMED');
    }
    for (let i = 0; i < 500; i++) {
      const bad = new Uint8Array(real);
      bad[i % bad.length] = randomBytes(1)[0]!;
      // Flipping a byte may leave it valid or hit any later check, but never an untyped error.
      expect(await malformedCode(bad)).toMatch(/^[A-Z_]+$/);
    }
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('parseCertificate rejects truncations of a certificate with CERT_MALFORMED', () => {
    for (let n = 0; n < pki.leafRsa.der.length; n += 7) {
      expect(() => parseCertificate(pki.leafRsa.der.subarray(0, n))).toThrow(expect.objectContaining({ code: 'CERT_MALFORMED' }));
    }
  });
});
