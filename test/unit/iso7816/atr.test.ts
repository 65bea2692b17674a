import { describe, expect, it } from 'vitest';
import { AtrError, describeAtr, parseAtr, parseHistoricalBytes } from '../../../src/iso7816/atr.ts';
import { fromHex, toHex } from '../../../src/iso7816/hex.ts';

const h = (b: Uint8Array): string => toHex(b, ' ');

const YUBIKEY5 = '3B FD 13 00 00 81 31 FE 15 80 73 C0 21 C0 57 59 75 62 69 4B 65 79 40';
const HANDELSBANKEN = '3B 7D 96 00 00 80 31 80 65 B0 A3 11 00 C8 83 00 00 00';
const SEB = '3B E8 00 00 81 31 FE 45 00 73 C8 40 00 00 90 00 88';
const VICC = '3B 95 13 81 01 80 73 FF 01 00 0B';

describe('parseAtr: YubiKey 5 (T=1, TA1, compact-TLV with card capabilities)', () => {
  const atr = parseAtr(fromHex(YUBIKEY5));

  it('reads TS, T0 and every interface group', () => {
    expect(atr.convention).toBe('direct');
    expect(atr.t0).toBe(0xfd);
    expect(atr.historicalLength).toBe(13);
    expect(atr.interfaceGroups).toEqual([
      { index: 1, ta: 0x13, tb: 0x00, tc: 0x00, td: 0x81 },
      { index: 2, protocol: 1, td: 0x31 },
      { index: 3, protocol: 1, ta: 0xfe, tb: 0x15 },
    ]);
    expect(atr.protocols).toEqual([1]);
  });

  it('Fi/Di from TA1, N from TC1, negotiable mode', () => {
    expect(atr.transmission).toEqual({ fiIndex: 1, diIndex: 3, fi: 372, di: 4, fmaxMHz: 5, fromTa1: true });
    expect(atr.extraGuardTime).toBe(0);
    expect(atr.mode).toEqual({ kind: 'negotiable' });
  });

  it('historical bytes: category 80, compact-TLV, capabilities C0 → chaining and extended length', () => {
    expect(h(atr.historical.bytes)).toBe('80 73 c0 21 c0 57 59 75 62 69 4b 65 79');
    expect(atr.historical.format).toBe('compact-tlv');
    expect(atr.historical.compactTlv!.map((o) => [o.tag, h(o.value)])).toEqual([
      [7, 'c0 21 c0'],
      [5, '59 75 62 69 4b 65 79'],
    ]);
    expect(atr.historical.cardCapabilities).toMatchObject({
      selectionMethods: 0xc0,
      dataCoding: 0x21,
      supportsCommandChaining: true,
      supportsExtendedLength: true,
      maxLogicalChannels: 1,
    });
    expect(atr.supportsExtendedLength).toBe(true);
  });

  it('TCK present and valid', () => {
    expect(atr.tck).toBe(0x40);
    expect(atr.tckValid).toBe(true);
  });

  it('describeAtr prints lines like ATR_analysis', () => {
    const lines = describeAtr(atr);
    expect(lines).toContain('+ TS = 3B --> Direct Convention');
    expect(lines).toContain('+ T0 = FD, Y(1): 1111, K: 13 (historical bytes)');
    expect(lines).toContain('  TA(1) = 13 --> Fi=372, Di=4, 93 cycles/ETU');
    expect(lines).toContain('    43010 bits/s at 4 MHz, fMax for Fi = 5 MHz => 53763 bits/s');
    expect(lines).toContain('  TB(1) = 00 --> VPP is not electrically connected');
    expect(lines).toContain('  TC(1) = 00 --> Extra guard time: 0');
    expect(lines).toContain('  TD(1) = 81 --> Y(i+1) = 1000, Protocol T = 1');
    expect(lines).toContain('  TA(3) = FE --> IFSC: 254');
    expect(lines).toContain('  TB(3) = 15 --> Block Waiting Integer: 1 - Character Waiting Integer: 5');
    expect(lines).toContain('  Category indicator byte: 80 (compact TLV data object)');
    expect(lines).toContain('    Tag: 7, len: 3 (card capabilities)');
    expect(lines).toContain('      Command chaining: yes, extended Lc/Le: yes');
    expect(lines).toContain('      Data: 59 75 62 69 4B 65 79 "YubiKey"');
    expect(lines).toContain('+ TCK = 40 (correct checksum)');
  });
});

