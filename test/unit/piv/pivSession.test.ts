import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../src/iso7816/hex.ts';
import { CardStatusError } from '../../../src/iso7816/statusWords.ts';
import { TracingTransport } from '../../../src/pcsc/apduTrace.ts';
import { parseFixture } from '../../../src/iso7816/apduFixture.ts';
import type { CardTransport, Transmit } from '../../../src/pcsc/cardTransport.ts';
import { ReplayTransport } from '../../../src/pcsc/replayTransport.ts';
import { PivError, PivSession } from '../../../src/piv/index.ts';
import { digestInfo } from '../../../src/pki/index.ts';
import { certificateFixture, certificateObject, fixture } from './pivFixtureText.ts';

const h = (b: Uint8Array): string => toHex(b, ' ');
const EMPTY_SHA256 = new Uint8Array(createHash('sha256').update('').digest());
const repeat = (byte: string, n: number): string => Array(n).fill(byte).join(' ');

describe('PivSession over a recorded login sequence (T=1, short APDUs)', () => {
  it('selects, reads 9A, asks the PIN status, verifies and signs P-256 and RSA-2048, byte for byte', async () => {
    const card = await fixture('login-sequence.apdu');
    const session = await PivSession.open(card);
    expect(session.extendedLength).toBe(false);
    expect(session.usesPinPad).toBe(false);
    expect(session.application).toEqual({ aid: fromHex('00 00 10 00 01 00'), algorithms: [0x07, 0x11] });

    const certificate = await session.readCertificate('9a');
    expect(h(certificate!)).toBe(`30 12 04 10 ${h(new TextEncoder().encode('test certificate'))}`);

    expect(await session.pinStatus()).toEqual({ verified: false, retriesLeft: 3, blocked: false });
    await session.verifyPin('123456');

    const ecdsa = await session.sign('9a', 'p256', EMPTY_SHA256);
    expect(h(ecdsa)).toBe(`30 46 02 21 00 ${repeat('81', 32)} 02 21 00 ${repeat('92', 32)}`);

    const rsa = await session.sign('9a', 'rsa2048', digestInfo('sha256', EMPTY_SHA256));
    expect(rsa).toEqual(Uint8Array.from({ length: 256 }, (_, i) => (i * 7 + 3) & 0xff));
    card.finish();
  });

  it('the fixture itself pins the chained RSA command: CLA 10 with 255 bytes, then CLA 00 with 11 and Le', async () => {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(new URL('../../fixtures/piv/login-sequence.apdu', import.meta.url), 'utf8');
    const commands = parseFixture(text).exchanges.map((e) => e.command);
    const first = commands.find((c) => c[0] === 0x10)!;
    const last = commands[commands.indexOf(first) + 1]!;
    expect(first.slice(0, 5)).toEqual([0x10, 0x87, 0x07, 0x9a, 0xff]);
    expect(first).toHaveLength(5 + 255);
    // 7C 82 0106 { 82 00, 81 82 0100 { 00 01 FF*202 00 DigestInfo } }
    expect(first.slice(5, 5 + 10)).toEqual([0x7c, 0x82, 0x01, 0x06, 0x82, 0x00, 0x81, 0x82, 0x01, 0x00]);
    expect(first.slice(15, 17)).toEqual([0x00, 0x01]);
    expect(first.slice(17, 17 + 202).every((b) => b === 0xff)).toBe(true);
    expect(first[219]).toBe(0x00);
    expect(last.slice(0, 5)).toEqual([0x00, 0x87, 0x07, 0x9a, 0x0b]);
    expect(last).toHaveLength(5 + 11 + 1);
    expect(last.at(-1)).toBe(0x00);
  });
});

