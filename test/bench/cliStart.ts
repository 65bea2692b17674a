/**
 * How fast the `ekort` command starts, beside its peers in the same run: `ekort --help` and
 * `ekort readers` (the bundle in out/cli, as `npm install` leaves it) against `ykman --version`,
 * `opensc-tool -l` and a bare `node -e 0`; wall time (median of 7) and peak memory, by GNU time.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { median, report, round } from './figures.ts';

const EKORT = fileURLToPath(new URL('../../bin/ekort.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function measure(argv: string[]): { seconds: number; megabytes: number } | undefined {
  const runs: Array<{ seconds: number; kb: number }> = [];
  for (let i = 0; i < 7; i++) {
    const r = spawnSync('/usr/bin/time', ['-f', '%e %M', ...argv], { encoding: 'utf8', timeout: 30_000 });
    const last = r.stderr.trim().split('\n').at(-1) ?? '';
    const m = /^(\d+(?:\.\d+)?) (\d+)$/.exec(last);
    if (r.status !== 0 || !m) return undefined;
    runs.push({ seconds: Number(m[1]), kb: Number(m[2]) });
  }
  return { seconds: median(runs.map((x) => x.seconds)), megabytes: Math.max(...runs.map((x) => x.kb)) / 1024 };
}

export async function benchCliStart(): Promise<void> {
  if (!existsSync('/usr/bin/time')) throw new Error('cli-start needs GNU time (/usr/bin/time, Debian package time)');
  execFileSync(process.execPath, ['tools/bundle-cli.mjs'], { cwd: ROOT, stdio: 'ignore' });
  const node = process.execPath;
  const cases: Array<[string, string[], { target?: boolean; peer?: string }]> = [
    ['ekort.help', [node, EKORT, '--help'], { target: true }],
    ['ekort.readers', [node, EKORT, 'readers'], { target: true }],
    ['node.empty', [node, '-e', '0'], {}],
    ['ykman.version', ['ykman', '--version'], { peer: 'ykman' }],
    ['opensc_tool.list', ['opensc-tool', '-l'], { peer: 'opensc-tool' }],
  ];
  for (const [name, argv, { target, peer }] of cases) {
    const m = measure(argv);
    if (!m) continue; // a peer that is not installed
    report({ name: `cli_start.${name}.seconds`, value: round(m.seconds, 2), unit: 's', ...(target ? { target_max: 0.15 } : {}), ...(peer ? { peer } : {}) });
    report({ name: `cli_start.${name}.peak_mb`, value: round(m.megabytes, 1), unit: 'MB', ...(target ? { target_max: 60 } : {}), ...(peer ? { peer } : {}) });
  }
}
