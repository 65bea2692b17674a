/**
 * The OATH application of a YubiKey (YKOATH) over any card transport: the authenticator's
 * side, as yubikit's OathSession is. Credentials are listed, added, deleted; codes are
 * calculated on the key (TOTP RFC 6238 for a time, HOTP RFC 4226 moving the key's counter),
 * one at a time or all TOTP codes at once. A key protected by a password is unlocked with the
 * key derived from it (PBKDF2-HMAC-SHA1, 1000 rounds, the device's salt), answering the key's
 * challenge and checking its answer to ours. Secrets and passwords are never kept.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { CodedError } from '../errors.ts';
import { CardStatusError, concatBytes, statusError, transceive, type CommandApdu, type ResponseApdu, type Transmit } from '../iso7816/index.ts';

export const OATH_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01);
const TAG = { name: 0x71, nameList: 0x72, key: 0x73, challenge: 0x74, response: 0x75, truncated: 0x76, hotp: 0x77, property: 0x78, version: 0x79, imf: 0x7a, touch: 0x7c } as const;
const INS = { put: 0x01, delete: 0x02, setCode: 0x03, list: 0xa1, calculate: 0xa2, validate: 0xa3, calculateAll: 0xa4, sendRemaining: 0xa5, select: 0xa4 } as const;
const TYPE_BITS = { hotp: 0x10, totp: 0x20 } as const;
const ALG_BITS = { sha1: 0x01, sha256: 0x02, sha512: 0x03 } as const;
const BLOCK = { sha1: 64, sha256: 64, sha512: 128 } as const;
const MIN_KEY = 14;
const DEFAULT_PERIOD = 30;

export type OathErrorCode = 'OATH_NOT_AVAILABLE' | 'OATH_LOCKED' | 'OATH_WRONG_PASSWORD' | 'OATH_NO_SUCH_CREDENTIAL' | 'OATH_TOUCH_REQUIRED' | 'OATH_INVALID' | 'OATH_MALFORMED';

export class OathError extends CodedError<OathErrorCode> {}

export type OathType = keyof typeof TYPE_BITS;
export type OathAlgorithm = keyof typeof ALG_BITS;

export interface OathCredential {
  /** The id on the key: "[period/][issuer:]name". */
  id: string;
  issuer?: string;
  name: string;
  type: OathType;
  period: number;
  /** Known from calculate-all only. */
  touch?: boolean;
}

export interface OathCode {
  credential: OathCredential;
  /** undefined: a HOTP or touch credential, calculated one by one. */
  code?: string;
  /** Unix seconds; TOTP only. */
  validFrom?: number;
  validTo?: number;
}

export interface NewCredential {
  name: string;
  issuer?: string;
  type: OathType;
  algorithm?: OathAlgorithm;
  /** Raw secret bytes (decode base32 first). */
  secret: Uint8Array;
  digits?: 6 | 7 | 8;
  period?: number;
  counter?: number;
  touch?: boolean;
}

function flatTlvs(data: Uint8Array): Array<{ tag: number; value: Uint8Array }> {
  const out: Array<{ tag: number; value: Uint8Array }> = [];
  for (let at = 0; at < data.length; ) {
    if (at + 2 > data.length) throw new OathError('OATH_MALFORMED', 'The key answered a truncated TLV');
    const len = data[at + 1]!;
    if (at + 2 + len > data.length) throw new OathError('OATH_MALFORMED', 'The key answered a TLV longer than its data');
    out.push({ tag: data[at]!, value: data.subarray(at + 2, at + 2 + len) });
    at += 2 + len;
  }
  return out;
}

const tlv = (tag: number, value: Uint8Array): Uint8Array => Uint8Array.of(tag, value.length, ...value);

function parseId(id: string, type: OathType): Pick<OathCredential, 'issuer' | 'name' | 'period'> {
  let rest = id;
  let period = type === 'totp' ? DEFAULT_PERIOD : 0;
  const periodMatch = type === 'totp' ? /^(\d+)\/(.+)$/.exec(rest) : null;
  if (periodMatch) {
    period = Number(periodMatch[1]);
    rest = periodMatch[2]!;
  }
  const colon = rest.indexOf(':');
  return colon > 0 ? { issuer: rest.slice(0, colon), name: rest.slice(colon + 1), period } : { name: rest, period };
}

export function credentialId(c: Pick<NewCredential, 'name' | 'issuer' | 'type' | 'period'>): string {
  const period = c.type === 'totp' && c.period !== undefined && c.period !== DEFAULT_PERIOD ? `${c.period}/` : '';
  return `${period}${c.issuer ? `${c.issuer}:` : ''}${c.name}`;
}

