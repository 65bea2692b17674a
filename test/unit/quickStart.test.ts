/**
 * The README's two Quick start lines are what a new user runs: the test line is the one CI
 * runs (.ci/run), and the native parts that a bare machine cannot build or download are
 * optional, so `npm install` goes on without them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');

function quickStartLines(): string[] {
  const readme = read('README.md');
  const section = readme.slice(readme.indexOf('## Quick start'));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README: no sh block under "## Quick start"');
  return block[1]!.trim().split('\n').map((line) => line.replace(/\s+#.*$/, '').trim());
}

describe('Quick start', () => {
  it('shows exactly two lines: the run line and the test line', () => {
    expect(quickStartLines()).toEqual(['npm install && npm start', 'npm run test:all']);
  });

  it('CI runs exactly the README’s test line, which installs the machine and runs every test', () => {
    const ci = read('.ci/run').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
    expect(ci).toContain(quickStartLines()[1]);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts['test:all']).toBe('bash native/test-all.sh');
    const script = read('native/test-all.sh');
    for (const step of ['native/setup-pcsc.sh --test', 'native/setup-postgres.sh', 'native/setup-browser.sh', 'native/setup-audio.sh', 'npm ci', 'npm run typecheck', 'npm run lint', 'npm test']) {
      expect(script).toContain(step);
    }
    expect(script).toMatch(/export CI="\$\{CI:-true\}"/);
  });

  it('the native parts a bare machine may lack are optional dependencies only', () => {
    const pkg = JSON.parse(read('package.json')) as Record<string, Record<string, string> | undefined>;
    for (const name of ['pcsclite', 'node-hid', 'electron', 'sockopt']) {
      expect(pkg.optionalDependencies?.[name], name).toBeDefined();
      // npm lets a dev or prod entry win over the optional one: then a failed build aborts the install.
      expect(pkg.dependencies?.[name], name).toBeUndefined();
      expect(pkg.devDependencies?.[name], name).toBeUndefined();
    }
  });
});
