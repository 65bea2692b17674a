/**
 * APDUs through pcscd as a peer program sends them: OpenSC's opensc-tool, one process sending
 * hundreds of APDUs (per APDU = the time of 1100 minus the time of 100, best of 5 pairs), to a
 * card in ekort's own reader driver (Unix-domain socket), to our card through vpcd (TCP, with
 * its socket quickack) and to Debian's vicc through vpcd, in one run so they compare.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FileSystemCard } from '../../src/virtual/fileSystemCard.ts';
import { ekortReaderSlot } from '../../src/virtual/ekortReaders.ts';
import { VpcdLink } from '../../src/virtual/vpcdLink.ts';
import { findExecutable, ekortReaders, requireSystem, vpcdPorts, vpcdReaders, waitForCard } from '../support/pcscd.ts';
import { startVicc, viccProblems } from '../support/vicc.ts';
import { report, round } from './figures.ts';

const SELECT_MF = ['-s', '00 A4 00 0C 02 3F 00'];

function openscTool(reader: string, apdus: number): Promise<number> {
  const args = ['-r', reader, ...Array.from({ length: apdus }, () => SELECT_MF).flat()];
  const t0 = performance.now();
  // Its printout goes to /dev/null: reading it here would take CPU from the programs measured.
  const child = spawn(findExecutable('opensc-tool')!, args, { stdio: 'ignore', timeout: 60_000 });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`opensc-tool exited with ${code}`))));
  });
}

/** Milliseconds per APDU, opensc-tool's start and connect taken out. */
async function perApdu(reader: string): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const few = await openscTool(reader, 100);
    const many = await openscTool(reader, 1100);
    best = Math.min(best, (many - few) / 1000);
  }
  return best;
}

export async function benchApduEkortReader(): Promise<void> {
  if (!(await requireSystem('pcscd', 'ekort-ifd', 'opensc-tool'))) return;
  const figures: Record<string, number> = {};
  const slot = ekortReaders[0];
  const ours = new VpcdLink(new FileSystemCard(), { path: ekortReaderSlot(slot)!.path });
  await ours.start();
  await waitForCard(slot, { present: true });
  figures.ekort = await perApdu(slot);
  await ours.stop();
  await waitForCard(slot, { present: false });

  // The floor: a card that costs nothing (a few lines of Python answering 90 00) in the same slot.
  const echo = spawn('python3', [fileURLToPath(new URL('./echoCard.py', import.meta.url)), ekortReaderSlot(slot)!.path], { stdio: 'ignore' });
  try {
    await waitForCard(slot, { present: true });
    figures.floor = await perApdu(slot);
  } finally {
    echo.kill();
  }
  await waitForCard(slot, { present: false });

  const viaVpcd = new VpcdLink(new FileSystemCard(), { port: vpcdPorts[0] });
  await viaVpcd.start();
  await waitForCard(vpcdReaders[0], { present: true });
  figures.vpcd = await perApdu(vpcdReaders[0]);
  await viaVpcd.stop();

  if (viccProblems().length === 0) {
    const vicc = await startVicc({ port: vpcdPorts[1] });
    try {
      figures.vicc = await perApdu(vpcdReaders[1]);
    } finally {
      await vicc.stop();
    }
  }
  report({ name: 'apdu.opensc_tool.ekort_reader.per_apdu', value: round(figures.ekort, 3), unit: 'ms', target_max: 0.15, note: 'our card in ekort Reader 00 00 (native/ifd, Unix-domain socket); opensc-tool, best of 5' });
  report({ name: 'apdu.opensc_tool.ekort_reader.floor_per_apdu', value: round(figures.floor, 3), unit: 'ms', note: 'a card answering 90 00 at once (test/bench/echoCard.py) in the same slot: what pcscd and opensc-tool cost alone' });
  report({ name: 'apdu.opensc_tool.vpcd_ekort_card.per_apdu', value: round(figures.vpcd, 3), unit: 'ms', note: 'our card through vpcd (TCP, socket quickack on)' });
  if (figures.vicc !== undefined) report({ name: 'apdu.opensc_tool.vpcd_vicc.per_apdu', value: round(figures.vicc, 3), unit: 'ms', peer: 'Debian vsmartcard-vpicc' });
  if (figures.vicc !== undefined) report({ name: 'apdu.opensc_tool.ekort_reader.ratio_to_vpcd_vicc', value: round(figures.vicc / figures.ekort, 1), unit: 'x' });
}
