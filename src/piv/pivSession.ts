/**
 * The PIV card application (NIST SP 800-73-4) as far as login signing needs it: select,
 * certificates, PIN, sign. A session takes a CardTransport and never opens devices, so a real
 * reader, a virtual card and a replay fixture all run it. Status words become errors only in
 * statusWords.ts; this file re-types a few of those errors where PIV gives them a meaning
 * (a 6A82 on SELECT means "not a PIV card", a wrong PIN counter on RESET RETRY COUNTER is
 * the PUK's).
 */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { EkortError } from '../errors.ts';
import { CardStatusError, checkResponse, type CommandApdu, type ResponseApdu, decodeTlv, encodeTag, EXTENDED_MAX_LE, findTag, fromHex, parseAtr, requireTag, tlv, TlvError, transceiveOk, type TransceiveOptions } from '../iso7816/index.ts';
import { type CardTransport, PcscError, type Transmit } from '../pcsc/index.ts';
import type { PinPad } from './pinPad.ts';

export type PivSlot = '9a' | '9c' | '9d' | '9e';
export type PivSigningSlot = '9a' | '9c';
export type PivAlgorithm = 'rsa2048' | 'p256' | 'p384';

export type PivErrorCode =
  | 'NOT_PIV'
  | 'PIN_FORMAT'
  | 'PUK_FORMAT'
  | 'PIN_BLOCKED'
  | 'PUK_INCORRECT'
  | 'PUK_BLOCKED'
  | 'PIN_REQUIRED'
  | 'PIN_PAD_ABSENT'
  | 'INVALID_SLOT'
  | 'INVALID_SIGN_INPUT'
  | 'CERTIFICATE_TOO_LARGE'
  | 'CERTIFICATE_MALFORMED'
  | 'METADATA_MALFORMED';

export class PivError extends EkortError {
  declare readonly code: PivErrorCode;
  /** PIN or PUK tries left, when the card said. */
  readonly retriesLeft?: number;
  /** The card's status word behind this error, when there is one. */
  readonly sw?: number;

  constructor(code: PivErrorCode, message: string, details: { retriesLeft?: number; sw?: number; cause?: unknown } = {}) {
    super(code, message, { cause: details.cause });
    if (details.retriesLeft !== undefined) this.retriesLeft = details.retriesLeft;
    if (details.sw !== undefined) this.sw = details.sw;
  }
}

/** SP 800-73-4 Part 1 §2.2: the PIV Card Application AID, with its version (01 00). */
export const PIV_AID = fromHex('a0 00 00 03 08 00 00 10 00 01 00');

const INS_SELECT = 0xa4;
const INS_GET_DATA = 0xcb;
const INS_VERIFY = 0x20;
const INS_CHANGE_REFERENCE_DATA = 0x24;
const INS_RESET_RETRY_COUNTER = 0x2c;
const INS_GENERAL_AUTHENTICATE = 0x87;
/** SP 800-73-4 Part 1 Table 4: key reference of the PIV Card Application PIN. */
const PIV_PIN_REFERENCE = 0x80;
/** SP 800-73-4 Part 2 §2.4.3: PINs are 6 to 8 digits, padded with FF to 8 bytes; the PUK is 8. */
const PIN_BLOCK_BYTES = 8;

