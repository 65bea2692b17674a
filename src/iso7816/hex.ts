import { EkortError } from '../errors.ts';

export class HexError extends EkortError {
  constructor(message: string) {
    super('HEX_MALFORMED', message);
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex, optionally with a separator between bytes ("00 a4 04 00"). */
export function toHex(bytes: Uint8Array, separator = ''): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    if (i > 0 && separator) out += separator;
    out += HEX[bytes[i]!];
  }
  return out;
}

/** Parses hex, allowing spaces, colons and a leading 0x; anything else is a HexError. */
export function fromHex(text: string): Uint8Array {
  const clean = text.trim().replace(/^0x/i, '').replace(/[\s:]/g, '');
  if (!/^[0-9a-fA-F]*$/.test(clean)) throw new HexError(`not hex: "${text.slice(0, 40)}"`);
  if (clean.length % 2 !== 0) throw new HexError(`odd number of hex digits: "${text.slice(0, 40)}"`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Status words and similar 16-bit values as "6A82". */
export function hex16(value: number): string {
  return value.toString(16).toUpperCase().padStart(4, '0');
}
