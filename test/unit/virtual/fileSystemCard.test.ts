import { identifyCard } from '../../../src/iso7816/cardIdentification.ts';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../src/iso7816/hex.ts';
import {
  DEFAULT_APPLICATION,
  FILE_SYSTEM_CARD_ATR,
  FILE_SYSTEM_CARD_T0_ATR,
  FileSystemCard,
  testPattern,
  type FileSystemCardOptions,
} from '../../../src/virtual/fileSystemCard.ts';

/** Sends hex, returns the response as spaced upper-case hex. */
function card(options: FileSystemCardOptions = {}) {
  const c = new FileSystemCard({ random: (n) => new Uint8Array(n).fill(0xa5), ...options });
  const tx = (apdu: string) => toHex(c.process(fromHex(apdu)), ' ').toUpperCase();
  return { c, tx };
}

const hex = (b: Uint8Array) => toHex(b, ' ').toUpperCase();
const LARGE = testPattern(3000, 2);
const MEDIUM = testPattern(300, 1);

describe('FileSystemCard ATR', () => {
  it('is the documented T=1 ATR with a correct TCK', () => {
    expect(hex(FILE_SYSTEM_CARD_ATR)).toBe('3B 8E 81 31 FE 45 80 73 90 21 C0 55 65 6B 6F 72 74 82 90 00 27');
    expect(identifyCard(FILE_SYSTEM_CARD_ATR)?.name).toBe('e-kort virtual ISO 7816 test card');
    let x = 0;
    for (const b of FILE_SYSTEM_CARD_ATR.subarray(1)) x ^= b;
    expect(x).toBe(0);
    expect(new FileSystemCard().atr).toEqual(FILE_SYSTEM_CARD_ATR);
  });

  it('uses the T=0 ATR (no TCK) in T=0 mode and accepts an override', () => {
    expect(hex(FILE_SYSTEM_CARD_T0_ATR)).toBe('3B 0E 80 73 90 21 80 55 65 6B 6F 72 74 82 90 00');
    expect(new FileSystemCard({ t0: true }).atr).toEqual(FILE_SYSTEM_CARD_T0_ATR);
    expect(hex(new FileSystemCard({ atr: fromHex('3b 00') }).atr)).toBe('3B 00');
  });
});

describe('SELECT', () => {
  it('selects the MF and EFs by FID without response data', () => {
    const { tx } = card();
    expect(tx('00 A4 00 0C 02 3F 00')).toBe('90 00');
    expect(tx('00 A4 00 0C 02 01 01')).toBe('90 00');
    expect(tx('00 A4 00 0C')).toBe('90 00'); // empty data: the MF
    expect(tx('00 A4 00 0C 02 09 99')).toBe('6A 82');
  });

  it('answers FCP (P2=04) and FCI (P2=00) templates', () => {
    const { tx } = card();
    expect(tx('00 A4 00 04 02 01 03 00')).toBe('62 0E 80 02 0B B8 82 01 01 83 02 01 03 8A 01 05 90 00');
    expect(tx('00 A4 00 00 02 3F 00 00')).toBe('6F 0A 82 01 38 83 02 3F 00 8A 01 05 90 00');
  });

  it('answers 61xx when the FCP is longer than Le, or Le is absent', () => {
    const { tx } = card();
    expect(tx('00 A4 00 04 02 01 03')).toBe('61 10');
    expect(tx('00 C0 00 00 10')).toBe('62 0E 80 02 0B B8 82 01 01 83 02 01 03 8A 01 05 90 00');
    expect(tx('00 A4 00 04 02 01 03 04')).toBe('62 0E 80 02 61 0C');
    expect(tx('00 C0 00 00 0C')).toBe('0B B8 82 01 01 83 02 01 03 8A 01 05 90 00');
  });

  it('selects the application DF by AID and its EF by FID', () => {
    const { tx } = card();
    const aid = hex(DEFAULT_APPLICATION.aid);
    expect(tx(`00 A4 04 00 08 ${aid} 00`)).toBe(
      `6F 14 82 01 38 83 02 50 00 84 08 ${aid} 8A 01 05 90 00`,
    );
    expect(tx('00 A4 00 0C 02 50 01')).toBe('90 00');
    expect(tx('00 B0 00 00 04')).toBe(hex(testPattern(4, 0x50)) + ' 90 00');
    expect(tx('00 A4 04 0C 03 A0 00 00')).toBe('6A 82');
    // from inside the DF, a sibling EF of the DF (child of the parent) is found too
    expect(tx(`00 A4 04 0C 08 ${aid}`)).toBe('90 00');
    expect(tx('00 A4 00 0C 02 01 01')).toBe('90 00');
  });

  it('rejects unsupported P1/P2 and bad FID lengths', () => {
    const { tx } = card();
    expect(tx('00 A4 08 0C 02 3F 00')).toBe('6A 86');
    expect(tx('00 A4 00 02 02 3F 00')).toBe('6A 86');
    expect(tx('00 A4 00 0C 03 3F 00 01')).toBe('67 00');
    expect(tx('00 A4 04 0C')).toBe('67 00');
  });
});