describe('PivSession: what real cards do that the virtual card does not', () => {
  it('collects 61xx by GET RESPONSE on a T=0 card, for SELECT and GET DATA', async () => {
    const card = await fixture('t0-get-response.apdu');
    const session = await PivSession.open(card);
    expect(session.application?.aid).toEqual(fromHex('00 00 10 00 01 00'));
    const certificate = await session.readCertificate('9c');
    expect(new TextDecoder().decode(certificate!.subarray(4))).toBe('signing cert 9c');
    card.finish();
  });

  it('resends with the Le a 6Cxx names', async () => {
    const card = await fixture('wrong-le.apdu');
    const session = await PivSession.open(card);
    expect(new TextDecoder().decode((await session.readCertificate('9a'))!.subarray(4))).toBe('signing cert 9a');
    card.finish();
  });

  it('reads a 630x counter like 63Cx, for the status and after a wrong PIN', async () => {
    const card = await fixture('pin-counter-630x.apdu');
    const session = await PivSession.open(card);
    expect(await session.pinStatus()).toEqual({ verified: false, retriesLeft: 3, blocked: false });
    const error = await session.verifyPin('000000').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CardStatusError);
    expect(error).toMatchObject({ code: 'PIN_INCORRECT', retriesLeft: 2 });
    card.finish();
  });

  it('answers undefined for a slot the card does not have (6A82) and for an empty container', async () => {
    const card = await fixture('missing-slots.apdu');
    const session = await PivSession.open(card);
    expect(await session.readCertificate('9c')).toBeUndefined();
    expect(await session.readCertificate('9e')).toBeUndefined();
    expect(await session.readCertificate('9d')).toBeUndefined();
    card.finish();
  });

  it('a malformed certificate object is a typed TLV error', async () => {
    const card = await fixture('malformed-certificate.apdu');
    const session = await PivSession.open(card);
    await expect(session.readCertificate('9a')).rejects.toMatchObject({ code: 'TLV_MALFORMED' });
    await expect(session.readCertificate('9a')).rejects.toMatchObject({ code: 'TLV_MALFORMED', message: /no tag 70/ });
    card.finish();
  });

  it('a card without PIV is NOT_PIV', async () => {
    const card = await fixture('not-piv.apdu');
    const error = await PivSession.open(card).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PivError);
    expect(error).toMatchObject({ code: 'NOT_PIV', sw: 0x6a82, message: /no PIV application/ });
    card.finish();
  });

  it('signing before the PIN is PIN_REQUIRED', async () => {
    const card = await fixture('pin-required.apdu');
    const session = await PivSession.open(card);
    await expect(session.sign('9c', 'p256', EMPTY_SHA256)).rejects.toMatchObject({ code: 'PIN_REQUIRED', sw: 0x6982 });
    card.finish();
  });
});

describe('PivSession: compressed and oversized certificates', () => {
  const certificate = Uint8Array.from(randomBytes(1500));

  it.each(['t1Short', 't0', 'extended'] as const)('gunzips a gzip certificate (CertInfo 01) read on a %s card', async (kind) => {
    const object = certificateObject(Uint8Array.from(gzipSync(certificate)), true);
    const card = ReplayTransport.fromText(certificateFixture(object, kind), `gzip-${kind}`);
    const session = await PivSession.open(card);
    expect(session.extendedLength).toBe(kind === 'extended');
    expect(await session.readCertificate('9a')).toEqual(certificate);
    card.finish();
  });

  it('reads an uncompressed certificate longer than 256 bytes in several GET RESPONSE rounds', async () => {
    const text = certificateFixture(certificateObject(certificate, false), 't1Short');
    expect(text.match(/=> 00 c0 00 00/g)).toHaveLength(5);
    const card = ReplayTransport.fromText(text);
    expect(await (await PivSession.open(card)).readCertificate('9a')).toEqual(certificate);
    card.finish();
  });

  it('refuses a zip bomb with CERTIFICATE_TOO_LARGE', async () => {
    const bomb = Uint8Array.from(gzipSync(new Uint8Array(1024 * 1024)));
    expect(bomb.length).toBeLessThan(2000);
    const card = ReplayTransport.fromText(certificateFixture(certificateObject(bomb, true), 'extended'));
    const session = await PivSession.open(card);
    await expect(session.readCertificate('9a')).rejects.toMatchObject({ code: 'CERTIFICATE_TOO_LARGE' });
  });

  it('a certificate marked gzip that is not gzip is CERTIFICATE_MALFORMED', async () => {
    const card = ReplayTransport.fromText(certificateFixture(certificateObject(certificate, true), 'extended'));
    const session = await PivSession.open(card);
    await expect(session.readCertificate('9a')).rejects.toMatchObject({ code: 'CERTIFICATE_MALFORMED' });
  });
});

