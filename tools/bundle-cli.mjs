#!/usr/bin/env node
// Bundles the programs started from bin/ as plain JavaScript, so they start without compiling
// TypeScript: the `ekort` command (src/cli/main.ts) into out/cli/, one chunk per command's
// module graph, and the browser bridge of `npm run web` (src/client/bridge/webMain.ts) into
// out/web/. bin/built.js runs a bundle while it is as new as its sources and falls back to the
// sources through tsx when it is missing or older. Run by `npm install` (prepare) and
// `npm run build:cli`. Native modules stay outside the bundles.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
/** out/<dir>/<entry>.js and its chunks, from `source`. */
const PROGRAMS = [
  { dir: 'cli', entry: 'main', source: 'src/cli/main.ts' },
  { dir: 'web', entry: 'web', source: 'src/client/bridge/webMain.ts' },
];

/**
 * Code the programs never run, left out of the bundles: V8 parsed it at every start all the
 * same (some 1.1 MB of the 2.9 MB `ekort serve` loads). zod's translations of its messages into
 * other languages (z.locales; English comes with its schemas and stays); what fastify loads
 * only for route JSON schemas (its instances get zod-only compilers, src/fastifySchemas.ts),
 * for inject() and for a logger (ours have logger: false). Should one be needed after all, its
 * require() says so instead of running without it.
 */
const LEFT_OUT = [
  { filter: /^\.\.\/locales\/index\.js$/, from: /node_modules\/zod\//, contents: 'export {};' },
  ...['@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler', 'light-my-request', 'pino'].map((name) => ({
    filter: new RegExp(`^${name.replace(/[/.]/g, '\\$&')}$`),
    from: /node_modules\/fastify\//,
    contents: `throw new Error(${JSON.stringify(`${name} is left out of this bundle (tools/bundle-cli.mjs LEFT_OUT)`)});`,
  })),
];
const leaveOut = {
  name: 'leave-out',
  setup(build) {
    for (const [i, { filter, from }] of LEFT_OUT.entries()) {
      build.onResolve({ filter }, (args) => (from.test(args.importer) ? { path: String(i), namespace: 'left-out' } : undefined));
    }
    build.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => ({ contents: LEFT_OUT[Number(args.path)].contents, loader: 'js' }));
  },
};

let esbuild;
try {
  esbuild = await import('esbuild');
} catch (error) {
  // Without esbuild the programs still run, from the sources: slower to start, nothing lost.
  process.stderr.write(`bundle-cli: esbuild is not available (${error.message}); ekort and npm run web will run from the sources\n`);
  process.exit(0);
}

for (const { dir, entry, source } of PROGRAMS) {
  const outdir = path.join(root, 'out', dir);
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { [entry]: source },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    metafile: true,
    plugins: [leaveOut],
    logLevel: 'warning',
    external: ['pcsclite', 'node-hid', 'sockopt', 'better-sqlite3', 'pg-native', 'electron'],
    // Bundled CommonJS packages call require(): give them one.
    banner: { js: "import { createRequire as __ekortCreateRequire } from 'node:module'; const require = __ekortCreateRequire(import.meta.url);" },
  });
  // What the bundle was made from: bin/built.js runs it only while none of these is newer.
  const inputs = Object.keys(result.metafile.inputs).filter((f) => f.startsWith('src/'));
  writeFileSync(path.join(outdir, 'inputs.json'), `${JSON.stringify({ builtAt: Date.now(), inputs })}\n`);
  process.stdout.write(`bundle-cli: out/${dir} from ${inputs.length} source files\n`);
}
