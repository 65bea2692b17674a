/**
 * Answer-to-reset, ISO/IEC 7816-3 §8.2 (structure) and §8.3 (global interface bytes), with the
 * historical bytes decoded per ISO/IEC 7816-4 §8.1.1 when they are compact-TLV.
 */
import { EkortError } from '../errors.ts';
import { hex16, toHex } from './hex.ts';
import { describeStatus } from './statusWords.ts';

export class AtrError extends EkortError {
  constructor(message: string) {
    super('ATR_MALFORMED', message);
  }
}

/** ISO/IEC 7816-3 §8.2.1: TS plus at most 32 characters. */
export const ATR_MAX_LENGTH = 33;
/** ISO/IEC 7816-3 §8.1: TS = 3B direct convention, 3F inverse convention. */
export const TS_DIRECT = 0x3b;
export const TS_INVERSE = 0x3f;

/** ISO/IEC 7816-3 §8.3, Table 7: [Fi, f(max) in MHz] by the high nibble of TA1; undefined is RFU. */
const FI_TABLE: readonly (readonly [number, number] | undefined)[] = [
  [372, 4], [372, 5], [558, 6], [744, 8], [1116, 12], [1488, 16], [1860, 20], undefined,
  undefined, [512, 5], [768, 7.5], [1024, 10], [1536, 15], [2048, 20], undefined, undefined,
];
/** ISO/IEC 7816-3 §8.3, Table 8: Di by the low nibble of TA1; undefined is RFU. */
const DI_TABLE: readonly (number | undefined)[] = [
  undefined, 1, 2, 4, 8, 16, 32, 64, 12, 20, undefined, undefined, undefined, undefined, undefined, undefined,
];

export interface AtrInterfaceGroup {
  /** i of TAi, TBi, TCi, TDi (from 1). */
  index: number;
  /** For i >= 2: the protocol T announced by TD(i-1), which these bytes belong to (15 = global). */
  protocol?: number;
  ta?: number;
  tb?: number;
  tc?: number;
  td?: number;
}

export interface TransmissionParameters {
  /** TA1's nibbles; TA1 absent means the default 11 (Fi 372, Di 1, 5 MHz). */
  fiIndex: number;
  diIndex: number;
  /** Undefined when the index is RFU. */
  fi?: number;
  di?: number;
  fmaxMHz?: number;
  fromTa1: boolean;
}

/** ISO/IEC 7816-3 §8.3 (TA2): present means the card is in specific mode. */
export type AtrMode =
  | { kind: 'negotiable' }
  | { kind: 'specific'; protocol: number; canChange: boolean; implicitParameters: boolean };

export interface CompactTlv {
  /** 4-bit tag, ISO/IEC 7816-4 §8.1.1.2 (e.g. 7 = card capabilities). */
  tag: number;
  value: Uint8Array;
}

/** ISO/IEC 7816-4 §8.1.1.2.7, card capabilities (compact tag 7). */
export interface CardCapabilities {
  bytes: Uint8Array;
  /** First software function table: DF selection methods, short EF identifiers, records. */
  selectionMethods?: number;
  /** Second table: data coding byte. */
  dataCoding?: number;
  /** Third table b8. */
  supportsCommandChaining: boolean;
  /** Third table b7: extended Lc and Le fields. */
  supportsExtendedLength: boolean;
  /** Third table b3-b1 plus one (8 means 8 or more). */
  maxLogicalChannels?: number;
}

/** ISO/IEC 7816-4 §8.1.1.3: life cycle status and/or status word. */
export interface StatusIndicator {
  lcs?: number;
  sw?: number;
}

export interface HistoricalBytes {
  bytes: Uint8Array;
  /** The category indicator (first byte), absent when there are no historical bytes. */
  category?: number;
  format: 'none' | 'compact-tlv' | 'dir-reference' | 'rfu' | 'proprietary';
  compactTlv?: CompactTlv[];
  status?: StatusIndicator;
  cardCapabilities?: CardCapabilities;
  /** Why the compact-TLV objects could not all be read; the ATR itself is still valid. */
  error?: string;
}

export interface Atr {
  bytes: Uint8Array;
  convention: 'direct' | 'inverse';
  t0: number;
  /** K, the number of historical bytes (low nibble of T0). */
  historicalLength: number;
  interfaceGroups: AtrInterfaceGroup[];
  /** Offered protocols in order; [0] when there is no TD1 (T=0 implied). T=15 is not a protocol. */
  protocols: number[];
  transmission: TransmissionParameters;
  /** N from TC1 (0 when absent); 255 means the minimum guard time. */
  extraGuardTime: number;
  mode: AtrMode;
  historical: HistoricalBytes;
  /** From the card capabilities in the historical bytes; false when the card does not say. */
  supportsExtendedLength: boolean;
  /** Present iff a protocol other than T=0 is indicated (ISO/IEC 7816-3 §8.2.5). */
  tck?: number;
  /** XOR of T0..TCK is zero; undefined when there is no TCK. */
  tckValid?: boolean;
}