describe('READ BINARY', () => {
  it('needs a current EF', () => {
    const { tx } = card();
    expect(tx('00 B0 00 00 04')).toBe('69 86');
  });

  it('reads at an offset with a short Le', () => {
    const { tx } = card();
    tx('00 A4 00 0C 02 01 01');
    expect(tx('00 B0 00 00 00')).toBe(hex(new TextEncoder().encode('ekort test card')) + ' 90 00');
    expect(tx('00 B0 00 06 04')).toBe('74 65 73 74 90 00');
  });

  it('answers 6282 when an explicit Le runs past the end, 9000 for Le=00', () => {
    const { tx } = card();
    tx('00 A4 00 0C 02 01 02');
    expect(tx('00 B0 01 20 10')).toBe(hex(MEDIUM.subarray(288)) + ' 62 82');
    expect(tx('00 B0 01 00 00')).toBe(hex(MEDIUM.subarray(256)) + ' 90 00');
    expect(tx('00 B0 00 00 00')).toBe(hex(MEDIUM.subarray(0, 256)) + ' 90 00');
  });

  it('answers 6B00 for an offset at or beyond the end', () => {
    const { tx } = card();
    tx('00 A4 00 0C 02 01 02');
    expect(tx('00 B0 01 2C 01')).toBe('6B 00');
    expect(tx('00 B0 7F FF 01')).toBe('6B 00');
  });

  it('reads a 3000-byte EF with one extended Le', () => {
    const { tx } = card();
    tx('00 A4 00 0C 02 01 03');
    expect(tx('00 B0 00 00 00 00 00')).toBe(hex(LARGE) + ' 90 00');
    expect(tx('00 B0 00 00 00 0B B8')).toBe(hex(LARGE) + ' 90 00');
    expect(tx('00 B0 00 00 00 0C 00')).toBe(hex(LARGE) + ' 62 82');
    expect(tx('00 B0 0B 00 00 01 00')).toBe(hex(LARGE.subarray(2816, 3000)) + ' 62 82');
  });

  it('rejects SFI addressing, missing Le and command data', () => {
    const { tx } = card();
    tx('00 A4 00 0C 02 01 01');
    expect(tx('00 B0 81 00 04')).toBe('6A 86');
    expect(tx('00 B0 00 00')).toBe('67 00');
    expect(tx('00 B0 00 00 01 00 04')).toBe('67 00');
  });
});

