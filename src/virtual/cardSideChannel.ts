/**
 * The card's half of the ISO/IEC 7816-4 transport rules, shared by every software card:
 * collecting a command chain (§5.3.3), cutting answers at Ne with 61xx and serving the rest by
 * GET RESPONSE (§5.3.4), and, for T=0 cards, 6Cxx for a wrong Le.
 */
import { concatBytes, encodeResponse, type ParsedCommand } from '../iso7816/index.ts';

const SW_OK = 0x9000;
const SW_WRONG_LENGTH = 0x6700;
const SW_LAST_COMMAND_EXPECTED = 0x6883;
const SW_CHAINING_UNSUPPORTED = 0x6884;
const SW_CONDITIONS_NOT_SATISFIED = 0x6985;
const SW_WRONG_P1P2 = 0x6a86;
/** §5.4.1: b5 of CLA set on every block of a chain but the last. */
export const CLA_CHAINING = 0x10;
/** §7.6.1 GET RESPONSE. */
export const INS_GET_RESPONSE = 0xc0;
/** The longest chain a card accepts: the extended Lc maximum. */
const MAX_CHAIN_BYTES = 0xffff;

export function swBytes(status: number): Uint8Array {
  return Uint8Array.of(status >> 8, status & 0xff);
}

interface Chain {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  parts: Uint8Array[];
  size: number;
}

export class CardSideChannel {
  private pending: { data: Uint8Array; sw: number } | undefined;
  private chain: Chain | undefined;

  /**
   * T=0: no response data on case 3/4 commands (all by GET RESPONSE), 6Cxx for a wrong Le.
   * `neWithoutLe`: what a command without Le may receive (0 by ISO/IEC 7816-4; a YubiKey answers
   * up to 256 bytes at once, and Yubico's libykpiv expects that of it).
   */
  constructor(
    private readonly t0 = false,
    private readonly neWithoutLe = 0,
  ) {}

  /** Power-on or reset: nothing pending, no chain. */
  reset(): void {
    this.pending = undefined;
    this.chain = undefined;
  }

  /** Answers `status` and forgets any pending answer and unfinished chain. */
  fail(status: number): Uint8Array {
    this.reset();
    return swBytes(status);
  }

  /** A new command (other than GET RESPONSE) makes a pending answer unreachable. */
  dropPending(): void {
    this.pending = undefined;
  }

  /**
   * Adds the command to the chain. Returns the whole command data once the last block is in,
   * or the response to send now (9000 for an accepted block, or the error).
   */
  collect(cmd: ParsedCommand, chainable: boolean): { data: Uint8Array } | { response: Uint8Array } {
    const chained = (cmd.cla & CLA_CHAINING) !== 0;
    const cla = cmd.cla & ~CLA_CHAINING;
    const data = cmd.data ?? new Uint8Array(0);
    const chain = this.chain;
    if (chain && (chain.cla !== cla || chain.ins !== cmd.ins || chain.p1 !== cmd.p1 || chain.p2 !== cmd.p2)) {
      return { response: this.fail(SW_LAST_COMMAND_EXPECTED) };
    }
    if (chained) {
      if (!chainable) return { response: this.fail(SW_CHAINING_UNSUPPORTED) };
      if (data.length === 0) return { response: this.fail(SW_WRONG_LENGTH) };
      const c = chain ?? { cla, ins: cmd.ins, p1: cmd.p1, p2: cmd.p2, parts: [], size: 0 };
      c.parts.push(Uint8Array.from(data));
      c.size += data.length;
      if (c.size > MAX_CHAIN_BYTES) return { response: this.fail(SW_WRONG_LENGTH) };
      this.chain = c;
      return { response: swBytes(SW_OK) };
    }
    if (!chain) return { data };
    this.chain = undefined;
    return { data: concatBytes(...chain.parts, data) };
  }

  /**
   * Cuts `data` to what the command may receive and keeps the rest for GET RESPONSE. `resumed`
   * is true for GET RESPONSE itself, whose 6Cxx keeps the pending data.
   */
  deliver(data: Uint8Array, status: number, cmd: ParsedCommand, resumed = false): Uint8Array {
    if (data.length === 0) return swBytes(status);
    const hasData = (cmd.data?.length ?? 0) > 0;
    const ne = this.t0 && hasData ? 0 : (cmd.le ?? this.neWithoutLe);
    if (this.t0 && !hasData && ne > 0 && data.length < ne) {
      if (resumed) this.pending = { data, sw: status };
      return swBytes(0x6c00 | data.length);
    }
    if (data.length > ne) {
      const rest = data.subarray(ne);
      this.pending = { data: rest, sw: status };
      return encodeResponse(data.subarray(0, ne), 0x6100 | (Math.min(rest.length, 256) & 0xff));
    }
    return encodeResponse(data, status);
  }

  /** GET RESPONSE 00 C0 00 00 Le: the next part of the pending answer. */
  getResponse(cmd: ParsedCommand): Uint8Array {
    if ((cmd.cla & CLA_CHAINING) !== 0) return this.fail(SW_CHAINING_UNSUPPORTED);
    if (cmd.p1 !== 0 || cmd.p2 !== 0) return this.fail(SW_WRONG_P1P2);
    if ((cmd.data?.length ?? 0) > 0 || cmd.le === undefined) return this.fail(SW_WRONG_LENGTH);
    const pending = this.pending;
    if (!pending) return this.fail(SW_CONDITIONS_NOT_SATISFIED);
    this.pending = undefined;
    return this.deliver(pending.data, pending.sw, cmd, true);
  }
}
