import { describe, expect, it } from 'vitest';
import { DerError, checkDer } from '../../../src/pki/derGuard.ts';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

function rejects(input: Uint8Array, message: RegExp, options?: Parameters<typeof checkDer>[1]): void {
  try {
    checkDer(input, options);
  } catch (e) {
    expect(e).toBeInstanceOf(DerError);
    expect((e as DerError).code).toBe('DER_MALFORMED');
    expect((e as DerError).message).toMatch(message);
    return;
  }
  throw new Error('expected a DerError');
}

describe('checkDer', () => {
  it('accepts nested, empty and long-form objects', () => {
    checkDer(bytes(0x30, 0x07, 0x02, 0x01, 0x05, 0x30, 0x02, 0x05, 0x00));
    checkDer(bytes(0x30, 0x00));
    checkDer(bytes(0x04, 0x81, 0x80, ...new Uint8Array(128)));
    checkDer(bytes(0x9f, 0x81, 0x00, 0x00)); // high tag number
  });

  it('rejects truncated input and lengths past the end', () => {
    rejects(bytes(), /empty/);
    rejects(bytes(0x30), /truncated length/);
    rejects(bytes(0x30, 0x05, 0x02, 0x01), /runs past the end/);
    rejects(bytes(0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x00), /runs past the end/);
    rejects(bytes(0x30, 0x82, 0x01), /truncated length/);
    rejects(bytes(0x1f, 0x81), /truncated tag/);
  });

  it('rejects indefinite lengths, long length-of-length and non-minimal lengths', () => {
    rejects(bytes(0x30, 0x80, 0x00, 0x00), /indefinite/);
    rejects(bytes(0x30, 0x85, 0, 0, 0, 0, 1, 0), /length-of-length 5/);
    rejects(bytes(0x04, 0x81, 0x01, 0x00), /under 128/);
    rejects(bytes(0x04, 0x82, 0x00, 0x81, ...new Uint8Array(0x81)), /leading zero/);
  });

  it('rejects trailing bytes, zero tags and nesting deeper than maxDepth', () => {
    rejects(bytes(0x05, 0x00, 0x00), /trailing/);
    rejects(bytes(0x30, 0x02, 0x00, 0x00), /zero tag/);
    const nested = (n: number): Uint8Array => Uint8Array.from([...Array<number[]>(n).fill([0x30, 0x00]).keys()].flatMap((i) => [0x30, 2 * (n - i - 1)]));
    checkDer(nested(32));
    rejects(nested(33), /deeper than 32/);
    rejects(nested(5), /deeper than 4/, { maxDepth: 4 });
  });

  it('rejects input over maxBytes before looking at it', () => {
    rejects(new Uint8Array(64 * 1024 + 1), /limit/);
    rejects(bytes(0x05, 0x00), /limit/, { maxBytes: 1 });
  });
});