const INTERFACE_KEYS = ['ta', 'tb', 'tc', 'td'] as const;

export function parseAtr(bytes: Uint8Array): Atr {
  const n = bytes.length;
  if (n < 2) throw new AtrError(`ATR of ${n} byte(s) is too short: TS and T0 are mandatory`);
  if (n > ATR_MAX_LENGTH) throw new AtrError(`ATR of ${n} bytes is longer than ${ATR_MAX_LENGTH}`);
  const ts = bytes[0]!;
  if (ts !== TS_DIRECT && ts !== TS_INVERSE) {
    throw new AtrError(`TS ${hex8(ts)} is neither 3B (direct) nor 3F (inverse convention)`);
  }
  const t0 = bytes[1]!;
  const k = t0 & 0x0f;

  const groups: AtrInterfaceGroup[] = [];
  const protocols: number[] = [];
  let needsTck = false;
  let y = t0 >> 4;
  let at = 2;
  let previousT: number | undefined;
  for (let i = 1; ; i++) {
    const group: AtrInterfaceGroup = { index: i };
    if (previousT !== undefined) group.protocol = previousT;
    INTERFACE_KEYS.forEach((key, bit) => {
      if ((y & (1 << bit)) === 0) return;
      if (at >= n) throw new AtrError(`ATR truncated: T${key[1]!.toUpperCase()}${i} missing`);
      group[key] = bytes[at++]!;
    });
    groups.push(group);
    if (group.td === undefined) break;
    const t = group.td & 0x0f;
    if (t !== 0) needsTck = true;
    if (t !== 15 && !protocols.includes(t)) protocols.push(t);
    previousT = t;
    y = group.td >> 4;
  }
  if (protocols.length === 0) protocols.push(0);

  if (at + k > n) throw new AtrError(`ATR truncated: ${k} historical bytes announced, ${n - at} present`);
  const historicalBytes = bytes.subarray(at, at + k);
  at += k;

  let tck: number | undefined;
  let tckValid: boolean | undefined;
  if (needsTck) {
    if (at >= n) throw new AtrError('ATR truncated: TCK missing (required when a protocol other than T=0 is offered)');
    tck = bytes[at++]!;
    let x = 0;
    for (let i = 1; i < at; i++) x ^= bytes[i]!;
    tckValid = x === 0;
  }
  if (at !== n) throw new AtrError(`${n - at} unexpected byte(s) after the end of the ATR`);

  const g1 = groups[0]!;
  const g2 = groups[1];
  const historical = parseHistoricalBytes(historicalBytes);
  const atr: Atr = {
    bytes,
    convention: ts === TS_DIRECT ? 'direct' : 'inverse',
    t0,
    historicalLength: k,
    interfaceGroups: groups,
    protocols,
    transmission: transmissionParameters(g1.ta),
    extraGuardTime: g1.tc ?? 0,
    mode:
      g2?.ta === undefined
        ? { kind: 'negotiable' }
        : {
            kind: 'specific',
            protocol: g2.ta & 0x0f,
            canChange: (g2.ta & 0x80) === 0,
            implicitParameters: (g2.ta & 0x10) !== 0,
          },
    historical,
    supportsExtendedLength: historical.cardCapabilities?.supportsExtendedLength ?? false,
  };
  if (tck !== undefined) {
    atr.tck = tck;
    atr.tckValid = tckValid;
  }
  return atr;
}

function transmissionParameters(ta1: number | undefined): TransmissionParameters {
  const value = ta1 ?? 0x11;
  const fiIndex = value >> 4;
  const diIndex = value & 0x0f;
  const out: TransmissionParameters = { fiIndex, diIndex, fromTa1: ta1 !== undefined };
  const fi = FI_TABLE[fiIndex];
  if (fi) {
    out.fi = fi[0];
    out.fmaxMHz = fi[1];
  }
  const di = DI_TABLE[diIndex];
  if (di !== undefined) out.di = di;
  return out;
}

