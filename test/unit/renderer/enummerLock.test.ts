/**
 * Issue 16 in the UI, rendered on the server with the fake agent (no DOM): an e-nummer locked
 * after five wrong CVCs shows why in Swedish and offers "Lås upp"; unlocking takes purchases
 * again; the new codes (CVC_LOCKED, TRY_LATER with its wait, ENUMMER_EXPIRED) have texts.
 */
import { createElement, type ReactElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { createFakeApi, FAKE_PIN } from '../../../renderer/src/api/fakeApi.ts';
import { AppContext, type AppContextValue } from '../../../renderer/src/context.ts';
import { declineText, errorText, translator } from '../../../renderer/src/i18n/index.ts';
import { EnummerList } from '../../../renderer/src/screens/EnummerList.tsx';

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#x27;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ');
const noop = () => undefined;
const sv = translator('sv');
const en = translator('en');

function inContext(element: ReactElement, api = createFakeApi()): string {
  const value: AppContextValue = { api, t: sv, language: 'sv', readers: [], tokens: [], tokenTouch: false, report: (e) => errorText(e, sv) };
  return renderToString(createElement(AppContext.Provider, { value }, element));
}

describe('an e-nummer locked after wrong CVCs', () => {
  it('is shown locked with the reason and "Lås upp" after the fifth wrong CVC, and purchases go through once it is unlocked', async () => {
    const api = createFakeApi({ cardInserted: true });
    await api.loginWithCard({ reader: 'Virtual PCD 00 00', pin: FAKE_PIN });
    await api.updateSettings({ engineerMode: true });
    const { enummer, secret } = await api.createEnummer({ cardId: 'card-visa-0001', merchant: 'Webbutiken', recurring: true, months: 3 });
    const wrong = String((Number(secret.cvc) + 1) % 1000).padStart(3, '0');
    const buy = (cvc: string) => api.authorizePurchase({ pan: secret.pan, expiry: secret.expiry, cvc, merchant: 'Webbutiken', amount: 100_00 });

    for (let i = 0; i < 4; i++) expect(await buy(wrong)).toMatchObject({ declineCode: 'CVC_MISMATCH' });
    const before = text(inContext(createElement(EnummerList, { enummers: await api.enummers(), onChanged: noop, onReauth: noop }), api));
    expect(before).not.toContain('Spärrat efter för många felaktiga CVC-försök');
    expect(before).not.toContain('Lås upp');

    expect(await buy(wrong)).toMatchObject({ declineCode: 'CVC_MISMATCH' });
    expect(await buy(secret.cvc)).toMatchObject({ approved: false, declineCode: 'CVC_LOCKED' });
    const locked = await api.enummers();
    expect(locked[0]?.lock).toMatchObject({ reason: 'wrong_cvc' });
    const page = text(inContext(createElement(EnummerList, { enummers: locked, onChanged: noop, onReauth: noop }), api));
    expect(page).toContain('Spärrat efter för många felaktiga CVC-försök');
    expect(page).toContain('Alla köp med e-numret nekas tills du låser upp det.');
    expect(page).toMatch(/<?Lås upp/);

    const unlocked = await api.changeEnummer({ id: enummer.id, action: 'unlock' });
    expect(unlocked.lock).toBeNull();
    expect(text(inContext(createElement(EnummerList, { enummers: [unlocked], onChanged: noop, onReauth: noop }), api))).not.toContain('Lås upp');
    expect(await buy(secret.cvc)).toMatchObject({ approved: true });
  });

  it('words the new codes in Swedish and English', () => {
    expect(declineText('CVC_LOCKED', sv)).toBe('e-numret är spärrat efter för många felaktiga CVC-försök');
    expect(errorText({ code: 'CVC_LOCKED', message: 'x' }, sv)).toBe('E-numret är spärrat efter för många felaktiga CVC-försök.');
    expect(errorText({ code: 'TRY_LATER', message: 'x', retryAfter: 4 }, sv)).toBe('En felaktig kod angavs nyss för dosan. Vänta 4 sekunder och försök igen.');
    expect(errorText({ code: 'TRY_LATER', message: 'x' }, sv)).toMatch(/Vänta en stund/);
    expect(errorText({ code: 'TRY_LATER', message: 'x', retryAfter: 2 }, en)).toMatch(/Wait 2 seconds/);
    expect(errorText({ code: 'ENUMMER_EXPIRED', message: 'x' }, sv)).toMatch(/^E-numret har gått ut/);
    expect(errorText({ code: 'ENUMMER_EXPIRED', message: 'x' }, en)).toMatch(/^The e-nummer has expired/);
  });
});
