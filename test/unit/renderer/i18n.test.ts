import { describe, expect, it } from 'vitest';
import { en } from '../../../renderer/src/i18n/en.ts';
import { asFailure, catalogues, declineText, endsSession, errorText, interpolate, translator } from '../../../renderer/src/i18n/index.ts';
import { sv } from '../../../renderer/src/i18n/sv.ts';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('message catalogues', () => {
  it('sv and en have exactly the same keys, none empty', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(sv).sort());
    for (const [key, value] of Object.entries({ ...sv, ...en })) expect(value.trim(), key).not.toBe('');
  });

  it('use the same placeholders in both languages', () => {
    for (const key of Object.keys(sv) as Array<keyof typeof sv>) {
      expect(placeholders(en[key]), key).toEqual(placeholders(sv[key]));
    }
  });

  it('a card lost with the PIN on its way says a try may be spent; the disk faults name the folder', () => {
    const t = translator('sv');
    expect(errorText({ code: 'CARD_REMOVED', message: 'x', pinMayBeSpent: true }, t)).toBe(sv['card.pinMayBeSpent']);
    expect(errorText({ code: 'TRANSMIT_TIMEOUT', message: 'x', pinMayBeSpent: true }, t)).toContain('ett försök kan ha förbrukats');
    expect(errorText({ code: 'CARD_REMOVED', message: 'x' }, t)).toBe(sv['error.CARD_REMOVED']);
    expect(errorText({ code: 'STORAGE_FULL', message: 'x', folder: '/home/anna/.config/ekort' }, t)).toBe('Disken är full: inget kunde sparas i /home/anna/.config/ekort. Frigör utrymme och försök igen.');
    expect(errorText({ code: 'STORAGE_READ_ONLY', message: 'x' }, t)).toBe(sv['error.STORAGE_READ_ONLY_NOFOLDER']);
  });

  it('toggle names the other language', () => {
    expect(translator('sv')('header.languageToggle')).toBe('English');
    expect(translator('en')('header.languageToggle')).toBe('Svenska');
  });

  it('has the bank’s Swedish wording for the login choices and the e-kort actions', () => {
    const t = translator('sv');
    expect(t('start.card')).toBe('BankID på kort');
    expect(t('start.dosa')).toBe('Säkerhetsdosa');
    expect(t('start.demo')).toBe('Prova med virtuellt kort');
    expect(t('card.insertCard')).toBe('Sätt i kortet');
    expect(t('card.pinPad')).toBe('Slå PIN-koden på läsaren');
    expect(t('dosa.touch')).toBe('Rör vid din dosa');
    expect(t('dosa.answerWithToken')).toBe('Svara med ansluten dosa');
    expect(t('cards.connect')).toBe('Anslut kort till e-kort');
    expect(t('cards.block')).toBe('Spärra kort');
    expect(t('create.heading')).toBe('Skapa e-nummer');
    expect([t('state.open'), t('state.paused'), t('state.closed')]).toEqual(['Öppet', 'Pausat', 'Stängt']);
    // Seed 000's words: "e-kort kostar ingenting", the merchant is a försäljningsställe, the nickname an own name.
    expect(t('terms.connected', { card: 'Visa •••• 1111' })).toBe('Kortet Visa •••• 1111 är anslutet till e-kort. e-kort kostar ingenting.');
    expect([t('create.merchant'), t('eng.merchant'), t('create.nickname')]).toEqual(['Försäljningsställe', 'Försäljningsställe', 'Eget namn (valfritt)']);
    expect(Object.values(sv).filter((text) => /handlare|smeknamn/i.test(text))).toEqual([]);
  });

  it('every decline code and close reason of the service has a text in both languages', () => {
    const declines = ['UNKNOWN_NUMBER', 'EXPIRED', 'EXPIRY_MISMATCH', 'MERCHANT_MISMATCH', 'CVC_MISMATCH', 'LIMIT_EXCEEDED', 'CARD_BLOCKED', 'CLOSED', 'PAUSED'];
    const reasons = ['expired', 'closed_by_holder', 'card_blocked', 'used'];
    for (const lang of ['sv', 'en'] as const) {
      const keys = Object.keys(catalogues[lang]);
      for (const d of declines) expect(keys).toContain(`decline.${d}`);
      for (const r of reasons) expect(keys).toContain(`closeReason.${r}`);
    }
  });

  it('interpolates named parameters and leaves unknown ones', () => {
    expect(interpolate('Hej {name}, {n} kvar {x}', { name: 'Anna', n: 2 })).toBe('Hej Anna, 2 kvar {x}');
  });
});