/** SP 800-73-4 Part 1 Table 3: the certificate data object of each key slot. */
const CERTIFICATE_OBJECTS: Readonly<Record<PivSlot, number>> = { '9a': 0x5fc105, '9c': 0x5fc10a, '9d': 0x5fc10b, '9e': 0x5fc101 };
/** SP 800-78-4 Table 6-2: algorithm identifiers; ECC takes a digest of the curve's size. */
const ALGORITHMS: Readonly<Record<PivAlgorithm, { id: number; digestBytes?: number }>> = {
  rsa2048: { id: 0x07 },
  p256: { id: 0x11, digestBytes: 32 },
  p384: { id: 0x14, digestBytes: 48 },
};
const RSA2048_MODULUS_BYTES = 256;
/** Yubico's GET METADATA (PIV, firmware 5.3 on). */
const INS_GET_METADATA = 0xf7;
/** The algorithm identifiers a YubiKey's metadata names (SP 800-78-4 Table 6-2 and Yubico's). */
const METADATA_ALGORITHMS: Readonly<Record<number, string>> = { 0x06: 'rsa1024', 0x05: 'rsa3072', 0x07: 'rsa2048', 0x16: 'rsa4096', 0x11: 'p256', 0x14: 'p384', 0xe0: 'ed25519', 0xe1: 'x25519' };

/** A key slot as GET METADATA describes it. */
export interface KeyMetadata {
  /** "p256", "rsa2048" ..., or the identifier in hex for one this code does not name. */
  algorithm: string;
  origin?: 'generated' | 'imported';
}

/** SP 800-73-4 Part 1 Appendix A (CertInfo): b0 set means the certificate is gzip-compressed. */
const CERTINFO_GZIP = 0x01;
/** A PIV certificate is a few KiB; more than this after gunzip is refused (a zip bomb). */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;
/** Room for the 53 / 70 / 71 / FE headers around the largest certificate. */
const MAX_CERTIFICATE_OBJECT_BYTES = MAX_CERTIFICATE_BYTES + 32;

/** SP 800-73-4 Part 2 §3.1.1: what the application property template (tag 61) tells. */
export interface PivApplication {
  /** 4F: the application identifier (often just its PIX) as the card states it. */
  aid?: Uint8Array;
  /** 50: application label. */
  label?: string;
  /** 5F50: uniform resource locator. */
  url?: string;
  /** AC/80: the algorithm identifiers the card supports (SP 800-78-4 Table 6-2). */
  algorithms: number[];
}

/**
 * A malformed APT does not fail the session: SELECT succeeded, and nothing here depends on it.
 * Older cards answer SELECT with no data at all.
 */
function parseApplication(data: Uint8Array): PivApplication | undefined {
  if (data.length === 0) return undefined;
  let template;
  try {
    template = findTag(decodeTlv(data), 0x61);
  } catch (error) {
    if (error instanceof TlvError) return undefined;
    throw error;
  }
  if (!template?.children) return undefined;
  const fields = template.children;
  const text = (tag: number): string | undefined => {
    const t = findTag(fields, tag);
    return t && new TextDecoder().decode(t.value);
  };
  const out: PivApplication = { algorithms: [] };
  const aid = findTag(fields, 0x4f);
  if (aid) out.aid = aid.value.slice();
  const label = text(0x50);
  if (label !== undefined) out.label = label;
  const url = text(0x5f50);
  if (url !== undefined) out.url = url;
  for (const t of findTag(fields, 0xac)?.children ?? []) {
    if (t.tag === 0x80 && t.value.length === 1) out.algorithms.push(t.value[0]!);
  }
  return out;
}

const gunzipAsync = promisify(gunzip);

async function gunzipCertificate(compressed: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return Uint8Array.from(await gunzipAsync(compressed, { maxOutputLength: MAX_CERTIFICATE_BYTES }));
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new PivError('CERTIFICATE_TOO_LARGE', `The compressed certificate on the card unpacks to more than ${MAX_CERTIFICATE_BYTES} bytes; it is refused`, { cause: error });
    }
    throw new PivError('CERTIFICATE_MALFORMED', 'The certificate on the card is marked gzip-compressed but does not unpack', { cause: error });
  }
}

