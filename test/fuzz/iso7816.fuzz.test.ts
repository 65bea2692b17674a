/**
 * ISO/IEC 7816 framing under hostile bytes: ATR, BER-TLV, command and response APDUs, status
 * words, card identification, the transport rules (GET RESPONSE, 6Cxx) against a card that
 * answers anything, and the APDU fixture text format.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApduError, parseCommand, parseResponse, ResponseInterruptedError } from '../../src/iso7816/apdu.ts';
import { transceive } from '../../src/iso7816/apduProtocol.ts';
import { AtrError, parseAtr, parseHistoricalBytes, describeAtr } from '../../src/iso7816/atr.ts';
import { identifyCard, KNOWN_CARDS, VIRTUAL_ISO_ATR, VIRTUAL_PIV_ATR } from '../../src/iso7816/cardIdentification.ts';
import { fromHex } from '../../src/iso7816/hex.ts';
import { CardStatusError, checkResponse, describeStatus } from '../../src/iso7816/statusWords.ts';
import { decodeTlv, TlvError } from '../../src/iso7816/tlv.ts';
import { FixtureError, parseFixture } from '../../src/iso7816/apduFixture.ts';
import { pivExchanges } from './fixtures.ts';
import { allow, hostileBytes, mutated, params, resolvesOrRejectsTyped, returnsOrThrowsTyped, TEST_TIMEOUT } from './fuzzing.ts';

const { commands, responses, texts } = pivExchanges();
const atrs = [VIRTUAL_PIV_ATR, VIRTUAL_ISO_ATR, ...KNOWN_CARDS.map((c) => fromHex(c.atr))];
/** The TLV bodies of the recorded card answers (the status word cut off). */
const tlvBodies = responses.filter((r) => r.length > 2).map((r) => r.subarray(0, r.length - 2));

/** Every code a CardStatusError can carry: what describeStatus names, over all status words. */
const STATUS_CODES = [...new Set(Array.from({ length: 0x10000 }, (_, sw) => describeStatus(sw).code))];

describe('fuzz: ATR', () => {
  it('parseAtr and describeAtr: a value or ATR_MALFORMED', { timeout: TEST_TIMEOUT }, () => {
    fc.assert(
      fc.property(hostileBytes(atrs, 40), returnsOrThrowsTyped((b) => describeAtr(parseAtr(b)), [allow(AtrError, 'ATR_MALFORMED')])),
      params(),
    );
  });

  it('parseHistoricalBytes: a value or ATR_MALFORMED', { timeout: TEST_TIMEOUT }, () => {
    const historicals = atrs.map((a) => parseAtr(a).historical.bytes);
    fc.assert(
      fc.property(hostileBytes(historicals, 20), returnsOrThrowsTyped(parseHistoricalBytes, [allow(AtrError, 'ATR_MALFORMED')])),
      params(),
    );
  });

  it('identifyCard never throws', { timeout: TEST_TIMEOUT }, () => {
    fc.assert(fc.property(hostileBytes(atrs, 40), returnsOrThrowsTyped(identifyCard, [])), params());
  });
});

describe('fuzz: BER-TLV', () => {
  const options = fc.record({
    allowIndefinite: fc.boolean(),
    allowPadding: fc.boolean(),
    shallow: fc.boolean(),
    maxDepth: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
  });
  it('decodeTlv: a tree or TLV_MALFORMED, whatever the options', { timeout: TEST_TIMEOUT }, () => {
    fc.assert(
      fc.property(
        fc.tuple(hostileBytes(tlvBodies), options),
        returnsOrThrowsTyped(([b, o]) => {
          const tree = decodeTlv(b, o);
          // Every object lies inside the buffer it came from.
          for (const t of tree) expect(t.offset + t.length).toBeLessThanOrEqual(b.length);
        }, [allow(TlvError, 'TLV_MALFORMED')]),
      ),
      params(),
    );
  });

  it('decodeTlv: deep nesting is a TLV_MALFORMED, not a stack overflow', { timeout: TEST_TIMEOUT }, () => {
    const nested = fc.integer({ min: 1, max: 5000 }).map((depth) => {
      const out = new Uint8Array(depth * 2);
      for (let i = 0; i < depth; i++) out.set([0x7f & 0x3f | 0x20, 0x80], i * 2);
      return out;
    });
    fc.assert(
      fc.property(fc.tuple(nested, fc.boolean()), returnsOrThrowsTyped(([b, indefinite]) => decodeTlv(b, { allowIndefinite: indefinite }), [allow(TlvError, 'TLV_MALFORMED')])),
      params({ cost: 4 }),
    );
  });
});

