/**
 * The README's run line on a machine without PC/SC: `npm start`'s browser bridge (bin/web.js)
 * in a child process whose module resolver cannot find the pcsclite binding, as where npm left
 * the optional binding out. It says at start what is missing, and the demo customer still logs
 * in through the app's own reader: "Prova med virtuellt kort", "BankID på kort", PIN 123456,
 * "Logga in". Every wait is bounded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireChromium } from '../support/chromium.ts';
import { builtRenderer, ROOT } from '../support/desktopApp.ts';
import { buttonOf, headingOf, openUiPage, type UiPage, visible } from '../support/uiPage.ts';

const hasChromium = requireChromium();

/** Starts bin/web.js; resolves with its URL once printed, or rejects after `timeoutMs`. */
function startWeb(dataDir: string, stderr: string[], timeoutMs = 60_000): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', pathToFileURL(path.join(ROOT, 'test', 'support', 'hidePcsclite.mjs')).href, path.join(ROOT, 'bin', 'web.js'), '--data-dir', dataDir, '--no-build'], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(...chunk.split('\n').filter(Boolean)));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`bin/web.js printed no URL within ${timeoutMs} ms; stderr: ${stderr.join(' | ')}`)), timeoutMs);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const url = /http:\/\/127\.0\.0\.1:\d+\/\S*/.exec(out)?.[0];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bin/web.js exited (${code}) before printing its URL; stderr: ${stderr.join(' | ')}`));
    });
  });
}

describe.skipIf(!hasChromium)('a machine without PC/SC: the demo logs in through the app’s own reader', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ekort-bare-'));
  const stderr: string[] = [];
  let web: { child: ChildProcess; url: string };
  let ui: UiPage;
  let page: Page;

  beforeAll(async () => {
    builtRenderer();
    web = await startWeb(dataDir, stderr);
    ui = await openUiPage('bare-');
    page = ui.page;
  }, 120_000);

  afterEach(async (ctx) => ui?.recordFailure(ctx.task));

  afterAll(async () => {
    await ui?.close();
    if (web?.child.exitCode === null) {
      const exited = new Promise((r) => web.child.once('exit', r));
      web.child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      web.child.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('says in one line at start what is missing, what it costs and the command that adds it', () => {
    const lines = stderr.filter((l) => l.startsWith('e-kort: no card readers'));
    expect(lines).toEqual(['e-kort: no card readers: PC/SC is not installed (the pcsclite binding could not be built). Add it: native/setup-pcsc.sh && npm install']);
  });

  it('"Prova med virtuellt kort", "BankID på kort", PIN 123456, "Logga in": logged in as Anna Andersson', async () => {
    await page.goto(web.url, { timeout: 15_000 });
    await visible(headingOf(page, 'Logga in på e-kort'));
    await buttonOf(page, 'Prova med virtuellt kort').click();
    await visible(page.getByRole('region', { name: 'Demokunden' }), 60_000);
    // The button was busy while the demo started: the focus goes to what appeared (2.4.3).
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent), { timeout: 5000 }).toBe('Demokunden');
    await ui.shot('demo-started');

    await buttonOf(page, 'BankID på kort').click();
    await visible(headingOf(page, 'Logga in med BankID på kort'));
    // The app's own reader, marked virtual, and why no other reader can show up here.
    await visible(page.getByRole('listitem').filter({ hasText: 'e-kort Virtual Reader (virtuell läsare i appen): kort isatt' }));
    await visible(page.getByText('PC/SC är inte installerat', { exact: false }));
    await visible(page.getByRole('region', { name: 'Kortet tillhör' }).getByText('Anna Andersson', { exact: false }));
    await ui.shot('card-login-in-app-reader');

    await page.getByLabel('PIN-kod', { exact: true }).fill('123456');
    await buttonOf(page, 'Logga in').click();
    await visible(headingOf(page, 'Välkommen, Anna Andersson'));
    await ui.shot('logged-in');
  });
});