/** 53 { 70 certificate, 71 CertInfo, FE error detection code }; an empty object means no certificate. */
async function parseCertificateObject(data: Uint8Array): Promise<Uint8Array<ArrayBuffer> | undefined> {
  if (data.length === 0) return undefined;
  const container = requireTag(decodeTlv(data), 0x53);
  if (container.value.length === 0) return undefined;
  // Tag 70 has the constructed bit, yet holds certificate bytes (maybe gzip), not BER.
  const fields = decodeTlv(container.value, { shallow: true, allowPadding: false });
  const certificate = fields.find((f) => f.tag === 0x70);
  if (!certificate) throw new TlvError('certificate object has no tag 70');
  if (certificate.value.length === 0) return undefined;
  const certInfo = fields.find((f) => f.tag === 0x71)?.value[0] ?? 0;
  if (certInfo & CERTINFO_GZIP) return gunzipCertificate(certificate.value);
  return certificate.value.slice();
}

type SecretKind = 'PIN' | 'PUK';

/** SP 800-73-4 Part 2 §2.4.3: the PIN is 6 to 8 digits; the PUK here 8 digits. Checked before anything is sent. */
function checkSecretFormat(value: string, kind: SecretKind): void {
  const rule = kind === 'PIN' ? /^[0-9]{6,8}$/ : /^[0-9]{8}$/;
  if (typeof value === 'string' && rule.test(value)) return;
  throw kind === 'PIN'
    ? new PivError('PIN_FORMAT', 'The PIN must be 6 to 8 digits')
    : new PivError('PUK_FORMAT', 'The PUK must be 8 digits');
}

/**
 * Zero-fills each command APDU once the transport is done with it. Best effort: JavaScript
 * strings (the caller's PIN) cannot be wiped, and a transport may have copied the bytes.
 */
function wipingAfterSend(transmit: Transmit): Transmit {
  return async (apdu) => {
    try {
      return await transmit(apdu);
    } finally {
      apdu.fill(0);
    }
  };
}

function isCardStatus(error: unknown, code: string): error is CardStatusError {
  return error instanceof CardStatusError && error.code === code;
}

/** VERIFY and CHANGE REFERENCE DATA: a counter at zero (63C0) or 6983 both mean blocked. */
function pinError(error: unknown): unknown {
  if (error instanceof CardStatusError && error.retriesLeft === 0) {
    return new PivError('PIN_BLOCKED', 'The PIN is blocked. Use the PUK to unblock it.', { retriesLeft: 0, sw: error.sw, cause: error });
  }
  return error;
}

/** RESET RETRY COUNTER: the counter the card reports is the PUK's. */
function pukError(error: unknown): unknown {
  if (!(error instanceof CardStatusError)) return error;
  if (error.retriesLeft === 0) {
    return new PivError('PUK_BLOCKED', 'The PUK is blocked: the card cannot be unblocked any more. Contact the card issuer.', { retriesLeft: 0, sw: error.sw, cause: error });
  }
  if (error.code === 'PIN_INCORRECT') {
    const left = error.retriesLeft;
    const tries = left === undefined ? '' : ` ${left} ${left === 1 ? 'try' : 'tries'} left.`;
    return new PivError('PUK_INCORRECT', `Wrong PUK.${tries}`, { retriesLeft: left, sw: error.sw, cause: error });
  }
  return error;
}

export interface PinStatus {
  verified: boolean;
  retriesLeft?: number;
  blocked: boolean;
}

export class PivSession {
  private constructor(
    private readonly transport: CardTransport,
    /** From the ATR: extended Lc/Le in one APDU, else chaining and GET RESPONSE. */
    readonly extendedLength: boolean,
    readonly application: PivApplication | undefined,
    private readonly pinPad: PinPad | undefined,
  ) {}

