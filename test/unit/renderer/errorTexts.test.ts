/**
 * Every error code the service, the agent and the driver stack below it can raise has a text in
 * Swedish and English: its own, a decline reason, or its family's. The codes are read from the
 * sources (what `new …Error('CODE'`, `super('CODE'`, `bankError('CODE'`, `refuse(…, 'CODE'`, `code: 'CODE'` and
 * the `…ErrorCode` unions name), so a new code without a text fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorFamily, errorText, isMessageKey, translator } from '../../../renderer/src/i18n/index.ts';

const SRC = path.resolve(import.meta.dirname, '../../../src');
/** The CLI speaks English to engineers at a terminal; its usage errors never reach the app. */
const NOT_IN_THE_APP = new Set(['cli']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return NOT_IN_THE_APP.has(entry.name) ? [] : sources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

export function errorCodes(): Map<string, string> {
  const codes = new Map<string, string>();
  const add = (code: string, file: string) => codes.has(code) || codes.set(code, path.relative(SRC, file));
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:Error|bankError|refuse|fail|failure|coded|super)\(\s*(?:\d+,\s*)?'([A-Z][A-Z0-9_]{2,})'/g)) add(m[1]!, file);
    for (const m of text.matchAll(/\bcode: '([A-Z][A-Z0-9_]{2,})'/g)) add(m[1]!, file);
    for (const m of text.matchAll(/type \w*(?:Error|Failure)Code\w* =([^;]*);/g)) for (const c of m[1]!.matchAll(/'([A-Z][A-Z0-9_]+)'/g)) add(c[1]!, file);
    for (const m of text.matchAll(/BANK_ERROR_STATUS = \{([^}]*)\}/g)) for (const c of m[1]!.matchAll(/^\s*([A-Z][A-Z0-9_]+):/gm)) add(c[1]!, file);
  }
  return codes;
}

const hasText = (code: string): boolean => isMessageKey(`error.${code}`) || isMessageKey(`decline.${code}`) || errorFamily(code) !== undefined;

describe('error texts', () => {
  const codes = errorCodes();

  it('finds the codes the service and the agent raise', () => {
    // A sample from each layer, so a broken scan cannot pass by finding nothing.
    for (const code of ['LOGIN_FAILED', 'ORDER_EXPIRED', 'CODES_LOCKED', 'PIN_BLOCKED', 'CARD_REMOVED', 'TOKEN_REMOVED', 'SESSION_EXPIRED', 'WRONG_LENGTH', 'RESPONSE_INTERRUPTED', 'DER_MALFORMED']) {
      expect(codes.has(code), code).toBe(true);
    }
    expect(codes.size).toBeGreaterThan(200);
  });

  it('gives every one of them a text of its own, a decline reason or its family\'s, in both languages', () => {
    const missing = [...codes].filter(([code]) => !hasText(code)).map(([code, file]) => `${code} (${file})`);
    expect(missing).toEqual([]);
  });

  it('shows the text, never the English message, for codes customers meet', () => {
    const sv = translator('sv');
    for (const code of ['LOGIN_FAILED', 'ORDER_EXPIRED', 'CODES_LOCKED', 'APP_LOCKED', 'TRANSMIT_TIMEOUT', 'PCSCD_NOT_RUNNING']) {
      const shown = errorText({ code, message: 'English text from the service' }, sv);
      expect(shown, code).not.toContain('English');
      expect(shown, code).toMatch(/[a-zåäö]/);
    }
    expect(errorText({ code: 'ORDER_EXPIRED', message: 'x' }, sv)).toBe('Inloggningen med Mobilt BankID tog för lång tid och har gått ut. Försök igen.');
  });

  it('says a card fault in Swedish with its code for support, and an unknown code as given', () => {
    expect(errorText({ code: 'WRONG_LENGTH', message: 'Wrong length (6700)' }, translator('sv'))).toBe(
      'Kortet kunde inte utföra åtgärden (WRONG_LENGTH). Ta ut kortet, sätt i det igen och försök på nytt.',
    );
    expect(errorText({ code: 'WRONG_LENGTH', message: 'Wrong length (6700)' }, translator('en'))).toContain('The card could not do that (WRONG_LENGTH)');
    expect(hasText('NO_SUCH_CODE_ANYWHERE')).toBe(false);
    expect(errorText({ code: 'NO_SUCH_CODE_ANYWHERE', message: 'as given' }, translator('sv'))).toBe('as given');
  });

  it('says why a chosen code is too easy to guess, in Swedish', () => {
    expect(errorText({ code: 'CODE_TOO_EASY', message: 'x', reason: 'birth_date' }, translator('sv'))).toBe(
      'Koden är för lätt att gissa: välj en annan. Den innehåller ditt födelsedatum.',
    );
    expect(errorText({ code: 'CODE_TOO_EASY', message: 'x', reason: 'nonsense' }, translator('sv'))).toBe('Koden är för lätt att gissa: välj en annan.');
  });
});
