/**
 * Status words, ISO/IEC 7816-4 §5.6 (Table 5 and 6), plus the non-standard PIN counters OpenSC
 * knows. This is the one place a status word becomes a typed error: sessions call
 * `checkResponse` (or `transceiveOk`) and never compare SWs to build errors of their own.
 */
import { EkortError } from '../errors.ts';
import type { CommandApdu, ResponseApdu } from './apdu.ts';
import { hex16 } from './hex.ts';

export interface StatusDescription {
  /** Stable SCREAMING_SNAKE code; the UI and the CLI key on it. */
  code: string;
  message: string;
}

export const SW_OK = 0x9000;

/** ISO/IEC 7816-4 §5.6, Table 6: status words with a fixed meaning. */
const EXACT: ReadonlyMap<number, StatusDescription> = new Map([
  [0x9000, { code: 'OK', message: 'Command completed normally' }],
  [0x6281, { code: 'DATA_CORRUPTED', message: 'Part of the returned data may be corrupted; read it again' }],
  [0x6282, { code: 'END_OF_FILE', message: 'End of file or record reached before reading the requested number of bytes' }],
  [0x6283, { code: 'FILE_DEACTIVATED', message: 'The selected file or application is deactivated (invalidated) on the card' }],
  [0x6581, { code: 'MEMORY_FAILURE', message: 'The card reports a memory failure; the card may be damaged' }],
  [0x6700, { code: 'WRONG_LENGTH', message: 'Wrong length (Lc or Le) for this command; this is a bug in the command sent' }],
  [0x6881, { code: 'LOGICAL_CHANNEL_NOT_SUPPORTED', message: 'The card does not support this logical channel' }],
  [0x6882, { code: 'SECURE_MESSAGING_NOT_SUPPORTED', message: 'The card does not support secure messaging for this command' }],
  [0x6982, { code: 'SECURITY_STATUS_NOT_SATISFIED', message: 'Security status not satisfied: verify the PIN first' }],
  [0x6983, { code: 'PIN_BLOCKED', message: 'The PIN is blocked: unblock it with the PUK' }],
  [0x6984, { code: 'REFERENCE_DATA_NOT_USABLE', message: 'Reference data (PIN or key) not usable: it may be unset or invalidated' }],
  [0x6985, { code: 'CONDITIONS_NOT_SATISFIED', message: 'Conditions of use not satisfied: the card is not in the state this command needs' }],
  [0x6986, { code: 'COMMAND_NOT_ALLOWED', message: 'Command not allowed (no current file or application selected)' }],
  [0x6987, { code: 'SM_DATA_MISSING', message: 'Expected secure messaging data objects are missing' }],
  [0x6988, { code: 'SM_DATA_INCORRECT', message: 'Secure messaging data objects are incorrect; the session keys may be out of sync' }],
  [0x6a80, { code: 'WRONG_DATA', message: 'Incorrect data in the command (wrong format or value)' }],
  [0x6a81, { code: 'FUNCTION_NOT_SUPPORTED', message: 'The card does not support this function' }],
  [0x6a82, { code: 'FILE_NOT_FOUND', message: 'File or application not found on the card; it may not be this kind of card' }],
  [0x6a83, { code: 'RECORD_NOT_FOUND', message: 'Record not found' }],
  [0x6a84, { code: 'NOT_ENOUGH_MEMORY', message: 'Not enough memory space on the card' }],
  [0x6a86, { code: 'INCORRECT_P1P2', message: 'Incorrect parameters P1-P2 for this command' }],
  [0x6a88, { code: 'REFERENCED_DATA_NOT_FOUND', message: 'Referenced data (object, key or PIN) not found on the card' }],
  [0x6b00, { code: 'WRONG_PARAMETERS', message: 'Wrong parameters P1-P2 (offset outside the file)' }],
  [0x6d00, { code: 'INS_NOT_SUPPORTED', message: 'Instruction not supported by the card or the selected application' }],
  [0x6e00, { code: 'CLA_NOT_SUPPORTED', message: 'Class (CLA) not supported by the card' }],
  [0x6f00, { code: 'NO_PRECISE_DIAGNOSIS', message: 'The card failed without a precise diagnosis; remove and reinsert it' }],
]);

