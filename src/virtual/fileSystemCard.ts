/**
 * A minimal ISO/IEC 7816-4 software card: the test card for the driver core. An MF with a few
 * transparent EFs and one DF selectable by AID; SELECT, READ BINARY, UPDATE BINARY (with
 * command chaining), GET RESPONSE, GET CHALLENGE, VERIFY and a proprietary ECHO.
 *
 * Transport behaviour it lets a driver be tested against:
 * - A response longer than Ne (Ne = 0 when Le is absent) is cut at Ne and answered 61xx; the
 *   rest comes with GET RESPONSE (00 C0 00 00 xx), the last part with the command's own SW.
 * - `t0: true` behaves like a T=0 card: case-3/4 commands that produce data answer 61xx with
 *   no data, a case-2 Le larger than what is available answers 6Cxx, and extended APDUs are
 *   refused (6700).
 * - READ BINARY follows ISO 7816-4 §11.2.3: an Le of all zeros (00 / 0000) reads up to the
 *   end of the file with 9000; an explicit Le that runs past the end answers 6282.
 *
 * File contents and the PIN retry counter are non-volatile; reset() drops the selection, the
 * verified PIN, a pending GET RESPONSE and an unfinished command chain.
 */
import { randomBytes } from 'node:crypto';
import { bytesEqual, concatBytes, parseCommand, type ParsedCommand, tlv, VIRTUAL_ISO_ATR } from '../iso7816/index.ts';
import type { SoftwareCard } from '../pcsc/index.ts';
import { CardSideChannel, CLA_CHAINING, INS_GET_RESPONSE } from './cardSideChannel.ts';

// ISO/IEC 7816-4 §5.6 status words used here.
const SW_OK = 0x9000;
const SW_END_OF_FILE = 0x6282;
const SW_WRONG_LENGTH = 0x6700;
const SW_PIN_BLOCKED = 0x6983;
const SW_NO_CURRENT_EF = 0x6986;
const SW_FILE_NOT_FOUND = 0x6a82;
const SW_NOT_ENOUGH_MEMORY = 0x6a84;
const SW_WRONG_P1P2 = 0x6a86;
const SW_OFFSET_OUTSIDE_EF = 0x6b00;
const SW_INS_UNSUPPORTED = 0x6d00;
const SW_CLA_UNSUPPORTED = 0x6e00;

const CLA_PROPRIETARY = 0x80;
const INS_VERIFY = 0x20;
const INS_GET_CHALLENGE = 0x84;
const INS_SELECT = 0xa4;
const INS_READ_BINARY = 0xb0;
const INS_UPDATE_BINARY = 0xd6;
/** Proprietary (CLA 80): answers its command data. For chaining and GET RESPONSE tests. */
export const INS_ECHO = 0xee;

const MF_FID = 0x3f00;

/** Historical bytes, ISO 7816-4 §8.1.1: category 80, then COMPACT-TLV objects. */
function historicalBytes(thirdSoftwareTable: number): number[] {
  return [
    0x80,
    // Card capabilities (tag 7, length 3), §8.1.1.2.7: selection by full DF name and by FID;
    // data coding 21 (proprietary write behaviour, 1-byte data unit); third table as given.
    0x73, 0x90, 0x21, thirdSoftwareTable,
    // Card issuer's data (tag 5): "ekort".
    0x55, 0x65, 0x6b, 0x6f, 0x72, 0x74,
    // Status indicator (tag 8, length 2): SW 9000.
    0x82, 0x90, 0x00,
  ];
}

/** T=1, extended Lc/Le and chaining: the project's virtual ISO card ATR (cardIdentification.ts). */
export const FILE_SYSTEM_CARD_ATR: Uint8Array = VIRTUAL_ISO_ATR;

/** T=0 only (no TD1, hence no TCK); capabilities advertise chaining but not extended length. */
export const FILE_SYSTEM_CARD_T0_ATR: Uint8Array = (() => {
  const hist = historicalBytes(0x80);
  return Uint8Array.of(0x3b, hist.length, ...hist);
})();

/** Deterministic file contents that never repeat with a period of 256 (offset errors show). */
export function testPattern(length: number, seed = 0): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 7 + (i >>> 8) + seed) & 0xff;
  return out;
}

