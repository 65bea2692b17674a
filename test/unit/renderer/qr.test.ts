/**
 * The QR encoder (renderer/src/lib/qr): the Reed–Solomon vector of ISO/IEC 18004 Annex I
 * ("01234567", 1-M), the format and version information tables, the finder patterns, the
 * byte-mode codewords, and a decoded round trip through zbarimg (Debian zbar-tools) for
 * every mask and versions 1 to 10 when it is installed (with CI=true it must be).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  byteCapacity,
  chooseVersion,
  dataCodewordsFor,
  encodeQr,
  formatBits,
  interleaved,
  penalty,
  QrTooLongError,
  qrSvgPath,
  rsEncode,
  totalCodewords,
  versionBits,
  type QrCode,
} from '../../../renderer/src/lib/qr/qr.ts';

const hex = (words: number[]) => words.map((w) => w.toString(16).padStart(2, '0')).join(' ');
const BANKID = 'bankid.67df3917-fa0d-44e5-b327-edcc928297f8.12.dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8';

describe('Reed–Solomon and the codewords', () => {
  it('matches the ISO/IEC 18004 Annex I example (1-M, "01234567")', () => {
    // The data codewords of the standard's worked example (numeric mode) and its 10 EC codewords.
    const data = [0x10, 0x20, 0x0c, 0x56, 0x61, 0x80, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11];
    expect(hex(rsEncode(data, 10))).toBe('a5 24 d4 c1 ed 36 c7 87 2c 55');
  });

  it('byte mode: 0100, the count, the bytes, terminator, then 0xEC 0x11 padding', () => {
    const words = dataCodewordsFor(new TextEncoder().encode('AB'), 1);
    // 0100 00000010 01000001 01000010 0000 → 40 24 14 20, then pads to 16 codewords.
    expect(hex(words)).toBe('40 24 14 20 ec 11 ec 11 ec 11 ec 11 ec 11 ec 11');
  });

  it('has the capacities of level M, versions 1 to 10 (byte mode)', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(byteCapacity)).toEqual([14, 26, 42, 62, 84, 106, 122, 152, 180, 213]);
    expect([1, 7, 10].map(totalCodewords)).toEqual([26, 196, 346]);
    expect(chooseVersion(14)).toBe(1);
    expect(chooseVersion(15)).toBe(2);
    expect(chooseVersion(BANKID.length)).toBe(7);
    expect(() => encodeQr('x'.repeat(214))).toThrow(QrTooLongError);
  });

  it('interleaves blocks of unequal length (version 10: 4 × 43 + 1 × 44 data codewords)', () => {
    const data = Array.from({ length: 216 }, (_, i) => i & 0xff);
    const out = interleaved(data, 10);
    expect(out).toHaveLength(346);
    expect(out.slice(0, 5)).toEqual([0, 43, 86, 129, 172]);
    // After 43 rounds only the long block has a codeword left.
    expect(out[215]).toBe(215);
  });
});

describe('format and version information', () => {
  it('format bits of level M for the eight masks (ISO/IEC 18004 table C.1)', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((m) => formatBits(m).toString(2).padStart(15, '0'))).toEqual([
      '101010000010010',
      '101000100100101',
      '101111001111100',
      '101101101001011',
      '100010111111001',
      '100000011001110',
      '100111110010111',
      '100101010100000',
    ]);
    expect(formatBits(0, 0b01).toString(2)).toBe('111011111000100'); // level L, mask 0
  });

  it('version information (table D.1)', () => {
    expect(versionBits(7).toString(2).padStart(18, '0')).toBe('000111110010010100');
    expect(versionBits(10).toString(16)).toBe('a4d3');
  });

  it('the matrix carries the format bits twice, and the dark module', () => {
    const qr = encodeQr(BANKID);
    const bits = formatBits(qr.mask);
    const m = qr.modules;
    const around: boolean[] = [];
    for (let i = 0; i <= 5; i++) around.push(m[i]![8]!);
    around.push(m[7]![8]!, m[8]![8]!, m[8]![7]!);
    for (let i = 9; i < 15; i++) around.push(m[8]![14 - i]!);
    const split: boolean[] = [];
    for (let i = 0; i < 8; i++) split.push(m[8]![qr.size - 1 - i]!);
    for (let i = 8; i < 15; i++) split.push(m[qr.size - 15 + i]![8]!);
    const expected = Array.from({ length: 15 }, (_, i) => ((bits >>> i) & 1) === 1);
    expect(around).toEqual(expected);
    expect(split).toEqual(expected);
    expect(m[qr.size - 8]![8]).toBe(true);
  });
});

describe('the matrix', () => {
  const finderAt = (qr: QrCode, x0: number, y0: number) =>
    Array.from({ length: 7 }, (_, y) => Array.from({ length: 7 }, (_, x) => (qr.modules[y0 + y]![x0 + x] ? '#' : '.')).join(''));
  const FINDER = ['#######', '#.....#', '#.###.#', '#.###.#', '#.###.#', '#.....#', '#######'];

  it('has the three finder patterns, their separators and the timing patterns', () => {
    const qr = encodeQr(BANKID);
    expect(qr.size).toBe(45);
    expect(finderAt(qr, 0, 0)).toEqual(FINDER);
    expect(finderAt(qr, qr.size - 7, 0)).toEqual(FINDER);
    expect(finderAt(qr, 0, qr.size - 7)).toEqual(FINDER);
    for (let i = 0; i < 8; i++) {
      expect(qr.modules[7]![i]).toBe(false);
      expect(qr.modules[i]![7]).toBe(false);
      expect(qr.modules[7]![qr.size - 1 - i]).toBe(false);
      expect(qr.modules[qr.size - 8]![i]).toBe(false);
    }
    for (let i = 8; i < qr.size - 8; i++) {
      expect(qr.modules[6]![i]).toBe(i % 2 === 0);
      expect(qr.modules[i]![6]).toBe(i % 2 === 0);
    }
  });

  it('is deterministic and picks the mask with the lowest penalty', () => {
    const best = encodeQr(BANKID);
    expect(encodeQr(BANKID)).toEqual(best);
    const scores = [0, 1, 2, 3, 4, 5, 6, 7].map((mask) => penalty(encodeQr(BANKID, { mask }).modules));
    expect(penalty(best.modules)).toBe(Math.min(...scores));
  });

  it('draws one SVG path, runs of dark modules as one rectangle', () => {
    const qr = encodeQr('A');
    const d = qrSvgPath(qr);
    expect(d.startsWith('M4 4h7v1h-7z')).toBe(true); // the top-left finder's first row
    expect(d).not.toMatch(/NaN|undefined/);
  });
});

// --- decoded by a real reader

const zbar = spawnSync('zbarimg', ['--version'], { encoding: 'utf8' }).status === 0;
if (!zbar && process.env.CI === 'true') throw new Error('zbarimg is missing: apt-get install zbar-tools');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ekort-qr-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The code as a PGM image: 4 pixels a module, the 4-module quiet zone. */
function pgm(qr: QrCode, scale = 4): Buffer {
  const n = (qr.size + 8) * scale;
  const px = Buffer.alloc(n * n, 255);
  for (let y = 0; y < qr.size; y++)
    for (let x = 0; x < qr.size; x++)
      if (qr.modules[y]![x]) for (let dy = 0; dy < scale; dy++) px.fill(0, ((y + 4) * scale + dy) * n + (x + 4) * scale, ((y + 4) * scale + dy) * n + (x + 5) * scale);
  return Buffer.concat([Buffer.from(`P5\n${n} ${n}\n255\n`), px]);
}

function decode(qr: QrCode): string {
  const file = path.join(tmp, `qr-${qr.version}-${qr.mask}.pgm`);
  writeFileSync(file, pgm(qr));
  return execFileSync('zbarimg', ['-q', '--raw', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).replace(/\n$/, '');
}

describe.skipIf(!zbar)('decoded by zbarimg', () => {
  it('the BankID code with each of the eight masks', () => {
    for (let mask = 0; mask < 8; mask++) expect(decode(encodeQr(BANKID, { mask }))).toBe(BANKID);
  });

  it('every version 1 to 10 at its full capacity', () => {
    for (let v = 1; v <= 10; v++) {
      const text = Array.from({ length: byteCapacity(v) }, (_, i) => String.fromCharCode(33 + ((i * 7 + v) % 94))).join('');
      const qr = encodeQr(text);
      expect(qr.version).toBe(v);
      expect(decode(qr)).toBe(text);
    }
  });
});
