// What bin/ekort.js and bin/web.js run: a program's bundle in out/ (tools/bundle-cli.mjs, made
// by `npm install`) while it is as new as every source it was made from; otherwise its
// TypeScript sources through tsx, so a checkout being edited always runs what is there.
// EKORT_FROM_SOURCE=1 forces the sources; EKORT_DEBUG_START=1 says which one runs.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * A program whose reader goes away (`ekort readers | head -2`) ends as a C tool does there:
 * killed by SIGPIPE, quietly (a shell says nothing; its status is 141 under pipefail), without
 * waiting for its handles (a PC/SC call to a card among them). Node ignores SIGPIPE for its
 * sockets' sake, so the signal never comes by itself: the write fails with EPIPE instead, which
 * Node threw as an unhandled 'error' with a stack trace. Other errors of the streams stay fatal.
 */
export function endOnClosedOutput() {
  const closed = (error) => {
    if (error?.code !== 'EPIPE') throw error;
    if (process.stdin.isTTY && process.stdin.isRaw) process.stdin.setRawMode(false);
    if (process.platform !== 'win32' && process.listenerCount('SIGPIPE') === 0) {
      // Node's own SIGPIPE handling back to the default (libuv resets it when the last listener
      // goes), then the signal to ourselves: the process ends before kill() returns.
      const none = () => undefined;
      process.on('SIGPIPE', none).off('SIGPIPE', none);
      process.kill(process.pid, 'SIGPIPE');
    }
    process.exit(128 + 13);
  };
  process.stdout.on('error', closed);
  process.stderr.on('error', closed);
}

/** Installed as a package (inside a node_modules folder): nobody edits these sources. */
const installed = root.split(path.sep).includes('node_modules');

/**
 * Whether out/`dir` holds a bundle no source of which has changed since: one stat per source
 * file its inputs.json names (a missing bundle, or a source gone, is not fresh). An installed
 * package's bundle is taken as it is, without the stats.
 */
export function bundleIsFresh(dir) {
  try {
    const { builtAt, inputs } = JSON.parse(readFileSync(path.join(root, 'out', dir, 'inputs.json'), 'utf8'));
    if (installed) return true;
    // Plain paths, not URLs: this runs before every start, for some 170 files.
    return inputs.every((file) => statSync(path.join(root, file)).mtimeMs <= builtAt);
  } catch {
    return false;
  }
}

/**
 * The module of program `name` ("ekort", "web"): out/`dir`/`bundle` when fresh, else `source`
 * (relative to the checkout) through tsx.
 */
export async function loadProgram({ name, dir, bundle, source }) {
  const fromBundle = process.env.EKORT_FROM_SOURCE !== '1' && bundleIsFresh(dir);
  if (process.env.EKORT_DEBUG_START === '1') process.stderr.write(`${name}: running ${fromBundle ? `the bundle in out/${dir}` : 'the sources through tsx'}\n`);
  if (fromBundle) return import(pathToFileURL(path.join(root, 'out', dir, bundle)).href);
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(path.join(root, source)).href);
}
