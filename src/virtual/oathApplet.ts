/**
 * The OATH application of a virtual YubiKey (Yubico's YKOATH protocol): credentials put,
 * listed, renamed, deleted and calculated (TOTP RFC 6238, HOTP RFC 4226, truncated or full),
 * "calculate all", an access key (SET CODE / VALIDATE, HMAC-SHA1 challenge-response), reset,
 * and touch. Secrets never leave the applet; its state is a plain object for the image file.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { dynamicTruncate } from '@otplib/core';
import { concatBytes, encodeResponse, type ParsedCommand } from '../iso7816/index.ts';
import { Checker } from './cardImage.ts';
import { CardSideChannel, INS_GET_RESPONSE } from './cardSideChannel.ts';

export const OATH_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01);

const TAG = { name: 0x71, nameList: 0x72, key: 0x73, challenge: 0x74, response: 0x75, truncated: 0x76, hotp: 0x77, property: 0x78, version: 0x79, imf: 0x7a, algorithm: 0x7b, touch: 0x7c } as const;
const INS = { put: 0x01, delete: 0x02, setCode: 0x03, reset: 0x04, rename: 0x05, list: 0xa1, calculate: 0xa2, validate: 0xa3, calculateAll: 0xa4, sendRemaining: 0xa5 } as const;
const SW = { ok: 0x9000, authRequired: 0x6982, touchMissing: 0x6985, noSuchObject: 0x6984, wrongData: 0x6a80, wrongP1P2: 0x6b00, insUnsupported: 0x6d00 } as const;
const PROP_REQUIRE_TOUCH = 0x02;
const ALGORITHMS = { 1: 'sha1', 2: 'sha256', 3: 'sha512' } as const;
const TYPES = { 0x10: 'hotp', 0x20: 'totp' } as const;
const MAX_CREDENTIALS = 32;
const MAX_NAME = 64;

export interface OathCredentialState {
  /** The credential id (name) as base64: "[period/][issuer:]name" in UTF-8. */
  id: string;
  type: 'hotp' | 'totp';
  algorithm: 'sha1' | 'sha256' | 'sha512';
  digits: number;
  /** base64 */
  secret: string;
  counter: number;
  touch: boolean;
}

export interface OathState {
  /** base64, 8 bytes: the device's salt (its id for hosts). */
  salt: string;
  /** base64 HMAC-SHA1 access key, when a password is set. */
  accessKey?: string;
  credentials: OathCredentialState[];
}

export function newOathState(): OathState {
  return { salt: randomBytes(8).toString('base64'), credentials: [] };
}

/**
 * Checks the OATH state of a key image as the applet would have written it, so that a
 * hand-edited or damaged file is a CardImageError naming the field, not a failure deep in a
 * command: salt, access key, and each credential's id, type, algorithm, digits, secret,
 * counter and touch.
 */
export function checkOathState(value: unknown, source: string): OathState {
  const c = new Checker(source);
  const o = c.object(value, 'oath', ['salt', 'accessKey', 'credentials']);
  const base64 = (v: unknown, field: string, bytes: { min?: number; max: number }) => (c.base64(v, field, bytes), v as string);
  const state: OathState = { salt: base64(o.salt, 'oath.salt', { min: 8, max: 8 }), credentials: [] };
  if (o.accessKey !== undefined) state.accessKey = base64(o.accessKey, 'oath.accessKey', { max: 64 });
  if (!Array.isArray(o.credentials)) return c.fail('oath.credentials', 'must be a list');
  if (o.credentials.length > MAX_CREDENTIALS) c.fail('oath.credentials', `must hold at most ${MAX_CREDENTIALS}`);
  for (const [i, item] of (o.credentials as unknown[]).entries()) {
    const at = `oath.credentials.${i}`;
    const cred = c.object(item, at, ['id', 'type', 'algorithm', 'digits', 'secret', 'counter', 'touch']);
    const id = base64(cred.id, `${at}.id`, { max: MAX_NAME });
    if (state.credentials.some((other) => other.id === id)) c.fail(`${at}.id`, 'is there twice');
    if (!Object.values(TYPES).includes(cred.type as never)) c.fail(`${at}.type`, 'must be "hotp" or "totp"');
    if (!Object.values(ALGORITHMS).includes(cred.algorithm as never)) c.fail(`${at}.algorithm`, 'must be "sha1", "sha256" or "sha512"');
    const digits = c.integer(cred.digits, `${at}.digits`, 6, 8);
    // Up to what a YKOATH PUT carries; not quoted, as no value is.
    const secret = base64(cred.secret, `${at}.secret`, { min: 0, max: 253 });
    const counter = c.integer(cred.counter, `${at}.counter`, 0, 0xffffffff);
    if (typeof cred.touch !== 'boolean') c.fail(`${at}.touch`, 'must be true or false');
    state.credentials.push({ id, type: cred.type as OathCredentialState['type'], algorithm: cred.algorithm as OathCredentialState['algorithm'], digits, secret, counter, touch: cred.touch as boolean });
  }
  return state;
}

