// What bin/ekort.js and bin/web.js run: a program's bundle in out/ (tools/bundle-cli.mjs, made
// by `npm install`) while it is as new as every source it was made from; otherwise its
// TypeScript sources through tsx, so a checkout being edited always runs what is there.
// EKORT_FROM_SOURCE=1 forces the sources; EKORT_DEBUG_START=1 says which one runs.
//
// CommonJS, as all of bin/ (bin/package.json): an ES module entry costs Node its ES module
// loader before the program runs (12-18 ms of a server's start); the ES chunks of the short
// commands still load through import().
'use strict';
const { readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const v8 = require('node:v8');
const vm = require('node:vm');

const root = path.join(__dirname, '..');

/**
 * V8 tunes a process for a long run from its first millisecond, and both of its moves are wasted
 * on a start: it doubles the young generation when most objects survive a scavenge (at a start
 * all do: they are the program's modules, which only get copied once more), and it optimizes
 * with TurboFan what the start calls a few hundred times (path handling over the bundle's
 * sources), paging in 3 MB of TurboFan's own code for functions that never run again. So the
 * first second runs without both, 5 MB less at a server's first answer; then V8's defaults come
 * back, before any load. The flags are part of what V8 checks before it takes a code cache:
 * runBundle writes the cache under them too.
 */
const START_FLAGS = '--no-opt --semi-space-growth-factor=1';
/** Whether the user gave node flags of their own about either: theirs are kept, before and after. */
const userTuned = /--(no-)?(opt|turbofan|jitless|lite-mode)\b|semi-space/.test(`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`);
if (!userTuned) {
  v8.setFlagsFromString(START_FLAGS);
  setTimeout(() => v8.setFlagsFromString('--opt --semi-space-growth-factor=2'), 1000).unref();
}

/**
 * A program whose reader goes away (`ekort readers | head -2`) ends as a C tool does there:
 * killed by SIGPIPE, quietly (a shell says nothing; its status is 141 under pipefail), without
 * waiting for its handles (a PC/SC call to a card among them). Node ignores SIGPIPE for its
 * sockets' sake, so the signal never comes by itself: the write fails with EPIPE instead, which
 * Node threw as an unhandled 'error' with a stack trace. Other errors of the streams stay fatal.
 */
function endOnClosedOutput() {
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
 * What tools/bundle-cli.mjs says of the bundle in out/`dir` (build.json: when it was built, its
 * hash, its sources) while no source of it has changed since: one stat per source file (a
 * missing bundle, or a source gone, is not fresh). An installed package's bundle is taken as it
 * is, without the stats. Undefined when there is no fresh bundle.
 */
function freshBuild(dir) {
  try {
    const build = JSON.parse(readFileSync(path.join(root, 'out', dir, 'build.json'), 'utf8'));
    // Plain paths, not URLs: this runs before every start, for some 170 files.
    return installed || build.inputs.every((file) => statSync(path.join(root, file)).mtimeMs <= build.builtAt) ? build : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where V8's code cache for a bundle lives: named by the bundle's content hash, as V8 itself
 * checks only the source's length (and its own version and flags) before taking a cache.
 */
function codeCacheFile(dir, bundle, hash) {
  return path.join(root, 'out', dir, `${bundle}.${hash.slice(0, 16)}.v8cache`);
}

/**
 * Runs a CommonJS bundle the way Node runs a module (the bundle is the wrapper function
 * itself), compiled with the V8 code cache tools/bundle-cli.mjs left beside it: the bytecode of
 * every function the program ran while it was warmed up, so a start parses and compiles almost
 * nothing (a third of `ekort serve`'s start). A cache V8 refuses (another Node) or that is
 * missing costs only that saving. With EKORT_WRITE_CODE_CACHE=1 (the warm-up) the cache is
 * written as the process exits, holding whatever ran until then. The bundle is ASCII
 * (bundle-cli escapes the rest), so it is read as Latin-1: the same characters, without decoding
 * UTF-8 (10 ms of 3 MB).
 */
function runBundle(dir, bundle, hash) {
  const file = path.join(root, 'out', dir, bundle);
  const cacheFile = codeCacheFile(dir, bundle, hash);
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(readFileSync(file, 'latin1'), { filename: file, cachedData, importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });
  const cache = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'refused' : 'used';
  // The cache's 1.4 MB, no longer needed, handed to a new object: freed at the next scavenge.
  // The Buffer itself survived one during the compile and would hold them until the first
  // full collection, long after the start. Not a small file's Buffer: that is a slice of
  // Node's shared pool, which other Buffers use.
  if (cachedData && cachedData.byteLength === cachedData.buffer.byteLength) structuredClone(cachedData.buffer, { transfer: [cachedData.buffer] });
  if (process.env.EKORT_WRITE_CODE_CACHE === '1') {
    process.once('exit', () => {
      const partial = `${cacheFile}.${process.pid}`;
      try {
        if (!userTuned) v8.setFlagsFromString(START_FLAGS);
        writeFileSync(partial, script.createCachedData());
        renameSync(partial, cacheFile);
      } catch (error) {
        // A folder the program may not write to: no cache, as if there had been no warm-up.
        process.stderr.write(`code cache not written: ${error.message}\n`);
      }
    });
  }
  const program = { exports: {} };
  script.runInThisContext().call(program.exports, program.exports, createRequire(file), program, file, path.dirname(file));
  return { program: program.exports, cache };
}

/**
 * The module of program `name` ("ekort", "web"): out/`dir`/`bundle` when fresh (an ES module,
 * or a .cjs bundle run with its code cache), else `source` (relative to the checkout) through tsx.
 */
async function loadProgram({ name, dir, bundle, source }) {
  const debug = process.env.EKORT_DEBUG_START === '1';
  const build = process.env.EKORT_FROM_SOURCE === '1' ? undefined : freshBuild(dir);
  if (build) {
    if (!bundle.endsWith('.cjs')) {
      if (debug) process.stderr.write(`${name}: running the bundle in out/${dir}\n`);
      return import(pathToFileURL(path.join(root, 'out', dir, bundle)).href);
    }
    const { program, cache } = runBundle(dir, bundle, build.hash);
    if (debug) process.stderr.write(`${name}: running the bundle in out/${dir} (code cache: ${cache})\n`);
    return program;
  }
  if (debug) process.stderr.write(`${name}: running the sources through tsx\n`);
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(path.join(root, source)).href);
}

module.exports = { root, endOnClosedOutput, codeCacheFile, loadProgram };