describe('UPDATE BINARY with command chaining', () => {
  it('writes at an offset and checks bounds', () => {
    const { tx } = card();
    tx('00 A4 00 0C 02 01 01');
    expect(tx('00 D6 00 00 05 45 4B 4F 52 54')).toBe('90 00');
    expect(tx('00 B0 00 00 05')).toBe('45 4B 4F 52 54 90 00');
    expect(tx('00 D6 00 0E 02 00 00')).toBe('6A 84');
    expect(tx('00 D6 00 0F 01 00')).toBe('6B 00');
    expect(tx('00 D6 00 00')).toBe('67 00');
  });

  it('concatenates CLA 10 blocks, answering 9000 on each', () => {
    const { c, tx } = card();
    tx('00 A4 00 0C 02 01 03');
    const data = testPattern(600, 0x77);
    const blocks = [data.subarray(0, 255), data.subarray(255, 510), data.subarray(510)];
    expect(tx(`10 D6 00 10 FF ${hex(blocks[0]!)}`)).toBe('90 00');
    expect(tx(`10 D6 00 10 FF ${hex(blocks[1]!)}`)).toBe('90 00');
    expect(tx(`00 D6 00 10 5A ${hex(blocks[2]!)}`)).toBe('90 00');
    expect(tx('00 B0 00 10 00 02 58')).toBe(hex(data) + ' 90 00');
    expect(tx('00 B0 00 00 10')).toBe(hex(LARGE.subarray(0, 16)) + ' 90 00');
    // survives a reset (non-volatile)
    c.reset();
    tx('00 A4 00 0C 02 01 03');
    expect(tx('00 B0 00 10 08')).toBe(hex(data.subarray(0, 8)) + ' 90 00');
  });

  it('answers 6883 when a chain is interrupted and 6884 for commands that do not chain', () => {
    const { tx } = card();
    tx('00 A4 00 0C 02 01 03');
    expect(tx('10 D6 00 00 02 01 02')).toBe('90 00');
    expect(tx('00 D6 00 01 01 03')).toBe('68 83');
    expect(tx('00 D6 00 00 01 09')).toBe('90 00'); // the broken chain was dropped
    expect(tx('00 B0 00 00 02')).toBe(`09 ${hex(LARGE.subarray(1, 2))} 90 00`);
    expect(tx('10 A4 00 0C 02 3F 00')).toBe('68 84');
  });
});

describe('GET RESPONSE', () => {
  it('serves a long response in 256-byte parts for a short Le, then the final SW', () => {
    const { tx } = card();
    const data = testPattern(600, 9);
    // chained ECHO of 600 bytes with Le=00 (256)
    expect(tx(`90 EE 00 00 FF ${hex(data.subarray(0, 255))}`)).toBe('90 00');
    expect(tx(`90 EE 00 00 FF ${hex(data.subarray(255, 510))}`)).toBe('90 00');
    expect(tx(`80 EE 00 00 5A ${hex(data.subarray(510))} 00`)).toBe(hex(data.subarray(0, 256)) + ' 61 00');
    expect(tx('00 C0 00 00 00')).toBe(hex(data.subarray(256, 512)) + ' 61 58');
    expect(tx('00 C0 00 00 58')).toBe(hex(data.subarray(512)) + ' 90 00');
    expect(tx('00 C0 00 00 58')).toBe('69 85');
  });

  it('gives the rest with 9000 when Le exceeds it, and drops it after another command', () => {
    const { tx } = card();
    expect(tx('80 EE 00 00 04 01 02 03 04 01')).toBe('01 61 03');
    expect(tx('00 C0 00 00 10')).toBe('02 03 04 90 00');
    expect(tx('80 EE 00 00 04 01 02 03 04 01')).toBe('01 61 03');
    expect(tx('00 84 00 00 02')).toBe('A5 A5 90 00');
    expect(tx('00 C0 00 00 03')).toBe('69 85');
    expect(tx('00 C0 01 00 03')).toBe('6A 86');
  });
});

