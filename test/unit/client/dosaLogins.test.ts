/**
 * DosaLogins.answerWithToken: a kontrollnummer is for the dosa it was asked for. A connected
 * token with another serial is refused (TOKEN_NOT_FOR_THIS_DOSA) before the token or the bank
 * is asked, so no try of either dosa is spent; the kontrollnummer stays usable.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import type { BankClient } from '../../../src/bank/api/client.ts';
import { DosaLogins, sameSerial } from '../../../src/client/dosaLogin.ts';
import { Tokens } from '../../../src/client/tokens.ts';
import { hidSvarskodFromHmac } from '../../../src/token/dosaCodes.ts';
import { HidOtpSession } from '../../../src/token/hidOtpSession.ts';
import { VirtualHidToken } from '../../../src/virtual/hidToken.ts';
import { failureOf } from '../../support/failures.ts';

function fakeBank() {
  let n = 0;
  const dosaChallenge = vi.fn(async (serial: string) => ({ challengeId: `c${++n}-${serial}`, kontrollnummer: String(10_000_000 + n * 7919), expiresAt: new Date(Date.now() + 120_000).toISOString() }));
  const dosaLogin = vi.fn(async (challengeId: string, svarskod: string) => ({ token: 't', challengeId, svarskod }));
  return { bank: { dosaChallenge, dosaLogin } as unknown as BankClient, dosaChallenge, dosaLogin };
}

function setup() {
  const key = new Uint8Array(randomBytes(20));
  const token = new VirtualHidToken({ slot2: key });
  const tokens = new Tokens(() => undefined, { hid: false });
  const info = tokens.plugVirtual(token, '4711000');
  const logins = new DosaLogins(() => undefined);
  return { key, token, tokens, info, logins, ...fakeBank() };
}

describe('DosaLogins.answerWithToken', () => {
  it('refuses a kontrollnummer issued for another dosa without asking the token or the bank', async () => {
    const { token, tokens, info, logins, bank, dosaLogin } = setup();
    const challenge = await logins.start(bank, '1234567890');
    const failure = await failureOf(logins.answerWithToken(bank, tokens, { challengeId: challenge.challengeId, token: info.id }));
    expect(failure.code).toBe('TOKEN_NOT_FOR_THIS_DOSA');
    expect(failure.message).toContain('4711000');
    expect(failure.message).toContain('1234567890');
    expect(dosaLogin).not.toHaveBeenCalled();
    expect(token.written).toHaveLength(0);

    // The kontrollnummer is kept: the holder can still type the other dosa's svarskod.
    await logins.finish(bank, challenge.challengeId, '12345678');
    expect(dosaLogin).toHaveBeenCalledWith(challenge.challengeId, '12345678');
  });

  it("answers a kontrollnummer asked for the token's own serial (spaces and leading zeros aside)", async () => {
    const { key, tokens, info, logins, bank, dosaLogin } = setup();
    const challenge = await logins.start(bank, '04711 000');
    await logins.answerWithToken(bank, tokens, { challengeId: challenge.challengeId, token: info.id });
    const expected = hidSvarskodFromHmac(await new HidOtpSession(new VirtualHidToken({ slot2: key })).challengeResponse(Buffer.from(challenge.kontrollnummer, 'ascii'), { slot: 2 }));
    expect(dosaLogin).toHaveBeenCalledWith(challenge.challengeId, expected);
  });

  it('compares serials by their digits', () => {
    expect(sameSerial('123 456 789', '123456789')).toBe(true);
    expect(sameSerial('0012-3456', '123456')).toBe(true);
    expect(sameSerial('123456', '123457')).toBe(false);
    expect(sameSerial('0', '0')).toBe(true);
  });
});
