import { describe, expect, it, vi } from 'vitest';
import { isEkortError } from '../../../src/errors.ts';
import {
  formatKontrollnummer,
  loginCode,
  newKontrollnummer,
  parseKontrollnummer,
  svarskod,
} from '../../../src/token/dosaCodes.ts';
import * as api from '../../../src/token/index.ts';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const KEY20 = ascii('12345678901234567890');
const KEY32 = ascii('12345678901234567890123456789012');

describe('kontrollnummer', () => {
  it('formats as two groups of four', () => {
    expect(formatKontrollnummer('12345678')).toBe('1234 5678');
    expect(formatKontrollnummer('0000-0001')).toBe('0000 0001');
  });
  it.each(['12345678', '1234 5678', '1234-5678', ' 12 34-56 78 ', '1234\t5678'])('parses %j', (text) => {
    expect(parseKontrollnummer(text)).toBe('12345678');
  });
  it.each(['1234567', '123456789', '1234567a', '', '1234_5678', '１２３４５６７８', '+12345678'])(
    'rejects %j with CHALLENGE_FORMAT',
    (text) => {
      let err: unknown;
      try {
        parseKontrollnummer(text);
      } catch (e) {
        err = e;
      }
      expect(isEkortError(err, 'CHALLENGE_FORMAT')).toBe(true);
    },
  );
  it('newKontrollnummer gives 8 digits, keeps leading zeros and uses crypto.randomInt', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const k = newKontrollnummer();
      expect(k).toMatch(/^[0-9]{8}$/);
      seen.add(k);
    }
    expect(seen.size).toBeGreaterThan(190);

    vi.resetModules();
    vi.doMock('node:crypto', async (orig) => ({ ...(await orig<typeof import('node:crypto')>()), randomInt: () => 42 }));
    const mocked = await import('../../../src/token/dosaCodes.ts');
    expect(mocked.newKontrollnummer()).toBe('00000042');
    vi.doUnmock('node:crypto');
    vi.resetModules();
  });
});

describe('svarskod', () => {
  it('is OCRA-1:HOTP-SHA1-8:QN08 over the kontrollnummer by default', () => {
    const s = svarskod({ key: KEY20, kontrollnummer: '1234 5678' });
    expect(s).toMatch(/^[0-9]{8}$/);
    expect(s).toBe(api.ocra({ suite: 'OCRA-1:HOTP-SHA1-8:QN08', key: KEY20, challenge: '12345678' }));
    expect(s).not.toBe(svarskod({ key: KEY20, kontrollnummer: '12345679' }));
  });
  it('follows another suite (RFC 6287 C.1 vector through the dosa API)', () => {
    expect(svarskod({ key: KEY20, suite: 'OCRA-1:HOTP-SHA1-6:QN08', kontrollnummer: '4444-4444' })).toBe('608993');
    expect(
      svarskod({ key: KEY32, suite: 'OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1', kontrollnummer: '1234 5678', counter: 9, pin: '1234' }),
    ).toBe('08522129');
  });
  it('refuses a malformed kontrollnummer', () => {
    expect(() => svarskod({ key: KEY20, kontrollnummer: '1234' })).toThrow(/8 digits/);
  });
});

describe('loginCode', () => {
  it('HOTP token (RFC 4226 vector, 6 digits)', () => {
    expect(loginCode({ kind: 'hotp', secret: KEY20, counter: 1, digits: 6 })).toBe('287082');
  });
  it('HOTP defaults to 8 digits SHA-1', () => {
    expect(loginCode({ kind: 'hotp', secret: KEY20, counter: 1 })).toBe(api.hotp({ secret: KEY20, counter: 1, digits: 8, algorithm: 'sha1' }));
  });
  it('TOTP token (RFC 6238 vector)', () => {
    expect(loginCode({ kind: 'totp', secret: KEY20 }, new Date(59_000))).toBe('94287082');
    expect(loginCode({ kind: 'totp', secret: KEY32, algorithm: 'sha256' }, new Date(1234567890_000))).toBe('91819424');
  });
  it('unknown kind is a typed error', () => {
    expect(() => loginCode({ kind: 'x' } as unknown as Parameters<typeof loginCode>[0])).toThrow(/hotp.*totp/);
  });
});

describe('public API', () => {
  it('index exports the functions', () => {
    for (const name of ['hotp', 'totp', 'verifyHotp', 'verifyTotp', 'parseOcraSuite', 'ocra', 'formatKontrollnummer',
      'parseKontrollnummer', 'newKontrollnummer', 'svarskod', 'loginCode']) {
      expect(typeof (api as Record<string, unknown>)[name]).toBe('function');
    }
  });
});
