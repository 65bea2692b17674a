/**
 * BER-TLV as ISO/IEC 7816-4 §5.2 uses it (tag encoding per ITU-T X.690 §8.1.2): multi-byte
 * tags up to 4 bytes, definite lengths up to 4 length bytes, constructed objects decoded
 * recursively. Malformed input is always a TlvError, never a RangeError, a stack overflow or a
 * hang: recursion is bounded by `maxDepth` and every step consumes at least one byte.
 */
import { EkortError } from '../errors.ts';
import { concatBytes } from './hex.ts';

export class TlvError extends EkortError {
  /** Byte offset in the decoded buffer where the problem is, when there is one. */
  readonly offset?: number;

  constructor(message: string, offset?: number) {
    super('TLV_MALFORMED', offset === undefined ? message : `${message} at offset ${offset}`);
    if (offset !== undefined) this.offset = offset;
  }
}

export interface Tlv {
  /** The tag bytes read as one big-endian number: 0x7C, 0x5FC105, 0x7F61. */
  tag: number;
  /** b6 of the first tag byte (X.690 §8.1.2.5). */
  constructed: boolean;
  /** The value field, a view into the decoded buffer (not a copy). */
  value: Uint8Array;
  /** Present on constructed objects: the value decoded as BER-TLV. */
  children?: Tlv[];
  /** Where the object's first tag byte is in the buffer given to `decodeTlv`. */
  offset: number;
  /** The whole encoding's size (tag, length, value, and end-of-contents when indefinite). */
  length: number;
}

export interface DecodeTlvOptions {
  /** Nesting deeper than this is a TlvError. Default 32. */
  maxDepth?: number;
  /** Accept the indefinite form (80 ... 00 00) on constructed objects. Default false. */
  allowIndefinite?: boolean;
  /** Skip 00 and FF bytes before, between and after objects (ISO/IEC 7816-4 §5.2). Default true. */
  allowPadding?: boolean;
  /**
   * Leave the values of constructed objects undecoded (no `children`). For templates whose
   * tags have the constructed bit yet hold raw bytes, such as PIV's certificate tag 70.
   */
  shallow?: boolean;
}

export type TagClass = 'universal' | 'application' | 'context' | 'private';

const TAG_CLASSES: readonly TagClass[] = ['universal', 'application', 'context', 'private'];

/** The tag's first byte, for class and constructed bits. */
function firstTagByte(tag: number): number {
  let b = tag;
  while (b > 0xff) b = Math.floor(b / 256);
  return b;
}

/** X.690 §8.1.2.2: b8-b7 of the first tag byte. */
export function tagClass(tag: number): TagClass {
  return TAG_CLASSES[firstTagByte(tag) >> 6]!;
}

export function isConstructedTag(tag: number): boolean {
  return (firstTagByte(tag) & 0x20) !== 0;
}

/** "5FC105" */
export function tagHex(tag: number): string {
  const hex = tag.toString(16).toUpperCase();
  return hex.length % 2 === 0 ? hex : `0${hex}`;
}

interface Parsed {
  tlvs: Tlv[];
  /** Offset just past what was consumed (past the end-of-contents when indefinite). */
  end: number;
}

class Decoder {
  private readonly bytes: Uint8Array;
  private readonly maxDepth: number;
  private readonly allowIndefinite: boolean;
  private readonly allowPadding: boolean;
  private readonly shallow: boolean;

  constructor(bytes: Uint8Array, options: DecodeTlvOptions) {
    this.bytes = bytes;
    this.maxDepth = options.maxDepth ?? 32;
    this.allowIndefinite = options.allowIndefinite ?? false;
    this.allowPadding = options.allowPadding ?? true;
    this.shallow = options.shallow ?? false;
  }

  /**
   * Decodes objects in [start, end). With `untilEoc`, stops at an end-of-contents (00 00) and
   * fails if there is none.
   */
  sequence(start: number, end: number, depth: number, untilEoc: boolean): Parsed {
    const b = this.bytes;
    const tlvs: Tlv[] = [];
    let at = start;
    for (;;) {
      // Inside an indefinite value a 00 may start the end-of-contents, so only FF is padding there.
      while (at < end && this.allowPadding && (b[at] === 0xff || (b[at] === 0 && !untilEoc))) at++;
      if (untilEoc && at + 1 < end && b[at] === 0 && b[at + 1] === 0) return { tlvs, end: at + 2 };
      if (at >= end) {
        if (untilEoc) throw new TlvError('indefinite length without end-of-contents (00 00)', start);
        return { tlvs, end: at };
      }
      const object = this.one(at, end, depth);
      tlvs.push(object);
      at += object.length;
    }
  }

