/**
 * The desktop UI's figures (issue 7), on the renderer's production build (vite build when
 * stale, always NODE_ENV=production), served by the browser bridge from the REAL agent (pcscd +
 * vpcd, the embedded service, the virtual card) to headless Debian Chromium:
 *
 * - bundle: the gzipped size of all JavaScript in out/renderer/assets (target: under 250 KB);
 * - login screen usable: from navigation start to the "BankID på kort" button being in the
 *   page and enabled, timed in the page (a MutationObserver installed before any script,
 *   performance.now() is relative to the navigation's start); a fresh navigation each run
 *   (the bridge sends no-store); median of 11 (target: under 500 ms);
 * - card ready: insertVirtualCard through the agent, to the holder's name shown on the card
 *   login screen (both clocks are the wall clock of this machine: performance.timeOrigin +
 *   performance.now()); the card is pulled out between runs (the UI then returns to the
 *   start, and "BankID på kort" shows "Sätt i kortet" again); median of 9. Split in two by a
 *   PC/SC client of the bench's own (a second ReaderMonitor, beside the agent's): the insertion
 *   to pcscd reporting the card (pcscd and the reader driver: not the app), and from that
 *   report to the name shown (the app: reader monitor, holder read, event stream, render).
 *
 *   vpcd has no event of its own: pcscd asks it every 400 ms (PCSCLITE_STATUS_POLL_RATE) whether
 *   a card has connected. A run inserts right after the UI saw the last card leave, which pcscd
 *   saw at one of those polls, so the vpcd runs insert at nearly the same point of pcscd's cycle
 *   and wait most of it (about 400 ms less the time from that poll to the insertion); a holder
 *   inserts at any point of it, so `vpcd_any_moment` also inserts after waits spread evenly over
 *   one cycle (0, 400/9, ... ms), as cards come in at moments unrelated to pcscd's polls.
 *
 *   Issue 20's target (300 ms) is held by the two figures a holder's insertion gives: a vpcd
 *   card inserted at any moment, and a card in ekort's reader driver, which reports it at once
 *   as a USB (CCID) reader's interrupt does. The insertion just after a poll has no target: no
 *   client can be faster than pcscd's next poll of vpcd (its pcscd_detect alone is most of
 *   400 ms); its `.app` part is the app's own, as in the other two.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { chromiumProblem, launchChromium } from '../support/chromium.ts';
import { builtRenderer, startDesktopApp } from '../support/desktopApp.ts';
import { ReaderMonitor } from '../../src/pcsc/index.ts';
import { EKORT_IFD_SOCKET, ekortReaders, ensurePcscd, vpcdReaders } from '../support/pcscd.ts';
import { median, percentile, report, round } from './figures.ts';

const NAVIGATIONS = 11;
const CARD_RUNS = 9;
const T = 15_000;
/** pcsc-lite's PCSCLITE_STATUS_POLL_RATE: how often pcscd asks a driver without events (vpcd) for a card. */
const PCSCD_POLL_MS = 400;
const now = (): number => performance.timeOrigin + performance.now();

