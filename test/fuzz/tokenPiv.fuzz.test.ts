/**
 * What tokens and cards send back, under hostile bytes: HID OTP frames and whole report
 * exchanges, OCRA suites and challenges, kontrollnummer text, the HID fixture format, and a
 * PIV session against a card that answers anything.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EkortError } from '../../src/errors.ts';
import { ApduError, ResponseInterruptedError } from '../../src/iso7816/apdu.ts';
import { fromHex } from '../../src/iso7816/hex.ts';
import { CardStatusError, describeStatus } from '../../src/iso7816/statusWords.ts';
import { TlvError } from '../../src/iso7816/tlv.ts';
import type { CardTransport } from '../../src/pcsc/cardTransport.ts';
import { FixtureError } from '../../src/iso7816/apduFixture.ts';
import { PivError, type PivErrorCode, PivSession } from '../../src/piv/pivSession.ts';
import { digestInfo } from '../../src/pki/digestInfo.ts';
import { hidSvarskodFromHmac, parseKontrollnummer } from '../../src/token/dosaCodes.ts';
import { HidTokenError, type HidTokenErrorCode } from '../../src/token/hidDevice.ts';
import { parseHidFixture } from '../../src/token/hidFixture.ts';
import { parseResponse, unpadChallenge, withResponseCrc } from '../../src/token/hidFrames.ts';
import { HidOtpSession } from '../../src/token/hidOtpSession.ts';
import { ocra, parseOcraSuite } from '../../src/token/ocra.ts';
import { fixturePath, pivExchanges } from './fixtures.ts';
import { allow, applyEdits, edits, hostileBytes, params, resolvesOrRejectsTyped, returnsOrThrowsTyped, TEST_TIMEOUT } from './fuzzing.ts';

const HID_CODES: readonly HidTokenErrorCode[] = [
  'TOKEN_REMOVED', 'TOKEN_TIMEOUT', 'TOKEN_BUSY', 'TOUCH_TIMEOUT', 'TOKEN_CANCELLED', 'TOKEN_REJECTED', 'FRAME_CRC_MISMATCH', 'TOKEN_ACCESS_DENIED', 'HID_UNAVAILABLE',
];
const PIV_CODES: readonly PivErrorCode[] = [
  'NOT_PIV', 'PIN_FORMAT', 'PUK_FORMAT', 'PIN_BLOCKED', 'PUK_INCORRECT', 'PUK_BLOCKED', 'PIN_REQUIRED', 'PIN_PAD_ABSENT', 'INVALID_SLOT', 'INVALID_SIGN_INPUT',
  'CERTIFICATE_TOO_LARGE', 'CERTIFICATE_MALFORMED',
];
const STATUS_CODES = [...new Set(Array.from({ length: 0x10000 }, (_, sw) => describeStatus(sw).code))];

/** An EkortError subclass that matches only plain EkortErrors with the given codes' owners. */
const plainEkort = (...codes: string[]) => allow(EkortError, ...codes);

describe('fuzz: HID OTP', () => {
  const goodResponse = withResponseCrc(new Uint8Array(20).fill(0x5a));

  it('hidFrames.parseResponse: 20 bytes or FRAME_CRC_MISMATCH', { timeout: TEST_TIMEOUT }, () => {
    fc.assert(
      fc.property(
        hostileBytes([goodResponse, new Uint8Array([...goodResponse, 0, 0, 0, 0, 0, 0])], 64),
        returnsOrThrowsTyped((b) => {
          expect(parseResponse(b)).toHaveLength(20);
          expect(unpadChallenge(b).length).toBeLessThanOrEqual(b.length);
        }, [allow(HidTokenError, 'FRAME_CRC_MISMATCH')]),
      ),
      params(),
    );
  });

  it('HidOtpSession against a device reporting anything: an HMAC or a HidTokenError, in bounded time', { timeout: TEST_TIMEOUT }, async () => {
    // Reports as a token sends them: 7 data bytes and a status byte, with or without the id byte.
    const report = fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: 12 }),
      fc.tuple(fc.uint8Array({ minLength: 7, maxLength: 7 }), fc.integer({ min: 0, max: 255 })).map(([d, s]) => [0, ...d, s]),
      fc.tuple(fc.uint8Array({ minLength: 7, maxLength: 7 }), fc.integer({ min: 0, max: 7 })).map(([d, seq]) => [0, ...d, 0x40 | seq]),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(fc.array(report, { minLength: 1, maxLength: 24 }), fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.boolean()),
        resolvesOrRejectsTyped(async ([reports, challenge, writeFails]) => {
          let i = 0;
          const device = {
            sendFeatureReport: (data: number[] | Buffer) => (writeFails && i > reports.length / 2 ? -1 : data.length),
            getFeatureReport: () => Array.from(reports[i++ % reports.length]!),
            close: () => {},
          };
          const session = new HidOtpSession(device, { busyTimeoutMs: 5 });
          const hmac = await session.challengeResponse(challenge, { slot: 2, timeoutMs: 15, pollMs: 0 });
          expect(hmac).toHaveLength(20);
        }, [allow(HidTokenError, ...HID_CODES)]),
      ),
      params({ cost: 4 }),
    );
  });

  it('hidSvarskodFromHmac: a code or OTP_INVALID_INPUT', { timeout: TEST_TIMEOUT }, () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), returnsOrThrowsTyped(hidSvarskodFromHmac, [plainEkort('OTP_INVALID_INPUT')])), params());
  });

  it('parseHidFixture: calls or FIXTURE_MALFORMED', { timeout: TEST_TIMEOUT }, () => {
    const recorded = readFileSync(fixturePath('hid', 'hmac-sha1-slot2.hid'), 'utf8');
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.tuple(fc.nat(), fc.nat({ max: 5 }), fc.string({ maxLength: 6 })).map(([a, n, ins]) => {
        const i = a % (recorded.length + 1);
        return recorded.slice(0, i) + ins + recorded.slice(i + n);
      }),
    );
    fc.assert(fc.property(text, returnsOrThrowsTyped(parseHidFixture, [allow(FixtureError, 'FIXTURE_MALFORMED')])), params());
  });
});

