/**
 * How fast the `ekort` command starts, beside its peers in the same run: `ekort --help` and
 * `ekort readers` (the bundle in out/cli, as `npm install` leaves it) against `ykman --version`,
 * `opensc-tool -l` and a bare `node -e 0`; wall time (median of 7, the commands taking turns) and
 * peak memory, by GNU time.
 * And the two servers, each on new data and restarted on the data an earlier run left (the
 * common case): `ekort serve` on a SQLite file and the browser bridge (bin/web.js) on a data
 * folder, from spawn to their first successful HTTP answer (GET /v1/health, GET /), with the
 * peak memory the process reached by then (VmHWM) and the CPU it used, taking turns with a bare node:http server
 * (the floor); median of 7 after one round that is not counted.
 * Every Node program is measured in the environment a user's machine has, and, where this one
 * sets NODE_EXTRA_CA_CERTS, also in this machine's own (ENVIRONMENTS).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, report, round } from './figures.ts';

const EKORT = fileURLToPath(new URL('../../bin/ekort.js', import.meta.url));
const WEB = fileURLToPath(new URL('../../bin/web.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RUNS = 7;

/**
 * Where a Node program's start is measured. Node reads the certificates NODE_EXTRA_CA_CERTS
 * names before it runs any JavaScript: this machine (and CI on it) sets it to Debian's whole
 * bundle, some 140 certificates, which took every Node program 35-45 ms and 2 MB, `node -e 0`
 * from 0.02 to 0.06 s; a user's desktop does not set it. The targets hold for a user's
 * environment, this one without the variable; this machine's follows under `.extra_ca_certs`,
 * without a target, when it sets the variable.
 */
interface Environment {
  suffix: string;
  env: NodeJS.ProcessEnv;
  target: boolean;
  note: string;
}
const { NODE_EXTRA_CA_CERTS: extraCaCerts, ...userEnv } = process.env;
const ENVIRONMENTS: Environment[] = [
  { suffix: '', env: userEnv, target: true, note: 'without NODE_EXTRA_CA_CERTS, as on a user\'s machine' },
  ...(extraCaCerts
    ? [{ suffix: '.extra_ca_certs', env: process.env, target: false, note: `with this machine's NODE_EXTRA_CA_CERTS=${extraCaCerts}, which Node parses before any JavaScript runs` }]
    : []),
];

/** One run of `argv` under GNU time: wall seconds and peak kilobytes, or undefined when it fails (a peer not installed). */
function timeOnce(argv: string[], env: NodeJS.ProcessEnv): { seconds: number; kb: number } | undefined {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', ...argv], { encoding: 'utf8', timeout: 30_000, env });
  const m = /^(\d+(?:\.\d+)?) (\d+)$/.exec(r.stderr.trim().split('\n').at(-1) ?? '');
  return r.status === 0 && m ? { seconds: Number(m[1]), kb: Number(m[2]) } : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The status of GET http://127.0.0.1:port/path, or 0 when nothing answers yet. */
function statusOf(port: number, urlPath: string): Promise<number> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', () => resolve(0));
  });
}

/** A bare node HTTP server answering 200 to everything: the floor of a server's start here. */
const BARE_HTTP = "require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.argv[1]), '127.0.0.1')";

interface ServerCase {
  name: string;
  /** node's arguments for a server on `port` with its data in `dir`. */
  args: (dir: string, port: number) => string[];
  urlPath: string;
  /** A new temporary folder each run, or one folder a first (uncounted) run made, as on a restart. */
  data: 'new' | 'existing';
  note: string;
  target: boolean;
  env?: NodeJS.ProcessEnv;
}

/**
 * From spawn of `args(dir, port)` to the first 200 at `urlPath`, and the VmHWM then; stopped
 * with SIGTERM after.
 */
