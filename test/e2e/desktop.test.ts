/**
 * End to end, as the holder sees it: the renderer's production build in Debian's Chromium
 * (playwright-core), through the loopback browser bridge, against the REAL agent, the embedded
 * e-kort service, pcscd + vpcd and the virtual card and token ("Prova med virtuellt kort").
 * Driven by the Swedish accessible names (renderer/src/App.tsx lists them). The tests share one
 * browser page and run in order; each screen is saved as a PNG under test-results/e2e/.
 * Every wait is bounded.
 */
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VirtualDosa } from '../../src/virtual/dosa.ts';
import { requireChromium } from '../support/chromium.ts';
import { buttonOf, headingOf, openUiPage, type UiPage, UI_TIMEOUT, visible } from '../support/uiPage.ts';
import { type DesktopApp, startDesktopApp } from '../support/desktopApp.ts';
import { holdTransaction } from '../support/holdTransaction.ts';
import { requireSystem, startPcscd, stopPcscd, vpcdReaders } from '../support/pcscd.ts';

const hasChromium = requireChromium();
const available = hasChromium && (await requireSystem('pcscd'));

const T = UI_TIMEOUT;

let app: DesktopApp;
let browser: Browser;
let page: Page;
let ui: UiPage;

const shot = (name: string, target?: Page): Promise<void> => ui.shot(name, target);
const heading = (name: string, target: Page = page): Locator => headingOf(target, name);
const button = (name: string, scope: Page | Locator = page): Locator => buttonOf(scope, name);

async function openStart(): Promise<void> {
  await page.goto(app.bridge.url, { timeout: T });
  await visible(heading('Logga in på e-kort'));
}

/** Logs out from the header and waits for the start screen. */
async function logout(): Promise<void> {
  await button('Logga ut').click({ timeout: T });
  await visible(heading('Logga in på e-kort'));
  await visible(page.getByRole('status').filter({ hasText: 'Du är utloggad.' }));
}

/** The secret e-nummer details on the result screen. */
async function readSecret(merchant: string): Promise<{ pan: string; expiry: string; cvc: string }> {
  const region = page.getByRole('region', { name: `Kortuppgifter för ${merchant}` });
  await visible(region);
  const text = async (id: string) => (await region.getByTestId(id).textContent({ timeout: T }))!.trim();
  return { pan: await text('secret-pan'), expiry: await text('secret-expiry'), cvc: await text('secret-cvc') };
}

function engineersView(): Locator {
  return page.getByRole('complementary', { name: 'Verktyg för ingenjörer' });
}

/** "Simulera köp" in the engineers' view; returns the result line. */
async function simulatePurchase(secret: { pan: string; expiry: string; cvc: string }, merchant: string, amount: string): Promise<string> {
  const form = engineersView().getByRole('region', { name: 'Simulera köp' });
  await form.getByLabel('Kortnummer', { exact: true }).fill(secret.pan, { timeout: T });
  await form.getByLabel('Giltigt till (MM/ÅÅ)', { exact: true }).fill(secret.expiry, { timeout: T });
  await form.getByLabel('CVC', { exact: true }).fill(secret.cvc, { timeout: T });
  await form.getByLabel('Försäljningsställe', { exact: true }).fill(merchant, { timeout: T });
  await form.getByLabel('Belopp i kronor', { exact: true }).fill(amount, { timeout: T });
  const result = form.getByTestId('purchase-result');
  await button('Simulera köp', form).click({ timeout: T });
  await expect.poll(async () => (await result.textContent())?.trim() ?? '', { timeout: T }).not.toBe('');
  return (await result.textContent())!.trim();
}