describe('parseAtr: Handelsbanken BankID (T=0 only, no TCK)', () => {
  const atr = parseAtr(fromHex(HANDELSBANKEN));

  it('18 bytes are complete: K = 13 and no TD1 means no TCK', () => {
    expect(atr.bytes.length).toBe(18);
    expect(atr.protocols).toEqual([0]);
    expect(atr.tck).toBeUndefined();
    expect(atr.tckValid).toBeUndefined();
    expect(atr.historicalLength).toBe(13);
  });

  it('TA1 96: Fi 512, Di 32, fmax 5 MHz', () => {
    expect(atr.transmission).toEqual({ fiIndex: 9, diIndex: 6, fi: 512, di: 32, fmaxMHz: 5, fromTa1: true });
    expect(describeAtr(atr)).toContain('  TA(1) = 96 --> Fi=512, Di=32, 16 cycles/ETU');
  });

  it('status indicator tag 8 with LCS and SW', () => {
    expect(atr.historical.compactTlv!.map((o) => o.tag)).toEqual([3, 6, 8]);
    expect(atr.historical.status).toEqual({ lcs: 0, sw: 0x0000 });
    expect(atr.historical.cardCapabilities).toBeUndefined();
    expect(atr.supportsExtendedLength).toBe(false);
  });
});

describe('parseAtr: SEB BankID (category 00, status at the end)', () => {
  const atr = parseAtr(fromHex(SEB));

  it('TB1, TC1, TD1 and T=1', () => {
    expect(atr.interfaceGroups[0]).toEqual({ index: 1, tb: 0, tc: 0, td: 0x81 });
    expect(atr.transmission.fromTa1).toBe(false);
    expect(atr.transmission).toMatchObject({ fi: 372, di: 1, fmaxMHz: 5 });
    expect(atr.protocols).toEqual([1]);
    expect(atr.tckValid).toBe(true);
  });

  it('status from the 3 last bytes, compact-TLV before it', () => {
    expect(atr.historical.category).toBe(0x00);
    expect(atr.historical.status).toEqual({ lcs: 0x00, sw: 0x9000 });
    expect(atr.historical.compactTlv!.map((o) => [o.tag, h(o.value)])).toEqual([[7, 'c8 40 00']]);
    expect(atr.historical.cardCapabilities).toMatchObject({ supportsExtendedLength: false, supportsCommandChaining: false });
    const lines = describeAtr(atr);
    expect(lines).toContain('    Mandatory status indicator (3 last bytes)');
    expect(lines).toContain('      SW: 9000 (Command completed normally)');
  });
});

