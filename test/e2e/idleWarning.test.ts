/**
 * The idle logout warns first (WCAG 2.2.1): with the agent's idle time shortened to 8 s, the
 * warning comes at 4 s (half the idle time; a minute of the real 15), as a dialog with the focus
 * on "Fortsätt vara inloggad"; Enter keeps the session; left alone, the session ends and the
 * start screen says why. Real timers on a short idle time: the agent's clock is what counts.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireChromium } from '../support/chromium.ts';
import { type DesktopApp, startDesktopApp } from '../support/desktopApp.ts';
import { requireSystem } from '../support/pcscd.ts';
import { buttonOf, headingOf, openUiPage, type UiPage, UI_TIMEOUT, visible } from '../support/uiPage.ts';

const hasChromium = requireChromium();
const available = hasChromium && (await requireSystem('pcscd'));
const T = UI_TIMEOUT;
const IDLE_MS = 8000;

describe.skipIf(!available)('the idle logout, warned (Chromium, bridge, agent)', () => {
  let app: DesktopApp;
  let ui: UiPage;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    app = await startDesktopApp({ prefix: 'ekort-e2e-idle-', idleTimeoutMs: IDLE_MS });
    await app.agent.startDemo();
    ui = await openUiPage('idle-');
    ({ browser, page } = ui);
  }, 180_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await app?.close();
  });

  it('warns before the end, keeps the session with one key, and ends it when left alone', async () => {
    await page.goto(app.bridge.url, { timeout: T });
    await buttonOf(page, 'BankID på kort').click({ timeout: T });
    await page.getByLabel('PIN-kod', { exact: true }).fill('123456', { timeout: T });
    await buttonOf(page, 'Logga in').click({ timeout: T });
    await visible(headingOf(page, 'Välkommen, Anna Andersson'));
    const loggedInAt = Date.now();

    const warning = page.getByRole('dialog', { name: 'Du loggas snart ut' });
    await visible(warning, IDLE_MS);
    const warnedAfter = Date.now() - loggedInAt;
    expect(warnedAfter).toBeGreaterThanOrEqual(IDLE_MS / 2 - 1000);
    await visible(warning.getByText('Om 4 sekunder loggas du ut, för din säkerhet.', { exact: false }));
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Fortsätt vara inloggad');
    await ui.shot('warning');
    await page.keyboard.press('Enter');
    await warning.waitFor({ state: 'hidden', timeout: T });
    // Kept: past the first end, still logged in.
    await page.waitForTimeout(IDLE_MS / 2 + 500);
    expect(await app.agent.session()).not.toBeNull();
    await visible(headingOf(page, 'Välkommen, Anna Andersson'));

    // Left alone: the warning again, then the end, said on the start screen.
    await visible(warning, IDLE_MS);
    await visible(headingOf(page, 'Logga in på e-kort'), IDLE_MS);
    await visible(page.getByRole('status').filter({ hasText: 'Du har loggats ut eftersom du inte varit aktiv' }));
    expect(await app.agent.session()).toBeNull();
    await ui.shot('expired');
  }, 60_000);
});
