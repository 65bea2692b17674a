/**
 * The ISO/IEC 7816-4 transport rules every session needs, as a pure layer over one `Transmit`
 * call (it does no I/O of its own): command chaining (§5.3.3), GET RESPONSE on 61xx and the
 * 6Cxx resend (§5.3.4, as OpenSC does them), with hard bounds so a misbehaving card cannot
 * keep the host in a loop.
 */
import {
  ApduError,
  ResponseInterruptedError,
  EXTENDED_MAX_DATA,
  SHORT_MAX_DATA,
  SHORT_MAX_LE,
  encodeCommand,
  parseResponse,
  type CommandApdu,
  type ResponseApdu,
} from './apdu.ts';
import { concatBytes } from './hex.ts';
import { SW_OK, checkResponse } from './statusWords.ts';

/**
 * The one transport primitive for cards: one command APDU in, one response APDU out. A real
 * reader (pcsclite), a software card wired in process and a replay fixture all implement it
 * (pcsc's CardTransport), so every session above runs on any of them.
 */
export type Transmit = (apdu: Uint8Array) => Promise<Uint8Array>;

export interface TransceiveOptions {
  /**
   * The card accepts extended Lc/Le (ATR card capabilities, ISO/IEC 7816-4 §8.1.1.2.7).
   * Then data up to 65535 bytes goes in one APDU and Le > 256 is sent as extended Le;
   * otherwise long data is chained and Le is capped at 256 (the rest comes by GET RESPONSE).
   */
  extendedLength?: boolean;
  /** Upper bound on the response data collected over all GET RESPONSE rounds. */
  maxResponseBytes?: number;
  /** The instruction that fetches the rest after 61xx: GET RESPONSE (C0), or an application's own (YKOATH: A5). */
  getResponseIns?: number;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
/** 4096 rounds of 256 bytes is 1 MiB: no honest card needs more. */
export const MAX_GET_RESPONSE_ROUNDS = 4096;

/** ISO/IEC 7816-4 §5.4.1: b5 of an inter-industry CLA marks "not the last command of a chain". */
export const CLA_CHAINING = 0x10;
/** ISO/IEC 7816-4 §7.6.1 GET RESPONSE. */
export const INS_GET_RESPONSE = 0xc0;

/**
 * CLA for GET RESPONSE: the logical channel of the original command is kept, its secure
 * messaging and chaining bits are not (ISO/IEC 7816-4 §5.4.1). First inter-industry and
 * proprietary classes carry the channel in b2-b1 (proprietary ones such as GlobalPlatform's
 * 80/84 do the same), so they get CLA & 0x03; further inter-industry classes (01xx xxxx) keep
 * 0x40 | b4-b1.
 */
export function getResponseCla(cla: number): number {
  if ((cla & 0xc0) === 0x40) return 0x40 | (cla & 0x0f);
  return cla & 0x03;
}

export async function transceive(
  transmit: Transmit,
  command: CommandApdu,
  options: TransceiveOptions = {},
): Promise<ResponseApdu> {
  const extended = options.extendedLength === true;
  const maxBlock = extended ? EXTENDED_MAX_DATA : SHORT_MAX_DATA;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const data = command.data ?? new Uint8Array(0);
  // A short-only card cannot take Le > 256; Le = 256 (00) asks for all it has and 61xx brings the rest.
  const le = !extended && command.le !== undefined && command.le > SHORT_MAX_LE ? SHORT_MAX_LE : command.le;

  const send = async (cmd: CommandApdu): Promise<ResponseApdu> => parseResponse(await transmit(encodeCommand(cmd)));

  const { ins, p1, p2 } = command;
  let at = 0;
  while (data.length - at > maxBlock) {
    const response = await send({ cla: command.cla | CLA_CHAINING, ins, p1, p2, data: data.subarray(at, at + maxBlock) });
    // A chain stops at the first block the card refuses (ISO/IEC 7816-4 §5.3.3).
    if (response.sw !== SW_OK) return response;
    at += maxBlock;
  }
  const last: CommandApdu = { cla: command.cla, ins, p1, p2 };
  if (at < data.length) last.data = data.subarray(at);
  if (le !== undefined) last.le = le;

  let response = await send(last);
  if (response.sw >> 8 === 0x6c) {
    // Resent once only: a second 6Cxx goes back to the caller rather than looping.
    response = await send({ ...last, le: (response.sw & 0xff) || SHORT_MAX_LE });
  }
  return collectRemaining(send, response, getResponseCla(command.cla), maxBytes, options.getResponseIns ?? INS_GET_RESPONSE);
}

async function collectRemaining(
  send: (cmd: CommandApdu) => Promise<ResponseApdu>,
  first: ResponseApdu,
  cla: number,
  maxBytes: number,
  ins: number,
): Promise<ResponseApdu> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const keep = (r: ResponseApdu): void => {
    total += r.data.length;
    if (total > maxBytes) throw new ApduError(`response too long: more than ${maxBytes} bytes`);
    parts.push(r.data);
  };
  keep(first);
  let response = first;
  for (let round = 0; response.sw >> 8 === 0x61; round++) {
    if (round >= MAX_GET_RESPONSE_ROUNDS) {
      throw new ApduError(`response too long: the card still answers 61xx after ${MAX_GET_RESPONSE_ROUNDS} GET RESPONSE rounds`);
    }
    response = await send({ cla, ins, p1: 0, p2: 0, le: (response.sw & 0xff) || SHORT_MAX_LE });
    // An error (64xx-6Fxx; not a warning, 62xx/63xx, nor a wrong Le, 6Cxx) means the rest is gone.
    const sw1 = response.sw >> 8;
    if (sw1 >= 0x64 && sw1 <= 0x6f && sw1 !== 0x6c) throw new ResponseInterruptedError(response.sw, total);
    keep(response);
  }
  return { data: parts.length === 1 ? first.data : concatBytes(...parts), sw: response.sw };
}

/** `transceive`, then `checkResponse`: resolves only on 9000, else throws CardStatusError. */
export async function transceiveOk(
  transmit: Transmit,
  command: CommandApdu,
  options?: TransceiveOptions,
): Promise<ResponseApdu> {
  return checkResponse(await transceive(transmit, command, options), command);
}
