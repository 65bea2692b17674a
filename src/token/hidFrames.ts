/**
 * Framing of the HID OTP challenge-response protocol (docs/protocols.md, "HID OTP
 * challenge-response"). Pure functions, no I/O.
 *
 * A request frame is 70 bytes: 64-byte payload, slot command, CRC-16 of the payload
 * (little-endian), 3 zero bytes. It travels in 10 feature reports of 7 data bytes plus a
 * status byte 0x80 | seq; all-zero chunks other than the first and the last are skipped.
 *
 * CRC: init 0xFFFF, reflected poly 0x8408, no final xor (CRC-16/X-25 without its xorout).
 * The host puts the plain CRC of the payload into the request frame (the token recomputes and
 * compares); the token appends the one's complement of the CRC to its response, so the CRC
 * over response data + CRC (little-endian) is the residual 0xF0B8.
 */
import { hidError } from './hidDevice.ts';

/** Data bytes per feature report (the 8th byte is the status / sequence byte). */
export const REPORT_DATA_SIZE = 7;
/** Feature report size without the report id. */
export const REPORT_SIZE = 8;
export const PAYLOAD_SIZE = 64;
export const FRAME_SIZE = 70;
/** Longest challenge in variable-length HMAC mode (at least one pad byte is needed). */
export const MAX_CHALLENGE_SIZE = 63;
export const FRAME_CHUNKS = 10;

/** Status byte: the token is still processing a written chunk (host waits for it to clear). */
export const STATUS_WRITE_PENDING = 0x80;
/** Status byte: a response chunk; its sequence number is in the low 5 bits. */
export const STATUS_RESPONSE = 0x40;
/** Status byte: the token waits for a touch. */
export const STATUS_TOUCH_WAIT = 0x20;
export const SEQUENCE_MASK = 0x1f;
/** Status byte of the reset report, which clears the token's read state. */
export const STATUS_RESET = 0xff;

export const SLOT_CHAL_HMAC1 = 0x30;
export const SLOT_CHAL_HMAC2 = 0x38;

export const CRC_RESIDUAL = 0xf0b8;
export const HMAC_SHA1_SIZE = 20;
/** HMAC-SHA1 response plus its CRC. */
export const HMAC_RESPONSE_SIZE = HMAC_SHA1_SIZE + 2;

/** The reset report: seven zero bytes and status 0xFF (without the report id). */
export const RESET_REPORT: Readonly<Uint8Array> = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, STATUS_RESET);

export function slotCommand(slot: 1 | 2): number {
  return slot === 1 ? SLOT_CHAL_HMAC1 : SLOT_CHAL_HMAC2;
}

export function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
  }
  return crc;
}

function checkByte(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new RangeError(`${what} must be a byte`);
}

/** The 70-byte request frame for a slot command and a payload of at most 64 bytes. */
export function buildFrame(slotCmd: number, payload: Uint8Array): Uint8Array {
  checkByte(slotCmd, 'slot command');
  if (payload.length > PAYLOAD_SIZE) throw new RangeError(`payload is ${payload.length} bytes, at most 64 allowed`);
  const frame = new Uint8Array(FRAME_SIZE);
  frame.set(payload, 0);
  frame[64] = slotCmd;
  const crc = crc16(frame.subarray(0, PAYLOAD_SIZE));
  frame[65] = crc & 0xff;
  frame[66] = crc >>> 8;
  return frame;
}

/** The 8-byte feature reports (without report id) that carry a frame, zero chunks skipped. */
export function frameChunks(frame: Uint8Array): Uint8Array[] {
  if (frame.length !== FRAME_SIZE) throw new RangeError(`frame is ${frame.length} bytes, expected 70`);
  const out: Uint8Array[] = [];
  for (let seq = 0; seq < FRAME_CHUNKS; seq++) {
    const data = frame.subarray(seq * REPORT_DATA_SIZE, (seq + 1) * REPORT_DATA_SIZE);
    if (seq !== 0 && seq !== FRAME_CHUNKS - 1 && data.every((b) => b === 0)) continue;
    const report = new Uint8Array(REPORT_SIZE);
    report.set(data, 0);
    report[REPORT_DATA_SIZE] = STATUS_WRITE_PENDING | seq;
    out.push(report);
  }
  return out;
}

/**
 * Pads a challenge to 64 bytes for variable-length HMAC mode: the pad byte differs from the
 * challenge's last byte, so the token can strip trailing bytes equal to its last byte. The
 * challenge is 1 to 63 bytes: a 64-byte challenge has no room for padding and the token would
 * strip its last byte (and any run of it) before the HMAC, so it is refused rather than
 * answered for a different message.
 */
export function padChallenge(challenge: Uint8Array): Uint8Array {
  if (challenge.length < 1 || challenge.length > MAX_CHALLENGE_SIZE) {
    throw new RangeError(`challenge is ${challenge.length} bytes, 1 to ${MAX_CHALLENGE_SIZE} allowed`);
  }
  const out = new Uint8Array(PAYLOAD_SIZE);
  const last = challenge[challenge.length - 1] ?? 0;
  out.fill(last === 0 ? 0x01 : 0x00);
  out.set(challenge, 0);
  return out;
}

/** Inverse of padChallenge, as the token does it: strip trailing bytes equal to the last. */
export function unpadChallenge(padded: Uint8Array): Uint8Array {
  if (padded.length === 0) return padded.slice();
  const last = padded[padded.length - 1];
  let end = padded.length;
  while (end > 0 && padded[end - 1] === last) end--;
  return padded.slice(0, end);
}

/** Appends the token-style CRC (one's complement, little-endian) to response data. */
export function withResponseCrc(data: Uint8Array): Uint8Array {
  const crc = ~crc16(data) & 0xffff;
  const out = new Uint8Array(data.length + 2);
  out.set(data, 0);
  out[data.length] = crc & 0xff;
  out[data.length + 1] = crc >>> 8;
  return out;
}

/** Checks and strips the CRC of an HMAC-SHA1 response (at least 22 bytes; extra bytes are chunk padding). */
export function parseResponse(bytes: Uint8Array): Uint8Array {
  if (bytes.length < HMAC_RESPONSE_SIZE) {
    throw hidError('FRAME_CRC_MISMATCH', `response is ${bytes.length} bytes, expected ${HMAC_RESPONSE_SIZE}`);
  }
  if (crc16(bytes.subarray(0, HMAC_RESPONSE_SIZE)) !== CRC_RESIDUAL) throw hidError('FRAME_CRC_MISMATCH');
  return bytes.slice(0, HMAC_SHA1_SIZE);
}
