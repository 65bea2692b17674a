import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../src/iso7816/hex.ts';
import {
  TlvError,
  decodeOne,
  decodeTlv,
  encodeLength,
  encodeTag,
  encodeTlv,
  findTag,
  isConstructedTag,
  requireTag,
  tagClass,
  tagHex,
  tlv,
  type Tlv,
  type TlvNode,
} from '../../../src/iso7816/tlv.ts';
import { prng } from '../../support/prng.ts';

const h = (b: Uint8Array): string => toHex(b, ' ');


function checkInvariants(tlvs: Tlv[], input: Uint8Array): void {
  for (const t of tlvs) {
    expect(t.offset).toBeGreaterThanOrEqual(0);
    expect(t.offset + t.length).toBeLessThanOrEqual(input.length);
    expect(t.value.length).toBeLessThanOrEqual(t.length);
    if (t.children) checkInvariants(t.children, input);
  }
}

describe('decodeTlv: tags', () => {
  it('single-byte tag, primitive', () => {
    const [t] = decodeTlv(fromHex('80 02 01 02'));
    expect(t).toMatchObject({ tag: 0x80, constructed: false, offset: 0, length: 4 });
    expect(h(t!.value)).toBe('01 02');
    expect(t!.children).toBeUndefined();
  });

  it('two-byte tag 5F C1 05 needs the continuation bit: 5FC105 is three bytes', () => {
    const [t] = decodeTlv(fromHex('5f c1 05 01 aa'));
    expect(t!.tag).toBe(0x5fc105);
    expect(h(t!.value)).toBe('aa');
    expect(t!.length).toBe(5);
  });

  it('7F61 is a constructed two-byte tag', () => {
    const [t] = decodeTlv(fromHex('7f 61 03 02 01 01'));
    expect(t!.tag).toBe(0x7f61);
    expect(t!.constructed).toBe(true);
    expect(t!.children).toEqual([expect.objectContaining({ tag: 0x02, offset: 3, length: 3 })]);
  });

  it('four-byte tag is the maximum', () => {
    const [t] = decodeTlv(fromHex('df 81 82 03 00'));
    expect(t!.tag).toBe(0xdf818203);
    expect(t!.value.length).toBe(0);
  });

  it('a fifth tag byte is a TlvError', () => {
    expect(() => decodeTlv(fromHex('df 81 82 83 04 00'))).toThrow('tag longer than 4 bytes at offset 0');
  });

  it('truncated tag', () => {
    expect(() => decodeTlv(fromHex('01 00 5f'))).toThrow('truncated tag at offset 2');
    expect(() => decodeTlv(fromHex('5f c1'))).toThrow(TlvError);
  });

  it('tag class and constructed bit', () => {
    expect(tagClass(0x02)).toBe('universal');
    expect(tagClass(0x5fc105)).toBe('application');
    expect(tagClass(0x82)).toBe('context');
    expect(tagClass(0xdf8203)).toBe('private');
    expect(isConstructedTag(0x7c)).toBe(true);
    expect(isConstructedTag(0x7f61)).toBe(true);
    expect(isConstructedTag(0x53)).toBe(false);
    expect(tagHex(0x5fc105)).toBe('5FC105');
    expect(tagHex(0x7c)).toBe('7C');
  });
});

describe('decodeTlv: lengths', () => {
  it.each([
    ['81 80', 0x80, 2],
    ['81 ff', 0xff, 2],
    ['82 01 00', 0x100, 3],
    ['83 00 01 2c', 300, 4],
    ['84 00 00 01 00', 256, 5],
    ['7f', 0x7f, 1],
  ])('length field %s → %s', (field, n, fieldLength) => {
    const bytes = fromHex(`04 ${field} ${h(new Uint8Array(n))}`);
    const [t] = decodeTlv(bytes);
    expect(t!.value.length).toBe(n);
    expect(t!.length).toBe(1 + fieldLength + n);
  });

  it('truncated length', () => {
    expect(() => decodeTlv(fromHex('04'))).toThrow('truncated length of tag 04 at offset 0');
    expect(() => decodeTlv(fromHex('04 82 01'))).toThrow('truncated length at offset 1');
  });

  it('length past the end', () => {
    expect(() => decodeTlv(fromHex('04 03 01 02'))).toThrow('length 3 of tag 04 runs past the end at offset 1');
    expect(() => decodeTlv(fromHex('04 84 ff ff ff ff 00'))).toThrow(TlvError);
  });

  it('length-of-length above 4', () => {
    expect(() => decodeTlv(fromHex('04 85 00 00 00 00 01 00'))).toThrow('length field of 5 bytes (at most 4) at offset 1');
  });

  it('a child running past its parent is an error even when the buffer goes on', () => {
    expect(() => decodeTlv(fromHex('30 03 04 03 01 02 03'))).toThrow('runs past the end at offset 3');
  });
});

