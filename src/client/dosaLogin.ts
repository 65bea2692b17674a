/**
 * Säkerhetsdosa login: the bank's kontrollnummer, answered by the holder (the svarskod typed
 * in) or by a connected HID token itself. For the token, the agent remembers each challenge's
 * kontrollnummer in memory only, until it is used or 2 minutes have passed (the challenge's
 * life at the bank), sends its 8 ASCII digits as the HMAC-SHA1 challenge to the token's slot 2
 * and truncates the answer to the 8-digit svarskod (HID_HMAC_SUITE, src/token/dosaCodes.ts).
 * A kontrollnummer is for one dosa (the serial it was asked for): a connected token with
 * another serial is refused (TOKEN_NOT_FOR_THIS_DOSA) before anything is sent to the token or
 * the bank, so no try of that dosa is spent on a svarskod that cannot be right.
 */
import type { BankClient } from '../bank/index.ts';
import type { DosaChallenge, Session } from '../bank/api/schemas.ts';
import { HidOtpSession, hidSvarskodFromHmac } from '../token/index.ts';
import { AgentError } from './failure.ts';
import type { Tokens } from './tokens.ts';

export const CHALLENGE_MEMORY_MS = 2 * 60_000;
/** The whole token exchange, touch included. */
export const TOKEN_TIMEOUT_MS = 30_000;

interface Remembered {
  kontrollnummer: string;
  /** The dosa serial the kontrollnummer was asked for, as compared (digits only). */
  serial: string;
  forgetAt: number;
}

/** A dosa serial as compared: spaces, dashes and leading zeros do not count. */
export function sameSerial(a: string, b: string): boolean {
  const norm = (s: string): string => s.replace(/[\s\u00a0-]/g, '').replace(/^0+(?=.)/, '');
  return norm(a) === norm(b);
}

export class DosaLogins {
  private readonly challenges = new Map<string, Remembered>();
  private exchange: AbortController | undefined;

  constructor(
    private readonly onTouch: (waiting: boolean) => void,
    private readonly now: () => number = Date.now,
  ) {}

  async start(bank: BankClient, serial: string): Promise<DosaChallenge> {
    const challenge = await bank.dosaChallenge(serial);
    this.prune();
    this.challenges.set(challenge.challengeId, { kontrollnummer: challenge.kontrollnummer, serial, forgetAt: this.now() + CHALLENGE_MEMORY_MS });
    return challenge;
  }

  async finish(bank: BankClient, challengeId: string, svarskod: string): Promise<Session> {
    this.challenges.delete(challengeId);
    return bank.dosaLogin(challengeId, svarskod);
  }

  /** The token answers the kontrollnummer of `challengeId` itself; then the bank's login. */
  async answerWithToken(bank: BankClient, tokens: Tokens, input: { challengeId: string; token: string }, options: { timeoutMs?: number } = {}): Promise<Session> {
    this.prune();
    const remembered = this.challenges.get(input.challengeId);
    if (!remembered) throw new AgentError('CHALLENGE_UNKNOWN', 'This login challenge is not known (or older than 2 minutes). Start the login again.');
    if (this.exchange) throw new AgentError('TOKEN_BUSY', 'The security token is already answering a challenge.');
    const info = tokens.list().find((t) => t.id === input.token);
    if (info?.serial !== undefined && !sameSerial(info.serial, remembered.serial)) {
      // Kept: the holder may still answer this kontrollnummer with the right dosa.
      throw new AgentError(
        'TOKEN_NOT_FOR_THIS_DOSA',
        `The connected security token (serial ${info.serial}) is not the dosa this kontrollnummer was issued for (serial ${remembered.serial}). Ask for a kontrollnummer for the token's serial, or type the svarskod from dosa ${remembered.serial}.`,
      );
    }
    const { device, close } = tokens.open(input.token);
    const controller = new AbortController();
    this.exchange = controller;
    let touching = false;
    let svarskod: string;
    try {
      const hmac = await new HidOtpSession(device).challengeResponse(Buffer.from(remembered.kontrollnummer, 'ascii'), {
        slot: 2,
        signal: controller.signal,
        timeoutMs: options.timeoutMs ?? TOKEN_TIMEOUT_MS,
        onTouch: () => {
          touching = true;
          this.onTouch(true);
        },
      });
      svarskod = hidSvarskodFromHmac(hmac);
    } finally {
      if (this.exchange === controller) this.exchange = undefined;
      if (touching) this.onTouch(false);
      close();
    }
    this.challenges.delete(input.challengeId);
    return bank.dosaLogin(input.challengeId, svarskod);
  }

  /** Stops a token exchange under way (it fails with TOKEN_CANCELLED). */
  cancel(): void {
    this.exchange?.abort();
  }

  /** Forgets every remembered kontrollnummer. */
  clear(): void {
    this.cancel();
    this.challenges.clear();
  }

  private prune(): void {
    const now = this.now();
    for (const [id, r] of this.challenges) if (r.forgetAt <= now) this.challenges.delete(id);
  }
}