export interface ElementaryFileSpec {
  fid: number;
  /** Copied; the file's size is fixed at this length. */
  data: Uint8Array;
}

export interface ApplicationSpec {
  fid: number;
  aid: Uint8Array;
  files: ElementaryFileSpec[];
}

export const DEFAULT_FILES = {
  /** 15 bytes of ASCII text. */
  small: 0x0101,
  /** 300 bytes: longer than one short Le. */
  medium: 0x0102,
  /** 3000 bytes: for extended Le and chained reads/writes. */
  large: 0x0103,
} as const;

export const DEFAULT_APPLICATION: ApplicationSpec = {
  fid: 0x5000,
  // Proprietary, unregistered AID (first nibble F, ISO/IEC 7816-5): "EKORT" 00 01.
  aid: Uint8Array.of(0xf0, 0x45, 0x4b, 0x4f, 0x52, 0x54, 0x00, 0x01),
  files: [{ fid: 0x5001, data: testPattern(64, 0x50) }],
};

export function defaultFiles(): ElementaryFileSpec[] {
  return [
    { fid: DEFAULT_FILES.small, data: new TextEncoder().encode('ekort test card') },
    { fid: DEFAULT_FILES.medium, data: testPattern(300, 1) },
    { fid: DEFAULT_FILES.large, data: testPattern(3000, 2) },
  ];
}

export interface FileSystemCardOptions {
  atr?: Uint8Array;
  /** EFs directly under the MF; defaultFiles() when absent. */
  files?: ElementaryFileSpec[];
  /** One DF selectable by AID; DEFAULT_APPLICATION when absent, null for none. */
  application?: ApplicationSpec | null;
  /** Reference data for VERIFY 00 20 00 01 (a string is taken as ASCII). Default "1234". */
  pin?: Uint8Array | string;
  pinTries?: number;
  /** Behave like a T=0 card (see the file comment). */
  t0?: boolean;
  /** Source of GET CHALLENGE bytes; crypto.randomBytes by default. */
  random?: (length: number) => Uint8Array;
}

interface Ef {
  kind: 'ef';
  fid: number;
  data: Uint8Array;
  parent: Df;
}

interface Df {
  kind: 'df';
  fid: number;
  aid?: Uint8Array;
  children: Array<Ef | Df>;
  parent: Df | null;
}

interface Reply {
  data?: Uint8Array;
  sw: number;
}

function fcpObjects(node: Ef | Df): Uint8Array {
  const fid = Uint8Array.of(node.fid >> 8, node.fid & 0xff);
  if (node.kind === 'ef') {
    const size = node.data.length;
    // 80 size, 82 working EF transparent, 83 FID, 8A operational activated (§7.4.3).
    return concatBytes(tlv(0x80, Uint8Array.of(size >> 8, size & 0xff)), tlv(0x82, Uint8Array.of(0x01)), tlv(0x83, fid), tlv(0x8a, Uint8Array.of(0x05)));
  }
  return concatBytes(tlv(0x82, Uint8Array.of(0x38)), tlv(0x83, fid), node.aid ? tlv(0x84, node.aid) : new Uint8Array(0), tlv(0x8a, Uint8Array.of(0x05)));
}

export class FileSystemCard implements SoftwareCard {
  readonly atr: Uint8Array;
  readonly t0: boolean;
  private readonly mf: Df;
  private readonly pin: Uint8Array;
  private readonly maxTries: number;
  private readonly random: (length: number) => Uint8Array;
  private triesLeft: number;

  private currentDf: Df;
  private currentEf: Ef | undefined;
  private verified = false;
  private readonly channel: CardSideChannel;

