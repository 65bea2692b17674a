import { describe, expect, it } from 'vitest';
import { fromPcscError, pcscCodeOf } from '../../../src/pcsc/errors.ts';

describe('PC/SC error mapping', () => {
  it.each([
    ['SCardTransmit error: Card was removed.(0x80100069)', 'CARD_REMOVED'],
    ['SCardEstablishContext error: Service not available.(0x8010001d)', 'PCSC_UNAVAILABLE'],
    ['SCardGetStatusChange error: Service was stopped.(0x8010001e)', 'PCSC_UNAVAILABLE'],
    ['SCardConnect error: Sharing violation.(0x8010000b)', 'SHARING_VIOLATION'],
    ['SCardConnect error: No smart card inserted.(0x8010000c)', 'NO_CARD'],
    ['SCardTransmit error: Reader is unavailable.(0x80100017)', 'READER_GONE'],
    ['SCardTransmit error: Card was reset.(0x80100068)', 'CARD_RESET'],
    ['SCardControl error: Feature not supported.(0x8010001f)', 'UNSUPPORTED_FEATURE'],
    ['SCardConnect error: Card is unresponsive.(0x80100066)', 'CARD_UNRESPONSIVE'],
    ['something else entirely', 'PCSC_ERROR'],
  ])('%s -> %s', (message, code) => {
    const e = fromPcscError(new Error(message), 'Reader 1');
    expect(e.code).toBe(code);
    expect(e.reader).toBe('Reader 1');
    expect(e.message.length).toBeGreaterThan(20);
  });

  it('reads the PC/SC code from the binding message', () => {
    expect(pcscCodeOf(new Error('x (0x80100069)'))).toBe(0x80100069);
    expect(pcscCodeOf(new Error('no code'))).toBeUndefined();
  });
});