/** ISO/IEC 7816-4 §8.1.1: the category indicator, then compact-TLV for categories 00 and 80. */
export function parseHistoricalBytes(bytes: Uint8Array): HistoricalBytes {
  if (bytes.length === 0) return { bytes, format: 'none' };
  const category = bytes[0]!;
  const out: HistoricalBytes = { bytes, category, format: 'proprietary' };
  let body: Uint8Array;
  if (category === 0x80) {
    body = bytes.subarray(1);
  } else if (category === 0x00) {
    // Category 00: compact-TLV objects, then a mandatory 3-byte status indicator (LCS, SW1, SW2).
    out.format = 'compact-tlv';
    if (bytes.length < 4) {
      out.error = 'category 00 needs a 3-byte status indicator at the end';
      return out;
    }
    const s = bytes.length - 3;
    out.status = { lcs: bytes[s]!, sw: (bytes[s + 1]! << 8) | bytes[s + 2]! };
    body = bytes.subarray(1, s);
  } else {
    if (category === 0x10) out.format = 'dir-reference';
    else if (category >= 0x81 && category <= 0x8f) out.format = 'rfu';
    return out;
  }
  out.format = 'compact-tlv';
  const objects: CompactTlv[] = [];
  out.compactTlv = objects;
  for (let at = 0; at < body.length; ) {
    const tag = body[at]! >> 4;
    const len = body[at]! & 0x0f;
    if (at + 1 + len > body.length) {
      out.error = `compact-TLV tag ${tag} of length ${len} runs past the historical bytes`;
      break;
    }
    const value = body.subarray(at + 1, at + 1 + len);
    objects.push({ tag, value });
    if (tag === 0x7) out.cardCapabilities = cardCapabilities(value);
    if (tag === 0x8 && out.status === undefined) out.status = statusIndicator(value);
    at += 1 + len;
  }
  return out;
}

function cardCapabilities(value: Uint8Array): CardCapabilities {
  const third = value[2];
  const caps: CardCapabilities = {
    bytes: value,
    supportsCommandChaining: third !== undefined && (third & 0x80) !== 0,
    supportsExtendedLength: third !== undefined && (third & 0x40) !== 0,
  };
  if (value[0] !== undefined) caps.selectionMethods = value[0];
  if (value[1] !== undefined) caps.dataCoding = value[1];
  if (third !== undefined) caps.maxLogicalChannels = (third & 0x07) + 1;
  return caps;
}

/** ISO/IEC 7816-4 §8.1.1.3: 1 byte LCS, 2 bytes SW, 3 bytes LCS and SW. */
function statusIndicator(value: Uint8Array): StatusIndicator {
  if (value.length === 1) return { lcs: value[0]! };
  if (value.length === 2) return { sw: (value[0]! << 8) | value[1]! };
  if (value.length === 3) return { lcs: value[0]!, sw: (value[1]! << 8) | value[2]! };
  return {};
}

function hex8(v: number): string {
  return v.toString(16).toUpperCase().padStart(2, '0');
}

function bits4(v: number): string {
  return v.toString(2).padStart(4, '0');
}

/** ISO/IEC 7816-4 §8.1.1.2, Table 83: compact-TLV tags of the historical bytes. */
const COMPACT_TAG_NAMES: Record<number, string> = {
  0x1: 'country code and national data',
  0x2: 'issuer identification number',
  0x3: 'card service data',
  0x4: 'initial access data',
  0x5: "card issuer's data",
  0x6: 'pre-issuing data',
  0x7: 'card capabilities',
  0x8: 'status indicator',
  0xf: 'application identifier',
};

function printable(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
}

function describeInterfaceByte(key: 'ta' | 'tb' | 'tc', group: AtrInterfaceGroup, value: number, atr: Atr): string[] {
  const i = group.index;
  const name = `${key.toUpperCase()}(${i}) = ${hex8(value)}`;
  if (i === 1 && key === 'ta') {
    const t = atr.transmission;
    if (t.fi === undefined || t.di === undefined || t.fmaxMHz === undefined) return [`  ${name} --> Fi or Di is RFU`];
    const cycles = t.fi / t.di;
    const at4 = Math.floor((4_000_000 * t.di) / t.fi);
    const atMax = Math.floor((t.fmaxMHz * 1_000_000 * t.di) / t.fi);
    return [
      `  ${name} --> Fi=${t.fi}, Di=${t.di}, ${Number.isInteger(cycles) ? cycles : cycles.toFixed(3)} cycles/ETU`,
      `    ${at4} bits/s at 4 MHz, fMax for Fi = ${t.fmaxMHz} MHz => ${atMax} bits/s`,
    ];
  }
  if (i === 1 && key === 'tb') {
    return [`  ${name} --> ${value === 0 ? 'VPP is not electrically connected' : 'VPP programming parameters (deprecated)'}`];
  }
  if (i === 1 && key === 'tc') {
    return [`  ${name} --> Extra guard time: ${value}${value === 255 ? ' (minimum guard time)' : ''}`];
  }
  if (i === 2 && key === 'ta') {
    const m = atr.mode;
    if (m.kind !== 'specific') return [`  ${name}`];
    return [
      `  ${name} --> Specific mode, protocol T=${m.protocol}, ${m.canChange ? 'capable' : 'unable'} to change` +
        `, parameters ${m.implicitParameters ? 'implicitly known' : 'defined by the interface bytes'}`,
    ];
  }
  if (i === 2 && key === 'tc' && group.protocol === 0) return [`  ${name} --> Work Waiting Integer: ${value}`];
  if (i >= 3 && group.protocol === 1) {
    if (key === 'ta') return [`  ${name} --> IFSC: ${value}`];
    if (key === 'tb') return [`  ${name} --> Block Waiting Integer: ${value >> 4} - Character Waiting Integer: ${value & 0x0f}`];
    return [`  ${name} --> Error detection code: ${value & 1 ? 'CRC' : 'LRC'}`];
  }
  if (i >= 3 && group.protocol === 15 && key === 'ta') {
    const stop = ['not supported', 'state L', 'state H', 'no preference'][value >> 6]!;
    const classes = ['A 5V', 'B 3V', 'C 1.8V'].filter((_, b) => value & (1 << b));
    return [`  ${name} --> Clock stop: ${stop} - Class accepted by the card: ${classes.join(', ') || 'none'}`];
  }
  return [`  ${name}`];
}