describe('T=0 mode', () => {
  it('answers case-4 commands with 61xx and serves the data by GET RESPONSE', () => {
    const { tx } = card({ t0: true });
    expect(tx('00 A4 00 04 02 01 03 00')).toBe('61 10');
    expect(tx('00 C0 00 00 10')).toBe('62 0E 80 02 0B B8 82 01 01 83 02 01 03 8A 01 05 90 00');
    expect(tx('80 EE 00 00 02 AB CD')).toBe('61 02');
    expect(tx('00 C0 00 00 02')).toBe('AB CD 90 00');
  });

  it('answers a wrong Le with 6Cxx, also on GET RESPONSE (the data stays pending)', () => {
    const { tx } = card({ t0: true });
    tx('00 A4 00 0C 02 01 02');
    expect(tx('00 B0 01 20 00')).toBe('6C 0C');
    expect(tx('00 B0 01 20 0C')).toBe(hex(MEDIUM.subarray(288)) + ' 90 00');
    expect(tx('80 EE 00 00 03 01 02 03')).toBe('61 03');
    expect(tx('00 C0 00 00 08')).toBe('6C 03');
    expect(tx('00 C0 00 00 02')).toBe('01 02 61 01');
    expect(tx('00 C0 00 00 01')).toBe('03 90 00');
  });

  it('refuses extended length', () => {
    const { tx } = card({ t0: true });
    tx('00 A4 00 0C 02 01 03');
    expect(tx('00 B0 00 00 00 01 00')).toBe('67 00');
  });
});

describe('GET CHALLENGE', () => {
  it('returns Le random bytes', () => {
    const { tx } = card();
    expect(tx('00 84 00 00 08')).toBe('A5 A5 A5 A5 A5 A5 A5 A5 90 00');
    expect(tx('00 84 00 00')).toBe('67 00');
    expect(tx('00 84 01 00 08')).toBe('6A 86');
    const real = new FileSystemCard();
    const a = real.process(fromHex('00 84 00 00 08'));
    const b = real.process(fromHex('00 84 00 00 08'));
    expect(a.length).toBe(10);
    expect(toHex(a.subarray(8))).toBe('9000');
    expect(toHex(a)).not.toBe(toHex(b));
  });
});

describe('VERIFY', () => {
  it('counts down 63Cx, blocks with 6983, resets the counter on success', () => {
    const { c, tx } = card();
    expect(tx('00 20 00 01')).toBe('63 C3');
    expect(tx('00 20 00 01 04 31 31 31 31')).toBe('63 C2');
    expect(tx('00 20 00 01 04 31 32 33 34')).toBe('90 00');
    expect(tx('00 20 00 01')).toBe('90 00');
    expect(c.pinTriesLeft).toBe(3);
    c.reset();
    expect(tx('00 20 00 01')).toBe('63 C3');
    expect(tx('00 20 00 01 04 30 30 30 30')).toBe('63 C2');
    expect(tx('00 20 00 01 04 30 30 30 30')).toBe('63 C1');
    expect(tx('00 20 00 01 04 30 30 30 30')).toBe('63 C0');
    expect(tx('00 20 00 01 04 31 32 33 34')).toBe('69 83');
    expect(tx('00 20 00 01')).toBe('69 83');
    c.reset();
    expect(tx('00 20 00 01')).toBe('69 83'); // the retry counter is non-volatile
  });

  it('rejects other references', () => {
    const { tx } = card({ pin: fromHex('01 02') });
    expect(tx('00 20 00 80 02 01 02')).toBe('6A 86');
    expect(tx('00 20 00 01 02 01 02')).toBe('90 00');
  });
});

describe('errors', () => {
  it('answers 6D00, 6E00 and 6700', () => {
    const { tx } = card();
    expect(tx('00 CA 00 00 00')).toBe('6D 00');
    expect(tx('80 A4 00 0C 02 3F 00')).toBe('6D 00');
    expect(tx('A0 A4 00 0C 02 3F 00')).toBe('6E 00');
    expect(tx('01 A4 00 0C 02 3F 00')).toBe('6E 00');
    expect(tx('00 A4 00')).toBe('67 00');
    expect(tx('00 A4 00 0C 05 3F 00')).toBe('67 00');
  });

  it('forgets the selection on reset', () => {
    const { c, tx } = card();
    tx('00 A4 00 0C 02 01 01');
    c.reset();
    expect(tx('00 B0 00 00 01')).toBe('69 86');
  });
});