interface Reply {
  data?: Uint8Array;
  sw: number;
  persist?: boolean;
}

const tlv = (tag: number, value: Uint8Array): Uint8Array => {
  if (value.length > 0xff) throw new RangeError('YKOATH values are at most 255 bytes');
  return Uint8Array.of(tag, value.length, ...value);
};

/** YKOATH's flat TLVs (one-byte tags and lengths). The touch property (78) has a value byte and no length. */
function parseFlat(data: Uint8Array): Array<{ tag: number; value: Uint8Array }> | undefined {
  const out: Array<{ tag: number; value: Uint8Array }> = [];
  for (let at = 0; at < data.length; ) {
    const tag = data[at]!;
    if (tag === TAG.property) {
      if (at + 2 > data.length) return undefined;
      out.push({ tag, value: data.subarray(at + 1, at + 2) });
      at += 2;
      continue;
    }
    if (at + 2 > data.length) return undefined;
    const len = data[at + 1]!;
    if (at + 2 + len > data.length) return undefined;
    out.push({ tag, value: data.subarray(at + 2, at + 2 + len) });
    at += 2 + len;
  }
  return out;
}

const hmacSha1 = (key: Uint8Array, message: Uint8Array): Uint8Array => new Uint8Array(createHmac('sha1', key).update(message).digest());

export interface OathAppletOptions {
  version: readonly [number, number, number];
  /** The holder touches the key; resolves false when nobody did in time. */
  touch?: () => Promise<boolean>;
}

export class OathApplet {
  /** Up to 256 bytes without Le, as a YubiKey answers. */
  private readonly channel = new CardSideChannel(false, 256);
  /** The challenge a host must answer to unlock, while an access key is set and not yet validated. */
  private pendingChallenge: Uint8Array | undefined;
  private unlocked = false;

  constructor(
    readonly state: OathState,
    private readonly options: OathAppletOptions,
  ) {}

  /** SELECT: the version, the salt, and the challenge when locked. */
  select(): Uint8Array {
    this.channel.reset();
    this.unlocked = false;
    const parts = [tlv(TAG.version, Uint8Array.from(this.options.version)), tlv(TAG.name, Buffer.from(this.state.salt, 'base64'))];
    if (this.state.accessKey) {
      this.pendingChallenge = new Uint8Array(randomBytes(8));
      parts.push(tlv(TAG.challenge, this.pendingChallenge), tlv(TAG.algorithm, Uint8Array.of(0x01)));
    }
    return encodeResponse(concatBytes(...parts), SW.ok);
  }

  reset(): void {
    this.channel.reset();
    this.unlocked = false;
  }

  /** One command for the applet; `persist` says the state changed. */
  async process(cmd: ParsedCommand): Promise<{ response: Uint8Array; persist: boolean }> {
    if (cmd.ins === INS.sendRemaining || cmd.ins === INS_GET_RESPONSE) return { response: this.channel.getResponse(cmd), persist: false };
    this.channel.dropPending();
    const collected = this.channel.collect(cmd, true);
    if ('response' in collected) return { response: collected.response, persist: false };
    const reply = await this.run(cmd, collected.data);
    return { response: this.channel.deliver(reply.data ?? new Uint8Array(0), reply.sw, cmd), persist: reply.persist ?? false };
  }

  private get locked(): boolean {
    return this.state.accessKey !== undefined && !this.unlocked;
  }

