/**
 * The real pcscd + vpcd for integration tests. Every integration test file starts with
 *
 *   const available = await requireSystem('pcscd', 'opensc-tool');
 *   describe.skipIf(!available)(...)
 *
 * requireSystem() starts pcscd when it is not running (root only) and, with CI=true, throws
 * naming what is missing instead of returning false: CI never skips.
 *
 * Readiness is read from /proc/net/tcp (vpcd's ports in LISTEN), not by connecting: a TCP
 * connection to a vpcd port *is* a card insertion, and vpcd accepts only one at a time.
 */
import { execFile, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const VPCD_HOST = '127.0.0.1';
/** vpcd's two slots (reader.conf CHANNELID 0x8C7B = 35963, and the next port). */
export const vpcdPorts = [35963, 35964] as const;
export const vpcdReaders = ['Virtual PCD 00 00', 'Virtual PCD 00 01'] as const;

export const PCSCD_LOG = path.join(os.tmpdir(), 'ekort-pcscd.log');
const PCSCD_PID_FILE = '/run/pcscd/pcscd.pid';
const PCSCD_SOCKET = '/run/pcscd/pcscd.comm';
const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An executable on PATH (plus the sbin directories, where pcscd lives), or undefined. */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // next
    }
  }
  return undefined;
}

function isAlive(pid: number): boolean {
  try {
    // A zombie (killed, not yet reaped by its parent) counts as gone.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The running pcscd's pid: from its pid file, else by looking through /proc. */
export function pcscdPid(): number | undefined {
  try {
    const pid = Number(readFileSync(PCSCD_PID_FILE, 'utf8').trim());
    if (pid > 0 && isAlive(pid) && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'pcscd') return pid;
  } catch {
    // no pid file
  }
  for (const entry of readdirNumeric('/proc')) {
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'pcscd' && isAlive(entry)) return entry;
    } catch {
      // raced with its exit
    }
  }
  return undefined;
}

function readdirNumeric(dir: string): number[] {
  try {
    return readdirSync(dir)
      .filter((n) => /^\d+$/.test(n))
      .map(Number);
  } catch {
    return [];
  }
}

/** Ports in LISTEN state on this host (IPv4 and IPv6), from /proc/net/tcp*. */
export function listeningPorts(): Set<number> {
  const ports = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && f[1]) ports.add(parseInt(f[1].split(':')[1]!, 16));
    }
  }
  return ports;
}

export function vpcdListening(): boolean {
  const ports = listeningPorts();
  return vpcdPorts.every((p) => ports.has(p));
}

/** ekort's own reader driver (native/ifd), when installed: its reader.conf entry and first slot's socket. */
export const EKORT_IFD_CONF = '/etc/reader.conf.d/ekort';
export const EKORT_IFD_SOCKET = '/run/ekort-ifd/reader.0';
export const ekortReaders = ['ekort Reader 00 00', 'ekort Reader 00 01', 'ekort Reader 00 02', 'ekort Reader 00 03'] as const;
export const EKORT_PIN_PAD = 'ekort PIN Pad 01 00';

function pcscdReady(): boolean {
  const ekortReady = !existsSync(EKORT_IFD_CONF) || existsSync(EKORT_IFD_SOCKET);
  return pcscdPid() !== undefined && existsSync(PCSCD_SOCKET) && vpcdListening() && ekortReady;
}

async function waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

function logTail(): string {
  try {
    return readFileSync(PCSCD_LOG, 'utf8').split('\n').slice(-10).join('\n');
  } catch {
    return '';
  }
}

