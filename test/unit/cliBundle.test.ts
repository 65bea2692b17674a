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
import { fileURLToPath, pathToFileURL } from 'node:url';
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

/**
 * A server program of the copy (bin/ekort.js serve, bin/web.js) on new data: how it said it
 * started, the status of GET `urlPath` once it listens, and the module code V8 ran by then and
 * through its SIGTERM stop: the names of the bundle's functions that ran at least once
 * (NODE_V8_COVERAGE; esbuild names a module's lazy initialiser by the module's path).
 */
async function startOnce(bin: string, args: (dir: string) => string[], urlPath: string): Promise<{ started: string; status: number; ran: Set<string>; outside: string[] }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ekort-cli-start-'));
  const coverage = path.join(dir, 'coverage');
  const child: ChildProcess = spawn(process.execPath, [path.join(copy, bin), ...args(dir)], {
    env: { ...process.env, EKORT_DEBUG_START: '1', NODE_V8_COVERAGE: coverage },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${bin} did not listen within 20 s: ${err}`)), 20_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d;
        const m = /http:\/\/127\.0\.0\.1:\d+/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[0]);
        }
      });
      child.once('exit', (code) => reject(new Error(`${bin} ended (${code}): ${err}`)));
    });
    const status = await new Promise<number>((resolve, reject) => {
      http.get(`${url}${urlPath}`, (res) => resolve(res.resume().statusCode ?? 0)).on('error', reject);
    });
    child.kill('SIGTERM');
    await exited;
    const ran = new Set<string>();
    /** JavaScript files V8 compiled that are neither the copy's bin/ nor its bundles (a package outside them). */
    const outside: string[] = [];
    const own = ['out', 'bin'].map((dir) => `${pathToFileURL(path.join(copy, dir)).href}/`);
    for (const file of readdirSync(coverage)) {
      const { result } = JSON.parse(readFileSync(path.join(coverage, file), 'utf8')) as { result: Array<{ url: string; functions: Array<{ functionName: string; ranges: Array<{ count: number }> }> }> };
      outside.push(...result.map((r) => r.url).filter((url) => url.startsWith('file:') && !own.some((dir) => url.startsWith(dir))));
      for (const script of result.filter((r) => /\/out\/(serve|web)\//.test(r.url))) {
        // From the copy, whose node_modules is a link, esbuild names a package by its real path.
        for (const fn of script.functions) {
          const name = fn.functionName.replace(/^.*?(?=node_modules\/)/, '');
          if (fn.ranges[0]!.count > 0) ran.add(name);
        }
        // A side bundle is minified with its names: it is known by its file.
        if (script.functions.some((fn) => fn.ranges[0]!.count > 0)) ran.add(path.relative(copy, fileURLToPath(script.url)));
      }
    }
    return { started: err.split('\n')[0]!, status, ran, outside };
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `ekort serve` on a new database: how bin/ekort.js said it started, and the status of GET /v1/health. */
async function serveOnce(): Promise<{ started: string; health: number }> {
  const { started, status } = await startOnce('bin/ekort.js', (dir) => ['serve', '--port', '0', '--db', path.join(dir, 'e.sqlite')], '/v1/health');
  return { started, health: status };
}

const touch = (file: string): void => {
  const later = new Date(Date.now() + 60_000);
  utimesSync(path.join(copy, file), later, later);
};

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

  /** The files out/`dir`'s main bundle holds, and those of its side bundle `side` (tools/bundle-cli.mjs lists them). */
  const held = (dir: string, side?: string): string[] =>
    readFileSync(path.join(copy, 'out', dir, 'modules.txt'), 'utf8')
      .trim()
      .split('\n')
      .filter((line) => (side ? line.startsWith(`${side} `) : !line.includes(' ')))
      .map((line) => (side ? line.slice(side.length + 1) : line));
  const inPackages = (files: string[], ...packages: string[]): string[] => files.filter((f) => packages.some((p) => f.startsWith(`node_modules/${p}/`)));

  it('ekort serve starts and stops without pkijs or pg: they are in side bundles, loaded with a card login, --ca or a postgres:// database', async () => {
    expect(inPackages(held('serve'), 'pkijs', 'asn1js', 'pg')).toEqual([]);
    expect(held('serve', 'pki.cjs')).toEqual(expect.arrayContaining(['node_modules/pkijs/build/index.js', 'node_modules/asn1js/build/index.js']));
    expect(held('serve', 'pg.cjs')).toContain('node_modules/pg/lib/index.js');
    const { status, ran, outside } = await startOnce('bin/ekort.js', (dir) => ['serve', '--port', '0', '--db', path.join(dir, 'e.sqlite')], '/v1/health');
    expect(status).toBe(200);
    expect(ran).toContain('node_modules/fastify/fastify.js'); // the coverage names the modules that ran
    expect(ran).not.toContain(path.join('out', 'serve', 'pki.cjs'));
    // better-sqlite3's JavaScript too comes from the bundle and its code cache; only its addon is a file of its own.
    expect(ran).toContain('node_modules/better-sqlite3/lib/database.js');
    expect(outside).toEqual([]);
  }, 30_000);

  it('ekort serve --ca runs pkijs from its side bundle', async () => {
    const ca = mkdtempSync(path.join(os.tmpdir(), 'ekort-cli-ca-'));
    try {
      execFileSync(process.execPath, [path.join(copy, 'bin/ekort.js'), 'pki', 'init', '--out', path.join(ca, 'pki')], { stdio: 'pipe' });
      const { status, ran, outside } = await startOnce('bin/ekort.js', (dir) => ['serve', '--port', '0', '--db', path.join(dir, 'e.sqlite'), '--ca', path.join(ca, 'pki')], '/v1/health');
      expect(status).toBe(200);
      expect(ran).toContain(path.join('out', 'serve', 'pki.cjs'));
      expect(outside).toEqual([]);
    } finally {
      rmSync(ca, { recursive: true, force: true });
    }
  }, 60_000);

  it('the bridge starts and stops without pkijs or asn1js: they come from a side bundle with a card, a BankID file, a new virtual card or the demo', async () => {
    expect(inPackages(held('web'), 'pkijs', 'asn1js', 'pg')).toEqual([]);
    const { status, ran, outside } = await startOnce('bin/web.js', (dir) => ['--data-dir', dir, '--port', '0', '--no-build'], '/');
    expect(status).toBeGreaterThan(0);
    expect(ran).toContain('node_modules/fastify/fastify.js');
    // Only the reader and token bindings load outside the bundle, with their addons' own loaders
    // (src/pcsc/pcscliteBinding.ts, src/token/nodeHidTransport.ts: a missing one is a typed error).
    expect(outside.filter((url) => !/\/node_modules\/(pcsclite|bindings|file-uri-to-path|node-hid|pkg-prebuilds)\//.test(url))).toEqual([]);
  }, 30_000);

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
      const held = readFileSync(path.join(copy, dir, 'modules.txt'), 'utf8').trim().split('\n');
      const sections = held.filter((f) => f.startsWith('node_modules/')).map((f) => f.slice('node_modules/'.length));
      expect(sections).toContain('fastify/fastify.js'); // the list is there to be looked at
      const left = sections.filter((s) => /^(ajv|ajv-formats|@fastify\/ajv-compiler|@fastify\/fast-json-stringify-compiler|light-my-request|pino)\//.test(s) || s === 'fast-json-stringify/index.js');
      expect(left, dir).toEqual([]);
      expect(sections.filter((s) => s.startsWith('zod/v4/locales/')), dir).toEqual(['zod/v4/locales/en.js']);
    }
  });

  /**
   * `ekort serve` started with `nodeArgs` and --trace-opt, asked `requests` times for
   * /v1/health once its first second is over: whether V8 optimised anything with TurboFan.
   */
  async function optimisedAfterStart(nodeArgs: string[], requests: number): Promise<boolean> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ekort-cli-opt-'));
    const child = spawn(process.execPath, [...nodeArgs, '--trace-opt', path.join(copy, 'bin/ekort.js'), 'serve', '--port', '0', '--db', path.join(dir, 'e.sqlite')], { stdio: ['ignore', 'pipe', 'ignore'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d));
      const deadline = Date.now() + 20_000;
      while (!/listening on (http:\/\/127\.0\.0\.1:\d+)/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1];
      await new Promise((r) => setTimeout(r, 1200));
      const agent = new http.Agent({ keepAlive: true });
      for (let i = 0; i < requests; i++) {
        await new Promise<void>((resolve, reject) => http.get(`${url}/v1/health`, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject));
      }
      agent.destroy();
      return /compiling method .* \(target TURBOFAN\)/.test(out);
    } finally {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("gives V8 its optimising compiler back after a program's first second, and keeps a user's --no-opt", async () => {
    expect(await optimisedAfterStart([], 3000)).toBe(true);
    expect(await optimisedAfterStart(['--no-opt'], 3000)).toBe(false);
  }, 60_000);

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