  /** Selects the PIV application. A card without one is a PivError NOT_PIV. */
  static async open(transport: CardTransport, options: { pinPad?: PinPad } = {}): Promise<PivSession> {
    const extendedLength = atrSaysExtendedLength(transport.atr);
    const select: CommandApdu = { cla: 0x00, ins: INS_SELECT, p1: 0x04, p2: 0x00, data: PIV_AID, le: 256 };
    let data: Uint8Array;
    try {
      data = (await transport.transaction((tx) => transceiveOk(tx, select, { extendedLength }))).data;
    } catch (error) {
      if (isCardStatus(error, 'FILE_NOT_FOUND')) {
        throw new PivError('NOT_PIV', 'The card has no PIV application: it cannot be used for login here.', { sw: error.sw, cause: error });
      }
      throw error;
    }
    return new PivSession(transport, extendedLength, parseApplication(data), options.pinPad);
  }

  /**
   * True when the reader has a PIN pad: the UI should then ask the holder to type the PIN on
   * the reader ("slå PIN-koden på läsaren") and call `verifyPinOnReader()`. `verifyPin(pin)`
   * still works, since many PIN-pad readers also pass a host-entered PIN through.
   */
  get usesPinPad(): boolean {
    return this.pinPad !== undefined;
  }

  /** The certificate of a slot (DER), or undefined when the card has none there. */
  async readCertificate(slot: PivSlot): Promise<Uint8Array<ArrayBuffer> | undefined> {
    const object = CERTIFICATE_OBJECTS[slot];
    if (object === undefined) throw new PivError('INVALID_SLOT', `"${String(slot)}" is not a PIV certificate slot (9a, 9c, 9d, 9e)`);
    const getData: CommandApdu = {
      cla: 0x00,
      ins: INS_GET_DATA,
      p1: 0x3f,
      p2: 0xff,
      data: tlv(0x5c, encodeTag(object)),
      le: EXTENDED_MAX_LE,
    };
    let data: Uint8Array;
    try {
      data = (await this.run((tx) => transceiveOk(tx, getData, this.options(MAX_CERTIFICATE_OBJECT_BYTES)))).data;
    } catch (error) {
      if (isCardStatus(error, 'FILE_NOT_FOUND')) return undefined;
      throw error;
    }
    return parseCertificateObject(data);
  }

  /**
   * A slot's key as a YubiKey (firmware 5.3 on) tells it by GET METADATA, even without a
   * certificate: its algorithm and whether the key made it or had it imported. Undefined for an
   * empty slot and for a card without GET METADATA (any other PIV card).
   */
  async keyMetadata(slot: PivSlot): Promise<KeyMetadata | undefined> {
    if (CERTIFICATE_OBJECTS[slot] === undefined) throw new PivError('INVALID_SLOT', `"${String(slot)}" is not a PIV key slot (9a, 9c, 9d, 9e)`);
    const getMetadata: CommandApdu = { cla: 0x00, ins: INS_GET_METADATA, p1: 0x00, p2: parseInt(slot, 16), le: 256 };
    let data: Uint8Array;
    try {
      data = (await this.run((tx) => transceiveOk(tx, getMetadata, this.options()))).data;
    } catch (error) {
      // An empty slot (6A82), and every other card's refusal of a YubiKey instruction (6D00,
      // 6E00, 6A86 ...): there is nothing to tell.
      if (error instanceof CardStatusError) return undefined;
      throw error;
    }
    let fields;
    try {
      fields = decodeTlv(data, { shallow: true, allowPadding: false });
    } catch (error) {
      throw new PivError('METADATA_MALFORMED', 'The key metadata from the card is not BER-TLV', { cause: error });
    }
    const algorithm = fields.find((t) => t.tag === 0x01)?.value;
    if (algorithm?.length !== 1) throw new PivError('METADATA_MALFORMED', 'The key metadata from the card names no algorithm');
    const metadata: KeyMetadata = { algorithm: METADATA_ALGORITHMS[algorithm[0]!] ?? `0x${algorithm[0]!.toString(16).padStart(2, '0')}` };
    const origin = fields.find((t) => t.tag === 0x03)?.value[0];
    if (origin === 0x01) metadata.origin = 'generated';
    else if (origin === 0x02) metadata.origin = 'imported';
    return metadata;
  }