describe('parseAtr: other shapes', () => {
  it('vicc: TD1 with Y2 = 8, TD2 T=1', () => {
    const atr = parseAtr(fromHex(VICC));
    expect(atr.interfaceGroups).toEqual([
      { index: 1, ta: 0x13, td: 0x81 },
      { index: 2, protocol: 1, td: 0x01 },
      { index: 3, protocol: 1 },
    ]);
    expect(atr.tckValid).toBe(true);
    expect(atr.historical.cardCapabilities?.bytes).toEqual(fromHex('ff 01 00'));
  });

  it('minimal ATR: TS and T0 only', () => {
    const atr = parseAtr(fromHex('3B 00'));
    expect(atr.protocols).toEqual([0]);
    expect(atr.historical.format).toBe('none');
    expect(atr.transmission).toEqual({ fiIndex: 1, diIndex: 1, fi: 372, di: 1, fmaxMHz: 5, fromTa1: false });
    expect(describeAtr(atr)).toContain('+ No historical bytes');
  });

  it('inverse convention', () => {
    expect(parseAtr(fromHex('3F 00')).convention).toBe('inverse');
  });

  it('TA2 means specific mode', () => {
    // Handelsbanken Inloggningskort: TD1 = 10 (TA2 follows, T=0), TA2 = 00.
    const atr = parseAtr(fromHex('3B F7 13 00 00 10 00 F1 40 40 91 9B 90 00'));
    expect(atr.mode).toEqual({ kind: 'specific', protocol: 0, canChange: true, implicitParameters: false });
    expect(atr.protocols).toEqual([0]);
    expect(atr.tck).toBeUndefined();
    // TD1 = 10 (TA2 follows), TA2 = 91: unable to change, implicit parameters, T=1.
    const unable = parseAtr(fromHex('3B 80 10 91'));
    expect(unable.mode).toEqual({ kind: 'specific', protocol: 1, canChange: false, implicitParameters: true });
  });

  it('TC1 gives the extra guard time N', () => {
    expect(parseAtr(fromHex('3B 40 FF')).extraGuardTime).toBe(255);
    expect(parseAtr(fromHex('3B 40 02')).extraGuardTime).toBe(2);
  });

  it('T=0 and T=1 offered; T=15 bytes are global, not a protocol', () => {
    // TD1 = 80 (T=0, TD2 follows), TD2 = 1F (TA3 follows, global T=15), then TCK.
    const body = [0x80, 0x80, 0x1f, 0x03];
    const tck = body.reduce((a, b) => a ^ b, 0);
    const atr = parseAtr(Uint8Array.of(0x3b, ...body, tck));
    expect(atr.protocols).toEqual([0]);
    expect(atr.interfaceGroups[2]).toEqual({ index: 3, protocol: 15, ta: 0x03 });
    expect(atr.tckValid).toBe(true);
    expect(describeAtr(atr)).toContain('  TA(3) = 03 --> Clock stop: not supported - Class accepted by the card: A 5V, B 3V');
    const both = parseAtr(fromHex('3B 80 80 01 01'));
    expect(both.protocols).toEqual([0, 1]);
  });

  it('a wrong TCK parses with tckValid false', () => {
    const atr = parseAtr(fromHex(YUBIKEY5.replace(/40$/, '41')));
    expect(atr.tckValid).toBe(false);
    expect(describeAtr(atr)).toContain('+ TCK = 41 (WRONG checksum)');
  });

  it.each([
    [0x01, 372, 1, 4],
    [0x11, 372, 1, 5],
    [0x18, 372, 12, 5],
    [0x19, 372, 20, 5],
    [0x27, 558, 64, 6],
    [0x32, 744, 2, 8],
    [0x44, 1116, 8, 12],
    [0x55, 1488, 16, 16],
    [0x63, 1860, 4, 20],
    [0x97, 512, 64, 5],
    [0xa5, 768, 16, 7.5],
    [0xb4, 1024, 8, 10],
    [0xc3, 1536, 4, 15],
    [0xd6, 2048, 32, 20],
  ])('TA1 %s: Fi %s, Di %s, fmax %s MHz (ISO/IEC 7816-3 Tables 7 and 8)', (ta1, fi, di, fmax) => {
    expect(parseAtr(Uint8Array.of(0x3b, 0x10, ta1)).transmission).toMatchObject({ fi, di, fmaxMHz: fmax });
  });

  it.each([0x71, 0x81, 0xe1, 0xf1, 0x1a, 0x1f, 0x10])('TA1 %s has an RFU half', (ta1) => {
    const t = parseAtr(Uint8Array.of(0x3b, 0x10, ta1)).transmission;
    expect(t.fi === undefined || t.di === undefined).toBe(true);
  });

  it('RFU Fi and Di are reported as such', () => {
    const atr = parseAtr(fromHex('3B 10 70'));
    expect(atr.transmission).toEqual({ fiIndex: 7, diIndex: 0, fromTa1: true });
    expect(describeAtr(atr)).toContain('  TA(1) = 70 --> Fi or Di is RFU');
  });
});

