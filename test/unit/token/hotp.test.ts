import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { codesEqual, hotp, totp, totpStep, truncate, verifyHotp, verifyTotp } from '../../../src/token/hotp.ts';
import { errCode } from '../../support/failures.ts';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const KEY20 = ascii('12345678901234567890');
const KEY32 = ascii('12345678901234567890123456789012');
const KEY64 = ascii('1234567890123456789012345678901234567890123456789012345678901234');

describe('RFC 4226 Appendix D', () => {
  const values = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
  it.each(values.map((v, i) => [i, v] as const))('counter %i -> %s', (counter, expected) => {
    expect(hotp({ secret: KEY20, counter, digits: 6, algorithm: 'sha1' })).toBe(expected);
    expect(hotp({ secret: KEY20, counter: BigInt(counter), digits: 6, algorithm: 'sha1' })).toBe(expected);
  });

  it('the intermediate truncation example of §5.4 (HMAC 1f8698...5a -> 872921)', () => {
    const mac = Buffer.from('1f8698690e02ca16618550ef7f19da8e945b555a', 'hex');
    expect(truncate(mac, 6)).toBe('872921');
    expect(truncate(mac, 10)).toBe('1357872921'); // Sbits 0x50ef7f19;
  });
});

describe('RFC 6238 Appendix B', () => {
  const rows: Array<[number, string, string, string]> = [
    [59, '94287082', '46119246', '90693936'],
    [1111111109, '07081804', '68084774', '25091201'],
    [1111111111, '14050471', '67062674', '99943326'],
    [1234567890, '89005924', '91819424', '93441116'],
    [2000000000, '69279037', '90698825', '38618901'],
    [20000000000, '65353130', '77737706', '47863826'],
  ];
  it.each(rows)('t=%i SHA1 %s SHA256 %s SHA512 %s', (t, s1, s256, s512) => {
    const time = new Date(t * 1000);
    expect(totp({ secret: KEY20, time, digits: 8, algorithm: 'sha1' })).toBe(s1);
    expect(totp({ secret: KEY32, time, digits: 8, algorithm: 'sha256' })).toBe(s256);
    expect(totp({ secret: KEY64, time, digits: 8, algorithm: 'sha512' })).toBe(s512);
  });

  it('period and t0 move the step', () => {
    expect(totpStep(new Date(59_000))).toBe(1);
    expect(totpStep(new Date(59_000), 60)).toBe(0);
    expect(totpStep(new Date(59_000), 30, 30)).toBe(0);
    // t0 = 30 at t=89 is step 1 of the default epoch-0 clock at t=59.
    expect(totp({ secret: KEY20, time: new Date(89_000), t0: 30, digits: 8, algorithm: 'sha1' })).toBe('94287082');
    expect(totp({ secret: KEY20, time: new Date(118_000), period: 60, digits: 8, algorithm: 'sha1' })).toBe('94287082');
  });
});

describe('hotp at the counter limit', () => {
  it('works up to 2^53 - 1 and refuses larger counters with a typed error', () => {
    const safe = BigInt(Number.MAX_SAFE_INTEGER);
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(safe);
    const direct = truncate(createHmac('sha512', KEY64).update(b).digest(), 8);
    expect(hotp({ secret: KEY64, counter: safe, digits: 8, algorithm: 'sha512' })).toBe(direct);
    expect(hotp({ secret: KEY64, counter: Number.MAX_SAFE_INTEGER, digits: 8, algorithm: 'sha512' })).toBe(direct);
    for (const counter of [safe + 1n, (1n << 64n) - 1n, 1n << 64n, -1n, -1, 2 ** 53, 1.5]) {
      expect(errCode(() => hotp({ secret: KEY64, counter, digits: 8, algorithm: 'sha512' }))).toBe('OTP_INVALID_INPUT');
    }
  });
  it('verification near the limit looks only at counters that exist', () => {
    const top = Number.MAX_SAFE_INTEGER;
    const code = hotp({ secret: KEY64, counter: top, digits: 8, algorithm: 'sha512' });
    expect(verifyHotp({ secret: KEY64, code, counter: top - 2, digits: 8, algorithm: 'sha512' })).toEqual({ ok: true, nextCounter: BigInt(top) + 1n });
  });
  it('sha256 / sha512 with 7 and 8 digits agree with a direct computation', () => {
    for (const [algorithm, key] of [['sha256', KEY32], ['sha512', KEY64]] as const) {
      for (const digits of [7, 8] as const) {
        const b = Buffer.alloc(8);
        b.writeBigUInt64BE(5n);
        const expected = truncate(createHmac(algorithm, key).update(b).digest(), digits);
        expect(hotp({ secret: key, counter: 5, digits, algorithm })).toBe(expected);
      }
    }
  });
});