function formatCode(truncated: Uint8Array): string {
  const digits = truncated[0]!;
  const value = new DataView(truncated.buffer, truncated.byteOffset + 1, 4).getUint32(0) & 0x7fffffff;
  return String(value % 10 ** digits).padStart(digits, '0');
}

const timeChallenge = (unixSeconds: number, period: number): Uint8Array => {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(Math.floor(unixSeconds / period)));
  return out;
};

export class OathSession {
  private constructor(
    private readonly transmit: Transmit,
    readonly version: string,
    private readonly salt: Uint8Array,
    private challenge: Uint8Array | undefined,
  ) {}

  /** SELECTs the OATH application; OATH_NOT_AVAILABLE when the card has none. */
  static async open(transmit: Transmit): Promise<OathSession> {
    const response = await transceive(transmit, { cla: 0, ins: INS.select, p1: 0x04, p2: 0x00, data: OATH_AID, le: 256 });
    if (response.sw !== 0x9000) throw new OathError('OATH_NOT_AVAILABLE', 'This card or key has no OATH application.');
    const fields = flatTlvs(response.data);
    const get = (tag: number) => fields.find((f) => f.tag === tag)?.value;
    const version = get(TAG.version);
    const salt = get(TAG.name);
    if (!version || !salt) throw new OathError('OATH_MALFORMED', 'The OATH application did not give its version and salt');
    return new OathSession(transmit, [...version].join('.'), salt, get(TAG.challenge));
  }

  /** The key asks for its password before anything else. */
  get locked(): boolean {
    return this.challenge !== undefined;
  }

  /** The device id hosts show (as yubikit: the first 16 bytes of SHA-256(salt), base64). */
  get deviceId(): string {
    return createHash('sha256').update(this.salt).digest().subarray(0, 16).toString('base64').replace(/=+$/, '');
  }

  private async send(command: CommandApdu): Promise<ResponseApdu> {
    const response = await transceive(this.transmit, command, { getResponseIns: INS.sendRemaining });
    if (response.sw === 0x9000) return response;
    if (response.sw === 0x6982) throw new OathError('OATH_LOCKED', 'The key is protected by a password: unlock it first.');
    if (response.sw === 0x6984) throw new OathError('OATH_NO_SUCH_CREDENTIAL', 'No such account on the key.');
    if (response.sw === 0x6985) throw new OathError('OATH_TOUCH_REQUIRED', 'The key was not touched in time.');
    throw statusError(response.sw, command);
  }

  /** Unlocks with the password; OATH_WRONG_PASSWORD when the key refuses it. The key is checked too. */
  async unlock(password: string): Promise<void> {
    if (!this.challenge) return;
    const key = pbkdf2Sync(Buffer.from(password, 'utf8'), this.salt, 1000, 16, 'sha1');
    try {
      const ours = new Uint8Array(randomBytes(8));
      const response = createHmac('sha1', key).update(this.challenge).digest();
      let answer: ResponseApdu;
      try {
        answer = await this.send({ cla: 0, ins: INS.validate, p1: 0, p2: 0, data: concatBytes(tlv(TAG.response, response), tlv(TAG.challenge, ours)) });
      } catch (error) {
        if (error instanceof CardStatusError) throw new OathError('OATH_WRONG_PASSWORD', 'Wrong password for the key.', { cause: error });
        throw error;
      }
      const theirs = flatTlvs(answer.data).find((f) => f.tag === TAG.response)?.value;
      const expected = createHmac('sha1', key).update(ours).digest();
      if (!theirs || theirs.length !== expected.length || !timingSafeEqual(theirs, expected)) {
        throw new OathError('OATH_MALFORMED', 'The key did not prove that it holds the password: not a genuine OATH application?');
      }
      this.challenge = undefined;
    } finally {
      key.fill(0);
    }
  }

  async list(): Promise<OathCredential[]> {
    const { data } = await this.send({ cla: 0, ins: INS.list, p1: 0, p2: 0 });
    return flatTlvs(data)
      .filter((f) => f.tag === TAG.nameList && f.value.length >= 1)
      .map((f) => {
        const type: OathType = (f.value[0]! & 0xf0) === TYPE_BITS.hotp ? 'hotp' : 'totp';
        const id = Buffer.from(f.value.subarray(1)).toString('utf8');
        return { id, type, ...parseId(id, type) };
      });
  }

