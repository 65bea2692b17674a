/**
 * A small QR code encoder (ISO/IEC 18004): byte mode, error correction level M, versions 1 to
 * 10 (up to 213 bytes), for the animated Mobilt BankID code (~110 ASCII bytes: version 7).
 * Pure functions, no DOM: `encodeQr(text)` gives the module matrix, `qrSvgPath` one SVG path.
 *
 * The steps of the standard: mode indicator 0100, 8-bit count, the bytes, terminator, pad to
 * whole codewords with 0xEC 0x11; split into blocks, Reed–Solomon error correction per block
 * (GF(256) with x^8+x^4+x^3+x^2+1, generator roots α^0..α^(n-1)); interleave; place in the
 * matrix (finder, separator, timing, alignment patterns, the dark module, version
 * information from version 7); try the eight masks and keep the one with the lowest penalty
 * (rules N1–N4); write the format information (BCH(15,5), XOR 101010000010010).
 */

export const MIN_VERSION = 1;
export const MAX_VERSION = 10;

/** Level M, versions 1..10: error correction codewords per block, and the number of blocks. */
const ECC_PER_BLOCK_M = [0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26] as const;
const BLOCKS_M = [0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5] as const;
/** Centre coordinates of the alignment patterns, versions 1..10. */
const ALIGNMENT: readonly (readonly number[])[] = [[], [], [6, 18], [6, 22], [6, 26], [6, 30], [6, 34], [6, 22, 38], [6, 24, 42], [6, 26, 46], [6, 28, 50]];
/** Format information's error correction level bits: L 01, M 00, Q 11, H 10. */
const EC_BITS_M = 0b00;

export class QrTooLongError extends Error {
  constructor(bytes: number) {
    super(`QR: ${bytes} bytes do not fit version ${MAX_VERSION} at level M (at most ${byteCapacity(MAX_VERSION)} bytes).`);
    this.name = 'QrTooLongError';
  }
}

export interface QrCode {
  version: number;
  /** 0..7 */
  mask: number;
  /** Modules per side: 17 + 4 × version. */
  size: number;
  /** modules[y][x]: true is dark. */
  modules: boolean[][];
}

export const sizeOf = (version: number): number => 17 + 4 * version;

/** Modules available for data and error correction (everything but the function patterns). */
export function rawDataModules(version: number): number {
  let n = (16 * version + 128) * version + 64;
  if (version >= 2) {
    const align = Math.floor(version / 7) + 2;
    n -= (25 * align - 10) * align - 55;
    if (version >= 7) n -= 36;
  }
  return n;
}

export const totalCodewords = (version: number): number => Math.floor(rawDataModules(version) / 8);
export const dataCodewords = (version: number): number => totalCodewords(version) - ECC_PER_BLOCK_M[version]! * BLOCKS_M[version]!;
/** Bytes that fit in byte mode at level M: 4 bits mode + 8 bits count (versions 1–9) or 16 (10+). */
export const byteCapacity = (version: number): number => Math.floor((dataCodewords(version) * 8 - 4 - countBits(version)) / 8);
const countBits = (version: number): number => (version <= 9 ? 8 : 16);

// --- GF(256) and Reed–Solomon

const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;
}
const mul = (a: number, b: number): number => (a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!);

/** The generator polynomial of degree n, highest coefficient first (the leading 1 dropped). */
export function rsGenerator(n: number): number[] {
  let poly = [1];
  for (let i = 0; i < n; i++) {
    const next = new Array<number>(poly.length + 1).fill(0);
    for (let j = 0; j < poly.length; j++) {
      next[j] = next[j]! ^ poly[j]!;
      next[j + 1] = next[j + 1]! ^ mul(poly[j]!, EXP[i]!);
    }
    poly = next;
  }
  return poly.slice(1);
}

/** The n error correction codewords of `data`. */
export function rsEncode(data: readonly number[], n: number): number[] {
  const gen = rsGenerator(n);
  const rem = new Array<number>(n).fill(0);
  for (const byte of data) {
    const factor = byte ^ rem.shift()!;
    rem.push(0);
    for (let i = 0; i < n; i++) rem[i] = rem[i]! ^ mul(gen[i]!, factor);
  }
  return rem;
}

// --- data codewords

/** UTF-8 bytes of a string (TextEncoder exists in browsers and Node). */
export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The smallest version 1..10 whose level M holds `length` bytes. */
export function chooseVersion(length: number): number {
  for (let v = MIN_VERSION; v <= MAX_VERSION; v++) if (byteCapacity(v) >= length) return v;
  throw new QrTooLongError(length);
}

