/**
 * Command and response APDUs, ISO/IEC 7816-4 §5.1 ("Command-response pairs"): the four cases,
 * short and extended length. Pure functions; the card side (virtual cards) parses commands
 * with the same code the host side encodes them with.
 */
import { EkortError } from '../errors.ts';
import { hex16 } from './hex.ts';

export class ApduError extends EkortError {
  constructor(message: string) {
    super('APDU_MALFORMED', message);
  }
}

/**
 * The card refused a GET RESPONSE in the middle of an answer (61xx, then an error such as 6985):
 * it no longer holds the rest. In PC/SC's shared mode that is what another program's command
 * between two of ours does (pcsclite's binding has no SCardBeginTransaction), so the answer's
 * first part is dropped rather than passed on as if the original command had failed.
 */
export class ResponseInterruptedError extends EkortError {
  readonly sw: number;

  constructor(sw: number, receivedBytes: number) {
    super(
      'RESPONSE_INTERRUPTED',
      `the card lost the rest of its answer after ${receivedBytes} bytes (SW ${hex16(sw)} to GET RESPONSE); another program may have used the card meanwhile: try again`,
    );
    this.sw = sw;
  }
}

export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  /** Command data (Nc bytes); absent or empty means no Lc field. */
  data?: Uint8Array;
  /**
   * Ne, the number of response bytes expected: absent means no Le field; 256 is the
   * short maximum (encoded 00), 65536 the extended maximum (encoded 0000).
   */
  le?: number;
}

export interface ResponseApdu {
  data: Uint8Array;
  /** SW1 << 8 | SW2 */
  sw: number;
}

/** ISO/IEC 7816-4 §5.1: short Nc is 1..255, short Ne 1..256; extended Nc 1..65535, Ne 1..65536. */
export const SHORT_MAX_DATA = 255;
export const SHORT_MAX_LE = 256;
export const EXTENDED_MAX_DATA = 65535;
export const EXTENDED_MAX_LE = 65536;

export type ApduCase = 1 | 2 | 3 | 4;

export function apduCase(cmd: CommandApdu): ApduCase {
  const hasData = !!cmd.data && cmd.data.length > 0;
  const hasLe = cmd.le !== undefined;
  return hasData ? (hasLe ? 4 : 3) : hasLe ? 2 : 1;
}

/** True when the command cannot be sent in short form. */
export function needsExtended(cmd: CommandApdu): boolean {
  return (cmd.data?.length ?? 0) > SHORT_MAX_DATA || (cmd.le ?? 0) > SHORT_MAX_LE;
}

function checkByte(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new ApduError(`${name} must be a byte, got ${v}`);
}

/**
 * Encodes a command APDU. Short form unless the command needs extended length or
 * `extended` is true. A command too long for either form is an ApduError.
 */
export function encodeCommand(cmd: CommandApdu, options: { extended?: boolean } = {}): Uint8Array {
  checkByte('CLA', cmd.cla);
  checkByte('INS', cmd.ins);
  checkByte('P1', cmd.p1);
  checkByte('P2', cmd.p2);
  const nc = cmd.data?.length ?? 0;
  const ne = cmd.le;
  if (nc > EXTENDED_MAX_DATA) throw new ApduError(`command data of ${nc} bytes exceeds ${EXTENDED_MAX_DATA}`);
  if (ne !== undefined && (!Number.isInteger(ne) || ne < 1 || ne > EXTENDED_MAX_LE)) {
    throw new ApduError(`Le must be 1..${EXTENDED_MAX_LE}, got ${ne}`);
  }
  const extended = options.extended === true || needsExtended(cmd);
  const lcLen = nc === 0 ? 0 : extended ? 3 : 1;
  const leLen = ne === undefined ? 0 : extended ? (nc === 0 ? 3 : 2) : 1;
  const out = new Uint8Array(4 + lcLen + nc + leLen);
  out[0] = cmd.cla;
  out[1] = cmd.ins;
  out[2] = cmd.p1;
  out[3] = cmd.p2;
  let at = 4;
  if (nc > 0) {
    if (extended) {
      out[at++] = 0;
      out[at++] = nc >> 8;
      out[at++] = nc & 0xff;
    } else {
      out[at++] = nc;
    }
    out.set(cmd.data!, at);
    at += nc;
  }
  if (ne !== undefined) {
    if (extended) {
      if (nc === 0) out[at++] = 0;
      const v = ne === EXTENDED_MAX_LE ? 0 : ne;
      out[at] = v >> 8;
      out[at + 1] = v & 0xff;
    } else {
      out[at] = ne === SHORT_MAX_LE ? 0 : ne;
    }
  }
  return out;
}

