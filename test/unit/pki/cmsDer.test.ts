import { describe, expect, it } from 'vitest';
import { CmsFormatError, DER_TAG, derTime, readSignedData } from '../../../src/pki/cmsDer.ts';

const text = (tag: number, s: string) => ({ tag, content: Uint8Array.from(Buffer.from(s, 'latin1')) });

describe('derTime', () => {
  it('reads UTCTime and GeneralizedTime in DER form', () => {
    expect(derTime(text(DER_TAG.UTC_TIME, '260301115950Z')).toISOString()).toBe('2026-03-01T11:59:50.000Z');
    expect(derTime(text(DER_TAG.UTC_TIME, '991231235959Z')).toISOString()).toBe('1999-12-31T23:59:59.000Z');
    expect(derTime(text(DER_TAG.GENERALIZED_TIME, '20260301115950.25Z')).toISOString()).toBe('2026-03-01T11:59:50.250Z');
  });

  it('is an Invalid Date for anything else', () => {
    for (const [tag, s] of [
      [DER_TAG.UTC_TIME, '2603011159Z'],
      [DER_TAG.UTC_TIME, '260301115950+0100'],
      [DER_TAG.UTC_TIME, '261301115950Z'],
      [DER_TAG.UTC_TIME, '260431115950Z'],
      [DER_TAG.GENERALIZED_TIME, '20260301115950.50Z'],
      [DER_TAG.GENERALIZED_TIME, '20260301115950.Z'],
      [DER_TAG.OCTET_STRING, '260301115950Z'],
    ] as const) {
      expect(Number.isNaN(derTime(text(tag, s)).getTime()), s).toBe(true);
    }
  });
});

describe('readSignedData', () => {
  it('refuses what is not a ContentInfo', () => {
    expect(() => readSignedData(Uint8Array.from([0x31, 0x00]), '1.2.840.113549.1.7.2')).toThrow(CmsFormatError);
    expect(() => readSignedData(Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x00]), '1.2.840.113549.1.7.2')).toThrow(CmsFormatError);
  });

  it('stops at a content type other than SignedData', () => {
    const ci = Uint8Array.from([0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01]);
    expect(readSignedData(ci, '1.2.840.113549.1.7.2').contentType).toBe('1.2.840.113549.1.7.1');
  });
});