describe('decodeTlv: indefinite length', () => {
  it('is refused by default', () => {
    expect(() => decodeTlv(fromHex('30 80 04 00 00 00'))).toThrow('indefinite length not allowed at offset 1');
  });

  it('is accepted on constructed objects when allowed', () => {
    const bytes = fromHex('30 80 04 01 aa 30 80 05 00 00 00 00 00 02 00');
    const [outer, after] = decodeTlv(bytes, { allowIndefinite: true });
    expect(outer).toMatchObject({ tag: 0x30, offset: 0, length: 13 });
    expect(h(outer!.value)).toBe('04 01 aa 30 80 05 00 00 00');
    expect(outer!.children!.map((c) => c.tag)).toEqual([0x04, 0x30]);
    expect(outer!.children![1]!.children).toEqual([expect.objectContaining({ tag: 0x05, offset: 7 })]);
    expect(after).toMatchObject({ tag: 0x02, offset: 13 });
  });

  it('on a primitive object is an error', () => {
    expect(() => decodeTlv(fromHex('04 80 01 00 00'), { allowIndefinite: true })).toThrow('primitive');
  });

  it('without end-of-contents is an error', () => {
    expect(() => decodeTlv(fromHex('30 80 04 01 aa'), { allowIndefinite: true })).toThrow('end-of-contents');
  });
});

describe('decodeTlv: padding and nesting', () => {
  it('skips 00 and FF between, before and after objects by default', () => {
    const tlvs = decodeTlv(fromHex('00 ff 80 01 01 00 00 81 01 02 ff'));
    expect(tlvs.map((t) => [t.tag, t.offset])).toEqual([
      [0x80, 2],
      [0x81, 7],
    ]);
  });

  it('skips padding inside constructed values too', () => {
    const [t] = decodeTlv(fromHex('7c 05 00 82 00 ff ff'));
    expect(t!.children!.map((c) => c.tag)).toEqual([0x82]);
  });

  it('with padding off, 00 is a tag', () => {
    const tlvs = decodeTlv(fromHex('00 00 80 00'), { allowPadding: false });
    expect(tlvs.map((t) => t.tag)).toEqual([0x00, 0x80]);
  });

  it('decodes nested templates recursively (PIV GENERAL AUTHENTICATE response)', () => {
    const [t] = decodeTlv(fromHex('7c 06 82 04 de ad be ef'));
    const sig = requireTag([t!], 0x82, { deep: true });
    expect(h(sig.value)).toBe('de ad be ef');
    expect(sig.offset).toBe(2);
  });

  it('nesting deeper than maxDepth is a TlvError, not a stack overflow', () => {
    let bytes = fromHex('04 00');
    for (let i = 0; i < 40; i++) bytes = tlv(0x30, bytes);
    expect(() => decodeTlv(bytes)).toThrow('nesting deeper than 32');
    expect(() => decodeTlv(bytes, { maxDepth: 40 })).not.toThrow();
    expect(() => decodeTlv(bytes, { maxDepth: 39 })).toThrow(TlvError);
  });

  it('thousands of nested indefinite starts end in a TlvError', () => {
    const bytes = new Uint8Array(20000);
    for (let i = 0; i < bytes.length; i += 2) bytes.set([0x30, 0x80], i);
    expect(() => decodeTlv(bytes, { allowIndefinite: true })).toThrow(TlvError);
  });
});

describe('decodeOne, findTag, requireTag', () => {
  it('decodeOne wants exactly one object', () => {
    expect(decodeOne(fromHex('53 01 00 ff')).tag).toBe(0x53);
    expect(() => decodeOne(fromHex('53 00 53 00'))).toThrow('expected one TLV object, found 2');
    expect(() => decodeOne(fromHex('00 ff'))).toThrow('found 0');
  });

  it('findTag looks at the top level unless deep', () => {
    const tlvs = decodeTlv(fromHex('53 07 70 02 30 00 71 01 00 fe 00'));
    expect(findTag(tlvs, 0x70)).toBeUndefined();
    expect(findTag(tlvs, 0x53)?.offset).toBe(0);
    // 53 is primitive (application class, b6 clear), so its content is not decoded.
    expect(tlvs[0]!.children).toBeUndefined();
    const inner = decodeTlv(tlvs[0]!.value);
    expect(h(findTag(inner, 0x70)!.value)).toBe('30 00');
    expect(findTag(tlvs, 0xfe)?.offset).toBe(9);
  });

  it('deep search is depth-first, in order', () => {
    const tlvs = decodeTlv(fromHex('7c 04 a1 02 81 00 81 01 01'));
    expect(findTag(tlvs, 0x81)!.offset).toBe(6);
    expect(findTag(tlvs, 0x81, { deep: true })!.offset).toBe(4);
  });

  it('requireTag names the missing tag', () => {
    expect(() => requireTag(decodeTlv(fromHex('7c 00')), 0x5fc105)).toThrow('required tag 5FC105 not found');
    expect(() => requireTag([], 0x82)).toThrow(TlvError);
  });
});

