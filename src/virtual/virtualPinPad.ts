/**
 * The PIN pad of a virtual reader: the reader side of PC/SC part 10 (v2.02.09) secure PIN
 * entry. The host sends PIN_VERIFY_STRUCTURE (§2.5.2) or PIN_MODIFY_STRUCTURE (§2.5.3), whose
 * abData is the command APDU with an empty PIN block; the reader takes the PIN on its keypad
 * (here: a Keypad, e.g. the engineer at a terminal or in the app's engineers' view), writes it
 * into the APDU as the structure describes, sends it to the card and answers with the card's
 * response. Its own refusals are the status words CCID readers give (64 00 timeout, 64 01
 * cancelled, 64 02 new PINs differ, 64 03 PIN length, 6B 80 a structure it cannot follow).
 */
export type PinEntryKind = 'verify' | 'modify';

/** What the keypad is asked for. */
export interface PinEntryRequest {
  kind: PinEntryKind;
  minDigits: number;
  maxDigits: number;
  /** The current PIN is asked too (modify only). */
  currentPin: boolean;
  /** The new PIN is asked twice (modify only). */
  confirmNewPin: boolean;
  /** When the reader gives up waiting. */
  timeoutSeconds: number;
  signal: AbortSignal;
}

/** The PINs typed, or the holder cancelled. `confirmation` is the new PIN typed again. */
export type PinEntryResult = { pin: string; newPin?: string; confirmation?: string } | 'cancelled';

export interface Keypad {
  enter(request: PinEntryRequest): Promise<PinEntryResult>;
}

export const PIN_PAD_TIMEOUT = Uint8Array.of(0x64, 0x00);
export const PIN_PAD_CANCELLED = Uint8Array.of(0x64, 0x01);
export const PIN_PAD_MISMATCH = Uint8Array.of(0x64, 0x02);
export const PIN_PAD_LENGTH = Uint8Array.of(0x64, 0x03);
export const PIN_PAD_REFUSED = Uint8Array.of(0x6b, 0x80);

/** The reader's default wait when bTimerOut is 0 (seconds). */
const DEFAULT_TIMEOUT_SECONDS = 30;

interface PinFormat {
  /** Where the PIN starts in the APDU's data field, in bytes. */
  position: number;
  encoding: 'binary' | 'bcd' | 'ascii';
  rightJustify: boolean;
  /** Bytes of the PIN block (the PIN and its padding); 0: as long as the PIN needs. */
  blockBytes: number;
  /** Bits of the PIN length field; 0: none. */
  lengthBits: number;
  /** Where the PIN length field starts in the data field, in bits. */
  lengthPosition: number;
}

export interface PinEntryStructure {
  kind: PinEntryKind;
  timeoutSeconds: number;
  format: PinFormat;
  minDigits: number;
  maxDigits: number;
  currentPin: boolean;
  confirmNewPin: boolean;
  /** Offsets of the current and new PIN in the data field (modify), in bytes. */
  offsetOld: number;
  offsetNew: number;
  apdu: Uint8Array;
}

class Refused extends Error {}

function format(formatString: number, blockString: number, lengthFormat: number): PinFormat {
  const bytes = (formatString & 0x80) !== 0;
  const rawPosition = (formatString >> 3) & 0x0f;
  // Positions in bits must fall on a byte (every reader-side use so far does).
  if (!bytes && rawPosition % 8 !== 0) throw new Refused();
  const encoding = (['binary', 'bcd', 'ascii'] as const)[formatString & 0x03];
  if (!encoding) throw new Refused();
  const lengthUnitsBytes = (lengthFormat & 0x10) !== 0;
  const lengthPosition = (lengthFormat & 0x0f) * (lengthUnitsBytes ? 8 : 1);
  return {
    position: bytes ? rawPosition : rawPosition / 8,
    encoding,
    rightJustify: (formatString & 0x04) !== 0,
    blockBytes: blockString & 0x0f,
    lengthBits: blockString >> 4,
    lengthPosition,
  };
}

/** PIN_VERIFY_STRUCTURE or PIN_MODIFY_STRUCTURE (multi-byte fields little-endian); undefined when malformed. */
export function parsePinEntryStructure(kind: PinEntryKind, bytes: Uint8Array): PinEntryStructure | undefined {
  const header = kind === 'verify' ? 19 : 24;
  if (bytes.length < header + 4) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataLength = view.getUint32(header - 4, true);
  if (dataLength !== bytes.length - header) return undefined;
  const apdu = bytes.slice(header);
  // wPINMaxExtraDigit: XXYY, XX the minimum and YY the maximum number of digits.
  const extra = view.getUint16(kind === 'verify' ? 5 : 7, true);
  try {
    return {
      kind,
      timeoutSeconds: bytes[0] || DEFAULT_TIMEOUT_SECONDS,
      format: format(bytes[2]!, bytes[3]!, bytes[4]!),
      minDigits: extra >> 8,
      maxDigits: extra & 0xff,
      currentPin: kind === 'verify' || (bytes[9]! & 0x02) !== 0,
      confirmNewPin: kind === 'modify' && (bytes[9]! & 0x01) !== 0,
      offsetOld: kind === 'modify' ? bytes[5]! : 0,
      offsetNew: kind === 'modify' ? bytes[6]! : 0,
      apdu,
    };
  } catch (error) {
    if (error instanceof Refused) return undefined;
    throw error;
  }
}

