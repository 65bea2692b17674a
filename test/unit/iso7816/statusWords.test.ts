import { describe, expect, it } from 'vitest';
import { EkortError, isEkortError } from '../../../src/errors.ts';
import {
  CardStatusError,
  checkResponse,
  describeStatus,
  isSuccess,
  isWarning,
  pinRetriesLeft,
  statusError,
} from '../../../src/iso7816/statusWords.ts';

describe('describeStatus', () => {
  it.each([
    [0x9000, 'OK'],
    [0x6281, 'DATA_CORRUPTED'],
    [0x6282, 'END_OF_FILE'],
    [0x6283, 'FILE_DEACTIVATED'],
    [0x6300, 'PIN_INCORRECT'],
    [0x63c2, 'PIN_INCORRECT'],
    [0x6302, 'PIN_INCORRECT'],
    [0x6581, 'MEMORY_FAILURE'],
    [0x6700, 'WRONG_LENGTH'],
    [0x6881, 'LOGICAL_CHANNEL_NOT_SUPPORTED'],
    [0x6882, 'SECURE_MESSAGING_NOT_SUPPORTED'],
    [0x6982, 'SECURITY_STATUS_NOT_SATISFIED'],
    [0x6983, 'PIN_BLOCKED'],
    [0x6984, 'REFERENCE_DATA_NOT_USABLE'],
    [0x6985, 'CONDITIONS_NOT_SATISFIED'],
    [0x6986, 'COMMAND_NOT_ALLOWED'],
    [0x6987, 'SM_DATA_MISSING'],
    [0x6988, 'SM_DATA_INCORRECT'],
    [0x6a80, 'WRONG_DATA'],
    [0x6a81, 'FUNCTION_NOT_SUPPORTED'],
    [0x6a82, 'FILE_NOT_FOUND'],
    [0x6a83, 'RECORD_NOT_FOUND'],
    [0x6a84, 'NOT_ENOUGH_MEMORY'],
    [0x6a86, 'INCORRECT_P1P2'],
    [0x6a88, 'REFERENCED_DATA_NOT_FOUND'],
    [0x6b00, 'WRONG_PARAMETERS'],
    [0x6d00, 'INS_NOT_SUPPORTED'],
    [0x6e00, 'CLA_NOT_SUPPORTED'],
    [0x6f00, 'NO_PRECISE_DIAGNOSIS'],
    [0x6110, 'MORE_DATA'],
    [0x6c20, 'WRONG_LE'],
  ])('%s → %s', (sw, code) => {
    expect(describeStatus(sw).code).toBe(code);
  });

  it.each([
    [0x6284, 'WARNING'],
    [0x6381, 'WARNING_STATE_CHANGED'],
    [0x6401, 'EXECUTION_ERROR'],
    [0x6501, 'EXECUTION_ERROR_STATE_CHANGED'],
    [0x6601, 'SECURITY_ERROR'],
    [0x6701, 'WRONG_LENGTH'],
    [0x6883, 'CLA_FUNCTION_NOT_SUPPORTED'],
    [0x6999, 'COMMAND_NOT_ALLOWED'],
    [0x6a89, 'WRONG_PARAMETERS'],
  ])('falls back to the SW1 class: %s → %s', (sw, code) => {
    expect(describeStatus(sw).code).toBe(code);
  });

  it.each([0x9001, 0x6b01, 0x6d01, 0x6e01, 0x6f01, 0x9100, 0x0000, 0x6000])('unknown %s', (sw) => {
    expect(describeStatus(sw).code).toBe('UNKNOWN_STATUS');
  });

  it('says how much data and which Le', () => {
    expect(describeStatus(0x6110).message).toContain('16 more');
    expect(describeStatus(0x6100).message).toContain('256 more');
    expect(describeStatus(0x6c08).message).toContain('8 bytes');
    expect(describeStatus(0x63c2).message).toContain('2 tries left');
    expect(describeStatus(0x63c1).message).toContain('1 try left');
    expect(describeStatus(0x63c0).message).toContain('blocked');
  });
});

