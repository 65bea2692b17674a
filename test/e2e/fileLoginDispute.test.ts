/**
 * End to end, issue 9: BankID på fil and a dispute, as the holder sees it — the renderer's
 * production build in Debian's Chromium, through the loopback browser bridge, against the
 * REAL agent and its embedded e-kort service. The demo ("Prova med virtuellt kort") makes the
 * test PKI in dataDir/demo/pki; `ekort pki issue --p12` issues Anna Andersson's BankID på fil
 * from it into the BankID folder the agent searches ($EKORT_BANKID_DIR), and an
 * e-tjänstelegitimation (Bo Berg for Exempel AB) into another folder, picked with "Välj fil…".
 * Then: a wrong password (tries left), the organisation e-ID refused, the right password,
 * connect a card, an e-nummer, a purchase (the card network's authorization with strong
 * authentication), "Reklamera" as unauthorised: the claim's state, the liability (at most
 * 400 kr self-risk) and "Spärra kortet nu" in the same flow. Screens under test-results/e2e/.
 * Every wait is bounded.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireChromium } from '../support/chromium.ts';
import { buttonOf, headingOf, openUiPage, type UiPage, UI_TIMEOUT, visible } from '../support/uiPage.ts';
import { ekort } from '../support/ekortCli.ts';
import { type DesktopApp, startDesktopApp } from '../support/desktopApp.ts';
import { requireSystem } from '../support/pcscd.ts';

const hasChromium = requireChromium();
const available = hasChromium && (await requireSystem('pcscd'));

const T = UI_TIMEOUT;
const PASSWORD = 'Rätt lösen 42';
const MERCHANT = 'Webbhandeln AB';

let app: DesktopApp;
let page: Page;
let ui: UiPage;
let bankIdDir = '';
let pickedDir = '';
let envBefore: string | undefined;

const shot = (name: string): Promise<void> => ui.shot(name);
const heading = (name: string): Locator => headingOf(page, name);
const button = (name: string, scope: Page | Locator = page): Locator => buttonOf(scope, name);
/** Text with no-break spaces as plain spaces. */
const plain = (s: string | null): string => (s ?? '').replace(/\u00a0/g, ' ').replace(/\s+/g, ' ').trim();

/** `ekort pki issue --p12` from the demo's test PKI; the password on stdin. */
async function issueP12(file: string, subject: string[]): Promise<void> {
  const run = await ekort(['pki', 'issue', '--ca', path.join(app.dataDir, 'demo', 'pki'), ...subject, '--key', 'rsa2048', '--p12', file, '--p12-password-stdin'], `${PASSWORD}\n`, { timeoutMs: 60_000 });
  expect(run.code, run.stderr).toBe(0);
}

