/**
 * APDU round trips through the real stack: our ReaderMonitor/pcsclite transport -> pcscd ->
 * vpcd -> a virtual card, for our card (VpcdLink, with and without its own TCP_QUICKACK) and
 * for Debian's vicc, each with the machine-wide loopback quickack route off and on
 * (native/loopback-quickack.sh). The route is put back as it was.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ReaderMonitor } from '../../src/pcsc/readerMonitor.ts';
import { FileSystemCard } from '../../src/virtual/fileSystemCard.ts';
import { VpcdLink } from '../../src/virtual/vpcdLink.ts';
import { ensurePcscd, vpcdPorts, vpcdReaders } from '../support/pcscd.ts';
import { startVicc, viccProblems } from '../support/vicc.ts';
import { median, percentile, report, round } from './figures.ts';

const QUICKACK_SCRIPT = fileURLToPath(new URL('../../native/loopback-quickack.sh', import.meta.url));
const GET_CHALLENGE = Uint8Array.of(0x00, 0x84, 0x00, 0x00, 0x08);

function routeQuickack(state?: 'on' | 'off'): 'on' | 'off' {
  return execFileSync('bash', [QUICKACK_SCRIPT, state ?? 'status'], { encoding: 'utf8' }).trim() as 'on' | 'off';
}

async function timeApdus(monitor: ReaderMonitor, reader: string, count: number): Promise<number[]> {
  await monitor.waitFor((e) => e.type === 'card-inserted' && e.reader === reader, 10_000);
  const transport = await monitor.connect(reader);
  try {
    for (let i = 0; i < 5; i++) await transport.transmit(GET_CHALLENGE);
    const ms: number[] = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      const r = await transport.transmit(GET_CHALLENGE);
      ms.push(performance.now() - t0);
      if (r.length !== 10 || r[8] !== 0x90) throw new Error('unexpected answer to GET CHALLENGE');
    }
    return ms;
  } finally {
    await transport.close();
  }
}

async function waitGone(monitor: ReaderMonitor, reader: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (monitor.readers().find((r) => r.name === reader)?.present && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

export async function benchApduVpcd(): Promise<void> {
  if (!(await ensurePcscd())) return;
  const canRoute = process.getuid?.() === 0;
  const before = routeQuickack();
  const monitor = new ReaderMonitor().start();
  await monitor.settled();
  try {
    for (const route of canRoute ? (['off', 'on'] as const) : [before]) {
      if (canRoute) routeQuickack(route);
      for (const socketQuickAck of [true, false]) {
        const link = new VpcdLink(new FileSystemCard(), { port: vpcdPorts[0], quickAck: socketQuickAck });
        await link.start();
        const count = !socketQuickAck && route === 'off' ? 60 : 1000;
        const ms = await timeApdus(monitor, vpcdReaders[0], count);
        await link.stop();
        await waitGone(monitor, vpcdReaders[0]);
        report({ name: `apdu.vpcd.ekort_card.socket_quickack_${socketQuickAck ? 'on' : 'off'}.route_quickack_${route}.median`, value: round(median(ms)), unit: 'ms', p90: round(percentile(ms, 90)), apdus: count });
      }
      if (viccProblems().length === 0) {
        const vicc = await startVicc({ port: vpcdPorts[1] });
        try {
          const count = route === 'off' ? 40 : 400;
          const ms = await timeApdus(monitor, vpcdReaders[1], count);
          report({ name: `apdu.vpcd.vicc.route_quickack_${route}.median`, value: round(median(ms)), unit: 'ms', p90: round(percentile(ms, 90)), apdus: count, peer: 'Debian vsmartcard-vpicc' });
        } finally {
          await vicc.stop();
          await waitGone(monitor, vpcdReaders[1]);
        }
      }
    }
  } finally {
    if (canRoute) routeQuickack(before);
    await monitor.close();
  }
}