  constructor(options: FileSystemCardOptions = {}) {
    this.t0 = options.t0 ?? false;
    this.channel = new CardSideChannel(this.t0);
    this.atr = Uint8Array.from(options.atr ?? (this.t0 ? FILE_SYSTEM_CARD_T0_ATR : FILE_SYSTEM_CARD_ATR));
    this.mf = { kind: 'df', fid: MF_FID, children: [], parent: null };
    for (const f of options.files ?? defaultFiles()) {
      this.mf.children.push({ kind: 'ef', fid: f.fid, data: Uint8Array.from(f.data), parent: this.mf });
    }
    const app = options.application === undefined ? DEFAULT_APPLICATION : options.application;
    if (app) {
      const df: Df = { kind: 'df', fid: app.fid, aid: Uint8Array.from(app.aid), children: [], parent: this.mf };
      for (const f of app.files) df.children.push({ kind: 'ef', fid: f.fid, data: Uint8Array.from(f.data), parent: df });
      this.mf.children.push(df);
    }
    const pin = options.pin ?? '1234';
    this.pin = typeof pin === 'string' ? new TextEncoder().encode(pin) : Uint8Array.from(pin);
    this.maxTries = options.pinTries ?? 3;
    this.triesLeft = this.maxTries;
    this.random = options.random ?? ((n) => new Uint8Array(randomBytes(n)));
    this.currentDf = this.mf;
  }

  /** Tries left for the PIN (non-volatile, like the card's retry counter). */
  get pinTriesLeft(): number {
    return this.triesLeft;
  }

  reset(): void {
    this.currentDf = this.mf;
    this.currentEf = undefined;
    this.verified = false;
    this.channel.reset();
  }

  process(apdu: Uint8Array): Uint8Array {
    let cmd: ParsedCommand;
    try {
      cmd = parseCommand(apdu);
    } catch {
      return this.channel.fail(SW_WRONG_LENGTH);
    }
    if (this.t0 && cmd.extended) return this.channel.fail(SW_WRONG_LENGTH);
    const cla = cmd.cla & ~CLA_CHAINING;
    if (cla !== 0x00 && cla !== CLA_PROPRIETARY) return this.channel.fail(SW_CLA_UNSUPPORTED);

    if (cla === 0x00 && cmd.ins === INS_GET_RESPONSE) return this.channel.getResponse(cmd);
    this.channel.dropPending();

    const handler = this.handlerFor(cla, cmd.ins);
    if (!handler) return this.channel.fail(SW_INS_UNSUPPORTED);
    const collected = this.channel.collect(cmd, handler.chainable);
    if ('response' in collected) return collected.response;
    const reply = handler.run(cmd, collected.data);
    return this.channel.deliver(reply.data ?? new Uint8Array(0), reply.sw, cmd);
  }

  private handlerFor(
    cla: number,
    ins: number,
  ): { chainable: boolean; run: (cmd: ParsedCommand, data: Uint8Array) => Reply } | undefined {
    if (cla === CLA_PROPRIETARY) {
      return ins === INS_ECHO ? { chainable: true, run: (c, d) => this.echo(c, d) } : undefined;
    }
    switch (ins) {
      case INS_SELECT:
        return { chainable: false, run: (c, d) => this.select(c, d) };
      case INS_READ_BINARY:
        return { chainable: false, run: (c, d) => this.readBinary(c, d) };
      case INS_UPDATE_BINARY:
        return { chainable: true, run: (c, d) => this.updateBinary(c, d) };
      case INS_GET_CHALLENGE:
        return { chainable: false, run: (c, d) => this.getChallenge(c, d) };
      case INS_VERIFY:
        return { chainable: false, run: (c, d) => this.verify(c, d) };
      default:
        return undefined;
    }
  }




  private select(cmd: ParsedCommand, data: Uint8Array): Reply {
    // P2 (§11.1.1): 00 FCI, 04 FCP, 0C no response data; first occurrence only.
    const template = cmd.p2 === 0x00 ? 0x6f : cmd.p2 === 0x04 ? 0x62 : cmd.p2 === 0x0c ? 0 : -1;
    if (template < 0) return { sw: SW_WRONG_P1P2 };
    let found: Ef | Df | undefined;
    if (cmd.p1 === 0x00) {
      if (data.length !== 0 && data.length !== 2) return { sw: SW_WRONG_LENGTH };
      found = data.length === 0 ? this.mf : this.findByFid((data[0]! << 8) | data[1]!);
    } else if (cmd.p1 === 0x04) {
      if (data.length === 0) return { sw: SW_WRONG_LENGTH };
      found = this.mf.children.find((n): n is Df => n.kind === 'df' && !!n.aid && bytesEqual(n.aid, data));
    } else {
      return { sw: SW_WRONG_P1P2 };
    }
    if (!found) return { sw: SW_FILE_NOT_FOUND };
    if (found.kind === 'ef') {
      this.currentEf = found;
      this.currentDf = found.parent;
    } else {
      this.currentEf = undefined;
      this.currentDf = found;
    }
    if (template === 0) return { sw: SW_OK };
    return { data: tlv(template, fcpObjects(found)), sw: SW_OK };
  }