/** Starts `pcscd --foreground` detached (it outlives the test process), log in PCSCD_LOG. */
export async function startPcscd(timeoutMs = 10_000): Promise<void> {
  if (pcscdPid() !== undefined) {
    await waitFor('pcscd with vpcd listening', pcscdReady, timeoutMs);
    return;
  }
  const bin = findExecutable('pcscd');
  if (!bin) throw new Error('pcscd is not installed (Debian package pcscd)');
  const log = openSync(PCSCD_LOG, 'a');
  let exited: string | undefined;
  try {
    const child = spawn(bin, ['--foreground'], { detached: true, stdio: ['ignore', log, log] });
    child.on('exit', (code, signal) => (exited = `pcscd exited (${signal ?? code})`));
    child.on('error', (e) => (exited = `pcscd could not start: ${e.message}`));
    child.unref();
  } finally {
    closeSync(log);
  }
  await waitFor(
    'pcscd with vpcd listening',
    () => {
      if (exited) throw new Error(`${exited}; last lines of ${PCSCD_LOG}:\n${logTail()}`);
      return pcscdReady();
    },
    timeoutMs,
  );
}

/** Stops pcscd (SIGTERM, then SIGKILL) and waits until it is gone and vpcd's ports are closed. */
export async function stopPcscd(timeoutMs = 5000): Promise<void> {
  const pid = pcscdPid();
  if (pid === undefined) return;
  process.kill(pid, 'SIGTERM');
  const gone = () => !isAlive(pid) && !vpcdListening();
  try {
    await waitFor(`pcscd ${pid} to exit`, gone, timeoutMs);
  } catch {
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    await waitFor(`pcscd ${pid} to exit after SIGKILL`, gone, 2000);
    // A killed pcscd leaves its socket and pid file; the next one would refuse to start.
    rmSync(PCSCD_SOCKET, { force: true });
    rmSync(PCSCD_PID_FILE, { force: true });
  }
}

export async function restartPcscd(): Promise<void> {
  await stopPcscd();
  await startPcscd();
}