function benchBundle(): void {
  const assets = path.join(builtRenderer((line) => process.stderr.write(`bench: ${line}\n`)), 'assets');
  const files = readdirSync(assets).filter((f) => f.endsWith('.js'));
  let raw = 0;
  let gzip = 0;
  for (const f of files) {
    const bytes = readFileSync(path.join(assets, f));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  const note = `gzip -9 of ${files.length} JavaScript file(s) in out/renderer/assets (production build)`;
  report({ name: 'desktop_ui.bundle.js_gzip', value: gzip, unit: 'bytes', raw_bytes: raw, files: files.length, note });
  report({ name: 'desktop_ui.bundle.js_gzip_kb', value: round(gzip / 1024, 1), unit: 'KB', target_max: 250, note });
}

/** Installed before the page's scripts: when the login button is there and enabled. */
const OBSERVE_LOGIN_BUTTON = `(() => {
  const check = () => {
    if (window.__loginUsableAt !== undefined) return true;
    for (const b of document.querySelectorAll('button')) {
      if (b.textContent && b.textContent.trim() === 'BankID på kort' && !b.disabled && b.getClientRects().length > 0) {
        window.__loginUsableAt = performance.now();
        return true;
      }
    }
    return false;
  };
  new MutationObserver((_m, observer) => { if (check()) observer.disconnect(); }).observe(document, { childList: true, subtree: true, attributes: true });
})();`;

async function benchLoginScreen(page: Page, url: string): Promise<void> {
  await page.addInitScript(OBSERVE_LOGIN_BUTTON);
  const samples: number[] = [];
  for (let i = 0; i < NAVIGATIONS + 1; i++) {
    await page.goto(url, { timeout: T });
    const at = (await page.waitForFunction(() => (window as unknown as { __loginUsableAt?: number }).__loginUsableAt, undefined, { timeout: T })).jsonValue();
    if (i > 0) samples.push(Number(await at)); // the first navigation warms the browser's caches of its own
  }
  reportMedian('desktop_ui.login_screen_usable.median', samples, {
    target_max: 500,
    note: 'navigation start to the "BankID på kort" button present and enabled, headless Chromium, production build through the bridge',
  });
}

/** Milliseconds samples as one figure: the median, with p90, the minimum and the count. */
function reportMedian(name: string, samples: number[], extra: Record<string, unknown>): void {
  report({ name, value: round(median(samples), 1), unit: 'ms', p90: round(percentile(samples, 90), 1), min: round(Math.min(...samples), 1), runs: samples.length, ...extra });
}

/** When the bench's own PC/SC client next sees a card come into `reader` (after it saw it empty). */
async function pcscdReports(monitor: ReaderMonitor, reader: string): Promise<() => Promise<number>> {
  const empty = (): boolean => monitor.readers().some((r) => r.name === reader && !r.present);
  await monitor.waitFor((e) => (e.type === 'reader-added' || e.type === 'card-removed') && e.reader === reader && empty(), T);
  let at: number | undefined;
  const seen = monitor.waitFor((e) => {
    if (e.type !== 'card-inserted' || e.reader !== reader) return false;
    at = now();
    return true;
  }, T);
  return async () => {
    await seen;
    return at!;
  };
}

async function benchCardReady(
  page: Page,
  app: Awaited<ReturnType<typeof startDesktopApp>>,
  monitor: ReaderMonitor,
  reader: string,
  name: string,
  via: string,
  options: { spreadOverPoll?: boolean; target?: boolean } = {},
): Promise<void> {
  const { agent } = app;
  const holder = page.getByRole('region', { name: 'Kortet tillhör' }).getByText('Anna Andersson', { exact: false });
  const samples: number[] = [];
  const detect: number[] = [];
  const ours: number[] = [];
  for (let i = 0; i < CARD_RUNS + 1; i++) {
    await agent.removeVirtualCard();
    // Back to the start screen: the card login stays on its screen when the card leaves (it
    // waits for the card to come back), so each run starts from "BankID på kort" afresh. The
    // login's "Tillbaka" is gone for a render as the card leaves (ekort's driver reports that at
    // once): look again until the start screen is there.
    const back = page.getByRole('button', { name: 'Tillbaka', exact: true });
    const start = page.getByRole('button', { name: 'BankID på kort', exact: true });
    const deadline = Date.now() + T;
    while (!(await start.isVisible())) {
      if (Date.now() > deadline) throw new Error(`the start screen did not come back within ${T} ms`);
      if (await back.isVisible()) await back.click({ timeout: T }).catch(() => undefined);
      else await new Promise((r) => setTimeout(r, 20));
    }
    await start.click({ timeout: T });
    await page.getByText('Sätt i kortet', { exact: true }).waitFor({ state: 'visible', timeout: T });
    await page.evaluate(() => {
      const w = window as unknown as { __cardReadyAt?: number };
      delete w.__cardReadyAt;
      const observer = new MutationObserver(() => {
        const region = Array.from(document.querySelectorAll('section')).find((s) => s.querySelector('h2')?.textContent === 'Kortet tillhör');
        if (region?.textContent?.includes('Anna Andersson')) {
          w.__cardReadyAt = performance.timeOrigin + performance.now();
          observer.disconnect();
        }
      });
      observer.observe(document.body, { childList: true, subtree: true, characterData: true });
    });
    const reported = await pcscdReports(monitor, reader);
    if (options.spreadOverPoll && i > 0) await new Promise((r) => setTimeout(r, ((i - 1) * PCSCD_POLL_MS) / CARD_RUNS));
    const t0 = now();
    await agent.insertVirtualCard({ reader });
    await holder.waitFor({ state: 'visible', timeout: T });
    const at = Number(await (await page.waitForFunction(() => (window as unknown as { __cardReadyAt?: number }).__cardReadyAt, undefined, { timeout: T })).jsonValue());
    const pcscdAt = await reported();
    if (i > 0) {
      samples.push(at - t0);
      detect.push(pcscdAt - t0);
      ours.push(at - pcscdAt);
    }
  }
  reportMedian(name, samples, {
    ...(options.target === false ? {} : { target_max: 300 }),
    note: `insertVirtualCard (${via}) to the holder's name on the card-login screen: pcscd + reader monitor + event stream + cardHolder (PIV: SELECT, 9A certificate, PIN status) + render${options.spreadOverPoll ? `; inserted after waits spread over pcscd's ${PCSCD_POLL_MS} ms poll` : ''}${options.target === false ? `; inserted just after the poll that saw the last card leave, so bound below by pcscd's next poll of vpcd (no target: see vpcd_any_moment and ekort_reader)` : ''}`,
  });
  reportMedian(name.replace(/\.median$/, '.pcscd_detect.median'), detect, {
    note: `insertVirtualCard (${via}) to pcscd reporting the card to a PC/SC client of the bench's own: pcscd and the reader driver, not the app`,
  });
  reportMedian(name.replace(/\.median$/, '.app.median'), ours, {
    note: `pcscd reporting the card (${via}) to a PC/SC client of the bench's own, to the holder's name on the card-login screen: the app's part (reader monitor, holder read, event stream, render)`,
  });
}

export async function benchDesktopUi(): Promise<void> {
  benchBundle();
  const problem = chromiumProblem();
  if (problem) {
    process.stderr.write(`bench: desktop-ui: skipping the browser figures: missing ${problem}\n`);
    return;
  }
  if (!(await ensurePcscd())) {
    process.stderr.write('bench: desktop-ui: skipping the browser figures: pcscd + vpcd are not available\n');
    return;
  }
  const app = await startDesktopApp({ prefix: 'ekort-bench-ui-' });
  const browser = await launchChromium();
  try {
    await app.agent.updateSettings({ engineerMode: true });
    await app.agent.startDemo();
    const context = await browser.newContext({ locale: 'sv-SE', viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    await benchLoginScreen(page, app.bridge.url);
    const monitor = new ReaderMonitor().start();
    try {
      await benchCardReady(page, app, monitor, vpcdReaders[0], 'desktop_ui.card_inserted_to_ready.median', 'vpcd link up', { target: false });
      await benchCardReady(page, app, monitor, vpcdReaders[0], 'desktop_ui.card_inserted_to_ready.vpcd_any_moment.median', 'vpcd link up', { spreadOverPoll: true });
      if (existsSync(EKORT_IFD_SOCKET)) await benchCardReady(page, app, monitor, ekortReaders[0], 'desktop_ui.card_inserted_to_ready.ekort_reader.median', "ekort's reader driver");
    } finally {
      await monitor.close();
    }
    await context.close();
  } finally {
    await browser.close().catch(() => undefined);
    await app.close();
  }
}