function encodePin(pin: string, encoding: PinFormat['encoding']): Uint8Array {
  const digits = [...pin].map(Number);
  if (encoding === 'ascii') return Uint8Array.from(pin, (c) => c.charCodeAt(0));
  if (encoding === 'binary') return Uint8Array.from(digits);
  const out = new Uint8Array(Math.ceil(digits.length / 2)).fill(0xff);
  digits.forEach((d, i) => (out[i >> 1] = i % 2 === 0 ? (d << 4) | 0x0f : (out[i >> 1]! & 0xf0) | d));
  return out;
}

/** The APDU with `pin` written at `offset` (in the data field) as `f` says; throws Refused when it does not fit. */
function placePin(apdu: Uint8Array, f: PinFormat, offset: number, pin: string): void {
  const data = 5; // CLA INS P1 P2 Lc
  const encoded = encodePin(pin, f.encoding);
  const block = f.blockBytes || encoded.length;
  if (encoded.length > block) throw new Refused();
  const start = data + offset + f.position + (f.rightJustify ? block - encoded.length : 0);
  if (start + encoded.length > apdu.length) throw new Refused();
  apdu.set(encoded, start);
  if (f.lengthBits > 0) {
    // The PIN length field, when the format has one: a byte-aligned field of up to 8 bits.
    const byteAt = data + offset + Math.floor(f.lengthPosition / 8);
    if (f.lengthBits > 8 || byteAt >= apdu.length) throw new Refused();
    const shift = 8 - (f.lengthPosition % 8) - f.lengthBits;
    if (shift < 0) throw new Refused();
    const mask = ((1 << f.lengthBits) - 1) << shift;
    apdu[byteAt] = (apdu[byteAt]! & ~mask) | ((pin.length << shift) & mask);
  }
}

const digitsOnly = (pin: string): boolean => /^[0-9]+$/.test(pin);

/**
 * One secure PIN entry: asks `keypad`, writes the PIN(s) into the APDU and hands it to
 * `transmit`. Returns the card's response or the reader's refusal.
 */
export async function runPinEntry(kind: PinEntryKind, structureBytes: Uint8Array, keypad: Keypad | undefined, transmit: (apdu: Uint8Array) => Promise<Uint8Array>): Promise<Uint8Array> {
  const structure = parsePinEntryStructure(kind, structureBytes);
  if (!structure || !keypad) return PIN_PAD_REFUSED;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), structure.timeoutSeconds * 1000);
  });
  let result: PinEntryResult | 'timeout';
  try {
    result = await Promise.race([
      keypad.enter({
        kind,
        minDigits: structure.minDigits,
        maxDigits: structure.maxDigits,
        currentPin: structure.currentPin,
        confirmNewPin: structure.confirmNewPin,
        timeoutSeconds: structure.timeoutSeconds,
        signal: controller.signal,
      }),
      timedOut,
    ]);
  } catch {
    result = 'cancelled';
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  if (result === 'timeout') return PIN_PAD_TIMEOUT;
  if (result === 'cancelled') return PIN_PAD_CANCELLED;
  const pins = kind === 'verify' ? [result.pin] : [...(structure.currentPin ? [result.pin] : []), result.newPin ?? ''];
  if (kind === 'modify' && structure.confirmNewPin && result.confirmation !== result.newPin) return PIN_PAD_MISMATCH;
  if (pins.some((p) => !digitsOnly(p) || p.length < structure.minDigits || p.length > structure.maxDigits)) return PIN_PAD_LENGTH;
  const apdu = structure.apdu.slice();
  try {
    if (kind === 'verify') placePin(apdu, structure.format, 0, result.pin);
    else {
      if (structure.currentPin) placePin(apdu, structure.format, structure.offsetOld, result.pin);
      placePin(apdu, structure.format, structure.offsetNew, result.newPin ?? '');
    }
    return await transmit(apdu);
  } catch (error) {
    if (error instanceof Refused) return PIN_PAD_REFUSED;
    throw error;
  } finally {
    apdu.fill(0);
  }
}
