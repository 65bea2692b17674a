import { describe, expect, it } from 'vitest';
import {
  ApduError,
  apduCase,
  describeCommand,
  encodeCommand,
  encodeResponse,
  needsExtended,
  parseCommand,
  parseResponse,
  type CommandApdu,
} from '../../../src/iso7816/apdu.ts';
import { fromHex, toHex } from '../../../src/iso7816/hex.ts';

const hex = (b: Uint8Array): string => toHex(b, ' ');
const filled = (n: number, v = 0xab): Uint8Array => new Uint8Array(n).fill(v);

describe('encodeCommand, short form', () => {
  it('case 1: header only', () => {
    expect(hex(encodeCommand({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00 }))).toBe('00 a4 04 00');
  });

  it('case 2: Le, with 256 encoded as 00', () => {
    expect(hex(encodeCommand({ cla: 0, ins: 0xc0, p1: 0, p2: 0, le: 0x10 }))).toBe('00 c0 00 00 10');
    expect(hex(encodeCommand({ cla: 0, ins: 0xc0, p1: 0, p2: 0, le: 256 }))).toBe('00 c0 00 00 00');
  });

  it('case 3: Lc and data', () => {
    const cmd = { cla: 0, ins: 0x20, p1: 0, p2: 0x80, data: fromHex('31 32 33 34 35 36 ff ff') };
    expect(hex(encodeCommand(cmd))).toBe('00 20 00 80 08 31 32 33 34 35 36 ff ff');
  });

  it('case 4: Lc, data and Le', () => {
    const cmd = { cla: 0, ins: 0xa4, p1: 4, p2: 0, data: fromHex('a0 00 00 03 08'), le: 256 };
    expect(hex(encodeCommand(cmd))).toBe('00 a4 04 00 05 a0 00 00 03 08 00');
  });

  it('255 data bytes still fit the short form', () => {
    const out = encodeCommand({ cla: 0, ins: 0xd6, p1: 0, p2: 0, data: filled(255) });
    expect(out.length).toBe(5 + 255);
    expect(out[4]).toBe(0xff);
  });
});

describe('encodeCommand, extended form', () => {
  it('case 1 stays a bare header even when extended is forced', () => {
    expect(hex(encodeCommand({ cla: 0, ins: 0x84, p1: 0, p2: 0 }, { extended: true }))).toBe('00 84 00 00');
  });

  it('case 2: 00 then two Le bytes; 65536 is 00 00', () => {
    expect(hex(encodeCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 257 }))).toBe('00 b0 00 00 00 01 01');
    expect(hex(encodeCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 65536 }))).toBe('00 b0 00 00 00 00 00');
    expect(hex(encodeCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 256 }, { extended: true }))).toBe(
      '00 b0 00 00 00 01 00',
    );
  });

  it('case 3: 00 Lc1 Lc2 then data', () => {
    const out = encodeCommand({ cla: 0, ins: 0xdb, p1: 0x3f, p2: 0xff, data: filled(300) });
    expect(hex(out.subarray(0, 7))).toBe('00 db 3f ff 00 01 2c');
    expect(out.length).toBe(7 + 300);
  });

  it('case 4: 00 Lc1 Lc2, data, Le1 Le2 (no leading 00 before Le)', () => {
    const out = encodeCommand({ cla: 0, ins: 0x87, p1: 7, p2: 0x9a, data: filled(256, 1), le: 65536 });
    expect(hex(out.subarray(0, 7))).toBe('00 87 07 9a 00 01 00');
    expect(hex(out.subarray(7 + 256))).toBe('00 00');
    expect(out.length).toBe(7 + 256 + 2);
  });

  it('a short command forced to extended form', () => {
    const out = encodeCommand({ cla: 0, ins: 0xa4, p1: 4, p2: 0, data: fromHex('a0 00'), le: 5 }, { extended: true });
    expect(hex(out)).toBe('00 a4 04 00 00 00 02 a0 00 00 05');
  });
});

describe('encodeCommand rejects what no form can carry', () => {
  it.each([
    ['CLA above a byte', { cla: 0x100, ins: 0, p1: 0, p2: 0 }],
    ['negative INS', { cla: 0, ins: -1, p1: 0, p2: 0 }],
    ['fractional P1', { cla: 0, ins: 0, p1: 1.5, p2: 0 }],
    ['Le 0', { cla: 0, ins: 0, p1: 0, p2: 0, le: 0 }],
    ['Le 65537', { cla: 0, ins: 0, p1: 0, p2: 0, le: 65537 }],
    ['65536 data bytes', { cla: 0, ins: 0, p1: 0, p2: 0, data: filled(65536) }],
  ] as [string, CommandApdu][])('%s', (_name, cmd) => {
    expect(() => encodeCommand(cmd)).toThrow(ApduError);
  });
});

describe('apduCase and needsExtended', () => {
  it('classifies the four cases', () => {
    expect(apduCase({ cla: 0, ins: 0, p1: 0, p2: 0 })).toBe(1);
    expect(apduCase({ cla: 0, ins: 0, p1: 0, p2: 0, le: 1 })).toBe(2);
    expect(apduCase({ cla: 0, ins: 0, p1: 0, p2: 0, data: filled(1) })).toBe(3);
    expect(apduCase({ cla: 0, ins: 0, p1: 0, p2: 0, data: filled(1), le: 1 })).toBe(4);
    expect(apduCase({ cla: 0, ins: 0, p1: 0, p2: 0, data: new Uint8Array(0) })).toBe(1);
  });

  it('needs extended only past 255 data bytes or Le 256', () => {
    expect(needsExtended({ cla: 0, ins: 0, p1: 0, p2: 0, data: filled(255), le: 256 })).toBe(false);
    expect(needsExtended({ cla: 0, ins: 0, p1: 0, p2: 0, data: filled(256) })).toBe(true);
    expect(needsExtended({ cla: 0, ins: 0, p1: 0, p2: 0, le: 257 })).toBe(true);
  });
});