describe('fuzz: APDUs and status words', () => {
  it('parseCommand: a command or APDU_MALFORMED, and what it reads is inside the buffer', { timeout: TEST_TIMEOUT }, () => {
    fc.assert(
      fc.property(
        hostileBytes(commands, 300),
        returnsOrThrowsTyped((b) => {
          const c = parseCommand(b);
          expect((c.data?.length ?? 0) <= b.length).toBe(true);
        }, [allow(ApduError, 'APDU_MALFORMED')]),
      ),
      params(),
    );
  });

  it('parseResponse + checkResponse: data or APDU_MALFORMED or a CardStatusError with a known code', { timeout: TEST_TIMEOUT }, () => {
    fc.assert(
      fc.property(
        hostileBytes(responses, 300),
        returnsOrThrowsTyped((b) => {
          try {
            checkResponse(parseResponse(b));
          } catch (e) {
            if (e instanceof CardStatusError) expect(e.code).toBe(describeStatus(e.sw).code);
            throw e;
          }
        }, [allow(ApduError, 'APDU_MALFORMED'), allow(CardStatusError, ...STATUS_CODES)]),
      ),
      params(),
    );
  });

  it('transceive against a card answering anything: bounded, typed', { timeout: TEST_TIMEOUT }, async () => {
    // The card's answers: mutated recordings, random bytes, 61xx / 6Cxx chains and errors within them.
    const answer = fc.oneof(
      hostileBytes(responses, 64),
      fc.tuple(fc.constantFrom(0x61, 0x6c, 0x90, 0x63, 0x69), fc.integer({ min: 0, max: 255 })).map(([a, b]) => Uint8Array.of(a, b)),
    );
    const command = fc.record({
      cla: fc.integer({ min: 0, max: 255 }),
      ins: fc.integer({ min: 0, max: 255 }),
      p1: fc.integer({ min: 0, max: 255 }),
      p2: fc.integer({ min: 0, max: 255 }),
      data: fc.option(fc.uint8Array({ minLength: 1, maxLength: 600 }), { nil: undefined }),
      le: fc.option(fc.integer({ min: 1, max: 65536 }), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(command, fc.array(answer, { minLength: 1, maxLength: 12 }), fc.boolean()),
        resolvesOrRejectsTyped(async ([cmd, answers, extended]) => {
          let i = 0;
          // After the script runs out the card keeps saying "more data": the round bound must hold.
          const transmit = async (): Promise<Uint8Array> => answers[i++] ?? Uint8Array.of(0x61, 0x00);
          await transceive(transmit, cmd, { extendedLength: extended, maxResponseBytes: 64 * 1024 });
        }, [allow(ApduError, 'APDU_MALFORMED'), allow(ResponseInterruptedError, 'RESPONSE_INTERRUPTED')]),
      ),
      params({ cost: 4 }),
    );
  });
});

describe('fuzz: APDU fixture text', () => {
  const text = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.tuple(fc.constantFrom(...texts), fc.array(fc.tuple(fc.nat(), fc.nat(), fc.string({ maxLength: 6 })), { maxLength: 4 })).map(([t, edits]) =>
      edits.reduce((s, [a, n, ins]) => s.slice(0, a % (s.length + 1)) + ins + s.slice((a % (s.length + 1)) + (n % 5)), t),
    ),
  );
  it('parseFixture: a fixture or FIXTURE_MALFORMED', { timeout: TEST_TIMEOUT }, () => {
    fc.assert(fc.property(text, returnsOrThrowsTyped(parseFixture, [allow(FixtureError, 'FIXTURE_MALFORMED')])), params({ cost: 2 }));
  });
});

// Keep the mutation helper honest: it must actually change inputs most of the time.
describe('fuzz harness', () => {
  it('mutated() edits fixtures', () => {
    const samples = fc.sample(mutated([VIRTUAL_PIV_ATR]), { numRuns: 200, seed: 1 });
    const changed = samples.filter((s) => s.length !== VIRTUAL_PIV_ATR.length || s.some((b, i) => b !== VIRTUAL_PIV_ATR[i])).length;
    expect(changed).toBeGreaterThan(100);
  });
});