describe('errorText', () => {
  const sv = translator('sv');
  const en = translator('en');

  it('shows the PIN tries left', () => {
    expect(errorText({ code: 'PIN_INCORRECT', message: 'x', retriesLeft: 2 }, sv)).toBe('Fel PIN-kod. Du har 2 försök kvar.');
    expect(errorText({ code: 'PIN_INCORRECT', message: 'x', retriesLeft: 1 }, en)).toBe('Wrong PIN. You have 1 tries left.');
    expect(errorText({ code: 'PIN_INCORRECT', message: 'x' }, sv)).toBe('Fel PIN-kod.');
  });

  it('shows the PUK route for a blocked PIN', () => {
    expect(errorText({ code: 'PIN_BLOCKED', message: 'blocked' }, sv)).toMatch(/PUK-koden/);
  });

  it('shows the dosa tries left', () => {
    expect(errorText({ code: 'DOSA_CODE_WRONG', message: 'x', triesLeft: 4 }, sv)).toBe('Fel svarskod. Du har 4 försök kvar innan dosan spärras.');
    expect(errorText({ code: 'DOSA_CODE_WRONG', message: 'x' }, sv)).toMatch(/^Fel svarskod\./);
  });

  it('translates the codes named in the design', () => {
    for (const code of ['CARD_REMOVED', 'READER_GONE', 'PCSC_UNAVAILABLE', 'CERT_EXPIRED', 'CERT_REVOKED', 'DOSA_BLOCKED', 'CHALLENGE_EXPIRED', 'CHALLENGE_REPLAYED', 'SESSION_EXPIRED', 'REAUTH_REQUIRED', 'TOKEN_REMOVED', 'TOUCH_TIMEOUT', 'MERCHANT_MISMATCH', 'BRIDGE_UNREACHABLE']) {
      const s = errorText({ code, message: 'the agent’s message' }, sv);
      const e = errorText({ code, message: 'the agent’s message' }, en);
      expect(s, code).not.toBe('the agent’s message');
      expect(e, code).not.toBe(s);
    }
    expect(errorText({ code: 'CERT_EXPIRED', message: '' }, sv)).toMatch(/utfärdaren/);
  });

  it('uses decline texts for decline codes without an error text', () => {
    expect(errorText({ code: 'CVC_MISMATCH', message: 'x' }, sv)).toBe('Fel CVC.');
  });

  it('shows the message as given for an unknown code', () => {
    expect(errorText({ code: 'SOMETHING_NEW', message: 'Something new happened' }, sv)).toBe('Something new happened');
    expect(errorText(new Error('boom'), sv)).toBe(sv('error.INTERNAL'));
    expect(errorText({ code: 'SOMETHING_NEW', message: '' }, sv)).toBe('Något gick fel: SOMETHING_NEW');
  });

  it('decline reasons by code, unknown as given', () => {
    expect(declineText('MERCHANT_MISMATCH', sv)).toBe('e-numret gäller inte hos det här försäljningsstället');
    expect(declineText('NEW_CODE', sv)).toBe('NEW_CODE');
    expect(declineText(null, sv)).toBe('');
  });

  it('knows which failures end the session', () => {
    expect(endsSession({ code: 'SESSION_EXPIRED', message: '' })).toBe(true);
    expect(endsSession({ code: 'REAUTH_REQUIRED', message: '' })).toBe(false);
    expect(asFailure('x')).toEqual({ code: 'INTERNAL', message: 'x' });
  });
});
