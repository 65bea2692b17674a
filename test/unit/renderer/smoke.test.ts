/**
 * Renders the UI to a string (react-dom/server, no DOM needed) with the fake agent and checks
 * the Swedish texts the user and the e2e tests rely on. Effects do not run on the server, so
 * screens are rendered directly inside the app context with the state they need.
 */
import { createElement, type ReactElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { Enummer, ReaderInfo } from '../../../src/client/api.ts';
import { App } from '../../../renderer/src/App.tsx';
import { createFakeApi, FAKE_READER } from '../../../renderer/src/api/fakeApi.ts';
import { SecretView } from '../../../renderer/src/components/SecretView.tsx';
import { AppContext, type AppContextValue } from '../../../renderer/src/context.ts';
import { errorText, translator } from '../../../renderer/src/i18n/index.ts';
import { NBSP } from '../../../renderer/src/lib/format.ts';
import { CardLogin } from '../../../renderer/src/screens/CardLogin.tsx';
import { DosaLogin } from '../../../renderer/src/screens/DosaLogin.tsx';
import { EngineerPanel } from '../../../renderer/src/screens/EngineerPanel.tsx';
import { EnummerList } from '../../../renderer/src/screens/EnummerList.tsx';
import { PaymentCards } from '../../../renderer/src/screens/PaymentCards.tsx';
import { ConnectCard } from '../../../renderer/src/screens/ConnectCard.tsx';
import { StartScreen } from '../../../renderer/src/screens/StartScreen.tsx';

/** Visible text, roughly: tags become spaces and all whitespace (NBSP too) one space. */
const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#x27;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ');

function inContext(element: ReactElement, extra: Partial<AppContextValue> = {}): string {
  const t = translator(extra.language ?? 'sv');
  const value: AppContextValue = {
    api: createFakeApi(),
    t,
    language: 'sv',
    readers: [],
    tokens: [],
    tokenTouch: false,
    report: (e) => errorText(e, t),
    ...extra,
  };
  return renderToString(createElement(AppContext.Provider, { value }, element));
}

const noop = () => undefined;

describe('the app, rendered on the server', () => {
  it('shows the Swedish login choices with the fake agent', () => {
    const html = renderToString(createElement(App, { api: createFakeApi() }));
    const page = text(html);
    expect(page).toContain('Logga in på e-kort');
    expect(page).toContain('BankID på kort');
    expect(page).toContain('Säkerhetsdosa');
    expect(page).toContain('Prova med virtuellt kort');
    expect(page).toContain('Ingenjörsvy');
    expect(html).toMatch(/<button[^>]*lang="en"[^>]*>English<\/button>/);
    expect(html).toContain('<h1 tabindex="-1" class="screen-heading">Logga in på e-kort</h1>');
  });

  it('start screen in English', () => {
    const page = text(inContext(createElement(StartScreen, { demo: null, onDemo: noop, onChoose: noop }), { t: translator('en'), language: 'en' }));
    expect(page).toContain('BankID on card');
  });

  it('start screen says where a login must not start, in the seeds\' words (001, 003)', () => {
    const page = text(inContext(createElement(StartScreen, { demo: null, onDemo: noop, onChoose: noop })));
    expect(page).toContain('Logga inte in med din e-legitimation när någon du inte känner eller litar på uppmanar dig till det');
    expect(page).toContain('Det är straffbart att använda någon annans e-legitimation');
    expect(page).toContain('omedelbart spärra den hos utfärdaren av e-legitimationen');
  });

  it('card login says "Sätt i kortet" while the reader is empty and lists readers', () => {
    const readers: ReaderInfo[] = [{ name: FAKE_READER, state: 'empty', pinPad: false, virtual: true, source: 'pcsc' }];
    const page = text(inContext(createElement(CardLogin, { demo: null, onLoggedIn: noop, onBack: noop }), { readers }));
    expect(page).toContain('Logga in med BankID på kort');
    expect(page).toContain('Sätt i kortet');
    expect(page).toMatch(new RegExp(`${FAKE_READER}\\s*\\(virtuell läsare\\)\\s*: inget kort`));
  });

  it('card login without readers says so', () => {
    const page = text(inContext(createElement(CardLogin, { demo: null, onLoggedIn: noop, onBack: noop })));
    expect(page).toContain('Ingen kortläsare hittades');
  });

  it('dosa login asks for the serial', () => {
    const html = inContext(createElement(DosaLogin, { demo: null, onLoggedIn: noop, onBack: noop }));
    expect(html).toMatch(/<label for="dosa-serial">Dosans serienummer<\/label>/);
    expect(text(html)).toContain('Hämta kontrollnummer');
  });

  it('lists e-nummer with last four, valid until, days left and state', () => {
    const until = new Date(Date.now() + 10 * 86_400_000 + 3_600_000);
    const base: Enummer = {
      id: 'enr-00000001',
      last4: '4321',
      cardLast4: '1111',
      merchant: 'Webbshoppen',
      kind: 'recurring',
      months: 6,
      expiry: '05/27',
      validUntil: until.toISOString(),
      nickname: null,
      limit: { amount: 123450, period: 'month' },
      ...{ state: 'open', closeReason: null, createdAt: new Date().toISOString(), closedAt: null, lock: null, lockedTo: null },
    };
    const closed: Enummer = { ...base, id: 'enr-00000002', last4: '9999', merchant: 'Bokhandeln', state: 'closed', closeReason: 'closed_by_holder' };
    const locked: Enummer = { ...base, id: 'enr-00000003', last4: '5555', merchant: '', lockedTo: { merchantId: 'MID-778', descriptor: 'WEBBUTIKEN AB STOCKHOLM' } };
    const html = inContext(createElement(EnummerList, { enummers: [base, closed, locked], onChanged: noop, onReauth: noop }));
    const page = text(html);
    expect(page).toContain('Webbshoppen •••• 4321');
    expect(html).toContain(`••••${NBSP}4321`);
    expect(page).toMatch(/\(1[01] dagar kvar\)/);
    expect(page).toContain('Öppet');
    expect(page).toMatch(/Gäller t\.o\.m\. \d{1,2} [a-zåäö]+ \d{4}/);
    expect(page).toContain('WEBBUTIKEN AB STOCKHOLM');
    expect(page).toContain('Låst till WEBBUTIKEN AB STOCKHOLM (försäljningsställets id MID-778) sedan första köpet');
    expect(page).toContain('Stängt (stängt av dig)');
    expect(html).toContain(`1${NBSP}234,50${NBSP}kr per månad`);
    expect(page).toContain('Pausa');
    expect(page).not.toContain('05/27'); // expiry only in the reveal view
  });

  it('payment cards show state and the connect and block buttons', () => {
    const cards = [
      { id: 'card-mc-00002', last4: '5678', product: 'Mastercard', state: 'active' as const, connected: false, termsVersion: null, termsAcceptedAt: null, limitPerPurchase: 100, limitPerMonth: 200 },
    ];
    const page = text(inContext(createElement(PaymentCards, { cards, onConnect: noop, onBlock: async () => undefined })));
    expect(page).toContain('Inte anslutet till e-kort');
    expect(page).toContain('Anslut kort till e-kort');
    expect(page).toContain('Spärra kort');
    // Card terms §8: Spärrservice around the clock, with the number to call.
    expect(page).toContain('dygnet runt hos Spärrservice: 00-000 00 00');
  });

  it('a card shows the last day of its printed month, the card it replaces, and when it has expired (card terms §12)', () => {
    const base = { product: 'Bankkort Visa', state: 'active' as const, connected: true, termsVersion: '2026-11', termsAcceptedAt: null, limitPerPurchase: 100, limitPerMonth: 200 };
    const cards = [
      { ...base, id: 'card-new-0001', last4: '2222', expiresAt: '2030-11-30T23:00:00.000Z', expired: false, replaces: { id: 'card-old-0001', last4: '1111' } },
      { ...base, id: 'card-old-0002', last4: '3333', expiresAt: '2026-10-31T23:00:00.000Z', expired: true, replaces: null },
    ];
    const page = text(inContext(createElement(PaymentCards, { cards, onConnect: noop, onBlock: async () => undefined })));
    expect(page).toContain('Gäller t.o.m. 30 november 2030');
    expect(page).toContain('Ersätter kortet •••• 1111. Det gamla kortet spärras när du använder det här första gången.');
    expect(page).toMatch(/Aktivt ?, utgånget ?, Anslutet till e-kort/);
    expect(page).toContain('Gäller t.o.m. 31 oktober 2026');
    // An expired card offers no actions but the Spärrservice number.
    expect(page.match(/Spärra kort(?!et)/g)).toHaveLength(1);
  });

  it('connecting cards: each card that can be connected is offered, the chosen one ticked, then "Fortsätt"', () => {
    const base = { product: 'Bankkort Visa', state: 'active' as const, connected: false, termsVersion: null, termsAcceptedAt: null, limitPerPurchase: 100, limitPerMonth: 200 };
    const cards = [
      { ...base, id: 'card-aaaa-0001', last4: '1111' },
      { ...base, id: 'card-bbbb-0002', last4: '2222' },
    ];
    const html = inContext(createElement(ConnectCard, { cards, preselected: 'card-bbbb-0002', onConnected: noop, onBack: noop }));
    expect(text(html)).toContain('Välj de kort du vill ansluta och läs villkoren för e-kort.');
    expect(text(html)).toContain('Kort att ansluta till e-kort');
    expect(html.match(/type="checkbox"/g)).toHaveLength(3); // two cards and "Jag har läst och godkänner villkoren"
    expect(html.match(/type="checkbox" checked=""/g)).toHaveLength(1);
  });

  it('the reveal view shows the number in groups of four, expiry and CVC with copy buttons', () => {
    const page = text(inContext(createElement(SecretView, { secret: { id: 'enr-00000001', pan: '4571000011112222', expiry: '05/27', cvc: '123' }, merchant: 'Webbshoppen', onHide: noop })));
    expect(page).toContain('4571 0000 1111 2222');
    expect(page).toContain('05/27');
    expect(page).toContain('Kopiera kortnummer');
    expect(page).toContain('Kopiera CVC');
    expect(page).toContain('Uppgifterna döljs om 60 sekunder.');
  });

  it('the engineers’ view has the virtual card controls and the purchase form', () => {
    const readers: ReaderInfo[] = [{ name: FAKE_READER, state: 'card', pinPad: false, atr: '3B88', cardKind: 'Virtual PIV card', virtual: true, source: 'pcsc' }];
    const page = text(inContext(createElement(EngineerPanel), { readers }));
    for (const s of ['Sätt i virtuellt kort', 'Ta ut virtuellt kort', 'Anslut virtuell dosa', 'APDU-logg', 'Simulera köp', '3B88', 'Virtual PIV card']) expect(page).toContain(s);
  });
});
