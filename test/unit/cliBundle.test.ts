/**
 * bin/ekort.js and bin/web.js run the bundles tools/bundle-cli.mjs makes while each is as new as
 * every source it was made from, and the TypeScript sources otherwise (or when asked): a copy of
 * the checkout in a temporary folder is bundled, then one source is touched. The servers' bundles
 * run with the V8 code cache their warm-up left, and without it when V8 refuses it.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const copy = mkdtempSync(path.join(os.tmpdir(), 'ekort-cli-bundle-'));

function run(env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [path.join(copy, 'bin/ekort.js'), '--help'], { env: { ...process.env, EKORT_DEBUG_START: '1', ...env }, encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, started: result.stderr.split('\n')[0], usage: result.stdout.split('\n')[0] };
}

/** bin/web.js with a --port it refuses: it loads the bridge's code, then stops before starting anything. */
function runWeb(env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [path.join(copy, 'bin/web.js'), '--port', 'none'], { env: { ...process.env, EKORT_DEBUG_START: '1', ...env }, encoding: 'utf8', timeout: 30_000 });
  const [started, refusal] = result.stderr.split('\n');
  return { code: result.status, started, refusal };
}

/** `ekort serve` on a new database: how bin/ekort.js said it started, and the status of GET /v1/health. */
async function serveOnce(): Promise<{ started: string; health: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ekort-cli-serve-'));
  const child: ChildProcess = spawn(process.execPath, [path.join(copy, 'bin/ekort.js'), 'serve', '--port', '0', '--db', path.join(dir, 'e.sqlite')], {
    env: { ...process.env, EKORT_DEBUG_START: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`ekort serve did not listen within 20 s: ${err}`)), 20_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d;
        const m = /http:\/\/127\.0\.0\.1:\d+/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[0]);
        }
      });
      child.once('exit', (code) => reject(new Error(`ekort serve ended (${code}): ${err}`)));
    });
    const health = await new Promise<number>((resolve, reject) => {
      http.get(`${url}/v1/health`, (res) => resolve(res.resume().statusCode ?? 0)).on('error', reject);
    });
    return { started: err.split('\n')[0]!, health };
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

const touch = (file: string): void => {
  const later = new Date(Date.now() + 60_000);
  utimesSync(path.join(copy, file), later, later);
};

/**
 * The packages whose code a bundle file loads before it runs: its own and that of every chunk
 * it imports statically (esbuild marks each bundled file with a `// path` comment).
 */
function packagesLoadedBy(dir: string, file: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const queue = [file];
  while (queue.length > 0) {
    const next = queue.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    const text = readFileSync(path.join(dir, next), 'utf8');
    for (const m of text.matchAll(/^import [^;]*?from "\.\/([^"]+)"/gms)) queue.push(m[1]!);
    for (const m of text.matchAll(/^\/\/ .*node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)) packages.add(m[1]!);
  }
  return packages;
}

