import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../src/iso7816/hex.ts';
import { CardStatusError } from '../../../src/iso7816/statusWords.ts';
import { PcscError } from '../../../src/pcsc/errors.ts';
import {
  CM_IOCTL_GET_FEATURE_REQUEST,
  PinPad,
  PivSession,
  parseFeatureList,
  pinVerifyStructure,
  readerFeatures,
  type ControlTransport,
} from '../../../src/piv/index.ts';
import { fixture } from './pivFixtureText.ts';

const normal = (text: string): string => toHex(fromHex(text), ' ');

/** SCardControl replayed from expected (code, data hex) → reply, strictly in order. */
class ControlReplay implements ControlTransport {
  private next = 0;

  constructor(private readonly steps: ReadonlyArray<{ code: number; data: string; reply: string | Error }>) {}

  async control(code: number, data: Uint8Array): Promise<Uint8Array> {
    const step = this.steps[this.next++];
    if (!step) throw new Error(`control 0x${code.toString(16)} sent after the last recorded exchange`);
    expect(`0x${code.toString(16)}`, `control #${this.next} code`).toBe(`0x${step.code.toString(16)}`);
    expect(toHex(data, ' '), `control #${this.next} data`).toBe(normal(step.data));
    if (step.reply instanceof Error) throw step.reply;
    return fromHex(step.reply);
  }

  finish(): void {
    expect(this.next, 'control exchanges used').toBe(this.steps.length);
  }
}

/** libccid's codes: 0x42000000 + 0x330000 + feature. */
const VERIFY_DIRECT = 0x42330006;
const FEATURES = '06 04 42 33 00 06 07 04 42 33 00 07 12 04 42 33 00 12';
const featureRequest = { code: CM_IOCTL_GET_FEATURE_REQUEST, data: '' };

/** PIN_VERIFY_STRUCTURE for VERIFY 00 20 00 80, byte by byte (PC/SC part 10 §2.5.2). */
const VERIFY_STRUCTURE = [
  '1e 1e', //       bTimerOut, bTimerOut2: 30 s
  '82', //          bmFormatString: byte units, position 0, left justified, ASCII
  '08', //          bmPINBlockString: no length field, 8-byte block
  '00', //          bmPINLengthFormat
  '08 06', //       wPINMaxExtraDigit 0x0608 little-endian: 6..8 digits
  '02', //          bEntryValidationCondition: validation key
  '01', //          bNumberMessage
  '1d 04', //       wLangId 0x041D (Swedish) little-endian
  '00', //          bMsgIndex
  '00 00 00', //    bTeoPrologue
  '0d 00 00 00', // ulDataLength 13
  '00 20 00 80 08 ff ff ff ff ff ff ff ff', // abData: VERIFY with an FF block the reader fills
].join(' ');

describe('reader features (PC/SC part 10 GET_FEATURE_REQUEST)', () => {
  it('asks with SCARD_CTL_CODE(3400) and empty data, and reads tag → big-endian control code', async () => {
    const reader = new ControlReplay([{ ...featureRequest, reply: FEATURES }]);
    const features = await readerFeatures((code, data) => reader.control(code, data));
    expect(CM_IOCTL_GET_FEATURE_REQUEST).toBe(0x42000d48);
    expect([...features]).toEqual([
      [0x06, 0x42330006],
      [0x07, 0x42330007],
      [0x12, 0x42330012],
    ]);
    reader.finish();
  });

  it('an empty list is no features; a truncated or odd-length entry is PIN_PAD_FEATURES_MALFORMED', () => {
    expect(parseFeatureList(new Uint8Array(0)).size).toBe(0);
    for (const bad of ['06 04 42 33 00', '06 02 42 33 06 04 42 33 00 06', '06']) {
      expect(() => parseFeatureList(fromHex(bad))).toThrow(expect.objectContaining({ code: 'PIN_PAD_FEATURES_MALFORMED' }));
    }
  });
});

