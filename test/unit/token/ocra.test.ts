import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isEkortError } from '../../../src/errors.ts';
import { truncate } from '../../../src/token/hotp.ts';
import { ocra, ocraDataInput, parseOcraSuite } from '../../../src/token/ocra.ts';

// RFC 6287 Appendix C: the "Standard" keys are the ASCII strings below.
const KEY20 = new TextEncoder().encode('12345678901234567890');
const KEY32 = new TextEncoder().encode('12345678901234567890123456789012');
const KEY64 = new TextEncoder().encode('1234567890123456789012345678901234567890123456789012345678901234');
// PIN "1234", SHA-1 (Appendix C).
const PIN_SHA1_HEX = '7110eda4d09e062aa5e4a390b0a572ac0d2c0220';
const PIN_SHA1 = new Uint8Array(Buffer.from(PIN_SHA1_HEX, 'hex'));
// T = 0x132d0b6 minutes (Appendix C: Mar 25 2008, 12:06:30 GMT).
const T_132D0B6 = new Date(0x132d0b6 * 60 * 1000);

describe('RFC 6287 C.1 one-way challenge-response', () => {
  it.each([
    ['00000000', '237653'],
    ['11111111', '243178'],
    ['22222222', '653583'],
    ['33333333', '740991'],
    ['44444444', '608993'],
    ['55555555', '388898'],
    ['66666666', '816933'],
    ['77777777', '224598'],
    ['88888888', '750600'],
    ['99999999', '294470'],
  ])('OCRA-1:HOTP-SHA1-6:QN08 Q=%s -> %s', (q, expected) => {
    expect(ocra({ suite: 'OCRA-1:HOTP-SHA1-6:QN08', key: KEY20, challenge: q })).toBe(expected);
  });

  it.each([
    [0, '65347737'],
    [1, '86775851'],
    [2, '78192410'],
    [3, '71565254'],
    [4, '10104329'],
    [5, '65983500'],
    [6, '70069104'],
    [7, '91771096'],
    [8, '75011558'],
    [9, '08522129'],
  ])('OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1 C=%s -> %s', (c, expected) => {
    const suite = 'OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1';
    expect(ocra({ suite, key: KEY32, challenge: '12345678', counter: c, passwordHash: PIN_SHA1 })).toBe(expected);
    expect(ocra({ suite, key: KEY32, challenge: '12345678', counter: BigInt(c), pin: '1234' })).toBe(expected);
  });

  it.each([
    ['00000000', '83238735'],
    ['11111111', '01501458'],
    ['22222222', '17957585'],
    ['33333333', '86776967'],
    ['44444444', '86807031'],
  ])('OCRA-1:HOTP-SHA256-8:QN08-PSHA1 Q=%s -> %s', (q, expected) => {
    expect(ocra({ suite: 'OCRA-1:HOTP-SHA256-8:QN08-PSHA1', key: KEY32, challenge: q, pin: '1234' })).toBe(expected);
  });

  it.each([
    [0, '00000000', '07016083'],
    [1, '11111111', '63947962'],
    [2, '22222222', '70123924'],
    [3, '33333333', '25341727'],
    [4, '44444444', '33203315'],
    [5, '55555555', '34205738'],
    [6, '66666666', '44343969'],
    [7, '77777777', '51946085'],
    [8, '88888888', '20403879'],
    [9, '99999999', '31409299'],
  ])('OCRA-1:HOTP-SHA512-8:C-QN08 C=%s Q=%s -> %s', (c, q, expected) => {
    expect(ocra({ suite: 'OCRA-1:HOTP-SHA512-8:C-QN08', key: KEY64, challenge: q, counter: c })).toBe(expected);
  });

  it.each([
    ['00000000', '95209754'],
    ['11111111', '55907591'],
    ['22222222', '22048402'],
    ['33333333', '24218844'],
    ['44444444', '36209546'],
  ])('OCRA-1:HOTP-SHA512-8:QN08-T1M Q=%s T=132d0b6 -> %s', (q, expected) => {
    expect(ocra({ suite: 'OCRA-1:HOTP-SHA512-8:QN08-T1M', key: KEY64, challenge: q, time: T_132D0B6 })).toBe(expected);
    // Any instant in the same minute gives the same value; the next minute does not.
    expect(ocra({ suite: 'OCRA-1:HOTP-SHA512-8:QN08-T1M', key: KEY64, challenge: q, time: new Date(T_132D0B6.getTime() + 59_999) })).toBe(expected);
    expect(ocra({ suite: 'OCRA-1:HOTP-SHA512-8:QN08-T1M', key: KEY64, challenge: q, time: new Date(T_132D0B6.getTime() + 60_000) })).not.toBe(expected);
  });
});

