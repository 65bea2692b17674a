/**
 * The DER primitives the strict readers (cmsDer.ts for the login CMS, x509Der.ts for
 * certificates) are built from: one TLV header at a time with every length checked against its
 * parent and required to be DER (definite, minimal), constructed values as flat lists of their
 * children (no recursion), OIDs, times. Nothing is copied: values are offsets into the input.
 */

/** Thrown for any field that is missing, out of order, of the wrong type or not DER. */
export class DerFormatError extends Error {}

/** One TLV: its tag byte, and offsets of its start, value and end within the input. */
export interface Tlv {
  tag: number;
  start: number;
  value: number;
  end: number;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
  /** [0] and [1], primitive and constructed. */
  CTX0: 0x80,
  CTX0_CONSTRUCTED: 0xa0,
  CTX1_CONSTRUCTED: 0xa1,
  CTX3_CONSTRUCTED: 0xa3,
} as const;

export interface DerValue {
  tag: number;
  /** The value's content octets (a view into the input). */
  content: Uint8Array;
}

/** One TLV at `at`, within `limit`; X.690 §10.1: definite lengths in the fewest octets. */
export function tlvAt(b: Uint8Array, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new DerFormatError(`truncated at offset ${at}`);
  const tag = b[at]!;
  if ((tag & 0x1f) === 0x1f) throw new DerFormatError(`unexpected high tag number at offset ${at}`);
  let p = at + 1;
  let length = b[p++]!;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4 || p + n > limit || b[p] === 0) throw new DerFormatError(`not a DER length at offset ${at}`);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + b[p++]!;
    if (length < 0x80) throw new DerFormatError(`not a DER length at offset ${at}`);
  }
  if (length > limit - p) throw new DerFormatError(`length runs past the end at offset ${at}`);
  return { tag, start: at, value: p, end: p + length };
}

/** The children of a constructed TLV, in order. */
export function children(b: Uint8Array, parent: Tlv): Tlv[] {
  if ((parent.tag & 0x20) === 0) throw new DerFormatError(`a primitive value at offset ${parent.start} where a constructed one belongs`);
  const out: Tlv[] = [];
  for (let at = parent.value; at < parent.end; ) {
    const t = tlvAt(b, at, parent.end);
    out.push(t);
    at = t.end;
  }
  return out;
}

export function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) throw new DerFormatError(`${what} is missing or not of the expected type`);
  return t;
}

/** X.690 §8.19 content octets of a dotted OID. */
function encodeOid(oid: string): Uint8Array {
  const [first, second, ...rest] = oid.split('.').map(Number);
  const out: number[] = [];
  for (const arc of [first! * 40 + second!, ...rest]) {
    const septets = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) septets.unshift((v & 0x7f) | 0x80);
    out.push(...septets);
  }
  return Uint8Array.from(out);
}

/**
 * The OIDs a login CMS is made of (RFC 5652, RFC 5754, RFC 8017, RFC 5758, RFC 8933), matched
 * as bytes: decoding the same dozen to strings on every login is a measurable part of it.
 */
const KNOWN_OIDS = [
  '1.2.840.113549.1.7.1',
  '1.2.840.113549.1.7.2',
  '1.2.840.113549.1.9.3',
  '1.2.840.113549.1.9.4',
  '1.2.840.113549.1.9.5',
  '1.2.840.113549.1.9.15',
  '1.2.840.113549.1.9.52',
  '2.16.840.1.101.3.4.2.1',
  '2.16.840.1.101.3.4.2.2',
  '2.16.840.1.101.3.4.2.3',
  '1.2.840.113549.1.1.1',
  '1.2.840.113549.1.1.11',
  '1.2.840.113549.1.1.12',
  '1.2.840.113549.1.1.13',
  '1.2.840.10045.2.1',
  '1.2.840.10045.4.3.2',
  '1.2.840.10045.4.3.3',
  '1.2.840.10045.4.3.4',
].map((oid) => ({ oid, bytes: encodeOid(oid) }));

/** X.690 §8.19 OBJECT IDENTIFIER content → dotted string. */
export function oidAt(b: Uint8Array, t: Tlv, what: string): string {
  expectTag(t, TAG.OID, what);
  const n = t.end - t.value;
  for (const known of KNOWN_OIDS) {
    const k = known.bytes;
    if (k.length !== n || k[n - 1] !== b[t.end - 1]) continue;
    let i = 0;
    while (i < n && k[i] === b[t.value + i]) i++;
    if (i === n) return known.oid;
  }
  return decodeOid(b, t, what);
}

function decodeOid(b: Uint8Array, t: Tlv, what: string): string {
  if (t.end === t.value || (b[t.end - 1]! & 0x80) !== 0) throw new DerFormatError(`${what} is not a valid OID`);
  const arcs: number[] = [];
  let v = 0;
  for (let i = t.value; i < t.end; i++) {
    const byte = b[i]!;
    if (v === 0 && byte === 0x80) throw new DerFormatError(`${what} is not a valid OID`);
    v = v * 128 + (byte & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 128) throw new DerFormatError(`${what} has an arc too large`);
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(v < 40 ? 0 : v < 80 ? 1 : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  return arcs.join('.');
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } → the OID. */
export function algorithmAt(b: Uint8Array, t: Tlv | undefined, what: string): string {
  const parts = children(b, expectTag(t, TAG.SEQUENCE, what));
  if (parts.length < 1 || parts.length > 2) throw new DerFormatError(`${what} is not an AlgorithmIdentifier`);
  return oidAt(b, parts[0]!, what);
}

/** The number written by the `n` ASCII digits at `at`, or NaN. */
function digits(c: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = c[i]! - 0x30;
    if (!(d >= 0 && d <= 9)) return NaN;
    v = v * 10 + d;
  }
  return v;
}

/**
 * UTCTime (RFC 5280 §4.1.2.5.1: YY < 50 is 20YY) or GeneralizedTime, in DER form (X.690
 * §11.7-11.8: seconds present, Z, fraction without trailing zeros); an Invalid Date otherwise.
 */
export function derTime(v: DerValue): Date {
  const c = v.content;
  let year: number;
  let at: number;
  if (v.tag === TAG.UTC_TIME && c.length === 13) {
    year = digits(c, 0, 2);
    year += year < 50 ? 2000 : 1900;
    at = 2;
  } else if (v.tag === TAG.GENERALIZED_TIME && c.length >= 15) {
    year = digits(c, 0, 4);
    at = 4;
  } else {
    return new Date(NaN);
  }
  const month = digits(c, at, 2);
  const day = digits(c, at + 2, 2);
  const hour = digits(c, at + 4, 2);
  const minute = digits(c, at + 6, 2);
  const second = digits(c, at + 8, 2);
  at += 10;
  let ms = 0;
  if (v.tag === TAG.GENERALIZED_TIME && c[at] === 0x2e) {
    const n = c.length - 1 - (at + 1);
    if (n < 1 || c[c.length - 2] === 0x30) return new Date(NaN);
    ms = Math.floor(digits(c, at + 1, n) / 10 ** (n - 3));
    at += 1 + n;
  }
  if (at !== c.length - 1 || c[at] !== 0x5a || Number.isNaN(ms)) return new Date(NaN);
  const d = new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms));
  // Reject what Date.UTC would roll over (month 13, 31 April, hour 24, second 60) and years < 100.
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day || d.getUTCHours() !== hour || d.getUTCMinutes() !== minute || d.getUTCSeconds() !== second) return new Date(NaN);
  return d;
}

