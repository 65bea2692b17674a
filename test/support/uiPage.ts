/**
 * One Chromium page on the Swedish UI for an end-to-end test file: its screenshots under
 * test-results/e2e/ (numbered in order, this file's old ones removed first), a screenshot and
 * the screen's text when a test fails, and the bounds every wait uses. Every screen and dialog
 * that is shot is also checked with axe-core against WCAG 2.2 A and AA (a11yCheck.ts): a
 * violation fails the test that reached it.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { launchChromium } from './chromium.ts';
import { ROOT } from './desktopApp.ts';
import { assertAccessible } from './a11yCheck.ts';

/** The bound of every wait for the UI. */
export const UI_TIMEOUT = 15_000;
export const SHOTS_DIR = path.join(ROOT, 'test-results', 'e2e');

export interface UiPage {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** test-results/e2e/<prefix>NN-<name>.png of `target` (the page by default). */
  shot(name: string, target?: Page): Promise<void>;
  /** For afterEach: a failed test leaves the screen it failed on, and what it said. */
  recordFailure(task: { name: string; result?: { state?: string } | undefined }): Promise<void>;
  close(): Promise<void>;
}

export async function openUiPage(shotPrefix: string, viewport = { width: 1100, height: 900 }): Promise<UiPage> {
  mkdirSync(SHOTS_DIR, { recursive: true });
  const mine = new RegExp(`^${shotPrefix.replace(/[^a-z0-9-]/gi, '')}\\d{2}-.+\\.png$`);
  for (const f of readdirSync(SHOTS_DIR)) if (mine.test(f)) rmSync(path.join(SHOTS_DIR, f));
  const browser = await launchChromium();
  const context = await browser.newContext({ locale: 'sv-SE', viewport });
  context.setDefaultTimeout(UI_TIMEOUT);
  const page = await context.newPage();
  let shots = 0;
  const shot = async (name: string, target: Page = page): Promise<void> => {
    shots += 1;
    await target.screenshot({ path: path.join(SHOTS_DIR, `${shotPrefix}${String(shots).padStart(2, '0')}-${name}.png`), fullPage: true, timeout: UI_TIMEOUT });
    if (!name.startsWith('FAILED-')) await assertAccessible(target, name);
  };
  return {
    browser,
    context,
    page,
    shot,
    async recordFailure(task) {
      if (task.result?.state !== 'fail') return;
      await shot(`FAILED-${task.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined);
      const text = await page.locator('body').innerText({ timeout: 2000 }).catch(() => '');
      console.error(`e2e: the screen when "${task.name}" failed:\n${text.slice(0, 1500)}`);
    },
    async close() {
      await context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
    },
  };
}

export const visible = (locator: Locator, timeout = UI_TIMEOUT): Promise<void> => locator.first().waitFor({ state: 'visible', timeout });
/** The screen's heading (h1) named exactly `name`. */
export const headingOf = (target: Page, name: string): Locator => target.getByRole('heading', { level: 1, name, exact: true });
/** The button named exactly `name` in `scope`. */
export const buttonOf = (scope: Page | Locator, name: string): Locator => scope.getByRole('button', { name, exact: true });