async function httpStartOnce(c: ServerCase, dir: string): Promise<{ seconds: number; kb: number; cpuSeconds: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, c.args(dir, port), { stdio: ['ignore', 'ignore', 'pipe'], env: c.env ?? process.env });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    let status = 0;
    while (status === 0 && child.exitCode === null && performance.now() - started < 60_000) {
      status = await statusOf(port, c.urlPath);
      if (status === 0) await new Promise((r) => setTimeout(r, 2));
    }
    const seconds = (performance.now() - started) / 1000;
    if (status !== 200) throw new Error(`${c.args(dir, port).join(' ')}: no 200 at ${c.urlPath} (${status}); stderr: ${stderr}`);
    const kb = Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
    // utime + stime (fields 14 and 15 of /proc/PID/stat, in clock ticks of 10 ms): the CPU the
    // start took, which the machine's other load stretches far less than the wall time.
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return { seconds, kb, cpuSeconds: (Number(stat[11]) + Number(stat[12])) / 100 };
  } finally {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * Every server case RUNS times, round by round (the cases take turns, as the commands do), after
 * one round that is not counted (it builds the renderer if it is stale, and makes the folders of
 * the 'existing' cases).
 */
async function measureHttpStarts(cases: ServerCase[]): Promise<Map<string, Array<{ seconds: number; kb: number; cpuSeconds: number }>>> {
  const kept = new Map(cases.filter((c) => c.data === 'existing').map((c) => [c.name, mkdtempSync(path.join(os.tmpdir(), 'ekort-bench-start-'))]));
  const runs = new Map<string, Array<{ seconds: number; kb: number; cpuSeconds: number }>>(cases.map((c) => [c.name, []]));
  try {
    for (let i = 0; i <= RUNS; i++) {
      for (const c of cases) {
        const dir = kept.get(c.name) ?? mkdtempSync(path.join(os.tmpdir(), 'ekort-bench-start-'));
        try {
          const run = await httpStartOnce(c, dir);
          if (i > 0) runs.get(c.name)!.push(run);
        } finally {
          if (!kept.has(c.name)) rmSync(dir, { recursive: true, force: true });
        }
      }
    }
  } finally {
    for (const dir of kept.values()) rmSync(dir, { recursive: true, force: true });
  }
  return runs;
}

export async function benchCliStart(): Promise<void> {
  if (!existsSync('/usr/bin/time')) throw new Error('cli-start needs GNU time (/usr/bin/time, Debian package time)');
  execFileSync(process.execPath, ['tools/bundle-cli.mjs'], { cwd: ROOT, stdio: 'ignore' });
  const node = process.execPath;
  type CommandCase = [string, string[], { target?: boolean; peer?: string; env?: NodeJS.ProcessEnv; note?: string }];
  const nodeCases: CommandCase[] = [
    ['ekort.help', [node, EKORT, '--help'], { target: true }],
    ['ekort.readers', [node, EKORT, 'readers'], { target: true }],
    ['node.empty', [node, '-e', '0'], {}],
  ];
  // Node's programs in each environment; the peers, which NODE_EXTRA_CA_CERTS does not touch, in the user's.
  const cases: CommandCase[] = [
    ...ENVIRONMENTS.flatMap(({ suffix, env, target, note }) =>
      nodeCases.map(([name, argv, o]): CommandCase => [`${name}${suffix}`, argv, { ...o, target: o.target && target, env, note }]),
    ),
    ['ykman.version', ['ykman', '--version'], { peer: 'ykman' }],
    ['opensc_tool.list', ['opensc-tool', '-l'], { peer: 'opensc-tool' }],
  ];
  // Round by round, every command once a round, so that the machine's other load (it is
  // shared) falls on all of them alike, `node -e 0` included.
  const runs = new Map<string, Array<{ seconds: number; kb: number }>>(cases.map(([name]) => [name, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const [name, argv, { env }] of cases) {
      const done = runs.get(name);
      if (!done || done.length < i) continue; // failed before: a peer that is not installed
      const run = timeOnce(argv, env ?? userEnv);
      if (run) done.push(run);
      else runs.delete(name);
    }
  }
  for (const [name, , { target, peer, note }] of cases) {
    const done = runs.get(name);
    if (!done || done.length === 0) continue;
    const seconds = median(done.map((x) => x.seconds));
    const megabytes = Math.max(...done.map((x) => x.kb)) / 1024;
    const about = { ...(peer ? { peer } : {}), ...(note ? { note } : {}) };
    report({ name: `cli_start.${name}.seconds`, value: round(seconds, 2), unit: 's', ...(target ? { target_max: 0.15 } : {}), ...about });
    report({ name: `cli_start.${name}.peak_mb`, value: round(megabytes, 1), unit: 'MB', ...(target ? { target_max: 60 } : {}), ...about });
  }
  const serve = (dir: string, port: number) => [EKORT, 'serve', '--db', path.join(dir, 'ekort.sqlite'), '--port', String(port)];
  const web = (dir: string, port: number) => [WEB, '--data-dir', dir, '--port', String(port)];
  const servers: ServerCase[] = [
    { name: 'node.http_server', args: (_dir, port) => ['-e', BARE_HTTP, String(port)], urlPath: '/', data: 'new', note: 'a bare node:http server, from spawn to its first 200: the floor', target: false },
    { name: 'ekort.serve.new_db', args: serve, urlPath: '/v1/health', data: 'new', note: 'ekort serve on a new SQLite file (made and migrated), from spawn to the first 200 at /v1/health', target: true },
    { name: 'ekort.serve.existing_db', args: serve, urlPath: '/v1/health', data: 'existing', note: 'ekort serve restarted on the SQLite file an earlier run made, from spawn to the first 200 at /v1/health', target: true },
    { name: 'web_bridge.new_data_dir', args: web, urlPath: '/', data: 'new', note: 'the browser bridge on a new data folder, from spawn to the first 200 at /', target: true },
    { name: 'web_bridge.existing_data_dir', args: web, urlPath: '/', data: 'existing', note: 'the browser bridge restarted on the data folder an earlier run made, from spawn to the first 200 at /', target: true },
  ];
  const everywhere = ENVIRONMENTS.flatMap(({ suffix, env, target, note }) =>
    servers.map((c): ServerCase => ({ ...c, name: `${c.name}${suffix}`, env, target: c.target && target, note: `${c.note}, ${note}` })),
  );
  const measured = await measureHttpStarts(everywhere);
  for (const c of everywhere) {
    const done = measured.get(c.name)!;
    const note = `${c.note}; peak memory is VmHWM then`;
    report({ name: `cli_start.${c.name}.seconds`, value: round(median(done.map((x) => x.seconds)), 2), unit: 's', ...(c.target ? { target_max: 0.15 } : {}), note });
    report({ name: `cli_start.${c.name}.cpu_seconds`, value: round(median(done.map((x) => x.cpuSeconds)), 2), unit: 's', note: 'user + system CPU of the process by its first 200' });
    report({ name: `cli_start.${c.name}.peak_mb`, value: round(Math.max(...done.map((x) => x.kb)) / 1024, 1), unit: 'MB', ...(c.target ? { target_max: 60 } : {}) });
  }
}