describe('PivSession: PIN rules', () => {
  it.each(['12345', '123456789', '12345a', '', ' 123456', '123456\n', '١٢٣٤٥٦'])(
    'refuses the PIN %j with PIN_FORMAT before sending anything',
    async (pin) => {
      const card = await fixture('select-only.apdu');
      const session = await PivSession.open(card);
      await expect(session.verifyPin(pin)).rejects.toMatchObject({ code: 'PIN_FORMAT' });
      await expect(session.changePin('123456', pin)).rejects.toMatchObject({ code: 'PIN_FORMAT' });
      await expect(session.changePin(pin, '123456')).rejects.toMatchObject({ code: 'PIN_FORMAT' });
      await expect(session.unblockPin('12345678', pin)).rejects.toMatchObject({ code: 'PIN_FORMAT' });
      card.finish();
      expect(card.remaining).toBe(0);
    },
  );

  it.each(['1234567', '123456789', 'abcdefgh'])('refuses the PUK %j with PUK_FORMAT before sending anything', async (puk) => {
    const card = await fixture('select-only.apdu');
    const session = await PivSession.open(card);
    await expect(session.unblockPin(puk, '123456')).rejects.toMatchObject({ code: 'PUK_FORMAT' });
    card.finish();
  });

  it('sends a wrong PIN exactly once: PIN_INCORRECT with the tries left, no retry', async () => {
    const card = await fixture('wrong-pin.apdu');
    const session = await PivSession.open(card);
    const error = await session.verifyPin('999999').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CardStatusError);
    expect(error).toMatchObject({ code: 'PIN_INCORRECT', retriesLeft: 2, sw: 0x63c2 });
    card.finish();
  });

  it('PIN_BLOCKED on 63C0 and on 6983, telling to use the PUK; the status says blocked', async () => {
    const card = await fixture('pin-blocked.apdu');
    const session = await PivSession.open(card);
    for (const sw of [0x63c0, 0x6983]) {
      const error = await session.verifyPin('111111').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PivError);
      expect(error).toMatchObject({ code: 'PIN_BLOCKED', retriesLeft: 0, sw, message: /PUK/ });
    }
    expect(await session.pinStatus()).toEqual({ verified: false, retriesLeft: 0, blocked: true });
    card.finish();
  });

  it('unblocks with the PUK; a wrong PUK is PUK_INCORRECT, the last one PUK_BLOCKED; changes the PIN', async () => {
    const card = await fixture('puk.apdu');
    const session = await PivSession.open(card);
    await session.unblockPin('12345678', '654321');
    await expect(session.unblockPin('00000000', '654321')).rejects.toMatchObject({ code: 'PUK_INCORRECT', retriesLeft: 2 });
    await expect(session.unblockPin('00000000', '654321')).rejects.toMatchObject({ code: 'PUK_BLOCKED', retriesLeft: 0 });
    await expect(session.unblockPin('00000000', '654321')).rejects.toMatchObject({ code: 'PUK_BLOCKED', sw: 0x6983 });
    await session.changePin('123456', '87654321');
    await expect(session.changePin('000000', '87654321')).rejects.toMatchObject({ code: 'PIN_INCORRECT', retriesLeft: 1 });
    card.finish();
  });

  it('never lets the PIN into a trace, an error message or its JSON', async () => {
    const pin = '472913';
    const pinHex = toHex(new TextEncoder().encode(pin), ' ');
    const lines: string[] = [];
    const card = await fixture('pin-blocked.apdu');
    const session = await PivSession.open(new TracingTransport(card, (l) => lines.push(l)));
    const errors = [await session.verifyPin(pin).catch((e: unknown) => e), await session.verifyPin(pin).catch((e: unknown) => e)];
    await session.pinStatus();
    const visible = [...lines, ...errors.flatMap((e) => [String(e), JSON.stringify(e), String((e as Error).cause)])].join('\n');
    expect(lines).toContain('=> 00 20 00 80 <masked>');
    for (const secret of [pin, pinHex, pinHex.replace(/ /g, '')]) expect(visible).not.toContain(secret);
  });

  it('zero-fills the VERIFY APDU once the transport returns (best effort)', async () => {
    const sent: Uint8Array[] = [];
    const transmit: Transmit = async (apdu) => {
      sent.push(apdu);
      return fromHex('9000');
    };
    const transport: CardTransport = {
      atr: new Uint8Array(0),
      transmit,
      transaction: (fn) => fn(transmit),
      close: async () => {},
    };
    const session = await PivSession.open(transport);
    await session.verifyPin('123456');
    expect(sent).toHaveLength(2);
    expect(sent[1]!.every((b) => b === 0)).toBe(true);
    expect(sent[0]![1]).toBe(0xa4);
  });
});

describe('PivSession: sign input checks (nothing sent)', () => {
  it.each([
    ['p256', 31],
    ['p256', 48],
    ['p384', 32],
  ] as const)('%s refuses a %d-byte digest', async (algorithm, n) => {
    const card = await fixture('select-only.apdu');
    const session = await PivSession.open(card);
    await expect(session.sign('9a', algorithm, new Uint8Array(n))).rejects.toMatchObject({ code: 'INVALID_SIGN_INPUT' });
    card.finish();
  });

  it('rsa2048 refuses a bare digest (it wants the DigestInfo), and an unknown slot is INVALID_SLOT', async () => {
    const card = await fixture('select-only.apdu');
    const session = await PivSession.open(card);
    await expect(session.sign('9a', 'rsa2048', EMPTY_SHA256)).rejects.toMatchObject({ code: 'INVALID_SIGN_INPUT', message: /DigestInfo/ });
    await expect(session.sign('9d' as '9a', 'p256', EMPTY_SHA256)).rejects.toMatchObject({ code: 'INVALID_SLOT' });
    await expect(session.readCertificate('82' as '9a')).rejects.toMatchObject({ code: 'INVALID_SLOT' });
    card.finish();
  });
});
