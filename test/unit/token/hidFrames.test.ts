import { describe, expect, it } from 'vitest';
import {
  CRC_RESIDUAL,
  RESET_REPORT,
  SLOT_CHAL_HMAC1,
  SLOT_CHAL_HMAC2,
  STATUS_RESPONSE,
  STATUS_TOUCH_WAIT,
  STATUS_WRITE_PENDING,
  buildFrame,
  crc16,
  frameChunks,
  padChallenge,
  parseResponse,
  unpadChallenge,
  withResponseCrc,
} from '../../../src/token/hidFrames.ts';
import { errCode } from '../../support/failures.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const range = (n: number, from = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

describe('crc16', () => {
  it('matches the CRC-16/X-25 check value without its final xor', () => {
    // CRC-16/X-25 (init FFFF, reflected 0x8408, xorout FFFF) of "123456789" is 0x906E
    expect(crc16(ascii('123456789'))).toBe(0x906e ^ 0xffff);
    expect(crc16(new Uint8Array(0))).toBe(0xffff);
  });

  it('leaves the residual 0xF0B8 over data + complemented CRC (little-endian)', () => {
    for (const data of [new Uint8Array(0), ascii('123456789'), range(20), new Uint8Array(20).fill(0xff)]) {
      const withCrc = withResponseCrc(data);
      expect(withCrc.length).toBe(data.length + 2);
      expect(crc16(withCrc)).toBe(CRC_RESIDUAL);
    }
  });
});

describe('constants', () => {
  it('has the protocol values', () => {
    expect([STATUS_WRITE_PENDING, STATUS_RESPONSE, STATUS_TOUCH_WAIT]).toEqual([0x80, 0x40, 0x20]);
    expect([SLOT_CHAL_HMAC1, SLOT_CHAL_HMAC2]).toEqual([0x30, 0x38]);
    expect(hex(RESET_REPORT)).toBe('00000000000000ff');
  });
});

describe('padChallenge', () => {
  it('pads with a byte different from the last challenge byte', () => {
    expect(hex(padChallenge(ascii('abc')))).toBe('616263' + '00'.repeat(61));
    expect(hex(padChallenge(Uint8Array.of(7, 0)))).toBe('0700' + '01'.repeat(62));
    expect(hex(padChallenge(range(63)))).toBe(hex(range(63)) + '00');
  });

  it('strips like the token: a raw 64-byte payload loses its trailing run', () => {
    expect(unpadChallenge(range(64))).toEqual(range(63));
    expect(unpadChallenge(Uint8Array.of(1, 2, 2, 2))).toEqual(Uint8Array.of(1));
  });

  it('round-trips through the token-side strip', () => {
    for (const c of [Uint8Array.of(0), Uint8Array.of(1), ascii('abc'), range(20), range(63), Uint8Array.of(5, 0, 0)]) {
      expect(unpadChallenge(padChallenge(c))).toEqual(c);
    }
  });

  it('refuses empty and over-long challenges', () => {
    expect(() => padChallenge(new Uint8Array(0))).toThrow(RangeError);
    expect(() => padChallenge(range(64))).toThrow(RangeError); // no room for a pad byte
    expect(() => padChallenge(new Uint8Array(65))).toThrow(RangeError);
  });
});

describe('buildFrame and frameChunks', () => {
  it('builds a byte-exact frame and its chunks for "abc" in slot 1', () => {
    const frame = buildFrame(SLOT_CHAL_HMAC1, padChallenge(ascii('abc')));
    // CRC-16 (init FFFF, poly 8408, no xorout) of the 64-byte payload = 0x9AAA, sent little-endian
    expect(hex(frame)).toBe('616263' + '00'.repeat(61) + '30' + 'aa9a' + '000000');
    expect(frame.length).toBe(70);
    expect(frameChunks(frame).map(hex)).toEqual(['6162630000000080', '0030aa9a00000089']);
  });

  it('puts the plain payload CRC into the frame', () => {
    const payload = padChallenge(range(20));
    const frame = buildFrame(SLOT_CHAL_HMAC2, payload);
    const crc = crc16(payload);
    expect(frame[64]).toBe(0x38);
    expect([frame[65], frame[66]]).toEqual([crc & 0xff, crc >> 8]);
    expect(Array.from(frame.subarray(67))).toEqual([0, 0, 0]);
  });

  it('skips all-zero chunks except the first and the last', () => {
    const seqs = (f: Uint8Array): number[] => frameChunks(f).map((c) => (c[7] ?? 0) & 0x1f);
    // 20-byte challenge + zero padding: chunks 0-2 carry data, 3-8 are zero, 9 carries slot + CRC
    expect(seqs(buildFrame(SLOT_CHAL_HMAC1, padChallenge(range(20))))).toEqual([0, 1, 2, 9]);
    // padding 0x01 (the challenge ends in 0x00): nothing is zero, nothing is skipped
    expect(seqs(buildFrame(SLOT_CHAL_HMAC1, padChallenge(Uint8Array.of(0))))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // an all-zero first chunk is still sent
    const empty = frameChunks(buildFrame(SLOT_CHAL_HMAC1, new Uint8Array(0)));
    expect(empty.map((c) => c[7])).toEqual([0x80, 0x89]);
    expect(hex(empty[0] ?? new Uint8Array(0))).toBe('0000000000000080');
    for (const c of frameChunks(buildFrame(SLOT_CHAL_HMAC2, padChallenge(range(33))))) expect(c.length).toBe(8);
  });

  it('reassembles to the frame', () => {
    const frame = buildFrame(SLOT_CHAL_HMAC2, padChallenge(range(41, 200)));
    const back = new Uint8Array(70);
    for (const c of frameChunks(frame)) back.set(c.subarray(0, 7), ((c[7] ?? 0) & 0x1f) * 7);
    expect(back).toEqual(frame);
  });

  it('refuses bad input', () => {
    expect(() => buildFrame(0x30, new Uint8Array(65))).toThrow(RangeError);
    expect(() => buildFrame(0x130, new Uint8Array(1))).toThrow(RangeError);
    expect(() => frameChunks(new Uint8Array(69))).toThrow(RangeError);
  });
});

describe('parseResponse', () => {
  const hmac = range(20, 0xa0);

  it('returns the 20-byte HMAC of a response with a good CRC (chunk padding ignored)', () => {
    const resp = new Uint8Array(28);
    resp.set(withResponseCrc(hmac));
    expect(parseResponse(resp)).toEqual(hmac);
    expect(parseResponse(withResponseCrc(hmac))).toEqual(hmac);
  });

  it('raises FRAME_CRC_MISMATCH on a damaged or short response', () => {
    const resp = withResponseCrc(hmac);
    for (const i of [0, 10, 19, 20, 21]) {
      const bad = resp.slice();
      bad[i] = (bad[i] ?? 0) ^ 0x01;
      expect(errCode(() => parseResponse(bad))).toBe('FRAME_CRC_MISMATCH');
    }
    expect(errCode(() => parseResponse(resp.subarray(0, 21)))).toBe('FRAME_CRC_MISMATCH');
    // a plain (not complemented) CRC is not what the token sends
    const plain = new Uint8Array(22);
    plain.set(hmac);
    const crc = crc16(hmac);
    plain[20] = crc & 0xff;
    plain[21] = crc >> 8;
    expect(errCode(() => parseResponse(plain))).toBe('FRAME_CRC_MISMATCH');
  });
});
