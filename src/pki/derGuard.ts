/**
 * A cheap structural check of DER (ITU-T X.690 §10) before any bytes reach asn1js, whose parser
 * recurses and trusts lengths. One pass, no recursion, no allocation per object: every step
 * consumes at least one byte and the open constructed objects are tracked as end offsets.
 *
 * Not src/iso7816/tlv.ts: that is BER-TLV for cards (padding bytes, a recursive tree of
 * decoded objects); DER additionally forbids non-minimal lengths and end-of-contents tags.
 */
import { EkortError } from '../errors.ts';

export class DerError extends EkortError {
  readonly offset?: number;

  constructor(message: string, offset?: number) {
    super('DER_MALFORMED', offset === undefined ? message : `${message} at offset ${offset}`);
    if (offset !== undefined) this.offset = offset;
  }
}

export interface CheckDerOptions {
  /** Default 64 KiB. */
  maxBytes?: number;
  /** Constructed objects nested deeper than this are rejected. Default 32. */
  maxDepth?: number;
}

/** Throws DerError unless `bytes` is exactly one well-formed DER object. */
export function checkDer(bytes: Uint8Array, options: CheckDerOptions = {}): void {
  const maxBytes = options.maxBytes ?? 64 * 1024;
  const maxDepth = options.maxDepth ?? 32;
  if (!(bytes instanceof Uint8Array)) throw new DerError('input is not bytes');
  if (bytes.length === 0) throw new DerError('empty input');
  if (bytes.length > maxBytes) throw new DerError(`input of ${bytes.length} bytes is over the ${maxBytes}-byte limit`);

  // ends[i] is where the i-th open constructed object's value ends; the outermost "object" is
  // the single top-level TLV, so the input must end exactly where it does.
  const ends: number[] = [];
  let at = 0;
  let topLevelSeen = false;
  for (;;) {
    while (ends.length > 0 && at === ends[ends.length - 1]) ends.pop();
    if (ends.length === 0 && topLevelSeen) {
      if (at !== bytes.length) throw new DerError(`${bytes.length - at} trailing bytes`, at);
      return;
    }
    const limit = ends.length > 0 ? ends[ends.length - 1]! : bytes.length;
    const start = at;
    topLevelSeen = true;

    const first = bytes[at++]!;
    if (first === 0x00) throw new DerError('end-of-contents or zero tag', start);
    if ((first & 0x1f) === 0x1f) {
      // X.690 §8.1.2.4: high tag number; b8 set on every byte but the last. 4 bytes is plenty.
      let n = 0;
      for (;;) {
        if (at >= limit) throw new DerError('truncated tag', start);
        if (++n > 4) throw new DerError('tag longer than 5 bytes', start);
        if ((bytes[at++]! & 0x80) === 0) break;
      }
    }

    if (at >= limit) throw new DerError('truncated length', start);
    const lengthAt = at;
    const l0 = bytes[at++]!;
    let length = l0;
    if (l0 === 0x80) throw new DerError('indefinite length (DER forbids it)', lengthAt);
    if (l0 > 0x80) {
      const n = l0 & 0x7f;
      if (n > 4) throw new DerError(`length-of-length ${n} (at most 4)`, lengthAt);
      if (at + n > limit) throw new DerError('truncated length', lengthAt);
      if (bytes[at] === 0) throw new DerError('length with a leading zero byte (not DER)', lengthAt);
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + bytes[at++]!;
      if (length < 0x80) throw new DerError('long-form length under 128 (not DER)', lengthAt);
    }
    if (length > limit - at) throw new DerError(`length ${length} runs past the end`, lengthAt);

    if ((first & 0x20) !== 0) {
      if (ends.length >= maxDepth) throw new DerError(`nesting deeper than ${maxDepth}`, start);
      ends.push(at + length);
    } else {
      at += length;
    }
  }
}