describe('PinPad', () => {
  it('builds the PIN_VERIFY_STRUCTURE for PIV', () => {
    expect(toHex(pinVerifyStructure({ cla: 0, ins: 0x20, p1: 0, p2: 0x80 }), ' ')).toBe(normal(VERIFY_STRUCTURE));
  });

  it('is detected from the feature list, and verifies through FEATURE_VERIFY_PIN_DIRECT returning the card SW', async () => {
    const reader = new ControlReplay([
      { ...featureRequest, reply: FEATURES },
      { code: VERIFY_DIRECT, data: VERIFY_STRUCTURE, reply: '90 00' },
      { code: VERIFY_DIRECT, data: VERIFY_STRUCTURE, reply: '63 c2' },
    ]);
    const pad = (await PinPad.detect(reader))!;
    expect(pad.canModifyPin).toBe(true);
    const header = { cla: 0, ins: 0x20, p1: 0, p2: 0x80 };
    expect(await pad.verifyPin(header)).toEqual({ data: new Uint8Array(0), sw: 0x9000 });
    expect((await pad.verifyPin(header)).sw).toBe(0x63c2);
    reader.finish();
  });

  it.each([
    ['64 00', 'PIN_PAD_TIMEOUT'],
    ['64 01', 'PIN_PAD_CANCELLED'],
    ['64 03', 'PIN_PAD_PIN_LENGTH'],
    ['6b 80', 'PIN_PAD_REJECTED'],
  ])('the reader answering %s is %s', async (sw, code) => {
    const reader = new ControlReplay([
      { ...featureRequest, reply: FEATURES },
      { code: VERIFY_DIRECT, data: VERIFY_STRUCTURE, reply: sw },
    ]);
    const pad = (await PinPad.detect(reader))!;
    await expect(pad.verifyPin({ cla: 0, ins: 0x20, p1: 0, p2: 0x80 })).rejects.toMatchObject({ code });
    reader.finish();
  });

  it('is absent without control(), without FEATURE_VERIFY_PIN_DIRECT, or when the reader refuses the request', async () => {
    expect(await PinPad.detect({ transmit: () => undefined })).toBeUndefined();
    expect(await PinPad.detect(new ControlReplay([{ ...featureRequest, reply: '07 04 42 33 00 07' }]))).toBeUndefined();
    const refusing = new ControlReplay([{ ...featureRequest, reply: new PcscError('PCSC_ERROR', 'SCardControl: unsupported feature') }]);
    expect(await PinPad.detect(refusing)).toBeUndefined();
  });

  it('lets a removed card through as the error it is', async () => {
    const reader = new ControlReplay([{ ...featureRequest, reply: new PcscError('CARD_REMOVED', 'The card was removed') }]);
    await expect(PinPad.detect(reader)).rejects.toMatchObject({ code: 'CARD_REMOVED' });
  });
});

describe('PivSession with a PIN pad', () => {
  async function sessionWithPad(replies: string[]): Promise<{ session: PivSession; reader: ControlReplay; finish(): void }> {
    const reader = new ControlReplay([
      { ...featureRequest, reply: FEATURES },
      ...replies.map((reply) => ({ code: VERIFY_DIRECT, data: VERIFY_STRUCTURE, reply })),
    ]);
    const card = await fixture('select-only.apdu');
    const pinPad = await PinPad.detect(reader);
    const session = await PivSession.open(card, pinPad ? { pinPad } : {});
    return { session, reader, finish: () => (card.finish(), reader.finish()) };
  }

  it('says so, and verifies on the reader: the card sees no APDU from the host', async () => {
    const { session, finish } = await sessionWithPad(['90 00']);
    expect(session.usesPinPad).toBe(true);
    await session.verifyPinOnReader();
    finish();
  });

  it('a wrong PIN typed on the reader is PIN_INCORRECT with the tries left; the last one PIN_BLOCKED', async () => {
    const { session, finish } = await sessionWithPad(['63 c1', '63 c0', '64 01']);
    const wrong = await session.verifyPinOnReader().catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(CardStatusError);
    expect(wrong).toMatchObject({ code: 'PIN_INCORRECT', retriesLeft: 1 });
    await expect(session.verifyPinOnReader()).rejects.toMatchObject({ code: 'PIN_BLOCKED', message: /PUK/ });
    await expect(session.verifyPinOnReader()).rejects.toMatchObject({ code: 'PIN_PAD_CANCELLED' });
    finish();
  });

  it('without a PIN pad, verifyPinOnReader is PIN_PAD_ABSENT', async () => {
    const card = await fixture('select-only.apdu');
    const session = await PivSession.open(card);
    expect(session.usesPinPad).toBe(false);
    await expect(session.verifyPinOnReader()).rejects.toMatchObject({ code: 'PIN_PAD_ABSENT' });
    card.finish();
  });
});