  /** The PIN's state by an empty VERIFY, which never spends a try. */
  async pinStatus(): Promise<PinStatus> {
    const verify: CommandApdu = { cla: 0x00, ins: INS_VERIFY, p1: 0x00, p2: PIV_PIN_REFERENCE };
    try {
      await this.run((tx) => transceiveOk(tx, verify, this.options()));
      return { verified: true, blocked: false };
    } catch (error) {
      if (!isCardStatus(error, 'PIN_INCORRECT') && !isCardStatus(error, 'PIN_BLOCKED')) throw error;
      const status: PinStatus = { verified: false, blocked: error.retriesLeft === 0 };
      if (error.retriesLeft !== undefined) status.retriesLeft = error.retriesLeft;
      return status;
    }
  }

  /**
   * VERIFY with P1 FF (SP 800-73-4 Part 2 §3.2.1): the card forgets that the PIN was
   * verified, so nothing more is signed on the strength of it. Spends no try.
   */
  async resetPinStatus(): Promise<void> {
    const reset: CommandApdu = { cla: 0x00, ins: INS_VERIFY, p1: 0xff, p2: PIV_PIN_REFERENCE };
    await this.run((tx) => transceiveOk(tx, reset, this.options()));
  }

  /**
   * VERIFY with the PIN, once: a wrong PIN is the CardStatusError PIN_INCORRECT with
   * `retriesLeft`, a blocked one the PivError PIN_BLOCKED. Never retried here.
   */
  async verifyPin(pin: string): Promise<void> {
    await this.sendSecret(INS_VERIFY, [[pin, 'PIN']], pinError);
  }

  /** The holder types the PIN on the reader; it never passes through this process. */
  async verifyPinOnReader(): Promise<void> {
    if (!this.pinPad) throw new PivError('PIN_PAD_ABSENT', 'This reader has no PIN pad: enter the PIN on the computer instead.');
    const verify: CommandApdu = { cla: 0x00, ins: INS_VERIFY, p1: 0x00, p2: PIV_PIN_REFERENCE };
    // Not inside transport.transaction(): control() queues on the same card queue and would wait for it.
    let response: ResponseApdu;
    try {
      response = await this.pinPad.verifyPin(verify);
    } catch (error) {
      throw error instanceof PcscError ? error.withSecretInFlight() : error;
    }
    try {
      checkResponse(response, verify);
    } catch (error) {
      throw pinError(error);
    }
  }

  /** CHANGE REFERENCE DATA (old PIN || new PIN). A wrong old PIN counts like a wrong VERIFY. */
  async changePin(oldPin: string, newPin: string): Promise<void> {
    await this.sendSecret(INS_CHANGE_REFERENCE_DATA, [[oldPin, 'PIN'], [newPin, 'PIN']], pinError);
  }

  /** RESET RETRY COUNTER (PUK || new PIN): unblocks the PIN and sets it anew. */
  async unblockPin(puk: string, newPin: string): Promise<void> {
    await this.sendSecret(INS_RESET_RETRY_COUNTER, [[puk, 'PUK'], [newPin, 'PIN']], pukError);
  }