describe.skipIf(!available)('BankID på fil and a dispute end to end (Chromium, bridge, agent)', () => {
  let secret: { pan: string; expiry: string; cvc: string };
  let cardLabel = '';

  beforeAll(async () => {
    bankIdDir = mkdtempSync(path.join(os.tmpdir(), 'ekort-e2e-bankid-'));
    pickedDir = mkdtempSync(path.join(os.tmpdir(), 'ekort-e2e-picked-'));
    envBefore = process.env.EKORT_BANKID_DIR;
    // The agent's BankID folders: $EKORT_BANKID_DIR, read at each listing.
    process.env.EKORT_BANKID_DIR = bankIdDir;
    app = await startDesktopApp({ prefix: 'ekort-e2e-file-' });
    ui = await openUiPage('file-dispute-');
    ({ page } = ui);
  }, 180_000);

  afterEach(async (ctx) => ui?.recordFailure(ctx.task));

  afterAll(async () => {
    await ui?.close();
    await app?.close();
    if (envBefore === undefined) delete process.env.EKORT_BANKID_DIR;
    else process.env.EKORT_BANKID_DIR = envBefore;
    for (const dir of [bankIdDir, pickedDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('issues the BankID på fil from the demo PKI', async () => {
    await page.goto(app.bridge.url, { timeout: T });
    await visible(heading('Logga in på e-kort'));
    // The demo seeds Anna Andersson and the test PKI in dataDir/demo/pki (trusted by the embedded service).
    await button('Prova med virtuellt kort').click();
    await visible(page.getByRole('region', { name: 'Demokunden' }), 60_000);
    await issueP12(path.join(bankIdDir, 'anna.p12'), ['--name', 'Anna Andersson', '--personnummer', '199001012385']);
    await issueP12(path.join(pickedDir, 'jobbet.p12'), ['--name', 'Bo Berg', '--org', '556677-8899', '--employee', '42', '--org-name', 'Exempel AB']);
  }, 120_000);

  it('lists the file with the holder’s name before the password; a wrong password shows the tries left', async () => {
    await button('BankID på fil').click();
    await visible(heading('Logga in med BankID på fil'));
    const choices = page.getByRole('group', { name: 'Välj BankID på fil' });
    await visible(choices.getByRole('radio', { name: 'Anna Andersson' }));
    const holder = page.getByRole('region', { name: 'Legitimationen tillhör' });
    await visible(holder.getByText('Anna Andersson (19900101-2385)', { exact: true }));
    const password = page.getByLabel('Lösenord', { exact: true });
    expect(await password.getAttribute('type')).toBe('password');
    await shot('file-list');

    await password.fill('fel lösen');
    await button('Logga in').click();
    await visible(page.getByRole('alert').filter({ hasText: 'Fel lösenord, 4 försök kvar.' }));
    expect(await password.inputValue()).toBe('');
    expect(await password.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#file-password-error').textContent()).toBe('Fel lösenord, 4 försök kvar.');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id), { timeout: T }).toBe('file-password');
    await shot('file-wrong-password');
  });

  it('"Välj fil…" adds an e-tjänstelegitimation by its path: the organisation shows, the service refuses it', async () => {
    await button('Välj fil…').click();
    await page.getByLabel('Sökväg till filen', { exact: true }).fill(path.join(pickedDir, 'jobbet.p12'));
    await button('Lägg till filen').click();
    const bo = page.getByRole('group', { name: 'Välj BankID på fil' }).getByRole('radio', { name: 'Bo Berg' });
    await visible(bo);
    expect(await bo.isChecked()).toBe(true);
    const holder = page.getByRole('region', { name: 'Legitimationen tillhör' });
    await visible(holder.getByText('Bo Berg', { exact: true }));
    await visible(holder.getByText(/E-tjänstelegitimation för Exempel AB .*nummer 42/));
    await page.getByLabel('Lösenord', { exact: true }).fill(PASSWORD);
    await button('Logga in').click();
    await visible(page.getByRole('alert').filter({ hasText: 'e-kort är en tjänst för privatpersoner: logga in med din personliga e-legitimation (BankID).' }));
    await shot('file-organisation-refused');
  });

  it('logs in with the right password', async () => {
    await page.getByRole('radio', { name: 'Anna Andersson' }).check();
    await visible(page.getByRole('region', { name: 'Legitimationen tillhör' }).getByText('Anna Andersson (19900101-2385)', { exact: true }));
    await page.getByLabel('Lösenord', { exact: true }).fill(PASSWORD);
    await button('Logga in').click();
    await visible(heading('Välkommen, Anna Andersson'));
    expect((await app.agent.session())?.customer.personnummer).toBe('199001012385');
    await shot('home-after-file-login');
  });

  it('connects two cards at once and creates an e-nummer on one', async () => {
    // The bank issues Anna a second card not yet connected: two to choose from.
    const issued = await ekort(['bank', 'issue-card', '--db', path.join(app.dataDir, 'ekort.db'), '--personnummer', '199001012385', '--product', 'Bankkort Mastercard', '--json']);
    expect(issued.code, issued.stderr).toBe(0);
    const extra = `Bankkort Mastercard •••• ${(JSON.parse(issued.stdout) as { pan: string }).pan.slice(-4)}`;
    await button('Uppdatera').click();
    const cards = page.getByRole('region', { name: 'Dina kort' });
    const unconnected = cards.getByRole('listitem').filter({ has: page.getByRole('button', { name: 'Anslut kort till e-kort', exact: true }) });
    await expect.poll(() => unconnected.count(), { timeout: T }).toBe(2);
    cardLabel = plain(await unconnected.first().getByRole('heading').textContent());
    expect(cardLabel).not.toBe(extra);
    await button('Anslut kort till e-kort', unconnected.first()).click();
    await visible(heading('Anslut kort till e-kort'));
    const choice = page.getByRole('group', { name: 'Kort att ansluta till e-kort' });
    expect(await choice.getByRole('checkbox', { name: cardLabel }).isChecked()).toBe(true);
    expect(await choice.getByRole('checkbox', { name: extra }).isChecked()).toBe(false);
    await choice.getByRole('checkbox', { name: extra }).check();
    await page.getByRole('checkbox', { name: 'Jag har läst och godkänner villkoren' }).check();
    await shot('connect-two-cards');
    await button('Fortsätt').click();
    await visible(heading('Välkommen, Anna Andersson'));
    await visible(page.getByRole('status').filter({ hasText: `Korten ${cardLabel}, ${extra} är anslutna till e-kort. e-kort kostar ingenting.` }));
    await expect.poll(() => unconnected.count(), { timeout: T }).toBe(0);

    await button('Skapa e-nummer').click();
    await visible(heading('Skapa e-nummer'));
    const combo = page.getByRole('combobox', { name: 'Kort', exact: true });
    const option = (await combo.locator('option').allTextContents()).find((o) => plain(o) === cardLabel);
    expect(option, `the card ${cardLabel} among the options`).toBeDefined();
    await combo.selectOption({ label: option! });
    await page.getByLabel('Försäljningsställe', { exact: true }).fill(MERCHANT);
    await page.getByRole('radio', { name: 'Flergångsköp' }).check();
    await button('Skapa e-nummer').click();
    const region = page.getByRole('region', { name: `Kortuppgifter för ${MERCHANT}` });
    await visible(region);
    const read = async (id: string) => plain(await region.getByTestId(id).textContent({ timeout: T }));
    secret = { pan: await read('secret-pan'), expiry: await read('secret-expiry'), cvc: await read('secret-cvc') };
    expect(secret.pan).toMatch(/^\d{4} \d{4} \d{4} \d{4}$/);
    await button('Tillbaka').click();
    await visible(heading('Välkommen, Anna Andersson'));
  });

  it('disputes a purchase as unauthorised: the state, the liability, and the card blocked from the same flow', async () => {
    // The card network's authorization (the engineers' view allows it), with strong authentication.
    await page.getByRole('checkbox', { name: 'Ingenjörsvy' }).check();
    await visible(page.getByRole('complementary', { name: 'Verktyg för ingenjörer' }));
    await expect.poll(async () => (await app.agent.settings()).engineerMode, { timeout: T }).toBe(true);
    const purchase = await app.agent.authorizePurchase({ pan: secret.pan.replace(/\s/g, ''), expiry: secret.expiry, cvc: secret.cvc, merchant: MERCHANT, amount: 500_00, sca: true });
    expect(purchase.approved).toBe(true);
    await page.getByRole('checkbox', { name: 'Ingenjörsvy' }).uncheck();
    await expect.poll(async () => (await app.agent.settings()).engineerMode, { timeout: T }).toBe(false);

    await button('Uppdatera').click();
    const item = page.getByRole('region', { name: 'Dina e-nummer' }).getByRole('listitem', { name: `${MERCHANT} •••• ${secret.pan.slice(-4)}` });
    await visible(item);
    await button('Transaktioner', item).click();
    const tx = item.getByRole('region', { name: `Transaktioner för ${MERCHANT}` });
    await visible(tx.getByText('Godkänd', { exact: true }));
    // By keyboard, with the focus checked at each step (2.1.1, 2.4.3).
    const focusedIn = (scope: Locator) => scope.evaluate((el) => el.contains(document.activeElement));
    await tx.getByRole('button', { name: `Reklamera köpet hos ${MERCHANT}` }).focus();
    await page.keyboard.press('Enter');

    const dialog = page.getByRole('dialog', { name: `Reklamera köp hos ${MERCHANT}` });
    await visible(dialog);
    expect(await focusedIn(dialog)).toBe(true);
    await dialog.getByRole('radio', { name: 'Obehörigt köp – inte gjort av mig' }).focus();
    await page.keyboard.press('Space');
    expect(await dialog.getByRole('radio', { name: 'Obehörigt köp – inte gjort av mig' }).isChecked()).toBe(true);
    await dialog.getByLabel('Beskrivning (valfritt)').focus();
    await page.keyboard.type('Jag har aldrig handlat här.');
    await shot('dispute-form');
    await button('Skicka reklamation', dialog).focus();
    await page.keyboard.press('Enter');

    await visible(dialog.getByText('Reklamationen är mottagen.', { exact: true }));
    // The form gave way to the answer: the focus stays in the dialog, not lost to the page.
    await expect.poll(() => focusedIn(dialog), { timeout: T }).toBe(true);
    expect(plain(await dialog.getByTestId('dispute-state').textContent())).toBe('Status: Mottagen');
    const liability = plain(await dialog.getByTestId('dispute-liability').textContent());
    expect(liability).toContain('högst 400,00 kr i självrisk');
    expect(liability).toContain('grovt oaktsam');
    await visible(dialog.getByText('Du står inte för något köp som görs efter att du har spärrat kortet (punkt 10.5).'));
    await shot('dispute-answer');

    await button('Spärra kortet nu', dialog).click();
    const confirm = dialog.getByRole('region', { name: /^Spärra kortet .*\?$/ });
    await visible(confirm);
    expect(plain(await confirm.getByRole('heading').textContent())).toBe(`Spärra kortet ${cardLabel}?`);
    await shot('dispute-block-confirm');
    await button('Spärra kortet', confirm).click();
    await visible(dialog.getByRole('status').filter({ hasText: 'är spärrat.' }));
    await shot('dispute-card-blocked');
    await button('Stäng', dialog).click();
    await expect.poll(() => dialog.count(), { timeout: T }).toBe(0);

    const card = page.getByRole('region', { name: 'Dina kort' }).getByRole('listitem').filter({ hasText: cardLabel.slice(-4) });
    await visible(card.getByText('Spärrat', { exact: true }));
    const disputes = await app.agent.disputes();
    expect(disputes).toHaveLength(1);
    expect(disputes[0]).toMatchObject({ kind: 'unauthorised', state: 'received', description: 'Jag har aldrig handlat här.', liability: { maxSelfRiskOre: 400_00, reason: 'self_risk' } });
    expect((await app.agent.paymentCards()).find((c) => cardLabel.endsWith(c.last4))?.state).toBe('blocked');
  });

  it('asks for a refund of the purchase (card terms §20): the rule, the confirmation, the day the bank answers by', async () => {
    const item = page.getByRole('region', { name: 'Dina e-nummer' }).getByRole('listitem', { name: `${MERCHANT} •••• ${secret.pan.slice(-4)}` });
    const tx = item.getByRole('region', { name: `Transaktioner för ${MERCHANT}` });
    if ((await tx.count()) === 0) await button('Transaktioner', item).click();
    await tx.getByRole('button', { name: `Begär återbetalning av köpet hos ${MERCHANT}` }).click();
    const dialog = page.getByRole('dialog', { name: `Begär återbetalning: ${MERCHANT}` });
    await visible(dialog);
    await dialog.getByLabel('Belopp du rimligen kunde vänta dig (SEK)').fill('300');
    await button('Skicka begäran', dialog).click();
    await visible(dialog.getByRole('alert').filter({ hasText: 'Återbetalning gäller bara köp där det exakta beloppet inte angavs' }));
    await dialog.getByRole('checkbox', { name: 'Det exakta beloppet angavs inte när jag godkände köpet' }).check();
    await expect.poll(() => dialog.getByRole('alert').count(), { timeout: T }).toBe(0);
    await shot('refund-form');
    await button('Skicka begäran', dialog).click();
    await visible(dialog.getByRole('status').filter({ hasText: 'Din begäran är mottagen. Banken svarar senast' }));
    const [request] = await app.agent.refunds();
    expect(request).toMatchObject({ merchant: MERCHANT, amount: 500_00, expectedAmount: 300_00, state: 'received' });
    await button('Stäng', dialog).click();
    await expect.poll(() => dialog.count(), { timeout: T }).toBe(0);
  });

  it('"Reklamationer" lists the claim; "Meddelanden" opens', async () => {
    await button('Reklamationer').click();
    await visible(heading('Reklamationer'));
    const claim = page.getByRole('listitem', { name: `${MERCHANT}, 500,00 kr` });
    await visible(claim);
    await visible(claim.getByText('Obehörigt köp – inte gjort av mig', { exact: true }));
    await visible(claim.getByText('Mottagen', { exact: true }));
    await shot('disputes-list');
    await button('Tillbaka').click();
    await visible(heading('Välkommen, Anna Andersson'));
    await button('Meddelanden').click();
    await visible(heading('Meddelanden'));
    await visible(page.getByText('Du har inga meddelanden.', { exact: true }));
    await shot('messages');
    await button('Tillbaka').click();
    await visible(heading('Välkommen, Anna Andersson'));
  });

  it('a change of the terms (card terms §21): the notice with its day, the new terms, accepted now', async () => {
    const text = path.join(pickedDir, 'terms-2099.txt');
    writeFileSync(text, 'De nya villkoren för e-kort.\n\nAndra stycket.');
    const effective = new Date(Date.now() + 70 * 86_400_000);
    const announced = await ekort(['bank', 'announce-terms', '--db', path.join(app.dataDir, 'ekort.db'), text, '--version', '2099-01', '--effective', effective.toISOString().slice(0, 10)]);
    expect(announced.code, announced.stderr).toBe(0);
    await button('Uppdatera').click();
    const day = new Intl.DateTimeFormat('sv-SE', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/Stockholm' }).format(new Date(`${effective.toISOString().slice(0, 10)}T12:00:00Z`));
    const notice = page.getByRole('region', { name: `Villkoren för e-kort ändras den ${day}` });
    await visible(notice);
    await shot('terms-change-notice');
    await button('Läs de nya villkoren', notice).click();
    await visible(heading(`Villkoren för e-kort ändras den ${day}`));
    await visible(page.getByText('De nya villkoren för e-kort.', { exact: true }));
    await button('Godkänn de nya villkoren').click();
    await visible(heading('Välkommen, Anna Andersson'));
    await visible(page.getByRole('status').filter({ hasText: 'Du har godkänt de nya villkoren för e-kort.' }));
    await expect.poll(() => notice.count(), { timeout: T }).toBe(0);
    expect((await app.agent.paymentCards()).filter((c) => c.connected).every((c) => c.termsVersion === '2099-01')).toBe(true);
  });

  it('the card details warn 20 s before they hide and can be kept a minute more (2.2.1; a fake clock)', async () => {
    await page.clock.install();
    await button('Skapa e-nummer').click();
    await visible(heading('Skapa e-nummer'));
    await page.getByLabel('Försäljningsställe', { exact: true }).fill('Bokhandeln');
    await button('Skapa e-nummer').click();
    const region = page.getByRole('region', { name: 'Kortuppgifter för Bokhandeln' });
    await visible(region);
    const warning = region.getByRole('status').filter({ hasText: 'Uppgifterna döljs om mindre än 20 sekunder' });
    expect(await warning.count()).toBe(0);
    await page.clock.fastForward(41_000);
    await visible(warning);
    await button('Visa en minut till', region).click();
    await page.clock.fastForward(41_000);
    await visible(region.getByTestId('secret-pan'));
    await page.clock.fastForward(20_000);
    await visible(page.getByText('Uppgifterna är dolda. Välj Visa i listan för att se dem igen.', { exact: true }));
    expect(await region.count()).toBe(0);
    // The focus was in the details ("Visa en minut till"): it goes to the note that replaced them.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Uppgifterna är dolda. Välj Visa i listan för att se dem igen.');
  });
});