describe('parseCommand', () => {
  it.each([
    ['00 a4 04 00', { cla: 0, ins: 0xa4, p1: 4, p2: 0, extended: false }],
    ['00 c0 00 00 00', { cla: 0, ins: 0xc0, p1: 0, p2: 0, le: 256, extended: false }],
    ['00 c0 00 00 1f', { cla: 0, ins: 0xc0, p1: 0, p2: 0, le: 31, extended: false }],
    ['00 b0 00 00 00 00 00', { cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 65536, extended: true }],
    ['00 b0 00 00 00 01 01', { cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 257, extended: true }],
  ])('%s', (text, expected) => {
    expect(parseCommand(fromHex(text))).toEqual(expected);
  });

  it('short case 3 and 4', () => {
    const c3 = parseCommand(fromHex('00 20 00 80 02 31 32'));
    expect(hex(c3.data!)).toBe('31 32');
    expect(c3.le).toBeUndefined();
    const c4 = parseCommand(fromHex('00 a4 04 00 02 a0 00 00'));
    expect(hex(c4.data!)).toBe('a0 00');
    expect(c4.le).toBe(256);
    expect(c4.extended).toBe(false);
  });

  it('extended case 3 and 4', () => {
    const c3 = parseCommand(fromHex('00 db 3f ff 00 00 02 53 00'));
    expect(hex(c3.data!)).toBe('53 00');
    expect(c3.le).toBeUndefined();
    expect(c3.extended).toBe(true);
    const c4 = parseCommand(fromHex('00 87 07 9a 00 00 01 7c 01 00'));
    expect(hex(c4.data!)).toBe('7c');
    expect(c4.le).toBe(256);
  });

  it.each([
    ['', 'shorter than its 4-byte header'],
    ['00 a4 04', 'shorter than its 4-byte header'],
    ['00 a4 04 00 05 a0 00', 'does not match Lc 5'],
    ['00 a4 04 00 02 a0 00 00 00', 'does not match Lc 2'],
    ['00 b0 00 00 00 01', 'truncated extended length'],
    ['00 db 00 00 00 00 00 01', 'extended Lc of 0'],
    ['00 db 00 00 00 00 03 01 02', 'does not match extended Lc 3'],
  ])('malformed "%s"', (text, message) => {
    expect(() => parseCommand(fromHex(text))).toThrow(message);
    expect(() => parseCommand(fromHex(text))).toThrow(ApduError);
  });
});

describe('encode/parse round trips', () => {
  const cases: CommandApdu[] = [
    { cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00 },
    { cla: 0x80, ins: 0xca, p1: 0x9f, p2: 0x7f, le: 1 },
    { cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 256 },
    { cla: 0x0c, ins: 0xd6, p1: 0x00, p2: 0x10, data: filled(255, 0x5a) },
    { cla: 0x10, ins: 0xdb, p1: 0x3f, p2: 0xff, data: filled(1, 0x53), le: 255 },
    { cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 65536 },
    { cla: 0x00, ins: 0xdb, p1: 0x3f, p2: 0xff, data: filled(65535, 0x70) },
    { cla: 0x00, ins: 0x87, p1: 0x07, p2: 0x9a, data: filled(600, 0x01), le: 4096 },
  ];
  it.each(cases.map((c) => [apduCase(c), c.data?.length ?? 0, c.le, c] as const))(
    'case %d, Nc %d, Ne %s',
    (_case, _nc, _ne, cmd) => {
      const parsed = parseCommand(encodeCommand(cmd));
      expect(parsed.cla).toBe(cmd.cla);
      expect(parsed.ins).toBe(cmd.ins);
      expect(parsed.p1).toBe(cmd.p1);
      expect(parsed.p2).toBe(cmd.p2);
      expect(parsed.le).toBe(cmd.le);
      expect(parsed.data ? toHex(parsed.data) : undefined).toBe(cmd.data ? toHex(cmd.data) : undefined);
      expect(parsed.extended).toBe(needsExtended(cmd));
    },
  );
});

describe('responses', () => {
  it('parseResponse splits data and SW', () => {
    const r = parseResponse(fromHex('01 02 03 90 00'));
    expect(hex(r.data)).toBe('01 02 03');
    expect(r.sw).toBe(0x9000);
    expect(parseResponse(fromHex('6a 82'))).toEqual({ data: new Uint8Array(0), sw: 0x6a82 });
  });

  it('fewer than 2 bytes is an ApduError', () => {
    expect(() => parseResponse(new Uint8Array(0))).toThrow(ApduError);
    expect(() => parseResponse(fromHex('90'))).toThrow('has no status word');
  });

  it('encodeResponse appends SW1 SW2 and round-trips', () => {
    const bytes = encodeResponse(fromHex('de ad'), 0x63c2);
    expect(hex(bytes)).toBe('de ad 63 c2');
    expect(hex(parseResponse(bytes).data)).toBe('de ad');
    expect(parseResponse(bytes).sw).toBe(0x63c2);
  });

  it('describeCommand names the header', () => {
    expect(describeCommand({ cla: 0, ins: 0xa4, p1: 4, p2: 0 })).toBe('CLA=00 INS=a4 P1P2=0400');
  });
});
