/**
 * Known cards by ATR. Entries were checked against the public pcsc-tools list
 * (LudovicRousseau/pcsc-tools, smartcard_list.txt) and, for vicc, against vsmartcard's source.
 *
 * An ATR says which chip and operating system answered, not which applications are on the card:
 * "PIV-compatible" cannot be told from the ATR alone (many JavaCards carry a PIV applet, and the
 * same JCOP ATR is used by unrelated bank cards). Whether a card speaks PIV is found out by
 * SELECTing the PIV AID; this table only names cards and picks a likely profile.
 */
import { fromHex, toHex } from './hex.ts';

export type CardKind = 'bankid' | 'piv' | 'iso7816' | 'virtual';
export type CardProfile = 'piv';

export interface KnownCard {
  /** ATR pattern as hex ("3B 7D 96 ..."). */
  atr: string;
  /** Bits that must match, as hex of the same length; absent means every bit. */
  mask?: string;
  name: string;
  kind: CardKind;
  /** The application profile this project reads the card through, when known. */
  profile?: CardProfile;
  note?: string;
}

export interface CardIdentity {
  name: string;
  kind: CardKind;
  profile?: CardProfile;
  note?: string;
}

/**
 * The project's virtual PIV card (BankID-style login card). PC/SC Part 3 style ATR
 * (3B 8n 80 01 ...): T=0 and T=1 offered, historical bytes in compact-TLV (ISO/IEC 7816-4
 * §8.1.1): card capabilities 80 01 80 (select by full DF name; command chaining, no extended
 * Lc/Le so it works through every reader driver) and issuer data "EKORT-PIV", then TCK.
 */
export const VIRTUAL_PIV_ATR: Uint8Array = fromHex('3B 8F 80 01 80 73 80 01 80 59 45 4B 4F 52 54 2D 50 49 56 80');
/**
 * The minimal ISO 7816 test card (src/virtual/fileSystemCard.ts): T=1 only (TD1 81, TD2 31:
 * IFSC FE, BWI 4 / CWI 5); compact-TLV historical bytes: card capabilities 73 90 21 C0 (command
 * chaining and extended Lc/Le: vpcd passes extended APDUs through), issuer data "ekort",
 * status 9000; TCK 27.
 */
export const VIRTUAL_ISO_ATR: Uint8Array = fromHex('3B 8E 81 31 FE 45 80 73 90 21 C0 55 65 6B 6F 72 74 82 90 00 27');

/**
 * The project's virtual YubiKey (src/virtual/virtualYubiKey.ts). T0 = F8: TA1, TB1, TC1 and TD1
 * present (a USB key's ATR has the high nibble set: Yubico's tools read it as a key on USB, not
 * over NFC), T=1, historical bytes 80 "ekortYK", then TCK.
 */
export const VIRTUAL_YUBIKEY_ATR: Uint8Array = fromHex('3B F8 13 00 00 81 31 FE 15 80 65 6B 6F 72 74 59 4B 45');

export const KNOWN_CARDS: readonly KnownCard[] = [
  {
    atr: toHex(VIRTUAL_YUBIKEY_ATR, ' '),
    name: 'e-kort virtual YubiKey 5',
    kind: 'virtual',
    profile: 'piv',
  },
  {
    atr: toHex(VIRTUAL_PIV_ATR, ' '),
    name: 'e-kort virtual PIV card',
    kind: 'virtual',
    profile: 'piv',
  },
  {
    atr: toHex(VIRTUAL_ISO_ATR, ' '),
    name: 'e-kort virtual ISO 7816 test card',
    kind: 'virtual',
  },
  {
    // T0 = 7D: TA1 TB1 TC1, K = 13, no TD1, so T=0 only and no TCK: the 18 bytes are complete
    // and the last 00 is SW2 of the status indicator (83 00 00 00). The same Gemalto platform
    // answers TA1 = 94/95/96, so TA1 is masked; the 00 00 status tells it from Telia's eID
    // (… 83 00 90 00), which is why the rest stays exact.
    atr: '3B 7D 96 00 00 80 31 80 65 B0 A3 11 00 C8 83 00 00 00',
    mask: 'FF FF 00 FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF',
    name: 'Handelsbanken BankID card',
    kind: 'bankid',
  },
  {
    atr: '3B F7 13 00 00 10 00 F1 40 40 91 9B 90 00',
    name: 'Handelsbanken Inloggningskort (BankID på kort)',
    kind: 'bankid',
  },
  {
    atr: '3B 67 00 00 B3 40 40 00 3B 90 00',
    name: 'Handelsbanken BankID card (issued 2011)',
    kind: 'bankid',
  },
  {
    atr: '3B E8 00 00 81 31 FE 45 00 73 C8 40 00 00 90 00 88',
    name: 'SEB VISA with Swedish BankID',
    kind: 'bankid',
    note: 'A generic NXP JCOP ATR: other JCOP bank cards answer the same',
  },
  {
    atr: '3B FD 13 00 00 81 31 FE 15 80 73 C0 21 C0 57 59 75 62 69 4B 65 79 40',
    name: 'YubiKey 5 series (5 NFC, 5C, 5Ci)',
    kind: 'piv',
    profile: 'piv',
  },
  {
    atr: '3B F8 13 00 00 81 31 FE 15 59 75 62 69 6B 65 79 34 D4',
    name: 'YubiKey 4',
    kind: 'piv',
    profile: 'piv',
  },
  {
    atr: '3B FC 13 00 00 81 31 FE 15 59 75 62 69 6B 65 79 4E 45 4F 72 33 E1',
    name: 'YubiKey NEO',
    kind: 'piv',
    profile: 'piv',
  },
  {
    // vsmartcard vicc 3.3 `-t iso7816`: Iso7816OS.makeATR(T=1, TA1=0x13, historical 80 73 FF 01 xx).
    // The third software function byte (b7 = extended length) and hence the TCK depend on its
    // extended_length setting, so those bits are masked.
    atr: '3B 95 13 81 01 80 73 FF 01 00 0B',
    mask: 'FF FF FF FF FF FF FF FF FF BF 00',
    name: 'vsmartcard vicc ISO 7816 card',
    kind: 'iso7816',
  },
];

/** (atr & mask) == (pattern & mask), lengths equal; a missing mask compares every bit. */
export function atrMatches(atr: Uint8Array, pattern: Uint8Array, mask?: Uint8Array): boolean {
  if (atr.length !== pattern.length) return false;
  if (mask && mask.length !== pattern.length) return false;
  for (let i = 0; i < atr.length; i++) {
    const m = mask ? mask[i]! : 0xff;
    if ((atr[i]! & m) !== (pattern[i]! & m)) return false;
  }
  return true;
}

/** The first table entry matching `atr`, or undefined for a card this table does not know. */
export function identifyCard(atr: Uint8Array, table: readonly KnownCard[] = KNOWN_CARDS): CardIdentity | undefined {
  for (const card of table) {
    if (!atrMatches(atr, fromHex(card.atr), card.mask === undefined ? undefined : fromHex(card.mask))) continue;
    const identity: CardIdentity = { name: card.name, kind: card.kind };
    if (card.profile) identity.profile = card.profile;
    if (card.note) identity.note = card.note;
    return identity;
  }
  return undefined;
}
