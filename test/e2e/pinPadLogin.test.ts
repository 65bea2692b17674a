/**
 * The desktop app's PIN-pad path end to end: the demo card in ekort's PIN-pad reader (the real
 * driver inside pcscd), the card login screen in Chromium asks for no PIN and says to type it
 * on the reader; the reader's request reaches the engineers' view, where the engineer types it
 * "on the reader"; the holder is logged in. The PIN never passes through the login screen.
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireChromium } from '../support/chromium.ts';
import { type DesktopApp, startDesktopApp } from '../support/desktopApp.ts';
import { EKORT_PIN_PAD, requireSystem } from '../support/pcscd.ts';
import { buttonOf, headingOf, openUiPage, type UiPage, UI_TIMEOUT, visible } from '../support/uiPage.ts';

const hasChromium = requireChromium();
const available = hasChromium && (await requireSystem('pcscd', 'ekort-ifd'));
const T = UI_TIMEOUT;

describe.skipIf(!available)("card login through ekort's PIN-pad reader (Chromium, bridge, agent, pcscd + the driver)", () => {
  let app: DesktopApp;
  let ui: UiPage;
  let browser: Browser;
  let page: Page;
  const button = (name: string, scope: Page | Locator = page): Locator => buttonOf(scope, name);

  beforeAll(async () => {
    app = await startDesktopApp({ prefix: 'ekort-e2e-pinpad-' });
    await app.agent.updateSettings({ engineerMode: true });
    await app.agent.startDemo();
    await app.agent.insertVirtualCard({ reader: EKORT_PIN_PAD });
    ui = await openUiPage('pinpad-');
    ({ browser, page } = ui);
  }, 180_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await app?.agent.removeVirtualCard().catch(() => undefined);
    await app?.close();
  });

  it('asks for no PIN on screen; the engineer types it on the reader; the holder is logged in', async () => {
    await page.goto(app.bridge.url, { timeout: T });
    await button('BankID på kort').click({ timeout: T });
    await visible(headingOf(page, 'Logga in med BankID på kort'));
    // The PIN-pad reader holds the card: once the card is read, no PIN field, the reader's instructions.
    await visible(page.getByText('Slå PIN-koden på läsaren', { exact: true }));
    expect(await page.getByLabel('PIN-kod', { exact: true }).count()).toBe(0);
    await ui.shot('card-login');

    await button('Logga in').click({ timeout: T });
    const engineers = page.getByRole('complementary', { name: 'Verktyg för ingenjörer' });
    const pad = engineers.getByRole('region', { name: 'PIN-läsaren (ekort PIN Pad)' });
    await visible(pad.getByText(`${EKORT_PIN_PAD} ber om PIN-koden (6–8 siffror, inom 30 s).`));
    await ui.shot('reader-asks');
    await pad.getByLabel('PIN-kod, skrivs på läsaren', { exact: true }).fill('123456', { timeout: T });
    await button('Skriv på läsaren', pad).click({ timeout: T });

    await visible(headingOf(page, 'Välkommen, Anna Andersson'));
    await visible(pad.getByText('PIN-läsaren väntar inte på någon PIN-kod.'));
    await ui.shot('logged-in');
  });
});