describe('RFC 6287 C.2 mutual challenge-response', () => {
  const rows = [
    ['CLI22220', 'SRV11110'],
    ['CLI22221', 'SRV11111'],
    ['CLI22222', 'SRV11112'],
    ['CLI22223', 'SRV11113'],
    ['CLI22224', 'SRV11114'],
  ] as const;
  const sha256Server = ['28247970', '01984843', '65387857', '03351211', '83412541'];
  const sha256Client = ['15510767', '90175646', '33777207', '95285278', '28934924'];
  const sha512Server = ['79496648', '76831980', '12250499', '90856481', '12761449'];
  const sha512Client = ['18806276', '70020315', '01600026', '18951020', '32528969'];

  it.each(rows.map((r, i) => [...r, i] as const))('SHA256 QA08 server/client %s %s', (cli, srv, i) => {
    const suite = 'OCRA-1:HOTP-SHA256-8:QA08';
    expect(ocra({ suite, key: KEY32, challenge: [cli, srv] })).toBe(sha256Server[i]);
    expect(ocra({ suite, key: KEY32, challenge: [srv, cli] })).toBe(sha256Client[i]);
  });

  it.each(rows.map((r, i) => [...r, i] as const))('SHA512 QA08 server / QA08-PSHA1 client %s %s', (cli, srv, i) => {
    expect(ocra({ suite: 'OCRA-1:HOTP-SHA512-8:QA08', key: KEY64, challenge: [cli, srv] })).toBe(sha512Server[i]);
    expect(
      ocra({ suite: 'OCRA-1:HOTP-SHA512-8:QA08-PSHA1', key: KEY64, challenge: [srv, cli], passwordHash: PIN_SHA1 }),
    ).toBe(sha512Client[i]);
  });
});

describe('RFC 6287 C.3 plain signature', () => {
  it.each([
    ['SIG10000', '53095496'],
    ['SIG11000', '04110475'],
    ['SIG12000', '31331128'],
    ['SIG13000', '76028668'],
    ['SIG14000', '46554205'],
  ])('OCRA-1:HOTP-SHA256-8:QA08 Q=%s -> %s', (q, expected) => {
    expect(ocra({ suite: 'OCRA-1:HOTP-SHA256-8:QA08', key: KEY32, challenge: q })).toBe(expected);
  });

  it.each([
    ['SIG1000000', '77537423'],
    ['SIG1100000', '31970405'],
    ['SIG1200000', '10235557'],
    ['SIG1300000', '95213541'],
    ['SIG1400000', '65360607'],
  ])('OCRA-1:HOTP-SHA512-8:QA10-T1M Q=%s T=132d0b6 -> %s', (q, expected) => {
    expect(ocra({ suite: 'OCRA-1:HOTP-SHA512-8:QA10-T1M', key: KEY64, challenge: q, time: T_132D0B6 })).toBe(expected);
  });
});

