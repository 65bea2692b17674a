/**
 * Login signatures end to end: the client side (challenge in, CMS out) on the virtual card in
 * process, and the service's verifier (CMS + chain + CRL) per second on one core, next to
 * OpenSSL's raw signature verification rate measured in the same run (`openssl speed`).
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign, verify as verifyRaw } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PivSession } from '../../src/piv/pivSession.ts';
import { InProcessTransport } from '../../src/pcsc/inProcessTransport.ts';
import { pivSigner, signChallenge } from '../../src/pki/loginSignature.ts';
import { verifyLoginSignature } from '../../src/pki/cmsVerifier.ts';
import { initTestPki, issuerFor, loadTestPki } from '../../src/pki/testPki.ts';
import { createCardImage } from '../../src/virtual/cardImage.ts';
import { VirtualPivCard } from '../../src/virtual/pivCard.ts';
import { findExecutable } from '../support/pcscd.ts';
import { median, report, round } from './figures.ts';

/** verify/s of `openssl speed` for rsa2048 and ecdsap256, on one core. */
function opensslVerifyRates(): Promise<{ rsa2048: number; p256: number } | undefined> {
  if (!findExecutable('openssl')) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    execFile('openssl', ['speed', '-seconds', '2', '-elapsed', 'rsa2048', 'ecdsap256'], { timeout: 60_000 }, (error, stdout) => {
      if (error) return resolve(undefined);
      const rsa = /^rsa 2048 bits\s+\S+\s+\S+\s+\S+\s+(\S+)/m.exec(stdout);
      const ec = /256 bits ecdsa \(nistp256\)\s+\S+\s+\S+\s+\S+\s+(\S+)/m.exec(stdout);
      resolve(rsa && ec ? { rsa2048: Number(rsa[1]), p256: Number(ec[1]) } : undefined);
    });
  });
}

export async function benchLoginCms(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ekort-bench-pki-'));
  try {
    await initTestPki(dir);
    const pki = await loadTestPki(dir);
    const openssl = await opensslVerifyRates();
    for (const keyType of ['rsa2048', 'p256'] as const) {
      const image = await createCardImage({ name: 'Bench Holder', personnummer: '199001012385', keyType, issue: issuerFor(dir) });
      const transport = new InProcessTransport(new VirtualPivCard(image));

      // Client side: challenge in, CMS out (select, certificate, PIN, sign, CMS assembly).
      const client: number[] = [];
      const signed: Array<{ cms: Uint8Array; challenge: Uint8Array }> = [];
      for (let i = 0; i < 60; i++) {
        const challenge = randomBytes(32);
        const t0 = performance.now();
        const session = await PivSession.open(transport);
        await session.verifyPin('123456');
        const cms = await signChallenge(challenge, await pivSigner(session, '9a'));
        client.push(performance.now() - t0);
        signed.push({ cms, challenge });
      }
      report({ name: `login.client_cms.${keyType}.inprocess.median`, value: round(median(client.slice(10))), unit: 'ms', note: 'challenge in, CMS out, virtual card in process' });

      // Service side: full verification, serially on one core.
      const verify = (i: number) =>
        verifyLoginSignature({ cms: signed[i % signed.length]!.cms, challenge: signed[i % signed.length]!.challenge, trustAnchors: [pki.root], intermediates: pki.intermediates, crls: pki.crls });
      for (let i = 0; i < 50; i++) await verify(i);
      const t0 = performance.now();
      let n = 0;
      while (performance.now() - t0 < 2000) await verify(n++);
      const perSecond = n / ((performance.now() - t0) / 1000);
      report({ name: `login.verify.${keyType}.per_second`, value: round(perSecond, 0), unit: 'verifications/s', note: 'CMS + signer + chain (root, issuing CA) + CRL, one core' });
      // Node's own signature verification (OpenSSL underneath), the floor for any verifier in Node.
      const { privateKey, publicKey } = keyType === 'rsa2048' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const message = randomBytes(100);
      const signature = sign('sha256', message, privateKey);
      const r0 = performance.now();
      let raw = 0;
      while (performance.now() - r0 < 1000) if (verifyRaw('sha256', message, publicKey, signature)) raw++;
      report({ name: `login.verify.${keyType}.node_raw_verify`, value: round(raw / ((performance.now() - r0) / 1000), 0), unit: 'verifications/s', note: 'crypto.verify alone' });
      if (openssl) {
        const raw = openssl[keyType];
        report({ name: `login.verify.${keyType}.openssl_raw_verify`, value: raw, unit: 'verifications/s', peer: 'openssl speed' });
        report({ name: `login.verify.${keyType}.ratio_to_openssl_raw`, value: round(raw / perSecond, 2), unit: 'x', target_max: 2 });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