describe('fuzz: OCRA and dosa codes', () => {
  const suites = ['OCRA-1:HOTP-SHA1-8:QN08', 'OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1', 'OCRA-1:HOTP-SHA512-8:QH64-T1M', 'OCRA-1:HOTP-SHA1-6:QA10-S064'];
  const suiteText = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.tuple(fc.constantFrom(...suites), fc.nat(), fc.nat({ max: 4 }), fc.string({ maxLength: 5 })).map(([s, a, n, ins]) => {
      const i = a % (s.length + 1);
      return s.slice(0, i) + ins + s.slice(i + n);
    }),
  );

  it('parseOcraSuite: a suite or OCRA_SUITE_INVALID', { timeout: TEST_TIMEOUT }, () => {
    fc.assert(fc.property(suiteText, returnsOrThrowsTyped(parseOcraSuite, [plainEkort('OCRA_SUITE_INVALID')])), params());
  });

  it('ocra with a typed-in challenge: a code or OCRA_SUITE_INVALID / OCRA_INPUT_INVALID', { timeout: TEST_TIMEOUT }, () => {
    const input = fc.record({
      suite: suiteText,
      challenge: fc.oneof(fc.string({ maxLength: 80 }), fc.stringMatching(/^[0-9]{4,12}$/), fc.stringMatching(/^[0-9a-f]{4,130}$/)),
      counter: fc.option(fc.oneof(fc.integer(), fc.bigInt({ min: -1n, max: 1n << 65n }), fc.double()), { nil: undefined }),
      pin: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
      session: fc.option(fc.string({ maxLength: 600 }), { nil: undefined }),
      time: fc.option(fc.date({ noInvalidDate: false }), { nil: undefined }),
    });
    const key = new Uint8Array(32).fill(1);
    fc.assert(
      fc.property(
        input,
        returnsOrThrowsTyped((o) => ocra({ ...o, key } as Parameters<typeof ocra>[0]), [plainEkort('OCRA_SUITE_INVALID', 'OCRA_INPUT_INVALID')]),
      ),
      params(),
    );
  });

  it('parseKontrollnummer: 8 digits or CHALLENGE_FORMAT', { timeout: TEST_TIMEOUT }, () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 20 }), fc.stringMatching(/^[0-9 -]{0,14}$/)),
        returnsOrThrowsTyped((t) => expect(parseKontrollnummer(t)).toMatch(/^[0-9]{8}$/), [plainEkort('CHALLENGE_FORMAT')]),
      ),
      params(),
    );
  });
});

describe('fuzz: a PIV session against a card answering anything', () => {
  const { responses, byIns } = pivExchanges();
  const atr = fromHex('3b e8 00 00 81 31 fe 45 00 73 c8 40 00 00 90 00 88');
  /**
   * Each answer: a recorded answer to a command with the same INS (so the session gets past
   * SELECT and deep into its TLV parsing), edited; or now and then one of any command.
   */
  const step = fc.tuple(fc.nat(), edits, fc.boolean());

  it('open, read certificates, PIN status, verify, sign: values or typed card/PIV errors', { timeout: TEST_TIMEOUT }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(fc.array(step, { minLength: 1, maxLength: 16 }), hostileBytes([atr], 40)),
        resolvesOrRejectsTyped(async ([steps, cardAtr]) => {
          let i = 0;
          const transmit = async (apdu: Uint8Array): Promise<Uint8Array> => {
            const s = steps[i++];
            if (!s) return fromHex('6f 00');
            const [pick, list, anyIns] = s;
            const pool = (!anyIns && byIns.get(apdu[1]!)) || responses;
            return applyEdits(pool[pick % pool.length]!, list);
          };
          const transport: CardTransport = { atr: cardAtr, transmit, transaction: (fn) => fn(transmit), close: async () => {} };
          const session = await PivSession.open(transport);
          await session.readCertificate('9a');
          await session.readCertificate('9c');
          await session.pinStatus();
          await session.verifyPin('123456');
          await session.sign('9a', 'p256', new Uint8Array(32));
          await session.sign('9c', 'rsa2048', digestInfo('sha256', new Uint8Array(32)));
        }, [allow(PivError, ...PIV_CODES), allow(CardStatusError, ...STATUS_CODES), allow(ApduError, 'APDU_MALFORMED'), allow(ResponseInterruptedError, 'RESPONSE_INTERRUPTED'), allow(TlvError, 'TLV_MALFORMED')]),
      ),
      params({ cost: 2 }),
    );
  });
});
