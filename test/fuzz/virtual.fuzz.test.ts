/**
 * The virtual devices take their input from outside programs (pcscd through vpcd, a HID
 * host): random commands must always get an answer, never an exception. Also vpcd's framing.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { EkortError } from '../../src/errors.ts';
import { fromHex } from '../../src/iso7816/hex.ts';
import type { SoftwareCard } from '../../src/pcsc/cardTransport.ts';
import { createCardImage, type CardImage } from '../../src/virtual/cardImage.ts';
import { FileSystemCard } from '../../src/virtual/fileSystemCard.ts';
import { VirtualHidToken } from '../../src/virtual/hidToken.ts';
import { VirtualPivCard } from '../../src/virtual/pivCard.ts';
import { encodeVpcdFrame, VpcdFrameReader } from '../../src/virtual/vpcdLink.ts';
import { pivExchanges } from './fixtures.ts';
import { allow, hostileBytes, params, resolvesOrRejectsTyped, returnsOrThrowsTyped, TEST_TIMEOUT } from './fuzzing.ts';

const { commands } = pivExchanges();
const SELECT_PIV = fromHex('00 a4 04 00 0b a0 00 00 03 08 00 00 10 00 01 00 00');
const VERIFY_DEFAULT_PIN = fromHex('00 20 00 80 08 31 32 33 34 35 36 ff ff');
/** ISO 7816-4 file-system commands (SELECT by FID / path, READ BINARY, GET CHALLENGE...). */
const FS_COMMANDS = ['00 a4 00 00 02 3f 00', '00 a4 02 04 02 2f 00 00', '00 b0 00 00 00', '00 b0 7f ff 10', '00 84 00 00 08', '00 20 00 01 04 31 32 33 34', '00 c0 00 00 00'].map(fromHex);

let image: CardImage;
beforeAll(async () => {
  image = await createCardImage({ keyType: 'p256' });
}, 60_000);

/** Every answer is a response APDU: data and a status word; the card never throws. */
async function answersEverything(card: SoftwareCard, apdus: Uint8Array[]): Promise<void> {
  for (const apdu of apdus) {
    const r = await card.process(apdu);
    expect(r).toBeInstanceOf(Uint8Array);
    expect(r.length).toBeGreaterThanOrEqual(2);
  }
}

describe('fuzz: virtual cards answer every APDU with a status word', () => {
  it('VirtualPivCard', { timeout: TEST_TIMEOUT }, async () => {
    const apdus = fc.array(hostileBytes([...commands, SELECT_PIV, VERIFY_DEFAULT_PIN], 300), { minLength: 1, maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(apdus, fc.boolean()),
        // Nothing may escape: not even a typed error.
        resolvesOrRejectsTyped(async ([list, selected]) => {
          const card = new VirtualPivCard(structuredClone(image));
          await answersEverything(card, selected ? [SELECT_PIV, VERIFY_DEFAULT_PIN, ...list] : list);
        }, []),
      ),
      params({ cost: 4 }),
    );
  });

  it('FileSystemCard, T=1 and T=0', { timeout: TEST_TIMEOUT }, async () => {
    const apdus = fc.array(hostileBytes(FS_COMMANDS, 300), { minLength: 1, maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(apdus, fc.boolean()),
        resolvesOrRejectsTyped(async ([list, t0]) => answersEverything(new FileSystemCard({ t0, random: (n) => new Uint8Array(n) }), list), []),
      ),
      params({ cost: 2 }),
    );
  });
});

describe('fuzz: the virtual HID token', () => {
  it('takes any 8-byte report and always has a report to read', { timeout: TEST_TIMEOUT }, () => {
    const report = fc.uint8Array({ minLength: 8, maxLength: 8 });
    fc.assert(
      fc.property(
        fc.array(report, { minLength: 1, maxLength: 20 }),
        returnsOrThrowsTyped((reports) => {
          const token = new VirtualHidToken({ slot1: new Uint8Array(20).fill(1), slot2: new Uint8Array(20).fill(2) });
          for (const r of reports) {
            token.sendFeatureReport([0, ...r]);
            expect(token.getFeatureReport(0, 9).length).toBe(9);
          }
        }, []),
      ),
      params(),
    );
  });
});

describe('fuzz: vpcd framing', () => {
  it('VpcdFrameReader: whole frames back, however the stream is cut, or VPCD_PROTOCOL on a zero length', { timeout: TEST_TIMEOUT }, () => {
    const payloads = fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 6 });
    fc.assert(
      fc.property(
        fc.tuple(payloads, fc.array(fc.nat(), { maxLength: 8 }), fc.option(fc.uint8Array({ maxLength: 8 }), { nil: undefined })),
        returnsOrThrowsTyped(([frames, cuts, garbage]) => {
          const stream = Buffer.concat([...frames.map(encodeVpcdFrame), garbage ?? new Uint8Array(0)]);
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const reader = new VpcdFrameReader();
          const got: Buffer[] = [];
          let from = 0;
          for (const p of [...points, stream.length]) {
            got.push(...reader.push(stream.subarray(from, p)));
            from = p;
          }
          // Without trailing garbage every frame comes back whole and in order.
          if (garbage === undefined) expect(got.map((b) => [...b])).toEqual(frames.map((f) => [...f]));
        }, [allow(EkortError, 'VPCD_PROTOCOL')]),
      ),
      // Found by this property: a zero length after a good frame was a plain Error.
      params<[[Uint8Array[], number[], Uint8Array | undefined]]>({ examples: [[[[Uint8Array.of(1)], [], Uint8Array.of(0, 0)]]] }),
    );
  });
});