describe('DataInput layout (RFC 6287 §5.1)', () => {
  it('PIN 1234 hashes to the Appendix C value', () => {
    expect(createHash('sha1').update('1234').digest('hex')).toBe(PIN_SHA1_HEX);
  });

  it('suite, 0x00, C, Q, P, S, T in order and sizes', () => {
    const suite = 'OCRA-1:HOTP-SHA1-6:C-QN08-PSHA1-S004-T30S';
    const d = ocraDataInput({
      suite,
      key: KEY20,
      challenge: '12345678',
      counter: 0x0102,
      pin: '1234',
      session: new Uint8Array([0xaa, 0xbb]),
      time: new Date(90_000_000),
    });
    const n = suite.length;
    expect(d.length).toBe(n + 1 + 8 + 128 + 20 + 4 + 8);
    expect(Buffer.from(d.subarray(0, n)).toString('ascii')).toBe(suite);
    expect(d[n]).toBe(0);
    expect(Buffer.from(d.subarray(n + 1, n + 9)).toString('hex')).toBe('0000000000000102');
    // 12345678 = 0xbc614e, left-justified then zero-padded.
    expect(Buffer.from(d.subarray(n + 9, n + 12)).toString('hex')).toBe('bc614e');
    expect(d.subarray(n + 12, n + 137).every((b) => b === 0)).toBe(true);
    expect(Buffer.from(d.subarray(n + 137, n + 157)).toString('hex')).toBe(PIN_SHA1_HEX);
    expect(Buffer.from(d.subarray(n + 157, n + 161)).toString('hex')).toBe('0000aabb');
    expect(Buffer.from(d.subarray(n + 161)).toString('hex')).toBe('0000000000000bb8'); // 90000 s / 30 = 3000
  });

  it('odd-length numeric hex is left-justified by nibble; hex challenges go as is', () => {
    const q = (suite: string, challenge: string): string => {
      const d = ocraDataInput({ suite, key: KEY20, challenge });
      return Buffer.from(d.subarray(suite.length + 1, suite.length + 4)).toString('hex');
    };
    expect(q('OCRA-1:HOTP-SHA1-6:QN08', '4096')).toBe('100000'); // 0x1000
    expect(q('OCRA-1:HOTP-SHA1-6:QN08', '1234567')).toBe('12d687'); // 0x12d687
    expect(q('OCRA-1:HOTP-SHA1-6:QN08', '00000016')).toBe('100000'); // 0x10
    expect(q('OCRA-1:HOTP-SHA1-6:QN08', '00000015')).toBe('f00000'); // 0xf -> 'f' then zeros
    expect(q('OCRA-1:HOTP-SHA1-6:QH08', 'ABCDEF')).toBe('abcdef');
    expect(q('OCRA-1:HOTP-SHA1-6:QA08', 'AB12')).toBe('414231');
  });

  it('truncation 0 returns the full HMAC, 10 digits the full 31-bit value', () => {
    const full = { suite: 'OCRA-1:HOTP-SHA1-0:QN08', key: KEY20, challenge: '00000000' };
    expect(ocra(full)).toBe(createHmac('sha1', KEY20).update(ocraDataInput(full)).digest('hex'));
    const tenOpts = { suite: 'OCRA-1:HOTP-SHA1-10:QN08', key: KEY20, challenge: '00000000' };
    const ten = ocra(tenOpts);
    expect(ten).toMatch(/^[0-9]{10}$/);
    expect(ten).toBe(truncate(createHmac('sha1', KEY20).update(ocraDataInput(tenOpts)).digest(), 10));
  });
});

describe('ocra input errors', () => {
  const code = (f: () => unknown): string | undefined => {
    try {
      f();
    } catch (e) {
      return isEkortError(e) ? e.code : 'not-ekort';
    }
    return undefined;
  };
  it.each([
    ['missing counter', { suite: 'OCRA-1:HOTP-SHA1-6:C-QN08', challenge: '12345678' }],
    ['missing pin', { suite: 'OCRA-1:HOTP-SHA1-6:QN08-PSHA1', challenge: '12345678' }],
    ['missing time', { suite: 'OCRA-1:HOTP-SHA1-6:QN08-T1M', challenge: '12345678' }],
    ['missing session', { suite: 'OCRA-1:HOTP-SHA1-6:QN08-S064', challenge: '12345678' }],
    ['non-numeric challenge', { suite: 'OCRA-1:HOTP-SHA1-6:QN08', challenge: '1234567a' }],
    ['challenge too long', { suite: 'OCRA-1:HOTP-SHA1-6:QN08', challenge: '123456789' }],
    ['challenge too short', { suite: 'OCRA-1:HOTP-SHA1-6:QN08', challenge: '123' }],
    ['non-hex challenge', { suite: 'OCRA-1:HOTP-SHA1-6:QH08', challenge: '12345G' }],
    ['non-alphanumeric challenge', { suite: 'OCRA-1:HOTP-SHA1-6:QA08', challenge: 'SIG 1000' }],
    ['wrong password hash size', { suite: 'OCRA-1:HOTP-SHA1-6:QN08-PSHA256', challenge: '1234', passwordHash: PIN_SHA1 }],
    ['session too long', { suite: 'OCRA-1:HOTP-SHA1-6:QN08-S002', challenge: '1234', session: 'abc' }],
  ])('%s -> OCRA_INPUT_INVALID', (_name, opts) => {
    expect(code(() => ocra({ key: KEY20, ...opts }))).toBe('OCRA_INPUT_INVALID');
  });
});

