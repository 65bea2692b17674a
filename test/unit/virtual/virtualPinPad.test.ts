/**
 * The reader side of PC/SC part 10 secure PIN entry: the PIN written where the structure says
 * (our host's structure and OpenSC's PIV one), and the reader's own refusals.
 */
import { describe, expect, it } from 'vitest';
import { pinVerifyStructure } from '../../../src/piv/pinPad.ts';
import { toHex } from '../../../src/iso7816/hex.ts';
import { parsePinEntryStructure, runPinEntry, type Keypad, type PinEntryResult } from '../../../src/virtual/virtualPinPad.ts';

const keypad = (result: PinEntryResult): Keypad => ({ enter: async () => result });
const sent = async (structure: Uint8Array, result: PinEntryResult, kind: 'verify' | 'modify' = 'verify') => {
  const apdus: string[] = [];
  const answer = await runPinEntry(kind, structure, keypad(result), async (apdu) => {
    apdus.push(toHex(apdu));
    return Uint8Array.of(0x90, 0x00);
  });
  return { answer: toHex(answer), apdus };
};

/** OpenSC's PIV VERIFY structure: bmFormatString 02 (bit units, position 0, ASCII), block 8, 30 s. */
function openscPivStructure(): Uint8Array {
  const apdu = [0x00, 0x20, 0x00, 0x80, 0x08, ...new Array<number>(8).fill(0xff)];
  return Uint8Array.of(30, 30, 0x02, 0x08, 0x00, 0x08, 0x06, 0x02, 0x01, 0x09, 0x04, 0x00, 0, 0, 0, apdu.length, 0, 0, 0, ...apdu);
}

describe('virtual PIN pad', () => {
  it('writes the PIN as ASCII into the PIN block of our host\'s structure, FF-padded', async () => {
    const structure = pinVerifyStructure({ cla: 0, ins: 0x20, p1: 0, p2: 0x80 });
    expect(parsePinEntryStructure('verify', structure)).toMatchObject({ minDigits: 6, maxDigits: 8, timeoutSeconds: 30, format: { encoding: 'ascii', position: 0, blockBytes: 8 } });
    expect(await sent(structure, { pin: '246810' })).toEqual({ answer: '9000', apdus: ['0020008008323436383130ffff'] });
  });

  it("reads OpenSC's PIV structure (positions in bits) the same way", async () => {
    expect(await sent(openscPivStructure(), { pin: '12345678' })).toEqual({ answer: '9000', apdus: ['00200080083132333435363738'] });
  });

  it('BCD from byte 1, with a 4-bit PIN length field at bit 4 of byte 0', () => {
    const apdu = [0x00, 0x20, 0x00, 0x01, 0x08, 0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    // bmFormatString 89: byte units, position 1, left-justified, BCD; bmPINBlockString 47: 4-bit length, 7-byte block
    const structure = Uint8Array.of(10, 10, 0x89, 0x47, 0x04, 0x0c, 0x04, 0x02, 0x01, 0x09, 0x04, 0x00, 0, 0, 0, apdu.length, 0, 0, 0, ...apdu);
    return expect(sent(structure, { pin: '1234' })).resolves.toEqual({ answer: '9000', apdus: ['0020000108241234ffffffffff'] });
  });

  it('modify: current and new PIN at their offsets; a differing confirmation is 64 02', async () => {
    const apdu = [0x00, 0x24, 0x00, 0x80, 0x10, ...new Array<number>(16).fill(0xff)];
    const structure = Uint8Array.of(30, 30, 0x82, 0x08, 0x00, 0x00, 0x08, 0x08, 0x06, 0x03, 0x02, 0x03, 0x09, 0x04, 0, 1, 2, 0, 0, 0, apdu.length, 0, 0, 0, ...apdu);
    expect(await sent(structure, { pin: '123456', newPin: '654321', confirmation: '654321' }, 'modify')).toEqual({
      answer: '9000',
      apdus: ['0024008010313233343536ffff363534333231ffff'],
    });
    expect(await sent(structure, { pin: '123456', newPin: '654321', confirmation: '654320' }, 'modify')).toEqual({ answer: '6402', apdus: [] });
  });

  it('refuses what it cannot follow, and PINs of the wrong length or with non-digits, without sending anything', async () => {
    const structure = pinVerifyStructure({ cla: 0, ins: 0x20, p1: 0, p2: 0x80 });
    expect(await sent(structure.subarray(0, 20), { pin: '123456' })).toEqual({ answer: '6b80', apdus: [] });
    expect(await sent(structure, { pin: '12345' })).toEqual({ answer: '6403', apdus: [] });
    expect(await sent(structure, { pin: '123456789' })).toEqual({ answer: '6403', apdus: [] });
    expect(await sent(structure, { pin: '12a456' })).toEqual({ answer: '6403', apdus: [] });
    expect(await sent(structure, 'cancelled')).toEqual({ answer: '6401', apdus: [] });
    expect(toHex(await runPinEntry('verify', structure, undefined, async () => Uint8Array.of(0x90, 0)))).toBe('6b80');
  });
});