describe('verifyHotp', () => {
  const base = { secret: KEY20, digits: 6, algorithm: 'sha1' } as const;
  it('accepts the expected code and moves the counter one past it', () => {
    expect(verifyHotp({ ...base, code: '359152', counter: 2 })).toEqual({ ok: true, nextCounter: 3n });
  });
  it('resynchronises within the look-ahead window', () => {
    expect(verifyHotp({ ...base, code: '520489', counter: 0 })).toEqual({ ok: true, nextCounter: 10n });
    expect(verifyHotp({ ...base, code: '520489', counter: 0, lookAhead: 8 })).toEqual({ ok: false });
    expect(verifyHotp({ ...base, code: '520489', counter: 0, lookAhead: 9 })).toEqual({ ok: true, nextCounter: 10n });
  });
  it('never accepts the same code twice (counter only moves forward)', () => {
    const first = verifyHotp({ ...base, code: '969429', counter: 0 });
    expect(first).toEqual({ ok: true, nextCounter: 4n });
    if (!first.ok) throw new Error('unreachable');
    expect(verifyHotp({ ...base, code: '969429', counter: first.nextCounter })).toEqual({ ok: false });
    // An older code is refused too.
    expect(verifyHotp({ ...base, code: '287082', counter: first.nextCounter })).toEqual({ ok: false });
    // The next one is fine.
    expect(verifyHotp({ ...base, code: '338314', counter: first.nextCounter })).toEqual({ ok: true, nextCounter: 5n });
  });
  it('rejects wrong, malformed and wrong-length codes', () => {
    expect(verifyHotp({ ...base, code: '000000', counter: 0 }).ok).toBe(false);
    expect(verifyHotp({ ...base, code: '75522', counter: 0 }).ok).toBe(false);
    expect(verifyHotp({ ...base, code: '7552240', counter: 0 }).ok).toBe(false);
    expect(verifyHotp({ ...base, code: '', counter: 0 }).ok).toBe(false);
  });
  it('bigint counters', () => {
    const c = (1n << 50n) + 7n;
    const code = hotp({ ...base, counter: c });
    expect(verifyHotp({ ...base, code, counter: c - 3n })).toEqual({ ok: true, nextCounter: c + 1n });
  });
});

describe('verification windows stay within what otplib checks in one call', () => {
  it('refuses a look-ahead above 98 and a TOTP window above 49 steps a side', () => {
    const code = hotp({ secret: KEY20, counter: 98, digits: 6, algorithm: 'sha1' });
    expect(verifyHotp({ secret: KEY20, code, counter: 0, lookAhead: 98, digits: 6, algorithm: 'sha1' })).toEqual({ ok: true, nextCounter: 99n });
    expect(errCode(() => verifyHotp({ secret: KEY20, code, counter: 0, lookAhead: 99, digits: 6, algorithm: 'sha1' }))).toBe('OTP_INVALID_INPUT');
    const t = new Date(1_000_000 * 30_000);
    const far = totp({ secret: KEY20, time: new Date((1_000_000 - 49) * 30_000), digits: 6, algorithm: 'sha1' });
    expect(verifyTotp({ secret: KEY20, code: far, time: t, window: 49, digits: 6, algorithm: 'sha1' })).toEqual({ ok: true, step: 1_000_000 - 49 });
    expect(errCode(() => verifyTotp({ secret: KEY20, code: far, time: t, window: 50, digits: 6, algorithm: 'sha1' }))).toBe('OTP_INVALID_INPUT');
  });
});

