/**
 * The client half of a BankID-på-kort login on the virtual PIV card: SELECT, read the 9A
 * certificate, VERIFY PIN, sign a SHA-256 digest of a challenge. In process and through
 * pcscd + vpcd (loopback quickack set, as on a test machine), RSA-2048 and P-256; and, as the
 * peer, pkcs11-tool (OpenSC) signing with the same card in the same run.
 */
import { createHash } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PivSession } from '../../src/piv/pivSession.ts';
import { digestInfo } from '../../src/pki/digestInfo.ts';
import type { CardTransport } from '../../src/pcsc/cardTransport.ts';
import { InProcessTransport } from '../../src/pcsc/inProcessTransport.ts';
import { ReaderMonitor } from '../../src/pcsc/readerMonitor.ts';
import { createCardImage, type PivKeyType } from '../../src/virtual/cardImage.ts';
import { VirtualPivCard } from '../../src/virtual/pivCard.ts';
import { VpcdLink } from '../../src/virtual/vpcdLink.ts';
import { ensurePcscd, findExecutable, vpcdPorts, vpcdReaders } from '../support/pcscd.ts';
import { median, percentile, report, round } from './figures.ts';

const PIN = '123456';
const PKCS11_MODULE = '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so';
const QUICKACK_SCRIPT = fileURLToPath(new URL('../../native/loopback-quickack.sh', import.meta.url));

async function loginSignature(transport: CardTransport, keyType: PivKeyType, challenge: Uint8Array): Promise<Uint8Array> {
  const session = await PivSession.open(transport);
  await session.readCertificate('9a');
  await session.verifyPin(PIN);
  const digest = createHash('sha256').update(challenge).digest();
  return keyType === 'rsa2048' ? session.sign('9a', 'rsa2048', digestInfo('sha256', digest)) : session.sign('9a', 'p256', digest);
}

async function timeRuns(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 3; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return ms;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${cmd} exited ${code}: ${err.slice(0, 300)}`));
    });
  });
}

export async function benchPivLogin(): Promise<void> {
  const challenge = new Uint8Array(32).fill(7);
  const withPcscd = await ensurePcscd();
  const canRoute = withPcscd && process.getuid?.() === 0;
  const routeBefore = canRoute ? execFileSync('bash', [QUICKACK_SCRIPT, 'status'], { encoding: 'utf8' }).trim() : 'off';
  if (canRoute) execFileSync('bash', [QUICKACK_SCRIPT, 'on']);
  const monitor = withPcscd ? new ReaderMonitor().start() : undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ekort-bench-'));
  try {
    await monitor?.settled();
    for (const keyType of ['p256', 'rsa2048'] as const) {
      const image = await createCardImage({ name: 'Bench Holder', keyType });
      const inProcess = new InProcessTransport(new VirtualPivCard(image));
      const local = await timeRuns(200, () => loginSignature(inProcess, keyType, challenge));
      report({ name: `piv.login_signature.${keyType}.inprocess.median`, value: round(median(local)), unit: 'ms', p90: round(percentile(local, 90)), runs: 200 });
      if (!monitor) continue;

      const link = new VpcdLink(new VirtualPivCard(image), { port: vpcdPorts[0] });
      await link.start();
      try {
        await monitor.waitFor((e) => e.type === 'card-inserted' && e.reader === vpcdReaders[0], 10_000);
        const transport = await monitor.connect(vpcdReaders[0]);
        const ours = await timeRuns(100, () => loginSignature(transport, keyType, challenge));
        await transport.close();
        report({ name: `piv.login_signature.${keyType}.pcscd.median`, value: round(median(ours)), unit: 'ms', p90: round(percentile(ours, 90)), runs: 100, route_quickack: canRoute ? 'on' : routeBefore, target_max: 10 });

        if (findExecutable('pkcs11-tool')) {
          const data = path.join(dir, 'challenge.bin');
          writeFileSync(data, challenge);
          const mechanism = keyType === 'rsa2048' ? 'SHA256-RSA-PKCS' : 'ECDSA-SHA256';
          const args = ['--module', PKCS11_MODULE, '--slot-index', '0', '--login', '--pin', PIN, '--sign', '--mechanism', mechanism, '--id', '01', '-i', data, '-o', path.join(dir, 'sig.bin')];
          const peer = await timeRuns(10, () => run('pkcs11-tool', args));
          report({ name: `piv.sign.${keyType}.pkcs11_tool.median`, value: round(median(peer)), unit: 'ms', runs: 10, peer: 'OpenSC pkcs11-tool, one process per signature' });
          report({ name: `piv.login_signature.${keyType}.speedup_vs_pkcs11_tool`, value: round(median(peer) / median(ours), 1), unit: 'x' });
        }
      } finally {
        await link.stop();
        const deadline = Date.now() + 5000;
        while (monitor.readers().find((r) => r.name === vpcdReaders[0])?.present && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      }
    }
  } finally {
    if (canRoute) execFileSync('bash', [QUICKACK_SCRIPT, routeBefore]);
    await monitor?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