/** Mode, count, bytes, terminator and padding: the data codewords of `version`. */
export function dataCodewordsFor(bytes: Uint8Array, version: number): number[] {
  const bits: number[] = [];
  const put = (value: number, length: number) => {
    for (let i = length - 1; i >= 0; i--) bits.push((value >>> i) & 1);
  };
  const capacity = dataCodewords(version) * 8;
  if (bytes.length > byteCapacity(version)) throw new QrTooLongError(bytes.length);
  put(0b0100, 4);
  put(bytes.length, countBits(version));
  for (const b of bytes) put(b, 8);
  put(0, Math.min(4, capacity - bits.length));
  while (bits.length % 8 !== 0) bits.push(0);
  const words: number[] = [];
  for (let i = 0; i < bits.length; i += 8) words.push(bits.slice(i, i + 8).reduce((acc, bit) => (acc << 1) | bit, 0));
  for (let pad = 0xec; words.length < dataCodewords(version); pad ^= 0xec ^ 0x11) words.push(pad);
  return words;
}

/** Splits into blocks (short ones first), adds each block's error correction, interleaves. */
export function interleaved(data: readonly number[], version: number): number[] {
  const blocks = BLOCKS_M[version]!;
  const ecc = ECC_PER_BLOCK_M[version]!;
  const total = totalCodewords(version);
  const shortBlocks = blocks - (total % blocks);
  const shortLength = Math.floor(total / blocks) - ecc;
  const dataBlocks: number[][] = [];
  const eccBlocks: number[][] = [];
  let k = 0;
  for (let i = 0; i < blocks; i++) {
    const length = shortLength + (i < shortBlocks ? 0 : 1);
    const block = data.slice(k, k + length);
    k += length;
    dataBlocks.push(block);
    eccBlocks.push(rsEncode(block, ecc));
  }
  const out: number[] = [];
  for (let i = 0; i <= shortLength; i++) for (const block of dataBlocks) if (i < block.length) out.push(block[i]!);
  for (let i = 0; i < ecc; i++) for (const block of eccBlocks) out.push(block[i]!);
  return out;
}

// --- format and version information

/** 15 bits: level M and the mask, BCH(15,5) with 0x537, XOR 0x5412. */
export function formatBits(mask: number, ecBits: number = EC_BITS_M): number {
  const data = (ecBits << 3) | mask;
  let rem = data;
  for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
  return ((data << 10) | rem) ^ 0x5412;
}

/** 18 bits for versions 7+: the version, BCH(18,6) with 0x1F25. */
export function versionBits(version: number): number {
  let rem = version;
  for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
  return (version << 12) | rem;
}

// --- the matrix

class Matrix {
  readonly modules: boolean[][];
  readonly isFunction: boolean[][];

  constructor(readonly size: number) {
    this.modules = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
    this.isFunction = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
  }

  setFunction(x: number, y: number, dark: boolean): void {
    this.modules[y]![x] = dark;
    this.isFunction[y]![x] = true;
  }
}

function drawFunctionPatterns(m: Matrix, version: number): void {
  const size = m.size;
  for (let i = 0; i < size; i++) {
    m.setFunction(6, i, i % 2 === 0);
    m.setFunction(i, 6, i % 2 === 0);
  }
  const finder = (cx: number, cy: number) => {
    for (let dy = -4; dy <= 4; dy++) {
      for (let dx = -4; dx <= 4; dx++) {
        const x = cx + dx;
        const y = cy + dy;
        if (x < 0 || y < 0 || x >= size || y >= size) continue;
        const d = Math.max(Math.abs(dx), Math.abs(dy));
        m.setFunction(x, y, d !== 2 && d !== 4);
      }
    }
  };
  finder(3, 3);
  finder(size - 4, 3);
  finder(3, size - 4);
  const centres = ALIGNMENT[version]!;
  for (const cy of centres) {
    for (const cx of centres) {
      // Not on the finder patterns' corners.
      if ((cx === 6 && cy === 6) || (cx === 6 && cy === size - 7) || (cx === size - 7 && cy === 6)) continue;
      for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) m.setFunction(cx + dx, cy + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
    }
  }
  drawFormat(m, 0); // reserves the format areas (and the dark module)
  if (version >= 7) {
    const bits = versionBits(version);
    for (let i = 0; i < 18; i++) {
      const dark = ((bits >>> i) & 1) === 1;
      const a = size - 11 + (i % 3);
      const b = Math.floor(i / 3);
      m.setFunction(a, b, dark);
      m.setFunction(b, a, dark);
    }
  }
}

/** The format information, twice: around the top-left finder, and split top-right/bottom-left. */
function drawFormat(m: Matrix, mask: number): void {
  const bits = formatBits(mask);
  const bit = (i: number) => ((bits >>> i) & 1) === 1;
  const size = m.size;
  for (let i = 0; i <= 5; i++) m.setFunction(8, i, bit(i));
  m.setFunction(8, 7, bit(6));
  m.setFunction(8, 8, bit(7));
  m.setFunction(7, 8, bit(8));
  for (let i = 9; i < 15; i++) m.setFunction(14 - i, 8, bit(i));
  for (let i = 0; i < 8; i++) m.setFunction(size - 1 - i, 8, bit(i));
  for (let i = 8; i < 15; i++) m.setFunction(8, size - 15 + i, bit(i));
  m.setFunction(8, size - 8, true); // the dark module
}

