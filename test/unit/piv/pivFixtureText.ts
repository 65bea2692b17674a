/**
 * Builds fixture text (the format of src/iso7816/apduFixture.ts) for certificate reads whose bytes
 * are made in the test (a gzip output, a zip bomb), so the .apdu files stay readable.
 */
import { fileURLToPath } from 'node:url';
import { toHex } from '../../../src/iso7816/hex.ts';
import { tlv } from '../../../src/iso7816/tlv.ts';
import { ReplayTransport } from '../../../src/pcsc/replayTransport.ts';

export const ATRS = {
  /** T=1, card capabilities without extended length (an SEB BankID card). */
  t1Short: '3b e8 00 00 81 31 fe 45 00 73 c8 40 00 00 90 00 88',
  /** T=0 only (a Handelsbanken BankID card). */
  t0: '3b 7d 96 00 00 80 31 80 65 b0 a3 11 00 c8 83 00 00 00',
  /** T=1 with extended Lc/Le in its card capabilities (a YubiKey 5). */
  extended: '3b fd 13 00 00 81 31 fe 15 80 73 c0 21 c0 57 59 75 62 69 4b 65 79 40',
} as const;

export type CardKind = keyof typeof ATRS;

const SELECT = '00 a4 04 00 0b a0 00 00 03 08 00 00 10 00 01 00 00';
const APT = '61 11 4f 06 00 00 10 00 01 00 79 07 4f 05 a0 00 00 03 08';
const h = (bytes: Uint8Array): string => toHex(bytes, ' ');
const sw61 = (n: number): string => `61 ${toHex(Uint8Array.of(n & 0xff))}`;

/** 53 { 70 certificate, 71 CertInfo (01 = gzip), FE }: what GET DATA of a certificate answers. */
export function certificateObject(certificate: Uint8Array, gzip: boolean): Uint8Array {
  return tlv(0x53, tlv(0x70, certificate), tlv(0x71, Uint8Array.of(gzip ? 0x01 : 0x00)), tlv(0xfe));
}

/**
 * SELECT, then GET DATA of slot 9A answering `object`, framed as the kind of card does it:
 * 'extended' in one APDU; 't1Short' 256 bytes at a time, each with 61xx; 't0' 61xx with no
 * data first, then everything by GET RESPONSE.
 */
export function certificateFixture(object: Uint8Array, card: CardKind): string {
  const lines = [`# atr: ${ATRS[card]}`, `=> ${SELECT}`];
  if (card === 't0') lines.push('<= 61 11', '=> 00 c0 00 00 11');
  lines.push(`<= ${APT} 90 00`);

  if (card === 'extended') {
    lines.push('=> 00 cb 3f ff 00 00 05 5c 03 5f c1 05 00 00', `<= ${h(object)} 90 00`);
    return `${lines.join('\n')}\n`;
  }
  lines.push('=> 00 cb 3f ff 05 5c 03 5f c1 05 00');
  let at = 0;
  if (card === 't0') {
    lines.push(`<= ${sw61(Math.min(object.length, 256))}`);
  } else {
    at = Math.min(object.length, 256);
    const rest = object.length - at;
    lines.push(`<= ${h(object.subarray(0, at))} ${rest > 0 ? sw61(Math.min(rest, 256)) : '90 00'}`);
  }
  while (at < object.length) {
    const n = Math.min(object.length - at, 256);
    lines.push(`=> 00 c0 00 00 ${toHex(Uint8Array.of(n & 0xff))}`);
    at += n;
    const rest = object.length - at;
    lines.push(`<= ${h(object.subarray(at - n, at))} ${rest > 0 ? sw61(Math.min(rest, 256)) : '90 00'}`);
  }
  return `${lines.join('\n')}\n`;
}

export function fixture(name: string): Promise<ReplayTransport> {
  return ReplayTransport.fromFile(fileURLToPath(new URL(`../../fixtures/piv/${name}`, import.meta.url)));
}