function describeHistorical(h: HistoricalBytes): string[] {
  if (h.format === 'none') return ['+ No historical bytes'];
  const lines = [`+ Historical bytes: ${toHex(h.bytes, ' ').toUpperCase()}`];
  const category = h.category!;
  const kind =
    category === 0x80
      ? 'compact TLV data object'
      : category === 0x00
        ? 'compact TLV data objects, status indicator at the end'
        : category === 0x10
          ? 'DIR data reference'
          : h.format === 'rfu'
            ? 'RFU'
            : 'proprietary format';
  lines.push(`  Category indicator byte: ${hex8(category)} (${kind})`);
  for (const o of h.compactTlv ?? []) {
    lines.push(`    Tag: ${o.tag.toString(16).toUpperCase()}, len: ${o.value.length} (${COMPACT_TAG_NAMES[o.tag] ?? 'unknown'})`);
    if (o.tag === 0x7 && h.cardCapabilities) {
      const c = h.cardCapabilities;
      lines.push(`      Command chaining: ${c.supportsCommandChaining ? 'yes' : 'no'}, extended Lc/Le: ${c.supportsExtendedLength ? 'yes' : 'no'}`);
    } else if (o.value.length > 0) {
      lines.push(`      Data: ${toHex(o.value, ' ').toUpperCase()} "${printable(o.value)}"`);
    }
  }
  if (h.status && category === 0x00) lines.push('    Mandatory status indicator (3 last bytes)');
  if (h.status?.lcs !== undefined) lines.push(`      LCS (life cycle status): ${hex8(h.status.lcs)}`);
  if (h.status?.sw !== undefined) lines.push(`      SW: ${hex16(h.status.sw)} (${describeStatus(h.status.sw).message})`);
  if (h.error) lines.push(`    Malformed: ${h.error}`);
  return lines;
}

/** Human-readable analysis, one line per item, in the manner of pcsc_scan / ATR_analysis. */
export function describeAtr(atr: Atr): string[] {
  const lines = [`ATR: ${toHex(atr.bytes, ' ').toUpperCase()}`];
  lines.push(`+ TS = ${hex8(atr.bytes[0]!)} --> ${atr.convention === 'direct' ? 'Direct' : 'Inverse'} Convention`);
  lines.push(`+ T0 = ${hex8(atr.t0)}, Y(1): ${bits4(atr.t0 >> 4)}, K: ${atr.historicalLength} (historical bytes)`);
  for (const group of atr.interfaceGroups) {
    for (const key of ['ta', 'tb', 'tc'] as const) {
      const v = group[key];
      if (v !== undefined) lines.push(...describeInterfaceByte(key, group, v, atr));
    }
    if (group.td !== undefined) {
      const t = group.td & 0x0f;
      lines.push(
        `  TD(${group.index}) = ${hex8(group.td)} --> Y(i+1) = ${bits4(group.td >> 4)}, ` +
          (t === 15 ? 'Global interface bytes following' : `Protocol T = ${t}`),
      );
      lines.push('-----');
    }
  }
  lines.push(`+ Protocols offered: ${atr.protocols.map((t) => `T=${t}`).join(', ')}`);
  lines.push(...describeHistorical(atr.historical));
  if (atr.tck !== undefined) {
    lines.push(`+ TCK = ${hex8(atr.tck)} (${atr.tckValid ? 'correct checksum' : 'WRONG checksum'})`);
  }
  return lines;
}
