#!/usr/bin/env node
// Bundles the programs started from bin/ as plain JavaScript, so they start without compiling
// TypeScript (see PROGRAMS): the `ekort` command (src/cli/main.ts) into out/cli/ as ES module
// chunks, `ekort serve` into out/serve/ekort.cjs and the browser bridge of `npm run web`
// (src/client/bridge/webMain.ts) into out/web/web.cjs, the last two warmed up once to leave V8's
// code cache beside them. bin/built.js runs a bundle while it is as new as its sources and falls
// back to the sources through tsx when it is missing or older. Run by `npm install` (prepare)
// and `npm run build:cli`. Native addons (*.node) stay outside the bundles, and so do the
// packages the sources load only at run time, where a missing one is a typed error (external).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeCacheFile } from '../bin/built.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
/**
 * Packages a server runs only for a feature, in bundles of their own beside its main one that
 * it requires at their first use: pkijs and asn1js (together, so that pkijs and our code share
 * one asn1js) with a card login or the demo's PKI, pg with a postgres:// database. In the main
 * bundle their 0.7 MB of text sat in memory from every start (V8 keeps a script's source), run
 * or not: 1 MB of a server's first answer. Required from node_modules instead, they cost a
 * server with card login 1.8 MB and 25 ms more at its start (their unminified source, Node's
 * module loader); from a side bundle, minified alike, what they cost in the main one.
 */
const SIDE_BUNDLES = [
  { file: 'pki.cjs', packages: ['pkijs', 'asn1js'] },
  { file: 'pg.cjs', packages: ['pg'] },
];
/**
 * The programs, each built into out/`dir` from `source`. `ekort`'s commands as ES module chunks,
 * one a command, so a short command loads only its own code (main.js). `ekort serve` and the
 * browser bridge as one CommonJS file with V8's code cache beside it (warmUp): Node 20 takes a
 * code cache only for a script (vm.Script), not for ES modules, and it saves a third of a
 * server's start. Code a server never runs is still never run there (esbuild keeps a dynamic
 * import's module uninitialised until it runs): it costs only its bytes. bin/ekort.js picks the
 * bundle by the command; both hold the whole CLI, so either runs any command alike.
 */
