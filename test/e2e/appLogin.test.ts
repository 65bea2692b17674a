/**
 * Mobilt BankID end to end: the renderer's production build in Debian's Chromium
 * (playwright-core, headless), through the loopback browser bridge, against the REAL agent
 * and its embedded service; the built-in approval app (enrolled with `ekort bank enrol-app`
 * + appWallet) approves on the service's database. The QR code on the screen is decoded with
 * zbarimg (Debian zbar-tools; with CI=true its absence is a failure). Screens are saved as PNGs under
 * test-results/e2e/ (app-*.png). Every wait is bounded.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCustomer } from '../../src/bank/customers.ts';
import { EkortService } from '../../src/bank/service.ts';
import { approveWithApp, enrolTestApp, lookUp } from '../support/approvalApp.ts';
import { requireChromium } from '../support/chromium.ts';
import { requireSystem } from '../support/pcscd.ts';
import { buttonOf, headingOf, openUiPage, type UiPage, UI_TIMEOUT, visible } from '../support/uiPage.ts';
import { type DesktopApp, startDesktopApp } from '../support/desktopApp.ts';

const available = requireChromium();
const zbar = await requireSystem('zbarimg');
const T = UI_TIMEOUT;
const ANNA = { personnummer: '199001012385', name: 'Anna Andersson' };

let app: DesktopApp;
let bank: EkortService;
let page: Page;
let appFile: string;

let ui: UiPage;

const shot = (name: string): Promise<void> => ui.shot(name);
const heading = (name: string): Locator => headingOf(page, name);
const button = (name: string): Locator => buttonOf(page, name);
const qrImage = (): Locator => page.getByRole('img', { name: 'QR-kod för Mobilt BankID', exact: true });
const status = (text: string): Locator => page.getByRole('status').filter({ hasText: text });
const qrContent = async (): Promise<string> => (await qrImage().getAttribute('data-content', { timeout: T }))!;

describe.skipIf(!available)('Mobilt BankID end to end (Chromium, bridge, agent, built-in app)', () => {
  beforeAll(async () => {
    app = await startDesktopApp({ prefix: 'ekort-e2e-app-' });
    const db = path.join(app.dataDir, 'ekort.db');
    bank = await EkortService.open(db, { sweepIntervalMs: 0 });
    await createCustomer(bank.ctx, ANNA.personnummer, ANNA.name);
    appFile = path.join(app.dataDir, 'anna-app.json');
    await enrolTestApp(bank, db, ANNA.personnummer, appFile);
    ui = await openUiPage('app-', { width: 1000, height: 900 });
    ({ page } = ui);
  }, 180_000);

  afterEach(async (ctx) => ui?.recordFailure(ctx.task));

  afterAll(async () => {
    await ui?.close();
    await bank?.close();
    await app?.close();
  });

  it('shows the QR code, the same-device link and "Starta BankID-appen."; the code changes every second', async () => {
    await page.goto(app.bridge.url, { timeout: T });
    await visible(heading('Logga in på e-kort'));
    await button('Mobilt BankID').click({ timeout: T });
    await visible(heading('Logga in med Mobilt BankID'));
    await visible(qrImage());
    await visible(status('Starta BankID-appen.'));
    const link = page.getByRole('link', { name: 'Öppna på den här enheten', exact: true });
    expect(await link.getAttribute('href')).toMatch(/^bankid:\/\/\/\?autostarttoken=[0-9a-f-]{36}&redirect=null$/);
    const first = await qrContent();
    expect(first).toMatch(/^bankid\.[0-9a-f-]{36}\.\d+\.[0-9a-f]{64}$/);
    await expect.poll(qrContent, { timeout: 5000, interval: 200 }).not.toBe(first);
    await shot('qr');
  }, 30_000);

  it.skipIf(!zbar)('the QR code drawn on the screen decodes to its content (zbarimg)', async () => {
    // Read the content and the picture together (the code changes every second).
    const image = await qrImage().screenshot({ timeout: T });
    const content = await qrContent();
    const file = path.join(app.dataDir, 'qr.png');
    writeFileSync(file, image);
    // QR codes only: left to itself zbarimg also reads linear barcodes into the text around it.
    const decoded = execFileSync('zbarimg', ['-q', '--raw', '-Sdisable', '-Sqrcode.enable', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    expect(decoded.split('.').slice(0, 2)).toEqual(content.split('.').slice(0, 2));
    expect(decoded).toMatch(/^bankid\.[0-9a-f-]{36}\.\d+\.[0-9a-f]{64}$/);
  }, 30_000);

  it('the app scans the code: "Skriv in din säkerhetskod…"; it approves: logged in', async () => {
    const seen = { kind: 'qr' as const, value: await qrContent() };
    const order = await lookUp(bank, seen);
    expect(order.visibleText).toBe('Logga in på e-kort');
    await visible(status('Skriv in din säkerhetskod i BankID-appen och välj Identifiera.'));
    await shot('signing');
    await approveWithApp(bank, appFile, seen, order);
    await visible(heading(`Välkommen, ${ANNA.name}`));
    await shot('logged-in');
    expect(await app.agent.session()).toMatchObject({ method: 'app', customer: ANNA });
    await button('Logga ut').click({ timeout: T });
    await visible(heading('Logga in på e-kort'));
  }, 30_000);

  it('by keyboard: Enter on "Mobilt BankID", Tab to the link and "Avbryt", Enter cancels', async () => {
    await button('Mobilt BankID').focus({ timeout: T });
    await page.keyboard.press('Enter');
    await visible(heading('Logga in med Mobilt BankID'));
    await visible(qrImage());
    const link = page.getByRole('link', { name: 'Öppna på den här enheten', exact: true });
    const token = /autostarttoken=([^&]+)/.exec((await link.getAttribute('href'))!)![1]!;
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Öppna på den här enheten');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Avbryt');
    await page.keyboard.press('Enter');
    await visible(status('Åtgärden avbruten. Försök igen.'));
    expect(await qrImage().count()).toBe(0);
    await visible(button('Försök igen'));
    // "Avbryt" is gone: the focus is on what replaced it, not lost to the page (2.4.3).
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent), { timeout: T }).toBe('Försök igen');
    await shot('cancelled');
    // The order is over at the service: the app cannot approve it any more.
    await expect(lookUp(bank, { kind: 'autostart', value: decodeURIComponent(token) })).rejects.toMatchObject({ code: 'ORDER_CANCELLED' });
    await page.keyboard.press('Enter'); // "Försök igen", which has the focus
    await visible(status('Starta BankID-appen.'));
    // The new order's "Avbryt" replaced "Försök igen": the focus is there.
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent), { timeout: T }).toBe('Avbryt');
    await button('Tillbaka').click({ timeout: T });
    await visible(heading('Logga in på e-kort'));
  }, 30_000);

  it("the order's three minutes: the time left in words; run out unscanned, a new QR code in place, said aloud (2.2.1)", async () => {
    await button('Mobilt BankID').click({ timeout: T });
    await visible(heading('Logga in med Mobilt BankID'));
    await visible(qrImage());
    await visible(page.getByText('Inloggningen gäller i 3 minuter till.', { exact: true }));
    const link = page.getByRole('link', { name: 'Öppna på den här enheten', exact: true });
    const before = (await link.getAttribute('href'))!;
    // The service's clock runs the order out (as three minutes would).
    await bank.ctx.db.run("UPDATE app_orders SET expires_at = ? WHERE state = 'pending'", [Date.now() - 1]);
    await visible(status('Tiden för inloggningen tog slut. En ny QR-kod visas.'));
    await expect.poll(() => link.getAttribute('href'), { timeout: T }).not.toBe(before);
    await visible(qrImage());
    await visible(status('Starta BankID-appen.'));
    await visible(page.getByText('Inloggningen gäller i 3 minuter till.', { exact: true }));
    await shot('renewed');
    await button('Tillbaka').click({ timeout: T });
    await visible(heading('Logga in på e-kort'));
  }, 30_000);
});
