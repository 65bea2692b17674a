import { describe, expect, it } from 'vitest';
import { parseAtr } from '../../../src/iso7816/atr.ts';
import {
  KNOWN_CARDS,
  VIRTUAL_ISO_ATR,
  VIRTUAL_PIV_ATR,
  VIRTUAL_YUBIKEY_ATR,
  atrMatches,
  identifyCard,
  type KnownCard,
} from '../../../src/iso7816/cardIdentification.ts';
import { fromHex, toHex } from '../../../src/iso7816/hex.ts';

const id = (text: string) => identifyCard(fromHex(text));

describe('the table', () => {
  it.each(KNOWN_CARDS.map((c) => [c.name, c] as const))('%s is a well-formed ATR with a fitting mask', (_name, card) => {
    const atr = parseAtr(fromHex(card.atr));
    expect(atr.tckValid).not.toBe(false);
    if (card.mask) expect(fromHex(card.mask).length).toBe(atr.bytes.length);
    expect(identifyCard(atr.bytes)?.name).toBe(card.name);
  });
});

describe('identifyCard', () => {
  it('Swedish BankID cards', () => {
    expect(id('3B 7D 96 00 00 80 31 80 65 B0 A3 11 00 C8 83 00 00 00')).toEqual({
      name: 'Handelsbanken BankID card',
      kind: 'bankid',
    });
    expect(id('3B E8 00 00 81 31 FE 45 00 73 C8 40 00 00 90 00 88')).toMatchObject({
      name: 'SEB VISA with Swedish BankID',
      kind: 'bankid',
      note: expect.stringContaining('JCOP'),
    });
    expect(id('3B F7 13 00 00 10 00 F1 40 40 91 9B 90 00')?.kind).toBe('bankid');
  });

  it('the Handelsbanken mask tolerates TA1 but not the status bytes (Telia eID differs there)', () => {
    expect(id('3B 7D 94 00 00 80 31 80 65 B0 A3 11 00 C8 83 00 00 00')?.name).toBe('Handelsbanken BankID card');
    expect(id('3B 7D 96 00 00 80 31 80 65 B0 A3 11 00 C8 83 00 90 00')).toBeUndefined();
  });

  it('YubiKeys are PIV', () => {
    expect(id('3B FD 13 00 00 81 31 FE 15 80 73 C0 21 C0 57 59 75 62 69 4B 65 79 40')).toEqual({
      name: 'YubiKey 5 series (5 NFC, 5C, 5Ci)',
      kind: 'piv',
      profile: 'piv',
    });
    expect(id('3B F8 13 00 00 81 31 FE 15 59 75 62 69 6B 65 79 34 D4')).toMatchObject({ name: 'YubiKey 4', profile: 'piv' });
  });

  it('the virtual cards', () => {
    expect(identifyCard(VIRTUAL_PIV_ATR)).toEqual({ name: 'e-kort virtual PIV card', kind: 'virtual', profile: 'piv' });
    expect(identifyCard(VIRTUAL_ISO_ATR)).toEqual({ name: 'e-kort virtual ISO 7816 test card', kind: 'virtual' });
    expect(identifyCard(VIRTUAL_YUBIKEY_ATR)).toEqual({ name: 'e-kort virtual YubiKey 5', kind: 'virtual', profile: 'piv' });
  });

  it('vicc, with and without extended length', () => {
    expect(id('3B 95 13 81 01 80 73 FF 01 00 0B')).toEqual({ name: 'vsmartcard vicc ISO 7816 card', kind: 'iso7816' });
    expect(id('3B 95 13 81 01 80 73 FF 01 40 4B')?.kind).toBe('iso7816');
    expect(id('3B 95 13 81 01 80 73 FF 02 00 08')).toBeUndefined();
  });

  it('unknown cards, other lengths and a one-byte change are not identified', () => {
    expect(id('3B 00')).toBeUndefined();
    expect(id('3B FD 13 00 00 81 31 FE 15 80 73 C0 21 C0 57 59 75 62 69 4B 65 79')).toBeUndefined();
    expect(id('3B FD 13 00 00 81 31 FE 15 80 73 C0 21 C0 57 59 75 62 69 4B 65 79 40 00')).toBeUndefined();
    expect(id('3B FD 13 00 00 81 31 FE 15 80 73 C0 21 C0 57 59 75 62 69 4B 65 78 41')).toBeUndefined();
  });

  it('the first matching entry of a custom table wins', () => {
    const table: KnownCard[] = [
      { atr: '3B 02 14 50', mask: 'FF FF 00 00', name: 'any 3B 02', kind: 'iso7816' },
      { atr: '3B 02 14 50', name: 'exact', kind: 'iso7816' },
    ];
    expect(identifyCard(fromHex('3B 02 14 50'), table)?.name).toBe('any 3B 02');
    expect(identifyCard(fromHex('3B 02 99 99'), table)?.name).toBe('any 3B 02');
    expect(identifyCard(fromHex('3B 03 14 50'), table)).toBeUndefined();
  });
});

describe('atrMatches', () => {
  it('compares under the mask, lengths must be equal', () => {
    expect(atrMatches(fromHex('3b 10 96'), fromHex('3b 10 94'), fromHex('ff ff f0'))).toBe(true);
    expect(atrMatches(fromHex('3b 10 86'), fromHex('3b 10 94'), fromHex('ff ff f0'))).toBe(false);
    expect(atrMatches(fromHex('3b 10'), fromHex('3b 10 94'))).toBe(false);
    expect(atrMatches(fromHex('3b 10 94'), fromHex('3b 10 94'), fromHex('ff ff'))).toBe(false);
  });
});

describe('virtual ATRs', () => {
  it.each([
    ['PIV', VIRTUAL_PIV_ATR, 'EKORT-PIV'],
  ])('%s: T=0 and T=1, valid TCK, issuer data naming the card, chaining without extended length', (_n, bytes, text) => {
    const atr = parseAtr(bytes);
    expect(atr.protocols).toEqual([0, 1]);
    expect(atr.tckValid).toBe(true);
    expect(atr.bytes.length).toBe(20);
    const issuer = atr.historical.compactTlv!.find((o) => o.tag === 5)!;
    expect(new TextDecoder().decode(issuer.value)).toBe(text);
    expect(atr.historical.cardCapabilities).toMatchObject({ supportsCommandChaining: true, supportsExtendedLength: false });
    expect(toHex(bytes.subarray(0, 4), ' ')).toBe('3b 8f 80 01');
  });

  it('virtual YubiKey: T=1 only, valid TCK, "ekortYK" after the category byte 80, a USB key by TA1', () => {
    const atr = parseAtr(VIRTUAL_YUBIKEY_ATR);
    expect(atr.protocols).toEqual([1]);
    expect(atr.tckValid).toBe(true);
    expect(new TextDecoder().decode(atr.bytes.subarray(10, 17))).toBe('ekortYK');
    expect(atr.bytes[9]).toBe(0x80);
  });

  it('ISO test card: T=1 only, valid TCK, issuer data "ekort", chaining and extended length', () => {
    const atr = parseAtr(VIRTUAL_ISO_ATR);
    expect(atr.protocols).toEqual([1]);
    expect(atr.tckValid).toBe(true);
    const issuer = atr.historical.compactTlv!.find((o) => o.tag === 5)!;
    expect(new TextDecoder().decode(issuer.value)).toBe('ekort');
    expect(atr.historical.cardCapabilities).toMatchObject({ supportsCommandChaining: true, supportsExtendedLength: true });
    expect(atr.supportsExtendedLength).toBe(true);
  });
});
