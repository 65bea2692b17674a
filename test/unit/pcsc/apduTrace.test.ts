import { describe, expect, it } from 'vitest';
import { TracingTransport, formatCommandForTrace } from '../../../src/pcsc/apduTrace.ts';
import { InProcessTransport } from '../../../src/pcsc/inProcessTransport.ts';
import { fromHex } from '../../../src/iso7816/hex.ts';

describe('APDU trace', () => {
  it.each([
    ['VERIFY', '002000800831323334353636ffff'],
    ['CHANGE REFERENCE DATA', '00240080103132333435363738393031323334353637'],
    ['RESET RETRY COUNTER', '002c0080103132333435363738313233343536ffff'],
    ['VERIFY, proprietary class, chained', '9020008102313233'],
    ["a YubiKey's SET MANAGEMENT KEY", '00ffffff1b039b18010203040506070801020304050607080102030405060708'],
    ["a YubiKey's IMPORT ASYMMETRIC KEY", '00fe119a0606010203040506'],
    ["YKOATH's PUT (an account's secret)", '00010000087107616c696365'],
    ["YKOATH's SET CODE (the password's key)", '000300000a730921aabbccddeeff0011'],
  ])('masks the data of %s, length included', (_name, hex) => {
    const line = formatCommandForTrace(fromHex(hex));
    expect(line).toBe(`${hex.slice(0, 2)} ${hex.slice(2, 4)} ${hex.slice(4, 6)} ${hex.slice(6, 8)} <masked>`);
  });

  it('leaves other commands and an empty VERIFY (the PIN status query) readable', () => {
    expect(formatCommandForTrace(fromHex('00a4040002a000'))).toBe('00 a4 04 00 02 a0 00');
    expect(formatCommandForTrace(fromHex('0020008000'))).toBe('00 20 00 80 00');
  });

  it('writes both directions to the sink, and never the PIN', async () => {
    const lines: string[] = [];
    const card = { atr: fromHex('3b00'), reset() {}, process: () => fromHex('63c2') };
    const t = new TracingTransport(new InProcessTransport(card), (l) => lines.push(l));
    await t.transmit(fromHex('002000800831323334ffffffff'));
    expect(lines[0]).toBe('=> 00 20 00 80 <masked>');
    expect(lines[1]).toMatch(/^<= 63 c2 \(PIN_INCORRECT\) \[\d+\.\d\d ms\]$/);
    expect(lines.join('\n')).not.toMatch(/31 32 33 34/);
  });

  it('traces a transport failure by its code', async () => {
    const lines: string[] = [];
    const inner = new InProcessTransport({ atr: fromHex('3b00'), reset() {}, process: () => fromHex('9000') });
    inner.remove();
    const t = new TracingTransport(inner, (l) => lines.push(l));
    await expect(t.transmit(fromHex('00b0000000'))).rejects.toMatchObject({ code: 'CARD_REMOVED' });
    expect(lines).toEqual(['=> 00 b0 00 00 00', '<= CARD_REMOVED']);
  });
});