/** ISO/IEC 7816-4 §5.6, Table 5: the meaning of SW1 when SW2 is not listed above. */
const BY_SW1: ReadonlyMap<number, StatusDescription> = new Map([
  [0x62, { code: 'WARNING', message: 'Warning: the card state is unchanged' }],
  [0x63, { code: 'WARNING_STATE_CHANGED', message: 'Warning: the card state has changed' }],
  [0x64, { code: 'EXECUTION_ERROR', message: 'Execution error; the card state is unchanged' }],
  [0x65, { code: 'EXECUTION_ERROR_STATE_CHANGED', message: 'Execution error; the card state has changed' }],
  [0x66, { code: 'SECURITY_ERROR', message: 'Security-related error reported by the card' }],
  [0x67, { code: 'WRONG_LENGTH', message: 'Wrong length for this command' }],
  [0x68, { code: 'CLA_FUNCTION_NOT_SUPPORTED', message: 'A function requested in CLA is not supported' }],
  [0x69, { code: 'COMMAND_NOT_ALLOWED', message: 'Command not allowed' }],
  [0x6a, { code: 'WRONG_PARAMETERS', message: 'Wrong parameters P1-P2' }],
]);

/**
 * PIN retry counter carried by a status word: 63Cx (ISO/IEC 7816-4 §5.6, "counter x"),
 * 630x with x >= 1 (non-standard cards, as OpenSC accepts), 6983 (blocked: 0).
 * Undefined when the SW carries no counter (including 6300).
 */
export function pinRetriesLeft(sw: number): number | undefined {
  if ((sw & 0xfff0) === 0x63c0) return sw & 0x0f;
  if ((sw & 0xfff0) === 0x6300 && (sw & 0x0f) >= 1) return sw & 0x0f;
  if (sw === 0x6983) return 0;
  return undefined;
}

export function describeStatus(sw: number): StatusDescription {
  const exact = EXACT.get(sw);
  if (exact) return exact;
  const sw1 = (sw >> 8) & 0xff;
  const sw2 = sw & 0xff;
  if (sw1 === 0x61) {
    return { code: 'MORE_DATA', message: `${sw2 || 256} more response bytes are available (GET RESPONSE)` };
  }
  if (sw1 === 0x6c) {
    return { code: 'WRONG_LE', message: `Wrong Le: the card has ${sw2 || 256} bytes; resend with that Le` };
  }
  if ((sw & 0xfff0) === 0x63c0 || (sw & 0xfff0) === 0x6300) {
    const left = pinRetriesLeft(sw);
    if (left === undefined) return { code: 'PIN_INCORRECT', message: 'Verification failed: wrong PIN' };
    // No tries left is the same state as 6983, so the same code (DESIGN: 0 tries is PIN_BLOCKED).
    if (left === 0) return { code: 'PIN_BLOCKED', message: 'Wrong PIN, no tries left: the PIN is now blocked; unblock it with the PUK' };
    return { code: 'PIN_INCORRECT', message: `Wrong PIN: ${left} ${left === 1 ? 'try' : 'tries'} left` };
  }
  const cls = BY_SW1.get(sw1);
  if (cls) return cls;
  return { code: 'UNKNOWN_STATUS', message: 'The card answered a status word this program does not know' };
}

/**
 * True for normal processing: 9000 and 61xx (ISO/IEC 7816-4 §5.6, Table 5 lists both as
 * "normal processing"; `transceive` never hands a 61xx to callers, it fetches the rest).
 * Warnings (62xx, 63xx) are not success: the command did not do all that was asked (a short
 * read, a failed verification), so callers that accept a warning check `isWarning` explicitly.
 */
export function isSuccess(sw: number): boolean {
  return sw === SW_OK || (sw & 0xff00) === 0x6100;
}

/** 62xx and 63xx: ISO/IEC 7816-4 §5.6 "warning processing". */
export function isWarning(sw: number): boolean {
  const sw1 = sw >> 8;
  return sw1 === 0x62 || sw1 === 0x63;
}

export class CardStatusError extends EkortError {
  readonly sw: number;
  /** PIN tries left, when the card said (63Cx, 630x, 6983). */
  readonly retriesLeft?: number;
  /** INS of the command that got this answer, when known. */
  readonly ins?: number;

  constructor(sw: number, options: { command?: CommandApdu } = {}) {
    const { code, message } = describeStatus(sw);
    const ins = options.command?.ins;
    const where = ins === undefined ? '' : ` to INS ${ins.toString(16).toUpperCase().padStart(2, '0')}`;
    super(code, `${message} (SW ${hex16(sw)}${where})`);
    this.sw = sw;
    const left = pinRetriesLeft(sw);
    if (left !== undefined) this.retriesLeft = left;
    if (ins !== undefined) this.ins = ins;
  }
}

export function statusError(sw: number, command?: CommandApdu): CardStatusError {
  return new CardStatusError(sw, command ? { command } : {});
}

/** Returns the response when its SW is 9000; otherwise throws the typed CardStatusError. */
export function checkResponse(response: ResponseApdu, command?: CommandApdu): ResponseApdu {
  if (response.sw !== SW_OK) throw statusError(response.sw, command);
  return response;
}