  /** `depth` counts the constructed objects around this one. */
  private one(offset: number, end: number, depth: number): Tlv {
    if (depth > this.maxDepth) throw new TlvError(`nesting deeper than ${this.maxDepth}`, offset);
    const b = this.bytes;
    let at = offset;
    const first = b[at++]!;
    let tag = first;
    if ((first & 0x1f) === 0x1f) {
      // X.690 §8.1.2.4: subsequent tag bytes, b8 set on all but the last.
      let more = true;
      while (more) {
        if (at >= end) throw new TlvError('truncated tag', offset);
        if (at - offset >= 4) throw new TlvError('tag longer than 4 bytes', offset);
        const next = b[at++]!;
        tag = tag * 256 + next;
        more = (next & 0x80) !== 0;
      }
    }
    const constructed = (first & 0x20) !== 0;

    if (at >= end) throw new TlvError(`truncated length of tag ${tagHex(tag)}`, offset);
    const lengthAt = at;
    const l0 = b[at++]!;
    if (l0 === 0x80) {
      if (!this.allowIndefinite) throw new TlvError('indefinite length not allowed', lengthAt);
      if (!constructed) throw new TlvError('indefinite length on a primitive object', lengthAt);
      const inner = this.sequence(at, end, depth + 1, true);
      const value = b.subarray(at, inner.end - 2);
      return { tag, constructed, value, children: inner.tlvs, offset, length: inner.end - offset };
    }
    let valueLength = l0;
    if (l0 > 0x80) {
      // ISO/IEC 7816-4 §5.2: 81 xx, 82 xxxx, 83 xxxxxx, 84 xxxxxxxx.
      const n = l0 & 0x7f;
      if (n > 4) throw new TlvError(`length field of ${n} bytes (at most 4)`, lengthAt);
      if (at + n > end) throw new TlvError('truncated length', lengthAt);
      valueLength = 0;
      for (let i = 0; i < n; i++) valueLength = valueLength * 256 + b[at++]!;
    }
    if (valueLength > end - at) {
      throw new TlvError(`length ${valueLength} of tag ${tagHex(tag)} runs past the end`, lengthAt);
    }
    const valueEnd = at + valueLength;
    const tlv: Tlv = { tag, constructed, value: b.subarray(at, valueEnd), offset, length: valueEnd - offset };
    if (constructed && !this.shallow) tlv.children = this.sequence(at, valueEnd, depth + 1, false).tlvs;
    return tlv;
  }
}

/** Decodes a sequence of BER-TLV objects; malformed input is a TlvError. */
export function decodeTlv(bytes: Uint8Array, options: DecodeTlvOptions = {}): Tlv[] {
  return new Decoder(bytes, options).sequence(0, bytes.length, 0, false).tlvs;
}

/** Decodes exactly one object (padding around it allowed unless disabled). */
export function decodeOne(bytes: Uint8Array, options: DecodeTlvOptions = {}): Tlv {
  const tlvs = decodeTlv(bytes, options);
  if (tlvs.length !== 1) throw new TlvError(`expected one TLV object, found ${tlvs.length}`);
  return tlvs[0]!;
}

/** ISO/IEC 7816-4 §5.2: the shortest definite length field for `n`. */
export function encodeLength(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new TlvError(`cannot encode length ${n}`);
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** The tag number as bytes; a TlvError when they would not read back as this same tag. */
export function encodeTag(tag: number): Uint8Array {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xffffffff) throw new TlvError(`invalid tag ${tag}`);
  const bytes: number[] = [];
  let v = tag;
  do {
    bytes.unshift(v % 256);
    v = Math.floor(v / 256);
  } while (v > 0);
  const multi = (bytes[0]! & 0x1f) === 0x1f;
  const ok = multi
    ? bytes.length > 1 && bytes.every((x, i) => i === 0 || (i < bytes.length - 1 ? (x & 0x80) !== 0 : (x & 0x80) === 0))
    : bytes.length === 1;
  if (!ok) throw new TlvError(`tag ${tagHex(tag)} is not a valid BER-TLV tag`);
  return Uint8Array.from(bytes);
}

/** One object whose value is the concatenation of `parts`: `tlv(0x7C, tlv(0x82), tlv(0x81, input))`. */
export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const value = parts.length === 1 ? parts[0]! : concatBytes(...parts);
  return concatBytes(encodeTag(tag), encodeLength(value.length), value);
}

/** A tree to encode; a decoded `Tlv` is one, so decode → encode round-trips. */
export interface TlvNode {
  tag: number;
  value?: Uint8Array;
  children?: readonly TlvNode[];
}

/** Encodes nodes (definite lengths, shortest form); `children` win over `value` when both are set. */
export function encodeTlv(nodes: TlvNode | readonly TlvNode[]): Uint8Array {
  const list = Array.isArray(nodes) ? (nodes as readonly TlvNode[]) : [nodes as TlvNode];
  return concatBytes(
    ...list.map((n) => (n.children ? tlv(n.tag, encodeTlv(n.children)) : tlv(n.tag, n.value ?? new Uint8Array(0)))),
  );
}

/** First object with `tag`; `deep` searches children depth-first too. */
export function findTag(tlvs: readonly Tlv[], tag: number, options: { deep?: boolean } = {}): Tlv | undefined {
  for (const t of tlvs) {
    if (t.tag === tag) return t;
    if (options.deep && t.children) {
      const found = findTag(t.children, tag, options);
      if (found) return found;
    }
  }
  return undefined;
}

/** `findTag`, or a TlvError naming the missing tag. */
export function requireTag(tlvs: readonly Tlv[], tag: number, options: { deep?: boolean } = {}): Tlv {
  const found = findTag(tlvs, tag, options);
  if (!found) throw new TlvError(`required tag ${tagHex(tag)} not found`);
  return found;
}