describe.skipIf(!available)('desktop app end to end (Chromium, bridge, agent, pcscd + vpcd, virtual card and token)', () => {
  let cardLabel = '';
  let single: { pan: string; expiry: string; cvc: string };
  let recurring: { pan: string; expiry: string; cvc: string };

  beforeAll(async () => {
    // A card may take 3 s to connect or answer (10 s by default): CARD_BUSY below waits that long.
    app = await startDesktopApp({ prefix: 'ekort-e2e-', cardTimeoutMs: 3000 });
    ui = await openUiPage('');
    ({ browser, page } = ui);
  }, 180_000);

  afterEach(async (ctx) => ui?.recordFailure(ctx.task));

  afterAll(async () => {
    await ui?.close();
    await app?.close();
  });

  it('the login screen is keyboard-usable: Tab to the method buttons, Enter chooses', async () => {
    await openStart();
    await shot('start');
    // From the focused h1 (or the top of the page), Tab until "BankID på kort" has the focus.
    const tabTo = async (name: string): Promise<void> => {
      for (let i = 0; i < 20; i++) {
        await page.keyboard.press('Tab');
        const focused = await page.evaluate(() => (document.activeElement?.tagName === 'BUTTON' ? document.activeElement.textContent?.trim() : null));
        if (focused === name) return;
      }
      throw new Error(`Tab never reached the button "${name}"`);
    };
    await tabTo('BankID på kort');
    await page.keyboard.press('Enter');
    await visible(heading('Logga in med BankID på kort'));
    // No card yet: the readers are listed, "Sätt i kortet".
    await visible(page.getByText('Sätt i kortet', { exact: true }));
    await visible(page.getByText(vpcdReaders[0]));
    await shot('card-login-no-card');
    await button('Tillbaka').click();
    await visible(heading('Logga in på e-kort'));

    await tabTo('Säkerhetsdosa');
    await page.keyboard.press('Enter');
    await visible(heading('Logga in med säkerhetsdosa'));
    await shot('dosa-login-no-dosa');
    await button('Tillbaka').click();
    await visible(heading('Logga in på e-kort'));

    // The English screen (its lang attribute, its texts) is checked as the Swedish one is.
    await button('English').click();
    await visible(headingOf(page, 'Log in to e-kort'));
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await shot('start-english');
    await button('Svenska').click();
    await visible(heading('Logga in på e-kort'));
  });

  it('the login screen works at 200% zoom: no horizontal scrollbar, the login buttons visible', async () => {
    // A 1280×800 window at 200 %: 640×400 CSS pixels, two device pixels each.
    const zoomed = await browser.newContext({ locale: 'sv-SE', viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 });
    try {
      const small = await zoomed.newPage();
      await small.goto(app.bridge.url, { timeout: T });
      await visible(heading('Logga in på e-kort', small));
      const cardButton = button('BankID på kort', small);
      await visible(cardButton);
      expect(await cardButton.isEnabled()).toBe(true);
      const overflow = await small.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth, inner: window.innerWidth }));
      expect(overflow.scroll).toBeLessThanOrEqual(overflow.client);
      for (const name of ['BankID på kort', 'Säkerhetsdosa', 'Prova med virtuellt kort']) {
        const box = await button(name, small).boundingBox({ timeout: T });
        expect(box, name).not.toBeNull();
        expect(box!.x).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width).toBeLessThanOrEqual(overflow.inner);
      }
      await shot('start-200-percent', small);
      // Still usable by keyboard at this size.
      await cardButton.focus();
      await small.keyboard.press('Enter');
      await visible(heading('Logga in med BankID på kort', small));
      const after = await small.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(after).toBeLessThanOrEqual(0);
    } finally {
      await zoomed.close();
    }
  });

  it('logs in with the card: the holder’s name, a wrong PIN shows 2 of 3 tries left, then the right one', async () => {
    await openStart();
    await button('Prova med virtuellt kort').click();
    const demo = page.getByRole('region', { name: 'Demokunden' });
    await visible(demo, 60_000);
    await visible(demo.getByText('PIN-kod till kortet: 123456'));
    await shot('demo-started');

    await button('BankID på kort').click();
    await visible(heading('Logga in med BankID på kort'));
    const holder = page.getByRole('region', { name: 'Kortet tillhör' });
    await visible(holder.getByText('Anna Andersson', { exact: false }));
    await visible(page.getByText('Försök kvar: 3', { exact: true }));
    await shot('card-holder');

    const pin = page.getByLabel('PIN-kod', { exact: true });
    // The live region for "Loggar in…" is in the page before its text comes (4.1.3).
    expect(await page.locator('form.form [role="status"]').count()).toBe(1);
    await pin.fill('654321');
    await button('Logga in').click();
    await visible(page.getByText('Försök kvar: 2', { exact: true }));
    await visible(page.getByRole('alert').filter({ hasText: 'Fel PIN-kod. Du har 2 försök kvar.' }));
    // The PIN left the form as the call started; the error is the field's, read with it.
    expect(await pin.inputValue()).toBe('');
    expect(await pin.getAttribute('aria-invalid')).toBe('true');
    expect((await pin.getAttribute('aria-describedby'))?.split(' ')).toEqual(['pin-hint', 'pin-tries', 'pin-error']);
    expect(await page.locator('#pin-error').textContent()).toBe('Fel PIN-kod. Du har 2 försök kvar.');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id), { timeout: T }).toBe('pin');
    await shot('card-wrong-pin');

    await pin.fill('123456');
    await button('Logga in').click();
    await visible(heading('Välkommen, Anna Andersson'));
    await expect.poll(() => page.title(), { timeout: T }).toBe('Välkommen, Anna Andersson – e-kort');
    await shot('home-after-card-login');
    await logout();
  });

  it('logs in with the dosa: the kontrollnummer on screen, the svarskod from the virtual dosa', async () => {
    const dosa = await VirtualDosa.open(path.join(app.dataDir, 'demo', 'dosa.json'));
    await dosa.unlock('1234');
    await button('Säkerhetsdosa').click();
    await visible(heading('Logga in med säkerhetsdosa'));
    await page.getByLabel('Dosans serienummer', { exact: true }).fill(dosa.serial);
    await button('Hämta kontrollnummer').click();
    const shown = page.getByTestId('kontrollnummer');
    await visible(shown);
    const kontrollnummer = (await shown.getAttribute('data-value'))!;
    expect(kontrollnummer).toMatch(/^\d{8}$/);
    // Two groups of four, spoken digit by digit.
    expect((await shown.textContent())!.replace(/\s+/g, ' ').trim()).toBe(`${kontrollnummer.slice(0, 4)} ${kontrollnummer.slice(4)}`);
    await visible(page.getByRole('group', { name: `Kontrollnummer ${kontrollnummer.split('').join(' ')}` }));
    await shot('dosa-kontrollnummer');

    // A wrong svarskod spends that kontrollnummer: a new one is shown at once, read out with the
    // field's error, and the focus is back in the field (WCAG 3.3.3, 2.4.3).
    const right = dosa.respond(kontrollnummer);
    const svarskod = page.getByLabel('Svarskod', { exact: true });
    await svarskod.fill(right === '12345678' ? '87654321' : '12345678');
    await button('Logga in').click();
    await visible(page.locator('#svarskod-error').filter({ hasText: 'Ett nytt kontrollnummer visas:' }));
    const fresh = (await shown.getAttribute('data-value'))!;
    expect(fresh).not.toBe(kontrollnummer);
    expect(await page.locator('#svarskod-error').textContent()).toContain(`${fresh.split('').join(' ')}. Slå in det i dosan`);
    await expect.poll(() => page.evaluate(() => document.activeElement?.id), { timeout: T }).toBe('svarskod');
    await shot('dosa-wrong-svarskod');

    // The bank waits a second after a wrong code (src/bank/login.ts); a person keying the new
    // kontrollnummer into the dosa takes longer than that.
    await page.waitForTimeout(1_100);
    await svarskod.fill(dosa.respond(fresh));
    await button('Logga in').click();
    await visible(heading('Välkommen, Anna Andersson'));
  });

  it('connects a card after accepting the terms', async () => {
    const cards = page.getByRole('region', { name: 'Dina kort' });
    const unconnected = cards.getByRole('listitem').filter({ has: page.getByRole('button', { name: 'Anslut kort till e-kort', exact: true }) });
    await visible(unconnected);
    cardLabel = (await unconnected.first().getByRole('heading').textContent())!.trim();
    expect(cardLabel).toMatch(/\d{4}$/);
    await button('Anslut kort till e-kort', unconnected.first()).click();

    await visible(heading('Anslut kort till e-kort'));
    await page.getByRole('checkbox', { name: 'Jag har läst och godkänner villkoren' }).check();
    await shot('connect-card-terms');
    await button('Fortsätt').click();
    await visible(heading('Välkommen, Anna Andersson'));
    await visible(page.getByRole('status').filter({ hasText: `Kortet ${cardLabel} är anslutet till e-kort.` }));
    const item = cards.getByRole('listitem', { name: cardLabel });
    await visible(item.getByText('Anslutet till e-kort', { exact: false }));
    expect(await item.getByRole('button', { name: 'Anslut kort till e-kort' }).count()).toBe(0);

    // A reload of the page keeps working: the bridge's token is kept in this tab, the session
    // is the agent's, and the calls after it are answered (no "no token" or misleading errors).
    await page.reload({ timeout: T });
    expect(page.url()).not.toContain('token=');
    await visible(heading('Välkommen, Anna Andersson'));
    await visible(cards.getByRole('listitem', { name: cardLabel }).getByText('Anslutet till e-kort', { exact: false }));
    await button('Uppdatera').click();
    await visible(page.getByRole('status').filter({ hasText: /^Uppdaterat: \d+ kort och \d+ e-nummer\.$/ }));
    expect(await page.getByRole('alert').count()).toBe(0);
  });

  it('creates a single-purchase and a recurring (12 months) e-nummer and lists them', async () => {
    await button('Skapa e-nummer').click();
    await visible(heading('Skapa e-nummer'));
    await page.getByRole('combobox', { name: 'Kort', exact: true }).selectOption({ label: cardLabel });
    await page.getByLabel('Försäljningsställe', { exact: true }).fill('Webbhandeln AB');
    await page.getByRole('radio', { name: 'Engångsköp' }).check();
    await shot('create-single');
    await button('Skapa e-nummer').click();
    // The result's heading says it, and has the focus (read first; 2.4.3, 4.1.3).
    await visible(heading('E-numret för Webbhandeln AB är skapat'));
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent), { timeout: T }).toBe('E-numret för Webbhandeln AB är skapat');
    single = await readSecret('Webbhandeln AB');
    expect(single.pan).toMatch(/^\d{4} \d{4} \d{4} \d{4}$/);
    expect(single.expiry).toMatch(/^\d{2}\/\d{2}$/);
    expect(single.cvc).toMatch(/^\d{3,4}$/);
    await shot('created-single');

    await button('Skapa ett till').click();
    await page.getByRole('combobox', { name: 'Kort', exact: true }).selectOption({ label: cardLabel });
    await page.getByLabel('Försäljningsställe', { exact: true }).fill('Streamingtjänsten AB');
    await page.getByRole('radio', { name: 'Flergångsköp' }).check();
    await page.getByRole('combobox', { name: 'Giltighetstid' }).selectOption({ label: '12 månader' });
    await button('Skapa e-nummer').click();
    recurring = await readSecret('Streamingtjänsten AB');
    expect(recurring.pan).not.toBe(single.pan);
    await button('Tillbaka').click();

    await visible(heading('Välkommen, Anna Andersson'));
    const list = page.getByRole('region', { name: 'Dina e-nummer' });
    const singleItem = list.getByRole('listitem', { name: `Webbhandeln AB •••• ${single.pan.slice(-4)}` });
    const recurringItem = list.getByRole('listitem', { name: `Streamingtjänsten AB •••• ${recurring.pan.slice(-4)}` });
    await visible(singleItem);
    await visible(recurringItem);
    await visible(singleItem.getByText('Engångsköp', { exact: true }));
    await visible(recurringItem.getByText('Flergångsköp, 12 mån', { exact: true }));
    await visible(recurringItem.getByText('Öppet', { exact: true }));
    await shot('enummer-list');

    // Pausa and Återuppta replace each other: the focus moves to the one that appears (2.4.3).
    const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
    // And each is said in the e-nummer's own live region (4.1.3).
    const said = (text: string) => recurringItem.getByRole('status').filter({ hasText: text });
    await button('Pausa', recurringItem).click();
    await visible(recurringItem.getByText('Pausat', { exact: true }));
    await expect.poll(focused, { timeout: T }).toBe('Återuppta');
    expect(await said('E-numret för Streamingtjänsten AB är pausat.').count()).toBe(1);
    await page.keyboard.press('Enter');
    await visible(recurringItem.getByText('Öppet', { exact: true }));
    await expect.poll(focused, { timeout: T }).toBe('Pausa');
    expect(await said('E-numret för Streamingtjänsten AB är öppet igen.').count()).toBe(1);
  });

  it('authorizes a purchase at the right and at the wrong merchant and shows both in the transactions', async () => {
    await page.getByRole('checkbox', { name: 'Ingenjörsvy' }).check();
    await visible(engineersView());
    expect(await simulatePurchase(single, 'Någon annan AB', '249,50')).toBe('Nekat: MERCHANT_MISMATCH (e-numret gäller inte hos det här försäljningsstället)');
    expect(await simulatePurchase(single, 'Webbhandeln AB', '249,50')).toBe('Godkänt');
    await shot('simulated-purchases');

    await button('Uppdatera').click();
    await visible(page.getByRole('status').filter({ hasText: /^Uppdaterat: \d+ kort och 2 e-nummer\.$/ }));
    const item = page.getByRole('region', { name: 'Dina e-nummer' }).getByRole('listitem', { name: `Webbhandeln AB •••• ${single.pan.slice(-4)}` });
    // The single purchase is made: the e-nummer closes.
    await visible(item.getByText('Stängt (engångsköpet är gjort)', { exact: true }));
    await button('Transaktioner', item).click();
    const tx = item.getByRole('region', { name: 'Transaktioner för Webbhandeln AB' });
    await visible(tx.getByText('Godkänd', { exact: true }));
    await visible(tx.getByText('Nekad: e-numret gäller inte hos det här försäljningsstället', { exact: true }));
    expect(await tx.getByRole('listitem').count()).toBe(2);
    await shot('transactions');
  });

  it('blocks the card after a confirmation: its e-nummer close and a purchase is declined CARD_BLOCKED', async () => {
    const card = page.getByRole('region', { name: 'Dina kort' }).getByRole('listitem', { name: cardLabel });
    await button('Spärra kort', card).click();
    const dialog = page.getByRole('dialog', { name: `Spärra kortet ${cardLabel}?` });
    await visible(dialog);
    await shot('block-confirm');
    await button('Spärra kortet', dialog).click();
    await visible(page.getByRole('status').filter({ hasText: `Kortet ${cardLabel} är spärrat.` }));
    await visible(card.getByText('Spärrat', { exact: true }));
    const recurringItem = page.getByRole('region', { name: 'Dina e-nummer' }).getByRole('listitem', { name: `Streamingtjänsten AB •••• ${recurring.pan.slice(-4)}` });
    await visible(recurringItem.getByText('Stängt (kortet är spärrat)', { exact: true }));
    expect(await simulatePurchase(recurring, 'Streamingtjänsten AB', '99')).toBe('Nekat: CARD_BLOCKED (kortet är spärrat)');
    await shot('card-blocked');
  });

  it('answers with the connected (virtual) dosa: a kontrollnummer for its own serial, no svarskod typed', async () => {
    await logout();
    const dosa = await VirtualDosa.open(path.join(app.dataDir, 'demo', 'dosa.json'));
    await button('Säkerhetsdosa').click();
    await visible(heading('Logga in med säkerhetsdosa'));
    // A kontrollnummer for the other (typed) dosa first: the token gets one for its own serial.
    await page.getByLabel('Dosans serienummer', { exact: true }).fill(dosa.serial);
    await button('Hämta kontrollnummer').click();
    await visible(page.getByTestId('kontrollnummer'));
    const token = (await app.agent.tokens()).find((t) => t.virtual)!;
    expect(token.serial).not.toBe(dosa.serial);
    await button('Svara med ansluten dosa').click();
    await visible(heading('Välkommen, Anna Andersson'));
    await logout();
  });

  it('the card pulled out at the PIN step: the screen stays with what was typed, says what is missing, and goes on when the card is back', async () => {
    await button('BankID på kort').click();
    await visible(heading('Logga in med BankID på kort'));
    const pin = page.getByLabel('PIN-kod', { exact: true });
    await visible(pin);
    await shot('card-pin-step');
    await pin.fill('1234');
    await button('Ta ut virtuellt kort', engineersView()).click();
    await visible(page.getByRole('status').filter({ hasText: 'Kortet är inte i läsaren. Sätt i det igen så fortsätter inloggningen.' }));
    await visible(heading('Logga in med BankID på kort'));
    expect(await pin.inputValue()).toBe('1234');
    await shot('card-pulled-out');
    // "Logga in" while the card is away says what is missing; nothing is sent.
    await button('Logga in').click();
    await visible(page.getByRole('alert').filter({ hasText: 'Kortet är inte i läsaren.' }));
    expect(await app.agent.session()).toBeNull();

    // Back in: read again within 5 s (no PIN try was spent), the typed digits still there.
    await button('Sätt i virtuellt kort', engineersView()).click();
    await visible(page.getByText('Försök kvar: 3', { exact: true }), 5000);
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Kortet är inte i läsaren.' }).count(), { timeout: 5000 }).toBe(0);
    expect(await pin.inputValue()).toBe('1234');
    await pin.fill('123456');
    await button('Logga in').click();
    await visible(heading('Välkommen, Anna Andersson'));
    await logout();
  });

  it('pcscd stopped at the PIN step: the screen stays and says the service is missing; started again, the login goes on with what was typed', async () => {
    // The demo card into pcscd's first vpcd reader (the app's own reader does not need pcscd).
    await app.agent.removeVirtualCard();
    await app.agent.insertVirtualCard({ reader: vpcdReaders[0] });
    await button('BankID på kort').click();
    await visible(heading('Logga in med BankID på kort'));
    const pin = page.getByLabel('PIN-kod', { exact: true });
    await visible(pin);
    await visible(page.getByText('Försök kvar: 3', { exact: true }));
    await pin.fill('123');
    await stopPcscd();
    try {
      await visible(page.getByRole('status').filter({ hasText: 'Kortläsartjänsten (PC/SC) är inte igång.' }));
      await visible(heading('Logga in med BankID på kort'));
      expect(await pin.inputValue()).toBe('123');
      await shot('card-pcscd-stopped');
    } finally {
      await startPcscd();
    }
    // pcscd back, then vpcd's card: the holder read anew and the message gone by itself.
    const missing = page.getByRole('status').filter({ hasText: /Kortläsartjänsten|Kortet är inte i läsaren/ });
    await expect.poll(() => missing.count(), { timeout: 20_000 }).toBe(0);
    await visible(page.getByText('Försök kvar: 3', { exact: true }));
    expect(await pin.inputValue()).toBe('123');
    await pin.fill('123456');
    await button('Logga in').click();
    await visible(heading('Välkommen, Anna Andersson'));
    await logout();
  }, 60_000);

  it('another program keeping the card busy: the screen says so, and reads the card the moment it lets go', async () => {
    // The demo card is in pcscd's first vpcd reader, where the test before put it (taking it out
    // and in again here would leave pcscd reporting the old card for a poll, 400 ms, and the
    // other program's transaction would be on that one).
    await openStart();
    const other = await holdTransaction(vpcdReaders[0]!);
    try {
      await button('BankID på kort').click();
      await visible(heading('Logga in med BankID på kort'));
      await visible(page.getByRole('alert').filter({ hasText: 'Ett annat program håller kortet upptaget.' }), 10_000);
      await shot('card-busy');
      // Still busy a read later: the message stays, no holder.
      await new Promise((r) => setTimeout(r, 1500));
      expect(await page.getByRole('alert').filter({ hasText: 'Ett annat program håller kortet upptaget.' }).count()).toBe(1);
      expect(await page.getByText('Försök kvar: 3', { exact: true }).count()).toBe(0);
    } finally {
      await other.release();
    }
    const released = performance.now();
    await visible(page.getByText('Försök kvar: 3', { exact: true }), 5000);
    expect(performance.now() - released).toBeLessThan(3000);
    expect(await page.getByRole('alert').filter({ hasText: 'upptaget' }).count()).toBe(0);
    await openStart();
  }, 60_000);

  it("the kontrollnummer's two minutes: the time left in words, a warning at 30 s, and a new one in place when they end (2.2.1; a fake clock)", async () => {
    const dosa = await VirtualDosa.open(path.join(app.dataDir, 'demo', 'dosa.json'));
    await dosa.unlock('1234');
    // A page of its own: the fake clock stays with this context.
    const context = await browser.newContext({ locale: 'sv-SE', viewport: { width: 1100, height: 900 } });
    try {
      const timed = await context.newPage();
      await timed.clock.install();
      await timed.goto(app.bridge.url, { timeout: T });
      await button('Säkerhetsdosa', timed).click();
      await timed.getByLabel('Dosans serienummer', { exact: true }).fill(dosa.serial);
      await button('Hämta kontrollnummer', timed).click();
      const shown = timed.getByTestId('kontrollnummer');
      await visible(shown);
      const first = (await shown.getAttribute('data-value'))!;
      await visible(timed.getByText('Kontrollnumret gäller i 2 minuter till.', { exact: true }));

      await timed.clock.fastForward(65_000);
      await visible(timed.getByText('Kontrollnumret gäller i 1 minut till.', { exact: true }));
      await timed.clock.fastForward(30_000);
      await visible(timed.getByRole('status').filter({ hasText: 'Kontrollnumret gäller i mindre än 30 sekunder till. Sedan visas ett nytt.' }));
      await ui.shot('dosa-kontrollnummer-30s', timed);

      await timed.getByLabel('Svarskod', { exact: true }).fill('1234');
      await timed.clock.fastForward(30_000);
      await expect.poll(() => shown.getAttribute('data-value'), { timeout: T }).not.toBe(first);
      const renewed = (await shown.getAttribute('data-value'))!;
      await visible(timed.getByRole('status').filter({ hasText: `Kontrollnumret slutade gälla. Ett nytt kontrollnummer visas: ${renewed.split('').join(' ')}.` }));
      // The digits typed for the old one are gone; the new one is answerable.
      expect(await timed.getByLabel('Svarskod', { exact: true }).inputValue()).toBe('');
      await visible(timed.getByText('Kontrollnumret gäller i 2 minuter till.', { exact: true }));
      await timed.getByLabel('Svarskod', { exact: true }).fill(dosa.respond(renewed));
      await button('Logga in', timed).click();
      await visible(heading('Välkommen, Anna Andersson', timed));
    } finally {
      await context.close();
    }
  });
});
