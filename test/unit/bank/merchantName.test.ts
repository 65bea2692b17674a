import { describe, expect, it } from 'vitest';
import { merchantKey, sameMerchant } from '../../../src/bank/merchantName.ts';

/** [what the holder approved, what the card network sends] */
const SAME: Array<[string, string]> = [
  ['Webbutiken', 'WEBBUTIKEN AB STOCKHOLM'],
  ['Webbutiken', 'WWW.WEBBUTIKEN.SE'],
  ['Webbutiken', 'WEBBUTIKEN*ORDER 1234'],
  ['Webbutiken', 'webbutiken.se/kassa'],
  ['Webbutiken', 'https://www.webbutiken.se'],
  ['Webbutiken AB', 'WEBBUTIKEN'],
  ['webbutiken.se', 'Webbutiken AB'],
  ['Streamly', 'STREAMLY LTD'],
  ['Streamly', 'Streamly Inc #88231'],
  ['Café Åkerlund', 'CAFÉ ÅKERLUND HB GÖTEBORG'],
  ['Café Åkerlund', 'CAFE AKERLUND GOTEBORG'],
  ['Spotify', 'SPOTIFY AB SVERIGE'],
  ['H&M', 'H & M'],
  ['Tidningen', 'TIDNINGEN AB (PUBL)'],
];

const DIFFERENT: Array<[string, string]> = [
  ['Webbutiken', 'WEBBUTIKEN2'],
  ['Webbutiken', 'ANNAN BUTIK'],
  ['Webbutiken', 'WEBBUTIKEN STORE'],
  ['Webbutiken', 'MIN WEBBUTIKEN'],
  ['Streamly', 'STREAMLYPLUS LTD'],
  ['Spotify', 'SPOTIFY2 AB'],
  ['Åhléns', 'AHLSELL AB'],
];

describe('merchant names as networks write them', () => {
  it.each(SAME)('%s is the merchant in "%s"', (approved, descriptor) => {
    expect(sameMerchant(approved, descriptor)).toBe(true);
  });

  it.each(DIFFERENT)('%s is not the merchant in "%s"', (approved, descriptor) => {
    expect(sameMerchant(approved, descriptor)).toBe(false);
  });

  it('keeps a name that is only a legal form or a place', () => {
    expect(merchantKey('AB')).toBe('ab');
    expect(merchantKey('Stockholm')).toBe('stockholm');
    expect(sameMerchant('Stockholm', 'STOCKHOLM AB')).toBe(true);
  });
});