describe('encoding', () => {
  it.each([
    [0, '00'],
    [0x7f, '7f'],
    [0x80, '81 80'],
    [0xff, '81 ff'],
    [0x100, '82 01 00'],
    [0xffff, '82 ff ff'],
    [0x10000, '83 01 00 00'],
    [0x1000000, '84 01 00 00 00'],
    [0xffffffff, '84 ff ff ff ff'],
  ])('encodeLength(%s) = %s', (n, expected) => {
    expect(h(encodeLength(n))).toBe(expected);
  });

  it('encodeLength refuses what no length field can carry', () => {
    expect(() => encodeLength(-1)).toThrow(TlvError);
    expect(() => encodeLength(2 ** 32)).toThrow(TlvError);
    expect(() => encodeLength(1.5)).toThrow(TlvError);
  });

  it('encodeTag writes the number big-endian and refuses inconsistent tags', () => {
    expect(h(encodeTag(0x5fc105))).toBe('5f c1 05');
    expect(h(encodeTag(0x7f61))).toBe('7f 61');
    expect(h(encodeTag(0x00))).toBe('00');
    expect(() => encodeTag(0x1f)).toThrow('not a valid BER-TLV tag');
    expect(() => encodeTag(0x5f81)).toThrow(TlvError);
    expect(() => encodeTag(0x0150)).toThrow(TlvError);
    expect(() => encodeTag(0x5f05c1)).toThrow(TlvError);
  });

  it('tlv builds PIV templates byte for byte', () => {
    expect(h(tlv(0x5c, fromHex('5f c1 05')))).toBe('5c 03 5f c1 05');
    expect(h(tlv(0x7c, tlv(0x82), tlv(0x81, fromHex('01 02 03'))))).toBe('7c 07 82 00 81 03 01 02 03');
    const big = tlv(0x70, new Uint8Array(300));
    expect(h(big.subarray(0, 4))).toBe('70 82 01 2c');
    expect(big.length).toBe(304);
  });

  it('encodeTlv encodes trees, and decode → encode round-trips', () => {
    const built = encodeTlv([
      { tag: 0x53, children: [{ tag: 0x70, value: fromHex('30 00') }, { tag: 0x71, value: fromHex('00') }] },
      { tag: 0xfe },
    ]);
    expect(h(built)).toBe('53 07 70 02 30 00 71 01 00 fe 00');
    const original = fromHex('7f 61 0a 02 01 01 a0 05 5f c1 02 01 ff 80 81 80 ' + h(new Uint8Array(128)));
    expect(h(encodeTlv(decodeTlv(original)))).toBe(h(original));
  });
});

/** A random valid tree, so the fuzz also reaches deep paths and not only early rejections. */
function randomTree(random: () => number, depth: number): TlvNode[] {
  const primitive = [0x04, 0x80, 0x53, 0x5fc105, 0xdf8203];
  const constructed = [0x30, 0x7c, 0x7f61, 0xa1];
  const nodes: TlvNode[] = [];
  const count = 1 + Math.floor(random() * 3);
  for (let i = 0; i < count; i++) {
    if (depth > 0 && random() < 0.5) {
      nodes.push({ tag: constructed[Math.floor(random() * constructed.length)]!, children: randomTree(random, depth - 1) });
    } else {
      const value = Uint8Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256));
      nodes.push({ tag: primitive[Math.floor(random() * primitive.length)]!, value });
    }
  }
  return nodes;
}

describe('fuzz', () => {
  it('10 000 random buffers of up to 300 bytes each parse or throw TlvError', () => {
    const random = prng(0x7816);
    const outcomes = { parsed: 0, rejected: 0 };
    for (let i = 0; i < 10_000; i++) {
      let bytes: Uint8Array;
      if (i % 2 === 0) {
        bytes = Uint8Array.from({ length: Math.floor(random() * 301) }, () => Math.floor(random() * 256));
      } else {
        // A valid encoding, then cut to 300 bytes and, half the time, one byte changed.
        bytes = encodeTlv(randomTree(random, 6)).slice(0, 300);
        if (random() < 0.5 && bytes.length > 0) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      }
      const options = { allowIndefinite: i % 4 < 2, allowPadding: i % 3 !== 0, maxDepth: i % 5 === 0 ? 3 : 32 };
      try {
        checkInvariants(decodeTlv(bytes, options), bytes);
        outcomes.parsed++;
      } catch (e) {
        if (!(e instanceof TlvError)) throw new Error(`buffer ${i} (${toHex(bytes)}) threw ${String(e)}`, { cause: e });
        outcomes.rejected++;
      }
    }
    expect(outcomes.parsed + outcomes.rejected).toBe(10_000);
    expect(outcomes.parsed).toBeGreaterThan(1000);
    expect(outcomes.rejected).toBeGreaterThan(1000);
  });
});

describe('shallow decoding', () => {
  it('leaves constructed values undecoded, as PIV tag 70 needs', () => {
    // 70 holds bytes that are not BER (gzip magic), 71 01 01.
    const bytes = Uint8Array.of(0x70, 0x03, 0x1f, 0x8b, 0x08, 0x71, 0x01, 0x01);
    expect(() => decodeTlv(bytes)).toThrow(TlvError);
    const flat = decodeTlv(bytes, { shallow: true });
    expect(flat.map((t) => [t.tag, Array.from(t.value)])).toEqual([[0x70, [0x1f, 0x8b, 0x08]], [0x71, [0x01]]]);
    expect(flat[0]!.children).toBeUndefined();
  });
});
