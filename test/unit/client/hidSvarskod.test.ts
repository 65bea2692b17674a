/** The HID token's svarskod: what the agent gets from the token equals what the bank computes. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HID_HMAC_SUITE, hidSvarskod, hidSvarskodFromHmac } from '../../../src/token/dosaCodes.ts';
import { HidOtpSession } from '../../../src/token/hidOtpSession.ts';
import { truncate } from '../../../src/token/hotp.ts';
import { VirtualHidToken } from '../../../src/virtual/hidToken.ts';

const key = Buffer.from('3132333435363738393031323334353637383930', 'hex');

describe('HID_HMAC_SUITE svarskod', () => {
  it('is RFC 4226 truncation of HMAC-SHA1 over the 8 ASCII digits', () => {
    const expected = truncate(createHmac('sha1', key).update('12345678', 'ascii').digest(), 8);
    expect(hidSvarskod(key, '1234 5678')).toBe(expected);
    expect(hidSvarskod(key, '12345678')).toMatch(/^[0-9]{8}$/);
    expect(HID_HMAC_SUITE).toBe('HMAC-SHA1-CR-8:QN08');
  });

  it('agrees with the token answering over the HID OTP protocol (slot 2), for every kind of kontrollnummer', async () => {
    const token = new VirtualHidToken({ slot2: key });
    const session = new HidOtpSession(token);
    // Trailing repeated digits and zeros must survive the token's variable-length padding.
    for (const kontrollnummer of ['12345678', '00000000', '12345999', '99999999', '10000000']) {
      const hmac = await session.challengeResponse(Buffer.from(kontrollnummer, 'ascii'), { slot: 2, pollMs: 1 });
      expect(hidSvarskodFromHmac(hmac), kontrollnummer).toBe(hidSvarskod(key, kontrollnummer));
    }
  });

  it('refuses an answer that is not 20 bytes and a malformed kontrollnummer', () => {
    expect(() => hidSvarskodFromHmac(new Uint8Array(19))).toThrow(/20 bytes/);
    expect(() => hidSvarskod(key, '1234')).toThrow(/8 digits/);
  });
});