/** Codewords into the non-function modules: two-column zigzag from the bottom right. */
function placeCodewords(m: Matrix, codewords: readonly number[]): void {
  const size = m.size;
  let i = 0;
  const totalBits = codewords.length * 8;
  for (let right = size - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5; // skip the vertical timing pattern
    for (let vert = 0; vert < size; vert++) {
      for (let j = 0; j < 2; j++) {
        const x = right - j;
        const upward = ((right + 1) & 2) === 0;
        const y = upward ? size - 1 - vert : vert;
        if (m.isFunction[y]![x] || i >= totalBits) continue;
        m.modules[y]![x] = ((codewords[i >>> 3]! >>> (7 - (i & 7))) & 1) === 1;
        i++;
      }
    }
  }
}

/** The mask conditions of ISO/IEC 18004 (i row, j column). */
export const MASKS: ReadonlyArray<(i: number, j: number) => boolean> = [
  (i, j) => (i + j) % 2 === 0,
  (i) => i % 2 === 0,
  (_i, j) => j % 3 === 0,
  (i, j) => (i + j) % 3 === 0,
  (i, j) => (Math.floor(i / 2) + Math.floor(j / 3)) % 2 === 0,
  (i, j) => ((i * j) % 2) + ((i * j) % 3) === 0,
  (i, j) => (((i * j) % 2) + ((i * j) % 3)) % 2 === 0,
  (i, j) => (((i + j) % 2) + ((i * j) % 3)) % 2 === 0,
];

function applyMask(m: Matrix, mask: number): void {
  const condition = MASKS[mask]!;
  for (let y = 0; y < m.size; y++) for (let x = 0; x < m.size; x++) if (!m.isFunction[y]![x] && condition(y, x)) m.modules[y]![x] = !m.modules[y]![x];
}

/** The penalty score of rules N1 (runs), N2 (2×2 blocks), N3 (finder-like), N4 (balance). */
export function penalty(modules: readonly (readonly boolean[])[]): number {
  const size = modules.length;
  let score = 0;
  const line = (get: (k: number) => boolean) => {
    let run = 1;
    for (let k = 1; k <= size; k++) {
      if (k < size && get(k) === get(k - 1)) run++;
      else {
        if (run >= 5) score += 3 + (run - 5);
        run = 1;
      }
    }
    // N3: 1:1:3:1:1 dark-light pattern with four light modules on one side.
    for (let k = 0; k + 11 <= size; k++) {
      const seq = Array.from({ length: 11 }, (_, d) => get(k + d));
      const a = [true, false, true, true, true, false, true, false, false, false, false];
      const b = [false, false, false, false, true, false, true, true, true, false, true];
      if (seq.every((v, d) => v === a[d]) || seq.every((v, d) => v === b[d])) score += 40;
    }
  };
  for (let y = 0; y < size; y++) line((x) => modules[y]![x]!);
  for (let x = 0; x < size; x++) line((y) => modules[y]![x]!);
  for (let y = 0; y + 1 < size; y++) {
    for (let x = 0; x + 1 < size; x++) {
      const c = modules[y]![x];
      if (c === modules[y]![x + 1] && c === modules[y + 1]![x] && c === modules[y + 1]![x + 1]) score += 3;
    }
  }
  let dark = 0;
  for (const row of modules) for (const v of row) if (v) dark++;
  const total = size * size;
  score += Math.floor(Math.abs(dark * 20 - total * 10) / total) * 10;
  return score;
}

/** The QR code of `text` (UTF-8, byte mode, level M), smallest version; `mask` forces one. */
export function encodeQr(text: string | Uint8Array, options: { mask?: number; minVersion?: number } = {}): QrCode {
  const bytes = typeof text === 'string' ? utf8(text) : text;
  const version = Math.max(chooseVersion(bytes.length), options.minVersion ?? MIN_VERSION);
  if (version > MAX_VERSION) throw new QrTooLongError(bytes.length);
  const codewords = interleaved(dataCodewordsFor(bytes, version), version);
  const size = sizeOf(version);
  const masks = options.mask === undefined ? [0, 1, 2, 3, 4, 5, 6, 7] : [options.mask];
  let best: { mask: number; modules: boolean[][]; score: number } | undefined;
  for (const mask of masks) {
    const m = new Matrix(size);
    drawFunctionPatterns(m, version);
    placeCodewords(m, codewords);
    applyMask(m, mask);
    drawFormat(m, mask);
    const score = penalty(m.modules);
    if (!best || score < best.score) best = { mask, modules: m.modules, score };
  }
  return { version, mask: best!.mask, size, modules: best!.modules };
}

/** One SVG path ("M x y h1 v1 h-1 z" per dark module) in module units, offset by `quiet`. */
export function qrSvgPath(qr: QrCode, quiet = 4): string {
  const parts: string[] = [];
  for (let y = 0; y < qr.size; y++) {
    for (let x = 0; x < qr.size; x++) {
      if (!qr.modules[y]![x]) continue;
      // Runs of dark modules in a row become one rectangle.
      let run = 1;
      while (x + run < qr.size && qr.modules[y]![x + run]) run++;
      parts.push(`M${x + quiet} ${y + quiet}h${run}v1h-${run}z`);
      x += run - 1;
    }
  }
  return parts.join('');
}
