/**
 * The engineers' view's authenticator and PIN-pad keypad, rendered on the server with the fake
 * agent: what shows without a key, with one, and the Swedish texts of their failures.
 */
import { createElement, type ReactElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { ReaderInfo } from '../../../src/client/api.ts';
import { createFakeApi } from '../../../renderer/src/api/fakeApi.ts';
import { AppContext, type AppContextValue } from '../../../renderer/src/context.ts';
import { errorText, translator } from '../../../renderer/src/i18n/index.ts';
import { Authenticator } from '../../../renderer/src/screens/Authenticator.tsx';
import { PinPadKeypad } from '../../../renderer/src/screens/PinPadKeypad.tsx';

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#x27;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ');
const sv = translator('sv');
const en = translator('en');
const key: ReaderInfo = { name: 'ekort Reader 00 02', state: 'card', pinPad: false, virtual: true, source: 'pcsc' };

function render(element: ReactElement, readers: ReaderInfo[] = []): string {
  const value: AppContextValue = { api: createFakeApi(), t: sv, language: 'sv', readers, tokens: [], tokenTouch: false, report: (e) => errorText(e, sv) };
  return text(renderToString(createElement(AppContext.Provider, { value }, element)));
}

describe("the engineers' authenticator and PIN pad", () => {
  it('asks for a key when no reader holds one, and offers the readers that do', () => {
    expect(render(createElement(Authenticator))).toContain('Sätt i en YubiKey (eller den virtuella) för att se dess koder.');
    const page = render(createElement(Authenticator), [key, { ...key, name: 'Virtual PCD 00 00', state: 'empty' }]);
    expect(page).toContain('Nyckel i läsaren ekort Reader 00 02');
    expect(page).not.toContain('Virtual PCD 00 00');
    expect(page).toContain('Visa koder');
  });

  it('the PIN pad says it waits for nothing until the reader asks', () => {
    const page = render(createElement(PinPadKeypad));
    expect(page).toContain('PIN-läsaren (ekort PIN Pad)');
    expect(page).toContain('PIN-läsaren väntar inte på någon PIN-kod.');
    expect(page).not.toContain('Skriv på läsaren');
  });

  it('words the OATH and PIN-pad failures in Swedish and English', () => {
    for (const code of ['OATH_NOT_AVAILABLE', 'OATH_LOCKED', 'OATH_NO_SUCH_CREDENTIAL', 'OATH_TOUCH_REQUIRED', 'PIN_PAD_NOT_ASKING']) {
      expect(errorText({ code, message: 'x' }, sv)).not.toBe(errorText({ code: 'SOMETHING_ELSE', message: 'x' }, sv));
      expect(errorText({ code, message: 'x' }, en)).not.toBe(errorText({ code: 'SOMETHING_ELSE', message: 'x' }, en));
    }
    expect(errorText({ code: 'OATH_TOUCH_REQUIRED', message: 'x' }, sv)).toBe('Ingen rörde vid nyckeln i tid. Försök igen och rör vid den när den blinkar.');
  });
});
