#!/usr/bin/env node
// `npm start`: opens the desktop app. Where the Electron binary is not installed (electron is
// an optional dependency: where its download fails, or ELECTRON_SKIP_BINARY_DOWNLOAD=1 skipped
// it, npm install goes on without it), says so in one line with the command that gets it, and
// serves the same app through the loopback browser bridge (bin/web.js) instead.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

/** The binary's path, or why there is none: 'package' (npm left electron out) or 'binary' (not downloaded). */
function electron() {
  try {
    require.resolve('electron/package.json');
  } catch {
    return { missing: 'package' };
  }
  try {
    // Its index reads path.txt, which the download writes: without the download it throws.
    const binary = require('electron');
    return typeof binary === 'string' && existsSync(binary) ? { binary } : { missing: 'binary' };
  } catch {
    return { missing: 'binary' };
  }
}

const { binary, missing } = electron();
if (binary) {
  const build = (cmd, args) => {
    const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  };
  const esbuild = path.join(root, 'node_modules', '.bin', 'esbuild');
  build(esbuild, ['electron/main.ts', '--bundle', '--platform=node', '--format=esm', '--packages=external', '--outfile=out/electron/main.js']);
  build(esbuild, ['electron/preload.ts', '--bundle', '--platform=node', '--format=cjs', '--external:electron', '--outfile=out/electron/preload.cjs']);
  build(path.join(root, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'warn']);
  const child = spawn(binary, [path.join(root, 'out', 'electron', 'main.js')], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  const fix = missing === 'package' ? 'npm install' : 'node node_modules/electron/install.js';
  console.log(
    `e-kort: no app window: the Electron binary is not installed (its download failed or was skipped). Get it with \`${fix}\` on a machine that reaches GitHub, or with ELECTRON_MIRROR=<your mirror> set. Serving the app through the browser bridge instead: open the URL below (Ctrl-C stops).`,
  );
  const child = spawn(process.execPath, [path.join(root, 'bin', 'web.js'), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.on('SIGINT', () => child.kill('SIGINT'));
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code) => process.exit(code ?? 0));
}
