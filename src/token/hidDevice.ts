/**
 * The one HID device interface (docs/design.md: "one transport interface per medium"). It is the
 * subset of node-hid's synchronous `HID` class that the OTP protocol needs, so a real
 * `new HID.HID(path)` satisfies it structurally, as do the virtual token and any
 * record/replay device.
 *
 * node-hid conventions, kept as they are:
 * - `sendFeatureReport(data)`: the first byte of `data` is the report id (0 for devices
 *   without numbered reports, such as YubiKey-style OTP interfaces), followed by the report's
 *   data bytes. Returns the number of bytes written. Throws on a gone device.
 * - `getFeatureReport(reportId, length)`: `length` counts the report id byte; on Linux
 *   (hidraw) and Windows the returned array starts with the report id. (Some backends omit
 *   it; the session accepts both shapes.) Throws on a gone device.
 * The methods are synchronous as in node-hid's `HID`; the session polls with short sleeps
 * in between, so the event loop is never blocked for long. node-hid's `HIDAsync` is not part
 * of this interface; wrap it if it is ever needed.
 */
import { EkortError } from '../errors.ts';

export interface HidDevice {
  sendFeatureReport(data: number[] | Buffer): number;
  getFeatureReport(reportId: number, length: number): number[] | Buffer;
  close(): void;
}

export type HidTokenErrorCode =
  | 'TOKEN_REMOVED'
  | 'TOKEN_TIMEOUT'
  | 'TOKEN_BUSY'
  | 'TOUCH_TIMEOUT'
  | 'TOKEN_CANCELLED'
  | 'TOKEN_REJECTED'
  | 'FRAME_CRC_MISMATCH'
  | 'TOKEN_ACCESS_DENIED'
  | 'HID_UNAVAILABLE';

const MESSAGES: Record<HidTokenErrorCode, string> = {
  TOKEN_REMOVED: 'The security token was removed or stopped answering. Plug it in again and retry.',
  TOKEN_TIMEOUT: 'The security token did not answer in time. Unplug it, plug it in again and retry.',
  TOKEN_BUSY: 'The security token is busy with another operation. Wait a moment and retry.',
  TOUCH_TIMEOUT: 'The security token was not touched in time. Retry and touch the token when it blinks.',
  TOKEN_CANCELLED: 'The operation with the security token was cancelled.',
  TOKEN_REJECTED:
    'The security token rejected the challenge. Check that the chosen slot is configured for HMAC-SHA1 challenge-response.',
  FRAME_CRC_MISMATCH: 'The answer from the security token was damaged (checksum mismatch). Retry.',
  TOKEN_ACCESS_DENIED:
    'The security token was found but this user may not open it. Install the udev rule for the token (or add the user to the group that owns /dev/hidraw*) and plug it in again.',
  HID_UNAVAILABLE: 'USB HID access is not available: the node-hid binding could not be loaded. Run npm ci again.',
};

/** Errors of the HID OTP transport and session; `code` is stable. */
export class HidTokenError extends EkortError {
  declare readonly code: HidTokenErrorCode;

  constructor(code: HidTokenErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(code, detail === undefined ? MESSAGES[code] : `${MESSAGES[code]} (${detail})`, options);
  }
}

export function hidError(code: HidTokenErrorCode, detail?: string, cause?: unknown): HidTokenError {
  return new HidTokenError(code, detail, cause === undefined ? undefined : { cause });
}

/** What enumeration tells about a connected token, before it is opened. */
export interface HidTokenDescriptor {
  /** The OS path to open it by (Linux: /dev/hidrawN). */
  path: string;
  vendorId: number;
  productId: number;
  /** Absent when the device reports none (YubiKeys leave it empty on the OTP interface). */
  serial?: string;
  product?: string;
}
