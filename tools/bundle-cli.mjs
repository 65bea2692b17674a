#!/usr/bin/env node
// Bundles the `ekort` command (src/cli/main.ts) into out/cli/ as plain JavaScript, one chunk per
// command's module graph, so the command starts without compiling TypeScript (bin/ekort.js
// falls back to the sources through tsx when the bundle is missing or older than them).
// Run by `npm install` (prepare) and `npm run build:cli`. Native modules stay outside the bundle.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'out', 'cli');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch (error) {
  // Without esbuild the command still runs, from the sources: slower to start, nothing lost.
  process.stderr.write(`bundle-cli: esbuild is not available (${error.message}); ekort will run from the sources\n`);
  process.exit(0);
}

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  metafile: true,
  logLevel: 'warning',
  external: ['pcsclite', 'node-hid', 'sockopt', 'better-sqlite3', 'pg-native', 'electron'],
  // Bundled CommonJS packages call require(): give them one.
  banner: { js: "import { createRequire as __ekortCreateRequire } from 'node:module'; const require = __ekortCreateRequire(import.meta.url);" },
});
// What the bundle was made from: bin/ekort.js runs it only while none of these is newer.
const inputs = Object.keys(result.metafile.inputs).filter((f) => f.startsWith('src/'));
writeFileSync(path.join(outdir, 'inputs.json'), `${JSON.stringify({ builtAt: Date.now(), inputs })}\n`);
process.stdout.write(`bundle-cli: out/cli from ${inputs.length} source files\n`);