describe('verifyTotp', () => {
  const base = { secret: KEY20, digits: 8, algorithm: 'sha1' } as const;
  const t = new Date(1111111111 * 1000); // step 0x23523ED
  const step = 0x23523ed;
  it('accepts the current step and reports it', () => {
    expect(verifyTotp({ ...base, code: '14050471', time: t })).toEqual({ ok: true, step });
  });
  it('accepts ±window steps and no further', () => {
    const prev = totp({ ...base, time: new Date((step - 1) * 30_000) });
    const next = totp({ ...base, time: new Date((step + 1) * 30_000) });
    const far = totp({ ...base, time: new Date((step + 2) * 30_000) });
    expect(verifyTotp({ ...base, code: prev, time: t })).toEqual({ ok: true, step: step - 1 });
    expect(verifyTotp({ ...base, code: next, time: t })).toEqual({ ok: true, step: step + 1 });
    expect(verifyTotp({ ...base, code: far, time: t })).toEqual({ ok: false });
    expect(verifyTotp({ ...base, code: far, time: t, window: 2 })).toEqual({ ok: true, step: step + 2 });
    expect(verifyTotp({ ...base, code: prev, time: t, window: 0 })).toEqual({ ok: false });
  });
  it('refuses a replay: a step at or before lastAcceptedStep', () => {
    expect(verifyTotp({ ...base, code: '14050471', time: t, lastAcceptedStep: step })).toEqual({ ok: false });
    expect(verifyTotp({ ...base, code: '14050471', time: t, lastAcceptedStep: step + 1 })).toEqual({ ok: false });
    expect(verifyTotp({ ...base, code: '14050471', time: t, lastAcceptedStep: step - 1 })).toEqual({ ok: true, step });
    const prev = totp({ ...base, time: new Date((step - 1) * 30_000) });
    expect(verifyTotp({ ...base, code: prev, time: t, lastAcceptedStep: step - 1 })).toEqual({ ok: false });
  });
  it('rejects a wrong code', () => {
    expect(verifyTotp({ ...base, code: '14050472', time: t }).ok).toBe(false);
  });
});

describe('input errors and constant-time compare', () => {
  it.each([
    ['digits 5', () => hotp({ secret: KEY20, counter: 0, digits: 5 as 6, algorithm: 'sha1' })],
    ['digits 9', () => totp({ secret: KEY20, time: new Date(0), digits: 9 as 8, algorithm: 'sha1' })],
    ['short secret', () => hotp({ secret: KEY20.subarray(0, 15), counter: 0, digits: 6, algorithm: 'sha1' })],
    ['secret not bytes', () => hotp({ secret: 'abc' as unknown as Uint8Array, counter: 0, digits: 6, algorithm: 'sha1' })],
    ['md5', () => hotp({ secret: KEY20, counter: 0, digits: 6, algorithm: 'md5' as 'sha1' })],
    ['negative counter', () => hotp({ secret: KEY20, counter: -1, digits: 6, algorithm: 'sha1' })],
    ['fractional counter', () => hotp({ secret: KEY20, counter: 1.5, digits: 6, algorithm: 'sha1' })],
    ['invalid date', () => totp({ secret: KEY20, time: new Date(NaN), digits: 6, algorithm: 'sha1' })],
    ['zero period', () => totp({ secret: KEY20, time: new Date(0), period: 0, digits: 6, algorithm: 'sha1' })],
    ['verify bad digits', () => verifyHotp({ secret: KEY20, code: '123456', counter: 0, digits: 4 as 6, algorithm: 'sha1' })],
  ])('%s -> OTP_INVALID_INPUT', (_n, f) => {
    expect(errCode(f)).toBe('OTP_INVALID_INPUT');
  });
  it('codesEqual', () => {
    expect(codesEqual('123456', '123456')).toBe(true);
    expect(codesEqual('123456', '123457')).toBe(false);
    expect(codesEqual('123456', '1234567')).toBe(false);
  });
});
