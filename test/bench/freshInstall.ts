/**
 * The README's run line as a new user meets it (issue 15), on a clean clone of HEAD in a
 * temporary folder:
 *
 * - `npm install` (no ELECTRON_* variable: where Electron's download fails, npm goes on
 *   without it), wall time; npm's cache on this machine is warm, as on a second install;
 * - `npm start` to a usable login screen: from the spawn to the URL printed (the renderer is
 *   built first: a fresh clone has none) and to the "BankID på kort" button enabled in
 *   Chromium, with a new data folder (XDG_DATA_HOME).
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromiumProblem, launchChromium } from '../support/chromium.ts';
import { ROOT } from '../support/desktopApp.ts';
import { report, round } from './figures.ts';

const T = 120_000;

function withoutElectronVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const key of Object.keys(out)) if (/^(ELECTRON_|npm_config_electron)/i.test(key)) delete out[key];
  return out;
}

function waitForUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`npm start printed no URL within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      const url = /http:\/\/127\.0\.0\.1:\d+\/\S*/.exec(out)?.[0];
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code}) before printing its URL:\n${out}`));
    });
  });
}

export async function benchFreshInstall(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ekort-bench-install-'));
  const clone = path.join(dir, 'clone');
  const env = withoutElectronVariables(process.env);
  let child: ChildProcess | undefined;
  try {
    execFileSync('git', ['clone', '-q', ROOT, clone]);
    let t0 = performance.now();
    const install = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: clone, env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 15 * 60_000 });
    if (install.status !== 0) throw new Error(`npm install failed (${install.status ?? install.signal}): ${install.stderr?.toString().slice(-2000)}`);
    const pcsc = existsSync(path.join(clone, 'node_modules', 'pcsclite', 'build', 'Release', 'pcsclite.node'));
    const electron = existsSync(path.join(clone, 'node_modules', 'electron', 'path.txt'));
    report({
      name: 'fresh_install.npm_install',
      value: round((performance.now() - t0) / 1000, 1),
      unit: 's',
      pcsclite_built: pcsc,
      electron_binary: electron,
      note: 'npm install on a clean clone of HEAD, no ELECTRON_* variable, npm cache warm; the optional native parts build where they can',
    });

    const problem = chromiumProblem();
    if (problem) {
      process.stderr.write(`bench: fresh-install: skipping the start figure: missing ${problem}\n`);
      return;
    }
    t0 = performance.now();
    child = spawn('npm', ['start'], { cwd: clone, env: { ...env, XDG_DATA_HOME: path.join(dir, 'data') }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const url = await waitForUrl(child, T);
    const printed = performance.now() - t0;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(url, { timeout: T });
      await page.getByRole('button', { name: 'BankID på kort', exact: true }).waitFor({ state: 'visible', timeout: T });
      const usable = performance.now() - t0;
      report({
        name: 'fresh_install.start_to_login_screen',
        value: round(usable, 0),
        unit: 'ms',
        url_printed_ms: round(printed, 0),
        note: 'npm start on the fresh install (first start: the renderer is built) to "BankID på kort" visible in Chromium; without the Electron binary through the browser bridge',
      });
    } finally {
      await browser.close();
    }
  } finally {
    if (child?.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