export interface ParsedCommand extends CommandApdu {
  extended: boolean;
}

/** Parses a command APDU of any case (the card's side). Malformed lengths are an ApduError. */
export function parseCommand(bytes: Uint8Array): ParsedCommand {
  const n = bytes.length;
  if (n < 4) throw new ApduError(`command APDU of ${n} bytes is shorter than its 4-byte header`);
  const head = { cla: bytes[0]!, ins: bytes[1]!, p1: bytes[2]!, p2: bytes[3]! };
  if (n === 4) return { ...head, extended: false };
  const b4 = bytes[4]!;
  if (n === 5) return { ...head, le: b4 === 0 ? SHORT_MAX_LE : b4, extended: false };
  if (b4 !== 0) {
    const nc = b4;
    if (n === 5 + nc) return { ...head, data: bytes.subarray(5, 5 + nc), extended: false };
    if (n === 6 + nc) {
      const le = bytes[5 + nc]!;
      return { ...head, data: bytes.subarray(5, 5 + nc), le: le === 0 ? SHORT_MAX_LE : le, extended: false };
    }
    throw new ApduError(`command APDU length ${n} does not match Lc ${nc}`);
  }
  if (n === 7) {
    const le = (bytes[5]! << 8) | bytes[6]!;
    return { ...head, le: le === 0 ? EXTENDED_MAX_LE : le, extended: true };
  }
  if (n < 7) throw new ApduError(`command APDU of ${n} bytes has a truncated extended length`);
  const nc = (bytes[5]! << 8) | bytes[6]!;
  if (nc === 0) throw new ApduError('extended Lc of 0 is not allowed');
  if (n === 7 + nc) return { ...head, data: bytes.subarray(7, 7 + nc), extended: true };
  if (n === 9 + nc) {
    const le = (bytes[7 + nc]! << 8) | bytes[8 + nc]!;
    return { ...head, data: bytes.subarray(7, 7 + nc), le: le === 0 ? EXTENDED_MAX_LE : le, extended: true };
  }
  throw new ApduError(`command APDU length ${n} does not match extended Lc ${nc}`);
}

/** Splits a response APDU into data and status word. Fewer than 2 bytes is an ApduError. */
export function parseResponse(bytes: Uint8Array): ResponseApdu {
  if (bytes.length < 2) {
    throw new ApduError(`response APDU of ${bytes.length} byte(s) has no status word`);
  }
  const n = bytes.length;
  return { data: bytes.subarray(0, n - 2), sw: (bytes[n - 2]! << 8) | bytes[n - 1]! };
}

export function encodeResponse(data: Uint8Array, sw: number): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data, 0);
  out[data.length] = (sw >> 8) & 0xff;
  out[data.length + 1] = sw & 0xff;
  return out;
}

/** "00 A4 04 00 ..." style summary used in error messages. */
export function describeCommand(cmd: CommandApdu): string {
  return `CLA=${cmd.cla.toString(16).padStart(2, '0')} INS=${cmd.ins.toString(16).padStart(2, '0')} P1P2=${hex16((cmd.p1 << 8) | cmd.p2)}`;
}