  /**
   * GENERAL AUTHENTICATE with the slot's private key. RSA-2048: `input` is the DigestInfo
   * (see `digestInfo`); the PKCS#1 v1.5 block is built here and the result is the raw
   * signature. P-256 / P-384: `input` is the digest; the result is a DER ECDSA signature.
   * The algorithm is the caller's to know (from the certificate, in the PKI layer).
   */
  async sign(slot: PivSigningSlot, algorithm: PivAlgorithm, input: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
    if (slot !== '9a' && slot !== '9c') throw new PivError('INVALID_SLOT', `"${String(slot)}" is not a PIV signing slot (9a, 9c)`);
    const alg = ALGORITHMS[algorithm];
    if (!alg) throw new PivError('INVALID_SIGN_INPUT', `Unknown algorithm "${String(algorithm)}": use rsa2048, p256 or p384`);
    let challenge: Uint8Array;
    if (alg.digestBytes === undefined) {
      // The PKI module with the card's first signature, not with the session (the bridge starts without it).
      const { isDigestInfo, pkcs1v15Block } = await import('../pki/index.ts');
      // A bare digest passed by mistake would be signed as garbage that no verifier accepts.
      if (!isDigestInfo(input)) {
        throw new PivError('INVALID_SIGN_INPUT', 'RSA signing takes a SHA-256/384/512 DigestInfo, not a bare digest: use digestInfo()');
      }
      challenge = pkcs1v15Block(input, RSA2048_MODULUS_BYTES);
    } else {
      if (input.length !== alg.digestBytes) {
        throw new PivError('INVALID_SIGN_INPUT', `A ${algorithm} signature takes a ${alg.digestBytes}-byte digest, got ${input.length} bytes`);
      }
      challenge = input;
    }
    // SP 800-73-4 Part 2 §3.2.4: dynamic authentication template, empty 82 asks for the response.
    const authenticate: CommandApdu = {
      cla: 0x00,
      ins: INS_GENERAL_AUTHENTICATE,
      p1: alg.id,
      p2: parseInt(slot, 16),
      data: tlv(0x7c, tlv(0x82), tlv(0x81, challenge)),
      le: EXTENDED_MAX_LE,
    };
    let data: Uint8Array;
    try {
      data = (await this.run((tx) => transceiveOk(tx, authenticate, this.options()))).data;
    } catch (error) {
      if (isCardStatus(error, 'SECURITY_STATUS_NOT_SATISFIED')) {
        throw new PivError('PIN_REQUIRED', 'The card needs the PIN before it signs: verify the PIN first.', { sw: error.sw, cause: error });
      }
      throw error;
    }
    const template = requireTag(decodeTlv(data), 0x7c);
    const signature = requireTag(template.children ?? [], 0x82).value;
    if (signature.length === 0) throw new TlvError('the card answered an empty signature (tag 82)');
    return signature.slice();
  }

  /** Each secret as the card takes it: ASCII digits padded with FF to 8 bytes, one after the other. */
  private async sendSecret(ins: number, secrets: ReadonlyArray<readonly [string, SecretKind]>, retype: (error: unknown) => unknown): Promise<void> {
    for (const [value, kind] of secrets) checkSecretFormat(value, kind);
    const data = new Uint8Array(secrets.length * PIN_BLOCK_BYTES).fill(0xff);
    secrets.forEach(([value], i) => {
      for (let j = 0; j < value.length; j++) data[i * PIN_BLOCK_BYTES + j] = value.charCodeAt(j);
    });
    const command: CommandApdu = { cla: 0x00, ins, p1: 0x00, p2: PIV_PIN_REFERENCE, data };
    try {
      await this.run((tx) => transceiveOk(wipingAfterSend(tx), command, this.options()));
    } catch (error) {
      // The card went (or stopped answering) with the secret on its way: a try may be spent.
      if (error instanceof PcscError) throw error.withSecretInFlight();
      throw retype(error);
    } finally {
      data.fill(0);
    }
  }

  private run<T>(fn: (transmit: Transmit) => Promise<T>): Promise<T> {
    return this.transport.transaction(fn);
  }

  private options(maxResponseBytes?: number): TransceiveOptions {
    const options: TransceiveOptions = { extendedLength: this.extendedLength };
    if (maxResponseBytes !== undefined) options.maxResponseBytes = maxResponseBytes;
    return options;
  }
}

/** A missing or unparsable ATR (a bare fixture) means short APDUs, which every card takes. */
function atrSaysExtendedLength(atr: Uint8Array): boolean {
  if (atr.length === 0) return false;
  try {
    return parseAtr(atr).supportsExtendedLength;
  } catch {
    return false;
  }
}