  /** Every TOTP code for `unixSeconds` (HOTP and touch accounts come without a code). */
  async calculateAll(unixSeconds: number = Date.now() / 1000): Promise<OathCode[]> {
    const { data } = await this.send({ cla: 0, ins: INS.calculateAll, p1: 0, p2: 0x01, data: tlv(TAG.challenge, timeChallenge(unixSeconds, DEFAULT_PERIOD)) });
    const fields = flatTlvs(data);
    const out: OathCode[] = [];
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const id = Buffer.from(fields[i]!.value).toString('utf8');
      const answer = fields[i + 1]!;
      const type: OathType = answer.tag === TAG.hotp ? 'hotp' : 'totp';
      const credential: OathCredential = { id, type, ...parseId(id, type), touch: answer.tag === TAG.touch };
      if (answer.tag === TAG.truncated && credential.period === DEFAULT_PERIOD) {
        const from = Math.floor(unixSeconds / DEFAULT_PERIOD) * DEFAULT_PERIOD;
        out.push({ credential, code: formatCode(answer.value), validFrom: from, validTo: from + DEFAULT_PERIOD });
      } else if (answer.tag === TAG.truncated) {
        out.push(await this.calculate(credential, unixSeconds));
      } else out.push({ credential });
    }
    return out;
  }

  /** One code: TOTP for `unixSeconds`, or the next HOTP code (the key's counter moves on). */
  async calculate(credential: Pick<OathCredential, 'id' | 'type' | 'period'>, unixSeconds: number = Date.now() / 1000): Promise<OathCode> {
    const challenge = credential.type === 'totp' ? timeChallenge(unixSeconds, credential.period) : new Uint8Array(0);
    const { data } = await this.send({ cla: 0, ins: INS.calculate, p1: 0, p2: 0x01, data: concatBytes(tlv(TAG.name, Buffer.from(credential.id, 'utf8')), tlv(TAG.challenge, challenge)) });
    const truncated = flatTlvs(data).find((f) => f.tag === TAG.truncated)?.value;
    if (!truncated || truncated.length !== 5) throw new OathError('OATH_MALFORMED', 'The key answered no truncated code');
    const full: OathCredential = { id: credential.id, type: credential.type, ...parseId(credential.id, credential.type) };
    if (credential.type === 'hotp') return { credential: full, code: formatCode(truncated) };
    const from = Math.floor(unixSeconds / credential.period) * credential.period;
    return { credential: full, code: formatCode(truncated), validFrom: from, validTo: from + credential.period };
  }

  async add(c: NewCredential): Promise<OathCredential> {
    const algorithm = c.algorithm ?? 'sha1';
    const digits = c.digits ?? 6;
    if (![6, 7, 8].includes(digits)) throw new OathError('OATH_INVALID', 'An account has 6, 7 or 8 digits.');
    if (c.secret.length === 0) throw new OathError('OATH_INVALID', 'The account has no secret.');
    const id = credentialId(c);
    if (Buffer.byteLength(id, 'utf8') > 64) throw new OathError('OATH_INVALID', 'The account name (with its issuer) is longer than 64 bytes.');
    // HMAC keys longer than the hash's block are hashed first (RFC 2104); short ones padded to 14 bytes as the key expects.
    let secret = c.secret.length > BLOCK[algorithm] ? new Uint8Array(createHash(algorithm).update(c.secret).digest()) : c.secret;
    if (secret.length < MIN_KEY) secret = concatBytes(secret, new Uint8Array(MIN_KEY - secret.length));
    const parts = [tlv(TAG.name, Buffer.from(id, 'utf8')), tlv(TAG.key, Uint8Array.of(TYPE_BITS[c.type] | ALG_BITS[algorithm], digits, ...secret))];
    if (c.touch) parts.push(Uint8Array.of(TAG.property, 0x02));
    if (c.type === 'hotp' && c.counter) {
      const imf = new Uint8Array(4);
      new DataView(imf.buffer).setUint32(0, c.counter);
      parts.push(tlv(TAG.imf, imf));
    }
    await this.send({ cla: 0, ins: INS.put, p1: 0, p2: 0, data: concatBytes(...parts) });
    return { id, type: c.type, ...parseId(id, c.type), touch: c.touch ?? false };
  }

  async delete(id: string): Promise<void> {
    await this.send({ cla: 0, ins: INS.delete, p1: 0, p2: 0, data: tlv(TAG.name, Buffer.from(id, 'utf8')) });
  }
}
