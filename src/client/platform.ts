/**
 * What this machine lacks for the app's real devices, said at start in one line each: what is
 * missing, what that costs, and the one command that adds it. Nothing here is needed for the
 * demo: its virtual card and token live in the app (the in-app reader and the virtual token).
 */
import { existsSync } from 'node:fs';
import { loadPcsclite } from '../pcsc/index.ts';
import { loadNodeHid } from '../token/index.ts';
import type { PlatformNote } from './api.ts';

/** pcsc-lite's client socket: $PCSCLITE_CSOCK_NAME, else the compiled-in default. */
export function pcscdSocket(env: NodeJS.ProcessEnv = process.env): string {
  return env.PCSCLITE_CSOCK_NAME || '/run/pcscd/pcscd.comm';
}

export interface PlatformProbes {
  pcsclite: () => unknown;
  nodeHid: () => unknown;
  pcscdSocket: () => boolean;
}

const realProbes: PlatformProbes = {
  pcsclite: loadPcsclite,
  nodeHid: loadNodeHid,
  pcscdSocket: () => existsSync(pcscdSocket()),
};

const loads = (probe: () => unknown): boolean => {
  try {
    probe();
    return true;
  } catch {
    return false;
  }
};

export function platformNotes(probes: PlatformProbes = realProbes): PlatformNote[] {
  const notes: PlatformNote[] = [];
  if (!loads(probes.pcsclite)) {
    notes.push({
      code: 'PCSC_NOT_INSTALLED',
      line: 'no card readers: PC/SC is not installed (the pcsclite binding could not be built). Add it: native/setup-pcsc.sh && npm install',
    });
  } else if (!probes.pcscdSocket()) {
    notes.push({ code: 'PCSCD_NOT_RUNNING', line: 'no card readers: the PC/SC daemon (pcscd) is not running. Start it: native/setup-pcsc.sh' });
  }
  if (!loads(probes.nodeHid)) {
    notes.push({ code: 'HID_NOT_INSTALLED', line: 'no USB security tokens: the node-hid binding could not be loaded. Add it: npm install' });
  }
  return notes;
}