const PROGRAMS = [
  { dir: 'cli', format: 'esm', file: 'main.js', source: 'src/cli/main.ts' },
  {
    dir: 'serve',
    format: 'cjs',
    file: 'ekort.cjs',
    source: 'src/cli/main.ts',
    bin: 'bin/ekort.js',
    warmUp: { args: (scratch) => ['serve', '--db', path.join(scratch, 'warm-up.sqlite'), '--port', '0'], path: '/v1/health' },
    sideBundles: true,
  },
  {
    dir: 'web',
    format: 'cjs',
    file: 'web.cjs',
    source: 'src/client/bridge/webMain.ts',
    bin: 'bin/web.js',
    warmUp: { args: (scratch) => ['--data-dir', scratch, '--port', '0', '--no-build'], path: '/' },
    sideBundles: true,
  },
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
  // better-sqlite3's own JavaScript is bundled, so it comes from the code cache instead of being
  // compiled at every start (3-4 ms of `ekort serve`'s); only its native addon stays a file. It
  // finds that addon with the bindings package, which looks for its caller's package through a
  // stack trace and would look beside the bundle: the addon is required where npm installs it.
  {
    filter: /^bindings$/,
    from: /node_modules\/better-sqlite3\//,
    contents: "module.exports = () => require('better-sqlite3/build/Release/better_sqlite3.node');",
  },
  // Node's https and http2 (tls under them) and dns, which fastify's server.js requires at load
  // for HTTPS and HTTP/2 servers and for the second addresses of "localhost"; ours serve plain
  // HTTP on an IP address. Loaded at their first use instead: 6 ms of every server's start.
  ...['node:https', 'node:http2', 'node:dns'].map((name) => ({
    filter: new RegExp(`^${name}$`),
    from: /node_modules\/fastify\/lib\/server\.js$/,
    contents: `let loaded; const load = () => (loaded ??= require(${JSON.stringify(name)}));
module.exports = new Proxy({}, { get: (_, key) => load()[key], has: (_, key) => key in load() });`,
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

/**
 * Our code's imports of a side bundle's packages, answered by that bundle (./FILE beside the
 * main one, required at run time); the packages' imports of each other stay inside it.
 */
const toSideBundles = {
  name: 'side-bundles',
  setup(build) {
    const names = SIDE_BUNDLES.flatMap(({ packages }) => packages);
    build.onResolve({ filter: new RegExp(`^(${names.join('|')})$`) }, (args) =>
      args.importer.includes('node_modules') ? undefined : { path: args.path, namespace: 'side-bundle' },
    );
    build.onLoad({ filter: /.*/, namespace: 'side-bundle' }, (args) => {
      const { file } = SIDE_BUNDLES.find(({ packages }) => packages.includes(args.path));
      return { contents: `module.exports = require(${JSON.stringify(`./${file}`)})[${JSON.stringify(args.path)}];`, loader: 'js' };
    });
    build.onResolve({ filter: /^\.\/[a-z]+\.cjs$/, namespace: 'side-bundle' }, (args) => ({ path: args.path, external: true }));
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

/** How each format is built: ES module chunks, or one CommonJS file that is the function bin/built.js calls with Node's module arguments. */
const FORMATS = {
  esm: (outdir, file, source) => ({
    entryPoints: { [path.basename(file, '.js')]: source },
    outdir,
    splitting: true,
    format: 'esm',
    // Bundled CommonJS packages call require(): give them one.
    banner: { js: "import { createRequire as __ekortCreateRequire } from 'node:module'; const require = __ekortCreateRequire(import.meta.url);" },
  }),
  cjs: (outdir, file, source) => ({
    entryPoints: [source],
    outfile: path.join(outdir, file),
    format: 'cjs',
    // Strict, as the ES modules it is made from. import.meta.url (createRequire of the native
    // modules) becomes the bundle's own URL.
    define: { 'import.meta.url': '__ekortImportMetaUrl' },
    banner: { js: "(function (exports, require, module, __filename, __dirname) {\n'use strict';\nconst __ekortImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    footer: { js: '})' },
  }),
};

/**
 * esbuild writes strings as ASCII but keeps regular expressions and some comments as they were:
 * one character beyond Latin-1 there made V8 hold the whole file as two bytes a character (3 MB
 * more memory). \uXXXX, a UTF-16 unit each, means the same in all three, a regular expression
 * with or without the u flag included.
 */
const ascii = (text) => text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** What every bundle shares: for Node 20, without blanks, comments and redundant syntax. */
const COMMON = {
  absWorkingDir: root,
  write: false,
  bundle: true,
  platform: 'node',
  target: 'node20',
  metafile: true,
  // The bundle's text stays in memory as long as the program runs (V8 compiles a function from
  // it at its first call): minified, 1 MB less of `ekort serve`'s. Names stay, for stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
};

/** The files of a build's metafile, packages' as node_modules/…, each after `prefix`. */
const heldFiles = (metafile, prefix = '') =>
  Object.keys(metafile.inputs)
    .filter((f) => !f.startsWith('left-out:') && !f.startsWith('side-bundle:') && !f.startsWith('<stdin>'))
    .map((f) => `${prefix}${f.replace(/^.*?(?=node_modules\/)/, '')}`);

/** Builds the program into out/`dir` (emptied first) and returns its content hash. */
async function bundle({ dir, format, file, source, sideBundles = false }) {
  const outdir = path.join(root, 'out', dir);
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const external = ['pcsclite', 'node-hid', 'sockopt', 'pg-native', 'electron', '*.node'];
  const result = await esbuild.build({
    ...COMMON,
    ...FORMATS[format](outdir, file, source),
    plugins: sideBundles ? [leaveOut, toSideBundles] : [leaveOut],
    external,
  });
  const hash = createHash('sha256');
  for (const output of result.outputFiles) {
    const text = ascii(output.text);
    writeFileSync(output.path, text);
    hash.update(text);
  }
  const held = heldFiles(result.metafile);
  for (const side of sideBundles ? SIDE_BUNDLES : []) {
    const built = await esbuild.build({
      ...COMMON,
      // Names too: these are other projects' code, whose stack frames we read far less than our
      // own, and their text is read and parsed at their first use (626 -> 420 KB, 11 -> 7 ms).
      minifyIdentifiers: true,
      stdin: { contents: `module.exports = { ${side.packages.map((p) => `${JSON.stringify(p)}: require(${JSON.stringify(p)})`).join(', ')} };`, resolveDir: root, loader: 'js' },
      format: 'cjs',
      outfile: path.join(outdir, side.file),
      external,
    });
    writeFileSync(built.outputFiles[0].path, ascii(built.outputFiles[0].text));
    held.push(...heldFiles(built.metafile, `${side.file} `));
  }
  // What the bundle was made from: bin/built.js runs it only while none of these is newer.
  const inputs = Object.keys(result.metafile.inputs).filter((f) => f.startsWith('src/'));
  const digest = hash.digest('hex');
  writeFileSync(path.join(outdir, 'build.json'), `${JSON.stringify({ builtAt: Date.now(), hash: digest, inputs })}\n`);
  // Every file the bundles hold, packages' as node_modules/…, a side bundle's after its name: to
  // see what a program carries, now that the bundles' text no longer names them.
  writeFileSync(path.join(outdir, 'modules.txt'), `${held.join('\n')}\n`);
  process.stdout.write(`bundle-cli: out/${dir}/${file} from ${inputs.length} source files\n`);
  return digest;
}

/**
 * Starts the program from its new bundle the way its users do (bin/ with `warmUp.args`), asks it
 * for `warmUp.path` once it says where it listens, and stops it with SIGTERM: bin/built.js writes
 * V8's code cache as it exits (EKORT_WRITE_CODE_CACHE=1), the bytecode of all that ran. Resolves
 * to what went wrong, or undefined: a failed warm-up never fails the build (npm install).
 */
async function warmUp(program) {
  try {
    return await warmUpOnce(program);
  } catch (error) {
    return error.message;
  }
}

function warmUpOnce({ bin, warmUp: spec }) {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'ekort-warm-up-'));
  const child = spawn(process.execPath, [path.join(root, bin), ...spec.args(scratch)], {
    cwd: scratch,
    env: { ...process.env, EKORT_WRITE_CODE_CACHE: '1', EKORT_FROM_SOURCE: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve) => {
    let said = '';
    let asked = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish('it did not answer and stop within 30 s');
    }, 30_000);
    const finish = (problem) => {
      clearTimeout(timer);
      rmSync(scratch, { recursive: true, force: true });
      resolve(problem);
    };
    const ask = (url) => {
      asked = true;
      http
        .get(new URL(spec.path, url), (res) => {
          res.resume();
          res.on('end', () => child.kill('SIGTERM'));
        })
        .on('error', () => child.kill('SIGTERM'));
    };
    child.stdout.on('data', (chunk) => {
      said += chunk;
      const url = /http:\/\/127\.0\.0\.1:\d+/.exec(said);
      if (url && !asked) ask(url[0]);
    });
    let errors = '';
    child.stderr.on('data', (chunk) => (errors += chunk));
    child.on('exit', (code, signal) => {
      if (!asked) finish(`it ended (${signal ?? code}) before it listened: ${errors.trim().split('\n').at(-1) ?? ''}`);
      else finish(code === 0 ? undefined : `it ended by ${signal ?? code}`);
    });
  });
}

for (const program of PROGRAMS) {
  const hash = await bundle(program);
  if (!program.warmUp) continue;
  const problem = await warmUp(program);
  const made = existsSync(codeCacheFile(program.dir, program.file, hash));
  if (problem || !made) {
    // Only the start gets slower: V8 compiles what it would have found in the cache.
    process.stderr.write(`bundle-cli: no code cache for out/${program.dir}: warming ${program.bin} up failed (${problem ?? 'no cache written'})\n`);
  }
}