describe('pinRetriesLeft', () => {
  it.each([
    [0x63c3, 3],
    [0x63c0, 0],
    [0x63cf, 15],
    [0x6301, 1],
    [0x630f, 15],
    [0x6983, 0],
  ])('%s → %s', (sw, left) => {
    expect(pinRetriesLeft(sw)).toBe(left);
  });

  it.each([0x6300, 0x6381, 0x9000, 0x6982, 0x63b2])('%s carries no counter', (sw) => {
    expect(pinRetriesLeft(sw)).toBeUndefined();
  });
});

describe('isSuccess / isWarning', () => {
  it('9000 and 61xx are success; warnings and errors are not', () => {
    expect(isSuccess(0x9000)).toBe(true);
    expect(isSuccess(0x6100)).toBe(true);
    expect(isSuccess(0x61ff)).toBe(true);
    for (const sw of [0x6282, 0x6300, 0x63c2, 0x6982, 0x6a82, 0x6c10, 0x9001]) expect(isSuccess(sw)).toBe(false);
  });

  it('62xx and 63xx are warnings', () => {
    expect(isWarning(0x6282)).toBe(true);
    expect(isWarning(0x63c1)).toBe(true);
    expect(isWarning(0x6400)).toBe(false);
    expect(isWarning(0x9000)).toBe(false);
  });
});

describe('CardStatusError', () => {
  it('is an EkortError with the table code, the SW and the INS', () => {
    const err = statusError(0x6a82, { cla: 0, ins: 0xa4, p1: 4, p2: 0 });
    expect(err).toBeInstanceOf(CardStatusError);
    expect(err).toBeInstanceOf(EkortError);
    expect(isEkortError(err, 'FILE_NOT_FOUND')).toBe(true);
    expect(err.sw).toBe(0x6a82);
    expect(err.ins).toBe(0xa4);
    expect(err.message).toContain('SW 6A82');
    expect(err.message).toContain('INS A4');
    expect(err.retriesLeft).toBeUndefined();
  });

  it('without a command the message has only the SW', () => {
    const err = statusError(0x6d00);
    expect(err.code).toBe('INS_NOT_SUPPORTED');
    expect(err.message).toMatch(/\(SW 6D00\)$/);
    expect(err.ins).toBeUndefined();
  });

  it('63Cx: PIN_INCORRECT with x tries left', () => {
    const err = statusError(0x63c2);
    expect(err.code).toBe('PIN_INCORRECT');
    expect(err.retriesLeft).toBe(2);
  });

  it('630x (non-standard cards): PIN_INCORRECT with x tries left', () => {
    const err = statusError(0x6303);
    expect(err.code).toBe('PIN_INCORRECT');
    expect(err.retriesLeft).toBe(3);
  });

  it('6300: PIN_INCORRECT without a count', () => {
    const err = statusError(0x6300);
    expect(err.code).toBe('PIN_INCORRECT');
    expect(err.retriesLeft).toBeUndefined();
  });

  it('6983: PIN_BLOCKED with 0 tries left', () => {
    const err = statusError(0x6983);
    expect(err.code).toBe('PIN_BLOCKED');
    expect(err.retriesLeft).toBe(0);
  });

  it('serialises code, SW and retries for the CLI JSON output', () => {
    const json = JSON.parse(JSON.stringify(statusError(0x63c1, { cla: 0, ins: 0x20, p1: 0, p2: 0x80 })));
    expect(json).toMatchObject({ code: 'PIN_INCORRECT', sw: 0x63c1, retriesLeft: 1, ins: 0x20 });
  });
});

describe('checkResponse', () => {
  it('returns a 9000 response unchanged', () => {
    const r = { data: Uint8Array.of(1, 2), sw: 0x9000 };
    expect(checkResponse(r)).toBe(r);
  });

  it.each([0x6282, 0x6100, 0x63c1, 0x6a80])('throws for %s', (sw) => {
    const command = { cla: 0, ins: 0xcb, p1: 0x3f, p2: 0xff };
    let thrown: unknown;
    try {
      checkResponse({ data: new Uint8Array(0), sw }, command);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(CardStatusError);
    expect((thrown as CardStatusError).sw).toBe(sw);
    expect((thrown as CardStatusError).ins).toBe(0xcb);
  });
});
