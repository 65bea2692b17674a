import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derToPem } from '../../../src/pki/pem.ts';
import { verifyLoginSignature } from '../../../src/pki/cmsVerifier.ts';
import { signLogin } from './cmsFixtures.ts';
import { NOW, makeCrl, testPki, type Issued, type TestPki } from './pkiFixtures.ts';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
// On CI a missing openssl must fail, not skip.
const run = hasOpenssl() || process.env.CI === 'true';

describe.runIf(run)('interop with OpenSSL cms', () => {
  let pki: TestPki;
  let dir: string;
  const challenge = new Uint8Array(32).map((_, i) => i * 7);
  beforeAll(async () => {
    pki = await testPki();
    dir = mkdtempSync(join(tmpdir(), 'ekort-cms-'));
    writeFileSync(join(dir, 'challenge.bin'), challenge);
    writeFileSync(join(dir, 'intermediate.pem'), derToPem(pki.intermediate.der, 'CERTIFICATE'));
    writeFileSync(join(dir, 'root.pem'), derToPem(pki.root.der, 'CERTIFICATE'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function opensslSign(who: Issued, name: string): Uint8Array {
    writeFileSync(join(dir, `${name}.pem`), derToPem(who.der, 'CERTIFICATE'));
    writeFileSync(join(dir, `${name}.key`), who.key.export({ type: 'pkcs8', format: 'pem' }));
    const out = join(dir, `${name}.cms`);
    execFileSync('openssl', ['cms', '-sign', '-binary', '-md', 'sha256', '-signer', `${name}.pem`, '-inkey', `${name}.key`, '-outform', 'DER', '-in', 'challenge.bin', '-certfile', 'intermediate.pem', '-out', out], { cwd: dir, stdio: 'pipe' });
    return new Uint8Array(readFileSync(out));
  }

  for (const name of ['leafRsa', 'leafP256'] as const) {
    it(`a CMS made by OpenSSL verifies with our verifier (${name})`, async () => {
      const cms = opensslSign(pki[name], name);
      // OpenSSL stamps the real clock; verify at the time it signed.
      const now = new Date();
      const crl = await makeCrl(pki.intermediate, [pki.revoked], { thisUpdate: new Date(now.getTime() - 3_600_000), nextUpdate: new Date(now.getTime() + 3_600_000) });
      const r = await verifyLoginSignature({ cms, challenge, trustAnchors: [pki.root.der], crls: [crl], now, maxAgeSeconds: 60 });
      expect(r.signer.fingerprints.sha256).toBe(opensslFingerprint(pki[name]));
      expect(r.chain).toHaveLength(3);
    });
  }

  it('OpenSSL accepts a CMS made by our fixture (sanity of the fixture)', () => {
    const cms = signLogin({ challenge, cert: pki.leafP256.der, key: pki.leafP256.key, certificates: [pki.intermediate.der] });
    writeFileSync(join(dir, 'ours.cms'), cms);
    execFileSync('openssl', ['cms', '-verify', '-inform', 'DER', '-binary', '-in', 'ours.cms', '-content', 'challenge.bin', '-CAfile', 'root.pem', '-purpose', 'any', '-attime', String(Math.floor(NOW.getTime() / 1000)), '-out', '/dev/null'], { cwd: dir, stdio: 'pipe' });
  });

  function opensslFingerprint(who: Issued): string {
    const out = execFileSync('openssl', ['x509', '-inform', 'DER', '-noout', '-fingerprint', '-sha256'], { input: who.der }).toString();
    return out.split('=')[1]!.trim().replace(/:/g, '').toLowerCase();
  }
});