function inCi(): boolean {
  return process.env.CI === 'true';
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** What keeps pcscd + vpcd from running here, or [] when it runs (starting it if needed). */
async function pcscdProblems(): Promise<string[]> {
  if (process.platform !== 'linux') return ['pcscd + vpcd (the harness is Linux-only)'];
  if (!existsSync(VPCD_DRIVER)) return [`the vpcd driver ${VPCD_DRIVER} (Debian package vsmartcard-vpcd)`];
  if (pcscdPid() === undefined) {
    if (!findExecutable('pcscd')) return ['pcscd (Debian package pcscd)'];
    if (!isRoot()) return ['a running pcscd (start it as root: `pcscd --foreground`, or run the tests as root)'];
    try {
      await startPcscd();
    } catch (e) {
      return [`a running pcscd: ${(e as Error).message}`];
    }
    return [];
  }
  try {
    await waitFor('pcscd with vpcd listening', pcscdReady, 5000);
  } catch {
    return [`vpcd listening on ports ${vpcdPorts.join('/')} (pcscd runs, but without the vpcd reader.conf entry?)`];
  }
  return [];
}

/**
 * Makes sure pcscd runs with vpcd. true when ready; false when it cannot run here (the test
 * file skips); with CI=true it throws instead, naming what is missing.
 */
export async function ensurePcscd(): Promise<boolean> {
  return report(await pcscdProblems());
}

export type SystemPart = 'pcscd' | 'ekort-ifd' | 'ykman' | 'yubico-piv-tool' | 'opensc-tool' | 'pcsc_scan' | 'vicc' | 'pkcs11-tool' | 'pkcs15-tool' | 'openssl' | 'zbarimg';

/** OpenSC's PKCS#11 module as Debian installs it (package opensc-pkcs11). */
export const OPENSC_PKCS11_MODULE = '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so';

/** As ensurePcscd(), for every part the test file needs. */
export async function requireSystem(...parts: SystemPart[]): Promise<boolean> {
  const missing: string[] = [];
  for (const part of parts) {
    if (part === 'pcscd') missing.push(...(await pcscdProblems()));
    else if (part === 'ekort-ifd' && !(existsSync(EKORT_IFD_CONF) && existsSync(EKORT_IFD_SOCKET))) {
      missing.push(`ekort's reader driver listening in ${EKORT_IFD_SOCKET} (native/setup-pcsc.sh installs it; pcscd loads it at start)`);
    }
    else if (part === 'opensc-tool' && !findExecutable('opensc-tool')) missing.push('opensc-tool (Debian package opensc)');
    else if (part === 'pcsc_scan' && !findExecutable('pcsc_scan')) missing.push('pcsc_scan (Debian package pcsc-tools)');
    else if (part === 'pkcs11-tool' && (!findExecutable('pkcs11-tool') || !existsSync(OPENSC_PKCS11_MODULE))) {
      missing.push(`pkcs11-tool and ${OPENSC_PKCS11_MODULE} (Debian packages opensc, opensc-pkcs11)`);
    } else if (part === 'pkcs15-tool' && !findExecutable('pkcs15-tool')) missing.push('pkcs15-tool (Debian package opensc)');
    else if (part === 'ykman' && !findExecutable('ykman')) missing.push('ykman (Debian package yubikey-manager)');
    else if (part === 'yubico-piv-tool' && !findExecutable('yubico-piv-tool')) missing.push('yubico-piv-tool (Debian package yubico-piv-tool)');
    else if (part === 'openssl' && !findExecutable('openssl')) missing.push('openssl (Debian package openssl)');
    else if (part === 'zbarimg' && !findExecutable('zbarimg')) missing.push('zbarimg (Debian package zbar-tools)');
    else if (part === 'vicc') {
      const { viccProblems } = await import('./vicc.ts');
      missing.push(...viccProblems());
    }
  }
  return report(missing);
}

function report(missing: string[]): boolean {
  if (missing.length === 0) return true;
  const message = `integration test prerequisites missing: ${missing.join('; ')}`;
  if (inCi()) throw new Error(`${message} (CI=true: these tests must run, not skip)`);
  console.warn(`${message}; skipping`);
  return false;
}

export interface ReaderState {
  reader: string;
  present: boolean;
  /** Upper-case hex with spaces, as pcsc_scan prints it. */
  atr?: string;
}

/** Every reader's state, once, from `pcsc_scan -c -n`. */
export async function readerStates(): Promise<ReaderState[]> {
  const bin = findExecutable('pcsc_scan');
  if (!bin) throw new Error('pcsc_scan is not installed (Debian package pcsc-tools)');
  const out = await new Promise<string>((resolve, reject) =>
    execFile(bin, ['-c', '-n'], { timeout: 5000 }, (e, stdout) => (e ? reject(e) : resolve(stdout))),
  );
  const states: ReaderState[] = [];
  for (const line of out.split('\n')) {
    const reader = /^\s*Reader \d+: (.*)$/.exec(line);
    const current = states[states.length - 1];
    if (reader) states.push({ reader: reader[1]!.trim(), present: false });
    else if (current && /Card state:.*Card inserted/.test(line)) current.present = true;
    else if (current && /^\s*ATR: /.test(line)) current.atr = line.replace(/^\s*ATR: /, '').trim();
  }
  return states;
}

export async function readerState(reader: string): Promise<ReaderState | undefined> {
  return (await readerStates()).find((s) => s.reader === reader);
}

/** Waits until `reader` shows a card (with `atr`, when given) or, with present=false, none. */
export async function waitForCard(
  reader: string,
  options: { present?: boolean; atr?: string; timeoutMs?: number } = {},
): Promise<ReaderState> {
  const { present = true, atr, timeoutMs = 5000 } = options;
  const deadline = Date.now() + timeoutMs;
  let last: ReaderState | undefined;
  for (;;) {
    last = await readerState(reader);
    const ok = last && last.present === present && (!present || atr === undefined || last.atr === atr.toUpperCase());
    if (ok) return last!;
    if (Date.now() > deadline) {
      throw new Error(`reader "${reader}" did not show ${present ? 'the card' : 'no card'} within ${timeoutMs} ms: ${JSON.stringify(last)}`);
    }
    await sleep(50);
  }
}
