/**
 * Issue 9 in the UI, rendered on the server with the fake agent (no DOM): BankID på fil (the
 * holder before the password, "Välj fil…", wrong password and lock texts, the organisation
 * e-ID), foreign-currency amounts on a transaction, the dispute dialog and its liability
 * texts, "Reklamationer" and "Meddelanden".
 */
import { createElement, type ReactElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { Dispute, Notification, Transaction } from '../../../src/client/api.ts';
import { App } from '../../../renderer/src/App.tsx';
import { createFakeApi, FAKE_FILE_PASSWORD, fakeFile } from '../../../renderer/src/api/fakeApi.ts';
import { AppContext, type AppContextValue } from '../../../renderer/src/context.ts';
import { errorText, translator } from '../../../renderer/src/i18n/index.ts';
import { formatMinorUnits, formatRate } from '../../../renderer/src/lib/money.ts';
import { DisputeDialog, liabilityText } from '../../../renderer/src/screens/DisputeDialog.tsx';
import { Disputes, Notifications } from '../../../renderer/src/screens/Disputes.tsx';
import { FileLogin, isAbsolutePath } from '../../../renderer/src/screens/FileLogin.tsx';
import { StartScreen } from '../../../renderer/src/screens/StartScreen.tsx';
import { foreignText, TransactionList } from '../../../renderer/src/screens/TransactionList.tsx';

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#x27;/g, "'").replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/\s+/g, ' ');
const noop = () => undefined;
const sv = translator('sv');
const en = translator('en');

function inContext(element: ReactElement, extra: Partial<AppContextValue> = {}): string {
  const t = translator(extra.language ?? 'sv');
  const value: AppContextValue = { api: createFakeApi(), t, language: 'sv', readers: [], tokens: [], tokenTouch: false, report: (e) => errorText(e, t), ...extra };
  return renderToString(createElement(AppContext.Provider, { value }, element));
}

const orgFile = fakeFile({
  id: 'e'.repeat(64),
  path: '/home/anna/.bankid/jobbet.p12',
  fileName: 'jobbet.p12',
  holder: { name: 'Anna Andersson', personnummer: null, organisation: { number: '556000-0000', name: 'Exempel AB', personId: '42' }, validUntil: '2030-01-01T00:00:00Z' },
});
const bertil = fakeFile({ id: 'b'.repeat(64), path: '/home/anna/.bankid/bertil.pfx', fileName: 'bertil.pfx', holder: { name: 'Bertil Berg', personnummer: '198503152398', organisation: null, validUntil: '2029-06-30T00:00:00Z' } });

const eurTx: Transaction = {
  id: 'txn-eur-00000001',
  enummerId: 'enr-00000001',
  last4: '3456',
  merchant: 'Boutique Paris',
  amount: 142_75,
  decision: 'approved',
  declineCode: null,
  createdAt: '2026-11-21T10:00:00Z',
  originalAmount: 12_50,
  currency: 'EUR',
  rate: 11.2345,
  rateDate: '2026-11-20',
  fee: 2_32,
};

function dispute(overrides: Partial<Dispute> = {}): Dispute {
  return {
    id: 'dsp-00000001',
    transactionId: eurTx.id,
    kind: 'unauthorised',
    state: 'received',
    resolution: null,
    description: null,
    createdAt: '2026-11-21T11:00:00Z',
    updatedAt: '2026-11-21T11:00:00Z',
    merchant: 'Webbhandeln AB',
    amount: 500_00,
    liability: { maxSelfRiskOre: 400_00, reason: 'self_risk', section: '10.2', grossNegligenceMaxOre: 500_00 },
    offerCardBlock: true,
    cardId: 'card-visa-0001',
    ...overrides,
  };
}

describe('BankID på fil', () => {
  it('is the fourth login method on the start screen, in both languages', () => {
    const page = text(renderToString(createElement(App, { api: createFakeApi() })));
    expect(page).toMatch(/BankID på kort .*Säkerhetsdosa .*Mobilt BankID .*BankID på fil/);
    const english = text(inContext(createElement(StartScreen, { demo: null, onDemo: noop, onChoose: noop }), { t: en, language: 'en' }));
    expect(english).toContain('BankID on file');
  });

  it('lists each file with its holder’s name before the password is asked; the chosen holder shows first', () => {
    const html = inContext(createElement(FileLogin, { onLoggedIn: noop, onBack: noop, initialFiles: [fakeFile(), bertil] }));
    const page = text(html);
    expect(page).toContain('Logga in med BankID på fil');
    expect(page).toContain('Välj BankID på fil');
    expect(page).toContain('Anna Andersson');
    expect(page).toContain('Bertil Berg');
    expect(page).toContain('Personnummer 19850315-2398');
    expect(page).toContain('Fil: bertil.pfx');
    // The holder region comes before the password field.
    expect(page.indexOf('Legitimationen tillhör')).toBeGreaterThan(0);
    expect(page.indexOf('Legitimationen tillhör')).toBeLessThan(page.indexOf('Lösenord'));
    expect(html).toMatch(/<input id="file-password"[^>]*type="password"/);
    expect(html).toMatch(/<label for="file-password">Lösenord<\/label>/);
    expect(page).toContain('Välj fil…');
    expect(page).toContain('Tillbaka');
  });

  it('a file whose certificate is encrypted too shows the file name; a locked one the advice to order a new BankID', () => {
    const page = text(inContext(createElement(FileLogin, { onLoggedIn: noop, onBack: noop, initialFiles: [fakeFile({ holder: null, locked: true })] })));
    expect(page).toContain('anna.p12 (vems legitimation det är visas efter lösenordet) (Låst)');
    expect(page).toContain('BankID på fil är låst');
    expect(page).toContain('Beställ ett nytt BankID hos din bank');
    expect(page).not.toContain('file-password');
  });

  it('an organisation e-ID shows the organisation, and the service’s refusal is worded', () => {
    const page = text(inContext(createElement(FileLogin, { onLoggedIn: noop, onBack: noop, initialFiles: [orgFile] })));
    expect(page).toContain('E-tjänstelegitimation för Exempel AB (organisationsnummer 556000-0000), nummer 42');
    expect(page).toContain('e-kort är en tjänst för privatpersoner');
    expect(errorText({ code: 'ORGANISATION_EID', message: 'x' }, sv)).toBe(
      'Det här är en e-tjänstelegitimation för en organisation. e-kort är en tjänst för privatpersoner: logga in med din personliga e-legitimation (BankID).',
    );
  });

  it('words a wrong password with the tries left, and the lock', () => {
    expect(errorText({ code: 'PASSWORD_INCORRECT', message: 'x', triesLeft: 4 }, sv)).toBe('Fel lösenord, 4 försök kvar.');
    expect(errorText({ code: 'PASSWORD_INCORRECT', message: 'x', triesLeft: 1 }, en)).toBe('Wrong password. Tries left: 1.');
    expect(errorText({ code: 'FILE_CREDENTIAL_LOCKED', message: 'x' }, sv)).toMatch(/låst .*Beställ ett nytt BankID/);
  });

  it('the fake agent counts wrong passwords, locks after five and refuses an organisation e-ID', async () => {
    const api = createFakeApi({ files: [fakeFile(), orgFile] });
    const [anna] = await api.fileCredentials({});
    for (let left = 4; left >= 1; left--) {
      await expect(api.loginWithFile({ id: anna!.id, password: 'fel' })).rejects.toMatchObject({ code: 'PASSWORD_INCORRECT', triesLeft: left });
    }
    await expect(api.loginWithFile({ id: anna!.id, password: 'fel' })).rejects.toMatchObject({ code: 'FILE_CREDENTIAL_LOCKED' });
    expect((await api.fileCredentials({})).find((f) => f.id === anna!.id)?.locked).toBe(true);
    await expect(api.loginWithFile({ id: orgFile.id, password: FAKE_FILE_PASSWORD })).rejects.toMatchObject({ code: 'ORGANISATION_EID' });
    // A picked file is listed after the found ones; the password is never recorded.
    const listed = await api.fileCredentials({ paths: ['/media/usb/bertil.p12'] });
    expect(listed.at(-1)).toMatchObject({ path: '/media/usb/bertil.p12', fileName: 'bertil.p12' });
    expect(JSON.stringify(api.control.calls)).not.toContain('fel');
  });

  it('takes only absolute paths from "Välj fil…"', () => {
    expect(isAbsolutePath('/home/anna/anna.p12')).toBe(true);
    expect(isAbsolutePath('C:\\Users\\anna\\anna.pfx')).toBe(true);
    expect(isAbsolutePath('anna.p12')).toBe(false);
    expect(isAbsolutePath('~/anna.p12')).toBe(false);
  });
});

describe('foreign currency on a transaction', () => {
  it('shows both amounts, the rate and the fee with the money helpers', () => {
    expect(formatMinorUnits(12_50, 'EUR')).toBe('12,50\u00a0EUR');
    expect(formatMinorUnits(150_000, 'JPY')).toBe('150\u00a0000\u00a0JPY');
    expect(formatMinorUnits(1_234, 'KWD')).toBe('1,234\u00a0KWD');
    expect(formatRate(11.2345)).toBe('11,2345');
    expect(foreignText(eurTx, sv).replace(/\u00a0/g, ' ')).toBe('12,50 EUR · kurs 11,2345 · avgift 2,32 kr');
    expect(foreignText(eurTx, en).replace(/\u00a0/g, ' ')).toBe('12,50 EUR · rate 11,2345 · fee 2,32 kr');
    expect(foreignText({ ...eurTx, originalAmount: undefined, currency: undefined }, sv)).toBe('');
  });

  it('lists the transaction with the SEK amount, the original amount and "Reklamera" on approved ones only', () => {
    const declined: Transaction = { ...eurTx, id: 'txn-declined-0001', decision: 'declined', declineCode: 'CURRENCY_NOT_SUPPORTED', originalAmount: undefined, currency: undefined, rate: undefined, fee: undefined };
    const html = inContext(createElement(TransactionList, { merchant: 'Boutique Paris', transactions: [eurTx, declined] }));
    const page = text(html);
    expect(page).toContain('142,75 kr');
    expect(page).toContain('(12,50 EUR · kurs 11,2345 · avgift 2,32 kr)');
    expect(page).toContain('Nekad: banken växlar inte den valutan');
    expect(html.match(/>Reklamera<\/button>/g)).toHaveLength(1);
    expect(html).toContain('aria-label="Reklamera köpet hos Boutique Paris, 142,75\u00a0kr"');
  });

  it('the fake agent converts at the rate plus 1,65 % and sends the §17 notice once', async () => {
    const api = createFakeApi({ cardInserted: true });
    await api.loginWithCard({ reader: 'Virtual PCD 00 00', pin: '123456' });
    await api.updateSettings({ engineerMode: true });
    const { secret } = await api.createEnummer({ cardId: 'card-visa-0001', merchant: 'Boutique Paris', recurring: true, months: 3 });
    const purchase = { pan: secret.pan, expiry: secret.expiry, cvc: secret.cvc, merchant: 'Boutique Paris', amount: 12_50, currency: 'EUR' };
    expect((await api.authorizePurchase(purchase)).approved).toBe(true);
    await api.authorizePurchase(purchase);
    const [tx] = await api.transactions({});
    expect(tx).toMatchObject({ amount: 140_43 + 2_32, originalAmount: 12_50, currency: 'EUR', rate: 11.2345, fee: 2_32 });
    const notices = await api.notifications();
    expect(notices).toHaveLength(1);
    expect(notices[0]!.text.sv).toContain('1,65 %');
  });
});

describe('disputes (reklamation)', () => {
  it('the dialog offers the three kinds, the optional description and sends', () => {
    const html = inContext(createElement(DisputeDialog, { transaction: eurTx, onClose: noop, onDisputed: noop }));
    const page = text(html);
    expect(page).toContain('Reklamera köp hos Boutique Paris');
    expect(page).toContain('Vad gäller reklamationen?');
    expect(page).toContain('Obehörigt köp – inte gjort av mig');
    expect(page).toContain('Felaktigt genomfört');
    expect(page).toContain('Problem med varan');
    expect(page).toContain('Beskrivning (valfritt)');
    expect(page).toContain('Skicka reklamation');
    expect(html).toMatch(/<dialog[^>]*aria-labelledby/);
  });

  it('words what the terms say the holder risks', () => {
    expect(liabilityText(dispute(), sv).replace(/\u00a0/g, ' ')).toBe(
      'Enligt kortvillkoren står du för högst 400,00 kr i självrisk (punkt 10.2; självrisken är högst 400 kr). Mer än så bara om du har varit grovt oaktsam (punkt 10.3: för närvarande högst 500,00 kr).',
    );
    expect(liabilityText(dispute({ liability: { maxSelfRiskOre: 0, reason: 'after_card_block', section: '10.5' } }), sv)).toContain('Du står inte för något belopp (kortvillkor punkt 10.5)');
    expect(liabilityText(dispute({ liability: { maxSelfRiskOre: 0, reason: 'sca_missing', section: '10.6' } }), sv)).toContain('Stark kundautentisering användes inte');
    expect(liabilityText(dispute({ kind: 'incorrect', liability: { maxSelfRiskOre: 0, reason: 'incorrect_execution', section: '11.1' } }), sv)).toContain('punkt 11.1');
    expect(liabilityText(dispute({ kind: 'goods', state: 'referred_to_merchant', liability: { maxSelfRiskOre: 500_00, reason: 'goods_merchant_first', section: '11.2' } }), sv)).toBe(
      'Köpet står kvar. Vänd dig till Webbhandeln AB först; banken kan i vissa fall hjälpa till (kortvillkor punkt 11.2).',
    );
    expect(liabilityText(dispute(), en)).toContain('at most SEK 400');
    // Under 400 kr the whole purchase is all there is to risk, grossly negligent or not: no "more than that".
    const small = dispute({ amount: 250_00, liability: { maxSelfRiskOre: 250_00, reason: 'self_risk', section: '10.2', grossNegligenceMaxOre: 250_00 } });
    expect(liabilityText(small, sv).replace(/\u00a0/g, ' ')).toBe(
      'Köpet är på 250,00 kr, inte mer än självrisken på 400 kr (punkt 10.2): enligt kortvillkoren står du för högst hela beloppet, 250,00 kr, även om du har varit grovt oaktsam (punkt 10.3).',
    );
    expect(liabilityText(small, sv)).not.toContain('Mer än så');
    expect(liabilityText(dispute({ amount: 400_00, liability: { maxSelfRiskOre: 400_00, reason: 'self_risk', section: '10.2', grossNegligenceMaxOre: 400_00 } }), sv)).toContain('högst hela beloppet');
  });

  it('the fake agent records a claim with the liability and the card block offered; a declined purchase is refused', async () => {
    const api = createFakeApi({ cardInserted: true });
    await api.loginWithCard({ reader: 'Virtual PCD 00 00', pin: '123456' });
    await api.updateSettings({ engineerMode: true });
    const { secret } = await api.createEnummer({ cardId: 'card-visa-0001', merchant: 'Webbhandeln AB' });
    const ok = await api.authorizePurchase({ pan: secret.pan, expiry: secret.expiry, cvc: secret.cvc, merchant: 'Webbhandeln AB', amount: 500_00 });
    const d = await api.disputeTransaction({ transactionId: ok.transactionId, kind: 'unauthorised', description: 'Inte jag' });
    expect(d).toMatchObject({ state: 'received', liability: { maxSelfRiskOre: 400_00, reason: 'self_risk' }, offerCardBlock: true, cardId: 'card-visa-0001' });
    await expect(api.disputeTransaction({ transactionId: ok.transactionId, kind: 'incorrect' })).rejects.toMatchObject({ code: 'ALREADY_DISPUTED' });
    const no = await api.authorizePurchase({ pan: secret.pan, expiry: secret.expiry, cvc: '000', merchant: 'Webbhandeln AB', amount: 1_00 });
    await expect(api.disputeTransaction({ transactionId: no.transactionId, kind: 'unauthorised' })).rejects.toMatchObject({ code: 'TRANSACTION_DECLINED' });
    expect(await api.disputes()).toHaveLength(1);
    expect(errorText({ code: 'DISPUTE_TOO_LATE', message: 'x' }, sv)).toContain('13 månader');
  });

  it('"Reklamationer" lists the claims with their state and risk; "Meddelanden" the §17 notice', () => {
    const list = text(inContext(createElement(Disputes, { onBack: noop, initial: [dispute(), dispute({ id: 'dsp-00000002', state: 'resolved', resolution: 'refunded' })] })));
    expect(list).toContain('Reklamationer');
    expect(list).toContain('Webbhandeln AB, 500,00 kr');
    expect(list).toContain('Obehörigt köp – inte gjort av mig');
    expect(list).toContain('Mottagen');
    expect(list).toContain('Avgjord: Beloppet betalas tillbaka');
    expect(list).toContain('högst 400,00 kr i självrisk');
    expect(text(inContext(createElement(Disputes, { onBack: noop, initial: [] })))).toContain('Du har inga reklamationer.');
    // What the bank asked or decided along the way (§10.4, §10.7, §10.8).
    const asked = text(inContext(createElement(Disputes, { onBack: noop, initial: [dispute({ policeReport: { requestedAt: '2026-11-23T10:00:00Z', reference: null, submittedAt: null }, extendedAt: '2026-11-24T10:00:00Z' })] })));
    expect(asked).toContain('Banken behöver en polisanmälan om köpet (kortvillkor punkt 10.4).');
    expect(asked).toContain('Polisens diarienummer');
    expect(asked).toContain('Skicka diarienumret');
    expect(asked).toContain('Banken förlängde utredningen den 2026-11-24');
    const given = text(inContext(createElement(Disputes, { onBack: noop, initial: [dispute({ policeReport: { requestedAt: '2026-11-23T10:00:00Z', reference: '5000-K123456-26', submittedAt: '2026-11-23T12:00:00Z' } })] })));
    expect(given).toContain('Polisanmälan 5000-K123456-26');
    expect(given).not.toContain('Skicka diarienumret');
    const repay = text(inContext(createElement(Disputes, { onBack: noop, initial: [dispute({ state: 'resolved', resolution: 'refunded', repaymentRequiredAt: '2026-12-01T10:00:00Z' })] })));
    expect(repay.replace(/\u00a0/g, ' ')).toContain('du ska betala tillbaka 500,00 kr som du fick tillbaka');

    const notice: Notification = {
      id: 'ntf-00000001',
      kind: 'currency_conversion',
      title: { sv: 'Växlingsavgift för köp i EUR', en: 'Currency conversion charge for EUR' },
      refId: null,
      currency: 'EUR',
      month: '2026-11',
      transactionId: eurTx.id,
      markupPercent: '1.65',
      rate: 11.2345,
      rateDate: '2026-11-20',
      text: { sv: 'Du har handlat med ditt kort i EUR. Valutaväxlingspåslaget är 1,65 %.', en: 'You paid with your card in EUR. The markup is 1.65 %.' },
      createdAt: '2026-11-21T10:00:00Z',
    };
    const messages = text(inContext(createElement(Notifications, { onBack: noop, initial: [notice] })));
    expect(messages).toContain('Meddelanden');
    expect(messages).toContain('Växlingsavgift för köp i EUR');
    expect(messages).toContain('Valutaväxlingspåslaget är 1,65 %');
    expect(text(inContext(createElement(Notifications, { onBack: noop, initial: [notice] }), { t: en, language: 'en' }))).toContain('The markup is 1.65 %');
  });
});
