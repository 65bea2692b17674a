/**
 * Debian's `vicc` (vsmartcard-vpicc, a Python virtual card) as a second, independent card on
 * vpcd, to test the driver against a peer we did not write.
 *
 * Debian installs its module at /usr/lib/python3/site-packages/virtualsmartcard/virtualsmartcard,
 * outside Python's path, so the *outer* directory goes on PYTHONPATH. It imports `Crypto`
 * (PyCrypto's name) while Debian ships PyCryptodome as `Cryptodome`: a temporary directory
 * with a `Crypto` symlink to it makes both resolve.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findExecutable, vpcdPorts, vpcdReaders, waitForCard } from './pcscd.ts';

const PYTHON = '/usr/bin/python3'; // vicc's own shebang
const MODULE_PARENTS = [
  '/usr/lib/python3/site-packages/virtualsmartcard',
  '/usr/lib/python3/dist-packages',
  '/usr/lib/python3/site-packages',
];

function moduleParent(): string | undefined {
  return MODULE_PARENTS.find((d) => existsSync(path.join(d, 'virtualsmartcard', 'VirtualSmartcard.py')));
}

function cryptodomeDir(): string | undefined {
  try {
    const file = execFileSync(PYTHON, ['-c', 'import Cryptodome; print(Cryptodome.__file__)'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return path.dirname(file);
  } catch {
    return undefined;
  }
}

/** What keeps vicc from running here ([] when it can). */
export function viccProblems(): string[] {
  const missing: string[] = [];
  if (!findExecutable('vicc')) missing.push('vicc (Debian package vsmartcard-vpicc)');
  if (!moduleParent()) missing.push('the virtualsmartcard Python module (Debian package python3-virtualsmartcard)');
  if (!cryptodomeDir()) missing.push('Cryptodome for /usr/bin/python3 (Debian package python3-pycryptodome)');
  return missing;
}

export interface ViccHandle {
  readonly port: number;
  readonly reader: string;
  readonly pid: number;
  /** vicc's stdout/stderr. */
  readonly logFile: string;
  /** Kills vicc (the card leaves the reader) and removes its temporary directory. */
  stop(): Promise<void>;
}

export interface ViccOptions {
  port?: number;
  type?: 'iso7816' | 'cryptoflex' | 'ePass' | 'nPA' | 'handler_test';
  /** Waits this long for the reader to show the card. */
  timeoutMs?: number;
  /** Passes -v this many times (vicc then logs every APDU, which slows it down). */
  verbose?: number;
}

export async function startVicc(options: ViccOptions = {}): Promise<ViccHandle> {
  const { port = vpcdPorts[1], type = 'iso7816', timeoutMs = 10_000, verbose = 0 } = options;
  const problems = viccProblems();
  if (problems.length > 0) throw new Error(`vicc cannot run: ${problems.join('; ')}`);
  const reader = vpcdReaders[vpcdPorts.indexOf(port as (typeof vpcdPorts)[number])];
  if (!reader) throw new Error(`port ${port} is not one of vpcd's (${vpcdPorts.join(', ')})`);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'ekort-vicc-'));
  symlinkSync(cryptodomeDir()!, path.join(dir, 'Crypto'));
  const logFile = path.join(dir, 'vicc.log');
  const log = openSync(logFile, 'a');
  const args = ['--type', type, '--hostname', '127.0.0.1', '--port', String(port)];
  if (verbose > 0) args.push(`-${'v'.repeat(verbose)}`);
  let child: ChildProcess;
  try {
    child = spawn(findExecutable('vicc')!, args, {
      env: { ...process.env, PYTHONPATH: [dir, moduleParent()!, process.env.PYTHONPATH].filter(Boolean).join(':') },
      stdio: ['ignore', log, log],
    });
  } finally {
    closeSync(log);
  }
  let exited = false;
  const done = new Promise<void>((resolve) => child.on('exit', () => ((exited = true), resolve())));

  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await done;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const exitedEarly = done.then(() => {
    throw new Error(`vicc exited: ${readFileSync(logFile, 'utf8').split('\n').slice(-8).join('\n')}`);
  });
  exitedEarly.catch(() => undefined); // also settles when stop() ends it later
  try {
    await Promise.race([waitForCard(reader, { timeoutMs }), exitedEarly]);
  } catch (e) {
    await stop();
    throw e;
  }
  return { port, reader, pid: child.pid!, logFile, stop };
}
