/**
 * bin/ekort.js runs the bundle tools/bundle-cli.mjs makes while it is as new as every source it
 * was made from, and the TypeScript sources otherwise (or when asked): a copy of the checkout
 * in a temporary folder is bundled, then one source is touched.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
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

describe('bin/ekort.js: the bundle or the sources', () => {
  beforeAll(() => {
    for (const part of ['package.json', 'bin', 'tools', 'src']) cpSync(path.join(root, part), path.join(copy, part), { recursive: true });
    symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'));
    execFileSync(process.execPath, [path.join(copy, 'tools/bundle-cli.mjs')], { stdio: 'pipe' });
  }, 60_000);

  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('runs the bundle while it is fresh', () => {
    expect(run()).toEqual({ code: 0, started: 'ekort: running the bundle in out/cli', usage: 'ekort: smart cards, security tokens and the e-kort service, from the terminal' });
  });

  it('runs the sources when asked to', () => {
    expect(run({ EKORT_FROM_SOURCE: '1' })).toMatchObject({ code: 0, started: 'ekort: running the sources through tsx' });
  });

  it('runs the sources once one of them is newer than the bundle', () => {
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(copy, 'src/cli/readersCommand.ts'), later, later);
    expect(run()).toMatchObject({ code: 0, started: 'ekort: running the sources through tsx' });
  });
});