  /** §7.1.1: an FID is looked for among the current DF, its children, its parent and siblings. */
  private findByFid(fid: number): Ef | Df | undefined {
    if (fid === MF_FID) return this.mf;
    const df = this.currentDf;
    const child = (d: Df) => d.children.find((n) => n.fid === fid);
    if (df.fid === fid) return df;
    const hit = child(df);
    if (hit || !df.parent) return hit;
    return df.parent.fid === fid ? df.parent : child(df.parent);
  }

  private readBinary(cmd: ParsedCommand, data: Uint8Array): Reply {
    if (cmd.p1 & 0x80) return { sw: SW_WRONG_P1P2 }; // short EF identifiers not supported
    if (data.length > 0 || cmd.le === undefined) return { sw: SW_WRONG_LENGTH };
    const ef = this.currentEf;
    if (!ef) return { sw: SW_NO_CURRENT_EF };
    const offset = (cmd.p1 << 8) | cmd.p2;
    if (offset >= ef.data.length) return { sw: SW_OFFSET_OUTSIDE_EF };
    const ne = cmd.le;
    const wildcard = ne === (cmd.extended ? 65536 : 256);
    const out = ef.data.slice(offset, offset + ne);
    return { data: out, sw: out.length < ne && !wildcard ? SW_END_OF_FILE : SW_OK };
  }

  private updateBinary(cmd: ParsedCommand, data: Uint8Array): Reply {
    if (cmd.p1 & 0x80) return { sw: SW_WRONG_P1P2 };
    if (data.length === 0) return { sw: SW_WRONG_LENGTH };
    const ef = this.currentEf;
    if (!ef) return { sw: SW_NO_CURRENT_EF };
    const offset = (cmd.p1 << 8) | cmd.p2;
    if (offset >= ef.data.length) return { sw: SW_OFFSET_OUTSIDE_EF };
    if (offset + data.length > ef.data.length) return { sw: SW_NOT_ENOUGH_MEMORY };
    ef.data.set(data, offset);
    return { sw: SW_OK };
  }

  private getChallenge(cmd: ParsedCommand, data: Uint8Array): Reply {
    if (cmd.p1 !== 0 || cmd.p2 !== 0) return { sw: SW_WRONG_P1P2 };
    if (data.length > 0 || cmd.le === undefined || cmd.le > 256) return { sw: SW_WRONG_LENGTH };
    return { data: this.random(cmd.le), sw: SW_OK };
  }

  private verify(cmd: ParsedCommand, data: Uint8Array): Reply {
    if (cmd.p1 !== 0x00 || cmd.p2 !== 0x01) return { sw: SW_WRONG_P1P2 };
    if (this.triesLeft === 0) return { sw: SW_PIN_BLOCKED };
    if (data.length === 0) return { sw: this.verified ? SW_OK : retriesSw(this.triesLeft) };
    if (bytesEqual(data, this.pin)) {
      this.triesLeft = this.maxTries;
      this.verified = true;
      return { sw: SW_OK };
    }
    this.verified = false;
    this.triesLeft--;
    return { sw: retriesSw(this.triesLeft) };
  }

  private echo(cmd: ParsedCommand, data: Uint8Array): Reply {
    if (cmd.p1 !== 0 || cmd.p2 !== 0) return { sw: SW_WRONG_P1P2 };
    return { data: Uint8Array.from(data), sw: SW_OK };
  }
}

/** 63Cx: x tries left (a nibble, so more than 15 shows as 15). */
function retriesSw(tries: number): number {
  return 0x63c0 | Math.min(tries, 15);
}