describe('parseAtr: malformed', () => {
  it.each([
    ['', 'too short'],
    ['3B', 'too short'],
    ['3C 00', 'TS 3C is neither'],
    ['00 00', 'TS 00 is neither'],
    ['3B 10', 'TA1 missing'],
    ['3B F0 13 00 00', 'TD1 missing'],
    ['3B 80 81', 'TD2 missing'],
    ['3B 05 01 02', '5 historical bytes announced, 2 present'],
    ['3B 80 01', 'TCK missing'],
    ['3B 00 00', '1 unexpected byte(s)'],
    [`${HANDELSBANKEN} 00`, '1 unexpected byte(s)'],
    [`3B 8F 80 01 ${'00 '.repeat(15)} 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00`, 'longer than 33'],
  ])('%s', (text, message) => {
    expect(() => parseAtr(fromHex(text))).toThrow(message);
    expect(() => parseAtr(fromHex(text))).toThrow(AtrError);
  });

  it('33 bytes is still allowed', () => {
    // T0 FF: four interface groups (15 bytes) and 15 historical bytes, then TCK: 33 in all.
    const body = [0xff, 0x13, 0, 0, 0xf1, 0, 0, 0, 0xf1, 0, 0, 0, 0x71, 0, 0, 0, ...new Array(15).fill(0x41)];
    const tck = body.reduce((a, b) => a ^ b, 0);
    const atr = parseAtr(Uint8Array.of(0x3b, ...body, tck));
    expect(atr.bytes.length).toBe(33);
    expect(atr.interfaceGroups.map((g) => g.index)).toEqual([1, 2, 3, 4]);
    expect(atr.interfaceGroups[3]).toEqual({ index: 4, protocol: 1, ta: 0, tb: 0, tc: 0 });
    expect(atr.tckValid).toBe(true);
  });
});

describe('parseHistoricalBytes', () => {
  it('category 10 is a DIR data reference, 81..8F RFU, others proprietary', () => {
    expect(parseHistoricalBytes(fromHex('10 01')).format).toBe('dir-reference');
    expect(parseHistoricalBytes(fromHex('81 01')).format).toBe('rfu');
    expect(parseHistoricalBytes(fromHex('59 75 62 69 6b 65 79 34'))).toMatchObject({ format: 'proprietary', category: 0x59 });
  });

  it('a compact-TLV object running past the end is reported, not thrown', () => {
    const hist = parseHistoricalBytes(fromHex('80 31 80 65 b0'));
    expect(hist.compactTlv!.map((o) => o.tag)).toEqual([3]);
    expect(hist.error).toBe('compact-TLV tag 6 of length 5 runs past the historical bytes');
  });

  it('category 00 shorter than its status indicator is reported', () => {
    expect(parseHistoricalBytes(fromHex('00 90 00')).error).toContain('3-byte status indicator');
  });

  it('status indicator of 1 and 2 bytes', () => {
    expect(parseHistoricalBytes(fromHex('80 81 05')).status).toEqual({ lcs: 5 });
    expect(parseHistoricalBytes(fromHex('80 82 90 00')).status).toEqual({ sw: 0x9000 });
  });

  it('card capabilities with fewer than 3 bytes claim neither chaining nor extended length', () => {
    const caps = parseHistoricalBytes(fromHex('80 72 c0 01')).cardCapabilities!;
    expect(caps).toEqual({ bytes: fromHex('c0 01'), selectionMethods: 0xc0, dataCoding: 0x01, supportsCommandChaining: false, supportsExtendedLength: false });
  });
});
