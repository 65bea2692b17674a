import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomer } from '../../../src/bank/customers.ts';
import { EkortService } from '../../../src/bank/service.ts';
import { reloadTrustOnChange } from '../../../src/cli/serveTrust.ts';
import { InProcessTransport } from '../../../src/pcsc/inProcessTransport.ts';
import { PivSession } from '../../../src/piv/pivSession.ts';
import { pivSigner } from '../../../src/piv/pivSigner.ts';
import { signChallenge } from '../../../src/pki/loginSignature.ts';
import { initTestPki, issuerFor, loadTestPkiTrust, revokeCertificate } from '../../../src/pki/testPki.ts';
import { createCardImage, type CardImage } from '../../../src/virtual/cardImage.ts';
import { VirtualPivCard } from '../../../src/virtual/pivCard.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ekort-serve-trust-'));
const pkiDir = path.join(tmp, 'pki');
let card: CardImage;
let serial: string;
let service: EkortService;

beforeAll(async () => {
  await initTestPki(pkiDir);
  card = await createCardImage({ name: 'Anna Andersson', personnummer: '199001012385', keyType: 'p256', issue: issuerFor(pkiDir) });
  const piv = await PivSession.open(new InProcessTransport(new VirtualPivCard(card)));
  serial = new X509Certificate((await pivSigner(piv, '9a')).certificate).serialNumber;
  service = await EkortService.open(path.join(tmp, 'bank.db'), { trust: await loadTestPkiTrust(pkiDir), sweepIntervalMs: 0 });
  await createCustomer(service.ctx, '199001012385', 'Anna Andersson');
}, 60_000);
afterAll(async () => {
  await service.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function login(): Promise<string> {
  const { challengeId, challenge } = await service.cardChallenge();
  const piv = await PivSession.open(new InProcessTransport(new VirtualPivCard(card)));
  await piv.verifyPin('123456');
  const cms = await signChallenge(Buffer.from(challenge, 'base64'), await pivSigner(piv, '9a'));
  return service.cardLogin(challengeId, cms).then(
    () => 'LOGGED_IN',
    (e: { code?: string }) => e.code ?? String(e),
  );
}

/** The next line `log` receives, or a failure after 5 s. */
function nextLine(lines: string[], from: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (lines.length > from) {
        clearInterval(timer);
        resolve(lines[from]!);
      } else if (Date.now() - started > 5000) {
        clearInterval(timer);
        reject(new Error('no reload within 5 s'));
      }
    }, 10);
  });
}

describe('ekort serve --ca: the trust follows the PKI directory', () => {
  it('keeps the trust when a changed file cannot be read, and takes a revocation without a restart', async () => {
    const lines: string[] = [];
    const stop = await reloadTrustOnChange(pkiDir, service, (line) => lines.push(line), 20);
    try {
      expect(await login()).toBe('LOGGED_IN');

      const crlFile = path.join(pkiDir, 'issuing-ec.crl.pem');
      const crl = readFileSync(crlFile);
      writeFileSync(crlFile, '-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n');
      expect(await nextLine(lines, 0)).toMatch(/cannot be used .*the previous trust stays/);
      expect(await login()).toBe('LOGGED_IN');
      writeFileSync(crlFile, crl);
      expect(await nextLine(lines, 1)).toMatch(/read again/);

      await revokeCertificate(pkiDir, serial);
      expect(await nextLine(lines, 2)).toMatch(/read again/);
      expect(await login()).toBe('CERT_REVOKED');
    } finally {
      stop();
    }
  });
});
