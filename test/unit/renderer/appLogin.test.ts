/**
 * Mobilt BankID in the renderer: the screen and the start screen's button rendered on the
 * server with the fake agent, the QR code's SVG, the status line's words by phase and hint
 * code (BankID's RFA messages), and the fake agent's app login.
 */
import { createElement, type ReactElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { AppLoginPhase } from '../../../src/client/api.ts';
import { App } from '../../../renderer/src/App.tsx';
import { createFakeApi } from '../../../renderer/src/api/fakeApi.ts';
import { AppContext, type AppContextValue } from '../../../renderer/src/context.ts';
import { errorText, translator } from '../../../renderer/src/i18n/index.ts';
import { encodeQr } from '../../../renderer/src/lib/qr/qr.ts';
import { QrSvg } from '../../../renderer/src/lib/qr/QrSvg.tsx';
import { AppLogin, appStatusKey, autoStartHref } from '../../../renderer/src/screens/AppLogin.tsx';
import { StartScreen } from '../../../renderer/src/screens/StartScreen.tsx';

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#x27;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ');
const noop = () => undefined;

function inContext(element: ReactElement, language: 'sv' | 'en' = 'sv'): string {
  const t = translator(language);
  const value: AppContextValue = { api: createFakeApi(), t, language, readers: [], tokens: [], tokenTouch: false, report: (e) => errorText(e, t) };
  return renderToString(createElement(AppContext.Provider, { value }, element));
}

describe('Mobilt BankID on the start screen', () => {
  it('is the third login method, with a hint', () => {
    const page = text(renderToString(createElement(App, { api: createFakeApi() })));
    expect(page).toMatch(/BankID på kort.*Säkerhetsdosa.*Mobilt BankID.*Prova med virtuellt kort/);
    const html = inContext(createElement(StartScreen, { demo: null, onDemo: noop, onChoose: noop }));
    expect(html).toMatch(/<button type="button" class="choice" aria-describedby="hint-app">Mobilt BankID<\/button>/);
    expect(text(inContext(createElement(StartScreen, { demo: null, onDemo: noop, onChoose: noop }), 'en'))).toContain('Mobile BankID');
  });
});

describe('the Mobilt BankID screen', () => {
  it('renders its heading, the instructions and "Startar…" before the order exists', () => {
    const page = text(inContext(createElement(AppLogin, { onLoggedIn: noop, onBack: noop })));
    expect(page).toContain('Logga in med Mobilt BankID');
    expect(page).toContain('Starta BankID-appen i din mobil och tryck på Skanna QR-kod');
    expect(page).toContain('Startar inloggningen…');
    expect(page).toContain('Tillbaka');
  });

  it('the QR code is an SVG image named "QR-kod för Mobilt BankID", drawn from the content', () => {
    const content = 'bankid.67df3917-fa0d-44e5-b327-edcc928297f8.3.' + 'ab'.repeat(32);
    const html = renderToString(createElement(QrSvg, { content, label: translator('sv')('mobile.qrLabel') }));
    expect(html).toMatch(/^<svg[^>]* role="img" aria-label="QR-kod för Mobilt BankID"/);
    expect(html).toContain('viewBox="0 0 53 53"'); // version 7: 45 modules and the quiet zone
    expect(html).toContain(`data-content="${content}"`);
    expect(encodeQr(content).version).toBe(7);
  });

  it('the same-device link is BankID’s autostart URL', () => {
    expect(autoStartHref('a7c3e1f0-2b4d-4e6f-8a9b-000000001001')).toBe('bankid:///?autostarttoken=a7c3e1f0-2b4d-4e6f-8a9b-000000001001&redirect=null');
  });

  it('words the status by phase and hint code, after BankID’s recommended messages', () => {
    const sv = translator('sv');
    const en = translator('en');
    const say = (phase: AppLoginPhase, hint: string | null = null) => sv(appStatusKey(phase, hint));
    expect(say('waiting', 'outstandingTransaction')).toBe('Starta BankID-appen.');
    expect(say('signing', 'userSign')).toBe('Skriv in din säkerhetskod i BankID-appen och välj Identifiera.');
    expect(say('cancelled', 'userCancel')).toBe('Åtgärden avbruten.');
    expect(say('cancelled', 'cancelled')).toBe('Åtgärden avbruten. Försök igen.');
    expect(say('timeout', 'expiredTransaction')).toMatch(/^Tiden gick ut\. BankID-appen svarar inte\./);
    expect(say('failed', 'startFailed')).toMatch(/^BankID-appen verkar inte finnas/);
    expect(say('failed', 'certificateErr')).toMatch(/för gammalt eller spärrat/);
    expect(say('failed', 'transactionRiskBlocked')).toMatch(/misslyckades/);
    expect(say('done')).toBe('Klart. Du är inloggad.');
    expect(en(appStatusKey('waiting', null))).toBe('Start your BankID app.');
    expect(en(appStatusKey('signing', 'userSign'))).toBe('Enter your security code in the BankID app and select Identify.');
  });
});

describe('the fake agent’s app login', () => {
  it('waiting → signing → done with a session; the QR content changes every poll', async () => {
    const api = createFakeApi();
    const order = await api.startAppLogin();
    expect(order.qr).toMatch(/^bankid\.[0-9a-f-]+\.0\.[0-9a-f]{64}$/);
    const seen = [];
    const qrs = new Set<string>([order.qr]);
    for (let i = 0; i < 4; i++) {
      const s = await api.appLoginStatus({ orderRef: order.orderRef });
      seen.push(s.phase);
      if (s.qr) qrs.add(s.qr);
      if (s.phase === 'done') expect(s.session).toMatchObject({ method: 'app', customer: { name: 'Anna Andersson' } });
    }
    expect(seen).toEqual(['waiting', 'waiting', 'signing', 'done']);
    expect(qrs.size).toBe(4);
    expect(await api.session()).toMatchObject({ method: 'app' });
  });

  it('cancel ends the order; an unknown order is refused', async () => {
    const api = createFakeApi({ appPhases: ['waiting'] });
    const order = await api.startAppLogin();
    await api.cancelAppLogin({ orderRef: order.orderRef });
    expect(await api.appLoginStatus({ orderRef: order.orderRef })).toMatchObject({ phase: 'cancelled', qr: '' });
    await expect(api.appLoginStatus({ orderRef: 'nope-0000' })).rejects.toMatchObject({ code: 'APP_ORDER_UNKNOWN' });
  });
});