describe('parseOcraSuite', () => {
  it('parses the full grammar', () => {
    expect(parseOcraSuite('OCRA-1:HOTP-SHA1-8:QN08')).toEqual({
      suite: 'OCRA-1:HOTP-SHA1-8:QN08',
      version: 1,
      hash: 'sha1',
      digits: 8,
      counter: false,
      challenge: { format: 'N', length: 8 },
    });
    expect(parseOcraSuite('OCRA-1:HOTP-SHA512-10:C-QH64-PSHA512-S512-T48H')).toMatchObject({
      hash: 'sha512',
      digits: 10,
      counter: true,
      challenge: { format: 'H', length: 64 },
      password: 'sha512',
      sessionLength: 512,
      timeStep: 48 * 3600,
    });
    expect(parseOcraSuite('OCRA-1:HOTP-SHA256-0:QA04-S')).toMatchObject({ hash: 'sha256', digits: 0, sessionLength: 64 });
    expect(parseOcraSuite('OCRA-1:HOTP-SHA256-6:QN10-T30S').timeStep).toBe(30);
    expect(parseOcraSuite('OCRA-1:HOTP-SHA256-6:QN10-T1M').timeStep).toBe(60);
    expect(parseOcraSuite('OCRA-1:HOTP-SHA256-6:QN10-T59M').timeStep).toBe(59 * 60);
    expect(parseOcraSuite('OCRA-1:HOTP-SHA256-6:QN10-T1H').timeStep).toBe(3600);
    expect(parseOcraSuite('OCRA-1:HOTP-SHA1-4:C-QN08-PSHA256')).toMatchObject({ digits: 4, counter: true, password: 'sha256' });
    const p = parseOcraSuite('OCRA-1:HOTP-SHA1-6:QN08');
    expect(p.password).toBeUndefined();
    expect(p.sessionLength).toBeUndefined();
    expect(p.timeStep).toBeUndefined();
  });

  it.each([
    ['OCRA-2:HOTP-SHA1-6:QN08', /algorithm/],
    ['OCRA-1:HOTP-MD5-6:QN08', /crypto function/],
    ['OCRA-1:TOTP-SHA1-6:QN08', /crypto function/],
    ['OCRA-1:HOTP-SHA1-3:QN08', /truncation/],
    ['OCRA-1:HOTP-SHA1-11:QN08', /truncation/],
    ['OCRA-1:HOTP-SHA1-06:QN08', /truncation/],
    ['OCRA-1:HOTP-SHA1-6', /three parts/],
    ['OCRA-1:HOTP-SHA1-6:QN08:X', /three parts/],
    ['OCRA-1:HOTP-SHA1-6:C', /challenge field/],
    ['OCRA-1:HOTP-SHA1-6:QX08', /challenge field/],
    ['OCRA-1:HOTP-SHA1-6:QN8', /challenge field/],
    ['OCRA-1:HOTP-SHA1-6:QN03', /challenge length/],
    ['OCRA-1:HOTP-SHA1-6:QN65', /challenge length/],
    ['OCRA-1:HOTP-SHA1-6:QN08-PMD5', /password/],
    ['OCRA-1:HOTP-SHA1-6:QN08-S000', /session length/],
    ['OCRA-1:HOTP-SHA1-6:QN08-S513', /session length/],
    ['OCRA-1:HOTP-SHA1-6:QN08-S64', /session field/],
    ['OCRA-1:HOTP-SHA1-6:QN08-T60M', /time step/],
    ['OCRA-1:HOTP-SHA1-6:QN08-T0S', /time step/],
    ['OCRA-1:HOTP-SHA1-6:QN08-T49H', /time step/],
    ['OCRA-1:HOTP-SHA1-6:QN08-T1D', /time field/],
    ['OCRA-1:HOTP-SHA1-6:QN08-C', /out-of-order/],
    ['OCRA-1:HOTP-SHA1-6:QN08-T1M-PSHA1', /out-of-order/],
    ['OCRA-1:HOTP-SHA1-6:QN08-S064-PSHA1', /out-of-order/],
    ['OCRA-1:HOTP-SHA1-6:QN08-', /out-of-order/],
    ['ocra-1:hotp-sha1-6:qn08', /algorithm/],
  ])('rejects %s', (suite, why) => {
    let err: unknown;
    try {
      parseOcraSuite(suite);
    } catch (e) {
      err = e;
    }
    expect(isEkortError(err, 'OCRA_SUITE_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(why);
  });
});
