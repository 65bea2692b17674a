/**
 * `ekort … | head -2`: the reader of the command's output goes away before the command is done.
 * The command ends as a C tool does there, killed by SIGPIPE without a word, instead of Node's
 * unhandled EPIPE error and its stack trace (bin/built.js).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EKORT_BIN } from '../support/ekortCli.ts';

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** What the command wrote on its other stream. */
  said: string;
}

/** Runs `ekort ARGS` with a real pipe on `closed` (stdout or stderr) whose reading end this process closes at once. */
function withClosedReader(args: string[], closed: 'stdout' | 'stderr'): Promise<Ended> {
  const child = spawn(process.execPath, [EKORT_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const reader = child[closed];
  const other = closed === 'stdout' ? child.stderr : child.stdout;
  let said = '';
  other.on('data', (d) => (said += d));
  reader.destroy();
  const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(kill);
      resolve({ code, signal, said });
    });
  });
}

describe('ekort with its output closed early', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-closed-output-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ends quietly, by SIGPIPE, when nobody reads its standard output', async () => {
    expect(await withClosedReader(['--help'], 'stdout')).toEqual({ code: null, signal: 'SIGPIPE', said: '' });
  });

  it('ends quietly, by SIGPIPE, when nobody reads its standard error', async () => {
    expect(await withClosedReader(['no-such-command'], 'stderr')).toEqual({ code: null, signal: 'SIGPIPE', said: '' });
  });

  it('a long-running command ends at its first write after the reader left, instead of running on', async () => {
    // `ekort serve` says on stdout that it listens once its server is up, then serves until stopped.
    const ended = await withClosedReader(['serve', '--db', path.join(dir, 'serve.sqlite'), '--port', '0'], 'stdout');
    expect(ended).toMatchObject({ code: null, signal: 'SIGPIPE' });
    expect(ended.said).not.toMatch(/EPIPE|Error/);
  });
});