  private async run(cmd: ParsedCommand, data: Uint8Array): Promise<Reply> {
    if (cmd.ins === INS.reset) return this.resetAll(cmd);
    if (cmd.ins === INS.validate) return this.validate(data);
    if (this.locked) return { sw: SW.authRequired };
    const fields = parseFlat(data);
    if (!fields) return { sw: SW.wrongData };
    switch (cmd.ins) {
      case INS.put:
        return this.put(fields);
      case INS.delete:
        return this.delete(fields);
      case INS.rename:
        return this.rename(fields);
      case INS.setCode:
        return this.setCode(fields);
      case INS.list:
        return this.list();
      case INS.calculate:
        return this.calculate(fields, cmd.p2 === 0x01);
      case INS.calculateAll:
        return this.calculateAll(fields);
      default:
        return { sw: SW.insUnsupported };
    }
  }

  private find(id: Uint8Array): OathCredentialState | undefined {
    const b64 = Buffer.from(id).toString('base64');
    return this.state.credentials.find((c) => c.id === b64);
  }

  private put(fields: ReturnType<typeof parseFlat> & object): Reply {
    const name = fields.find((f) => f.tag === TAG.name)?.value;
    const key = fields.find((f) => f.tag === TAG.key)?.value;
    if (!name || name.length === 0 || name.length > MAX_NAME || !key || key.length < 2) return { sw: SW.wrongData };
    const type = TYPES[(key[0]! & 0xf0) as keyof typeof TYPES];
    const algorithm = ALGORITHMS[(key[0]! & 0x0f) as keyof typeof ALGORITHMS];
    const digits = key[1]!;
    if (!type || !algorithm || digits < 6 || digits > 8) return { sw: SW.wrongData };
    const touch = fields.some((f) => f.tag === TAG.property && (f.value[0]! & PROP_REQUIRE_TOUCH) !== 0);
    const imf = fields.find((f) => f.tag === TAG.imf)?.value;
    if (imf && imf.length !== 4) return { sw: SW.wrongData };
    const counter = imf ? new DataView(imf.buffer, imf.byteOffset, 4).getUint32(0) : 0;
    const existing = this.find(name);
    if (!existing && this.state.credentials.length >= MAX_CREDENTIALS) return { sw: 0x6a84 };
    const credential: OathCredentialState = { id: Buffer.from(name).toString('base64'), type, algorithm, digits, secret: Buffer.from(key.subarray(2)).toString('base64'), counter, touch };
    if (existing) Object.assign(existing, credential);
    else this.state.credentials.push(credential);
    return { sw: SW.ok, persist: true };
  }

  private delete(fields: ReturnType<typeof parseFlat> & object): Reply {
    const name = fields.find((f) => f.tag === TAG.name)?.value;
    const existing = name && this.find(name);
    if (!existing) return { sw: SW.noSuchObject };
    this.state.credentials.splice(this.state.credentials.indexOf(existing), 1);
    return { sw: SW.ok, persist: true };
  }

  private rename(fields: ReturnType<typeof parseFlat> & object): Reply {
    const [from, to] = fields.filter((f) => f.tag === TAG.name).map((f) => f.value);
    if (!from || !to || to.length === 0 || to.length > MAX_NAME) return { sw: SW.wrongData };
    const existing = this.find(from);
    if (!existing) return { sw: SW.noSuchObject };
    if (this.find(to)) return { sw: SW.wrongData };
    existing.id = Buffer.from(to).toString('base64');
    return { sw: SW.ok, persist: true };
  }

  private list(): Reply {
    const entries = this.state.credentials.map((c) => {
      const typeBits = c.type === 'hotp' ? 0x10 : 0x20;
      const algBits = c.algorithm === 'sha1' ? 1 : c.algorithm === 'sha256' ? 2 : 3;
      return tlv(TAG.nameList, Uint8Array.of(typeBits | algBits, ...Buffer.from(c.id, 'base64')));
    });
    return { data: concatBytes(...entries), sw: SW.ok };
  }

  /** The HMAC over `challenge` (TOTP: the 8-byte time step; HOTP: the counter, which moves on). */
  private code(c: OathCredentialState, challenge: Uint8Array): { mac: Uint8Array; persist: boolean } {
    let message = challenge;
    let persist = false;
    if (c.type === 'hotp') {
      message = new Uint8Array(8);
      new DataView(message.buffer).setBigUint64(0, BigInt(c.counter));
      c.counter += 1;
      persist = true;
    }
    return { mac: new Uint8Array(createHmac(c.algorithm, Buffer.from(c.secret, 'base64')).update(message).digest()), persist };
  }