describe('bin/ekort.js and bin/web.js: the bundle or the sources', () => {
  beforeAll(() => {
    for (const part of ['package.json', 'bin', 'tools', 'src']) cpSync(path.join(root, part), path.join(copy, part), { recursive: true });
    symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'));
    execFileSync(process.execPath, [path.join(copy, 'tools/bundle-cli.mjs')], { stdio: 'pipe' });
  }, 60_000);

  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('runs the bundle while it is fresh', () => {
    expect(run()).toEqual({ code: 0, started: 'ekort: running the bundle in out/cli', usage: 'ekort: smart cards, security tokens and the e-kort service, from the terminal' });
  });

  it('ekort serve runs its own bundle with the code cache its warm-up left', async () => {
    expect(readdirSync(path.join(copy, 'out/serve')).filter((f) => f.endsWith('.v8cache'))).toHaveLength(1);
    expect(await serveOnce()).toEqual({ started: 'ekort: running the bundle in out/serve (code cache: used)', health: 200 });
  }, 30_000);

  it('a code cache V8 refuses (another Node, a damaged file) costs only time: the bundle compiles and serves', async () => {
    const dir = path.join(copy, 'out/serve');
    const cache = path.join(dir, readdirSync(dir).find((f) => f.endsWith('.v8cache'))!);
    const good = readFileSync(cache);
    try {
      writeFileSync(cache, Buffer.alloc(good.length, 0x5a));
      expect(await serveOnce()).toEqual({ started: 'ekort: running the bundle in out/serve (code cache: refused)', health: 200 });
      rmSync(cache);
      expect(await serveOnce()).toEqual({ started: 'ekort: running the bundle in out/serve (code cache: none)', health: 200 });
    } finally {
      writeFileSync(cache, good);
    }
  }, 60_000);

  it('a warm-up that cannot run (no temporary folder) leaves no cache and fails nothing: the bundles run without one', async () => {
    const result = spawnSync(process.execPath, [path.join(copy, 'tools/bundle-cli.mjs')], { env: { ...process.env, TMPDIR: path.join(copy, 'no-such-folder') }, encoding: 'utf8', timeout: 60_000 });
    try {
      expect(result.status).toBe(0);
      expect(result.stderr).toMatch(/^bundle-cli: no code cache for out\/serve: warming bin\/ekort\.js up failed \(ENOENT/m);
      expect(result.stderr).toMatch(/^bundle-cli: no code cache for out\/web: warming bin\/web\.js up failed \(ENOENT/m);
      expect(await serveOnce()).toEqual({ started: 'ekort: running the bundle in out/serve (code cache: none)', health: 200 });
      expect(runWeb()).toEqual({ code: 2, started: 'web: running the bundle in out/web (code cache: none)', refusal: 'web: --port must be 0 to 65535' });
    } finally {
      execFileSync(process.execPath, [path.join(copy, 'tools/bundle-cli.mjs')], { stdio: 'pipe' });
    }
  }, 120_000);

  it("ekort serve's code starts without pkijs and pg: they come with a card login, --ca or a postgres:// database", () => {
    // The commands' chunks show the module graph the serve bundle is made from: what no static
    // import reaches, esbuild leaves uninitialised there too until its dynamic import runs.
    const dir = path.join(copy, 'out/cli');
    const serve = readdirSync(dir).find((f) => f.startsWith('serveCommand-'))!;
    const loaded = packagesLoadedBy(dir, serve);
    expect(loaded).toContain('fastify'); // the walk finds the service's packages
    expect(loaded).not.toContain('pkijs');
    expect(loaded).not.toContain('pg');
  });

  it('every bundle is ASCII, so V8 keeps its source one byte a character', () => {
    for (const dir of ['out/cli', 'out/serve', 'out/web']) {
      for (const f of readdirSync(path.join(copy, dir)).filter((name) => /\.c?js$/.test(name))) {
        const bytes = readFileSync(path.join(copy, dir, f));
        expect(bytes.findIndex((b) => b > 0x7f), `${dir}/${f}`).toBe(-1);
      }
    }
  });

  it("leaves out what the programs never run: fastify's JSON-schema compilers, inject() and logger, zod's other languages", () => {
    for (const dir of ['out/cli', 'out/serve', 'out/web']) {
      const files = readdirSync(path.join(copy, dir)).filter((f) => /\.c?js$/.test(f));
      const sections = files.flatMap((f) => [...readFileSync(path.join(copy, dir, f), 'utf8').matchAll(/^\/\/ .*node_modules\/(.+)$/gm)].map((m) => m[1]!));
      expect(sections).toContain('fastify/fastify.js'); // the sections are there to be looked at
      const left = sections.filter((s) => /^(ajv|ajv-formats|@fastify\/ajv-compiler|@fastify\/fast-json-stringify-compiler|light-my-request|pino)\//.test(s) || s === 'fast-json-stringify/index.js');
      expect(left, dir).toEqual([]);
      expect(sections.filter((s) => s.startsWith('zod/v4/locales/')), dir).toEqual(['zod/v4/locales/en.js']);
    }
  });

  it('runs the sources when asked to', () => {
    expect(run({ EKORT_FROM_SOURCE: '1' })).toMatchObject({ code: 0, started: 'ekort: running the sources through tsx' });
  });

  it('the bridge runs its own bundle while it is fresh', () => {
    expect(runWeb()).toEqual({ code: 2, started: 'web: running the bundle in out/web (code cache: used)', refusal: 'web: --port must be 0 to 65535' });
  });

  it('the bridge runs its sources when asked to', () => {
    expect(runWeb({ EKORT_FROM_SOURCE: '1' })).toEqual({ code: 2, started: 'web: running the sources through tsx', refusal: 'web: --port must be 0 to 65535' });
  });

  it('runs the sources once one of them is newer than the bundle; a program whose sources did not change keeps its bundle', () => {
    touch('src/cli/readersCommand.ts'); // the command's, not the bridge's
    expect(run()).toMatchObject({ code: 0, started: 'ekort: running the sources through tsx' });
    expect(runWeb()).toMatchObject({ code: 2, started: 'web: running the bundle in out/web (code cache: used)' });
  });

  it('the bridge runs its sources once one of them is newer than its bundle', () => {
    touch('src/client/bridge/server.ts');
    expect(runWeb()).toEqual({ code: 2, started: 'web: running the sources through tsx', refusal: 'web: --port must be 0 to 65535' });
  });
});

describe('bin/built.js in an installed package (inside node_modules)', () => {
  let base = '';
  let pkg = '';
  const start = (env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [path.join(pkg, 'bin/ekort.js'), '--help'], { env: { ...process.env, EKORT_DEBUG_START: '1', ...env }, encoding: 'utf8', timeout: 30_000 }).stderr.split('\n')[0];

  beforeAll(() => {
    base = mkdtempSync(path.join(os.tmpdir(), 'ekort-cli-installed-'));
    pkg = path.join(base, 'node_modules', 'ekort-desktop');
    for (const part of ['package.json', 'bin', 'tools', 'src']) cpSync(path.join(root, part), path.join(pkg, part), { recursive: true });
    symlinkSync(path.join(root, 'node_modules'), path.join(pkg, 'node_modules'));
  }, 60_000);

  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('runs the sources while there is no bundle (esbuild was missing at install)', () => {
    expect(start()).toBe('ekort: running the sources through tsx');
  });

  it('runs its bundle without comparing it with the sources, which nobody edits there', () => {
    execFileSync(process.execPath, [path.join(pkg, 'tools/bundle-cli.mjs')], { stdio: 'pipe' });
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(pkg, 'src/cli/main.ts'), later, later);
    expect(start()).toBe('ekort: running the bundle in out/cli');
    expect(start({ EKORT_FROM_SOURCE: '1' })).toBe('ekort: running the sources through tsx');
  }, 60_000);
});