  private truncated(c: OathCredentialState, mac: Uint8Array): Uint8Array {
    const value = dynamicTruncate(mac);
    return Uint8Array.of(c.digits, (value >>> 24) & 0x7f, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
  }

  private async calculate(fields: ReturnType<typeof parseFlat> & object, truncate: boolean): Promise<Reply> {
    const name = fields.find((f) => f.tag === TAG.name)?.value;
    const challenge = fields.find((f) => f.tag === TAG.challenge)?.value ?? new Uint8Array(0);
    const c = name && this.find(name);
    if (!c) return { sw: SW.noSuchObject };
    if (c.type === 'totp' && challenge.length !== 8) return { sw: SW.wrongData };
    if (c.touch && !(await this.options.touch?.())) return { sw: SW.touchMissing };
    const { mac, persist } = this.code(c, challenge);
    return {
      data: truncate ? tlv(TAG.truncated, this.truncated(c, mac)) : tlv(TAG.response, Uint8Array.of(c.digits, ...mac)),
      sw: SW.ok,
      persist,
    };
  }

  /** TOTP codes for the host's challenge; HOTP and touch credentials only named (calculated one by one). */
  private calculateAll(fields: ReturnType<typeof parseFlat> & object): Reply {
    const challenge = fields.find((f) => f.tag === TAG.challenge)?.value;
    if (!challenge || challenge.length !== 8) return { sw: SW.wrongData };
    const parts: Uint8Array[] = [];
    for (const c of this.state.credentials) {
      parts.push(tlv(TAG.name, Buffer.from(c.id, 'base64')));
      if (c.type === 'hotp') parts.push(tlv(TAG.hotp, Uint8Array.of(c.digits)));
      else if (c.touch) parts.push(tlv(TAG.touch, Uint8Array.of(c.digits)));
      else parts.push(tlv(TAG.truncated, this.truncated(c, this.code(c, challenge).mac)));
    }
    return { data: concatBytes(...parts), sw: SW.ok };
  }

  private setCode(fields: ReturnType<typeof parseFlat> & object): Reply {
    const key = fields.find((f) => f.tag === TAG.key)?.value;
    if (!key) return { sw: SW.wrongData };
    if (key.length === 0) {
      delete this.state.accessKey;
      return { sw: SW.ok, persist: true };
    }
    const challenge = fields.find((f) => f.tag === TAG.challenge)?.value;
    const response = fields.find((f) => f.tag === TAG.response)?.value;
    // The key is HMAC-SHA1 (01 with the TOTP type bits, as hosts send it), and the host proves it has it.
    if ((key[0]! & 0x0f) !== 0x01 || key.length < 2 || !challenge || !response) return { sw: SW.wrongData };
    const secret = key.subarray(1);
    const expected = hmacSha1(secret, challenge);
    if (response.length !== expected.length || !timingSafeEqual(response, expected)) return { sw: SW.wrongData };
    this.state.accessKey = Buffer.from(secret).toString('base64');
    this.unlocked = true;
    return { sw: SW.ok, persist: true };
  }

  private validate(data: Uint8Array): Reply {
    const fields = parseFlat(data);
    const key = this.state.accessKey;
    const challenge = this.pendingChallenge;
    if (!fields || !key || !challenge) return { sw: SW.wrongData };
    const response = fields.find((f) => f.tag === TAG.response)?.value;
    const hostChallenge = fields.find((f) => f.tag === TAG.challenge)?.value;
    const secret = Buffer.from(key, 'base64');
    const expected = hmacSha1(secret, challenge);
    if (!response || !hostChallenge || response.length !== expected.length || !timingSafeEqual(response, expected)) {
      return { sw: SW.wrongData };
    }
    this.pendingChallenge = undefined;
    this.unlocked = true;
    return { data: tlv(TAG.response, hmacSha1(secret, hostChallenge)), sw: SW.ok };
  }

  private resetAll(cmd: ParsedCommand): Reply {
    if (cmd.p1 !== 0xde || cmd.p2 !== 0xad) return { sw: SW.wrongP1P2 };
    const fresh = newOathState();
    this.state.salt = fresh.salt;
    this.state.credentials = [];
    delete this.state.accessKey;
    this.unlocked = false;
    return { sw: SW.ok, persist: true };
  }
}

