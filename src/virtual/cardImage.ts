/**
 * The card image: everything a virtual PIV card holds, as one JSON file. Keys, certificates,
 * PIN, PUK and their retry counters live here, so a card that was blocked stays blocked after
 * a restart. The file holds private keys and the PIN: it is written with mode 0600, atomically
 * (temp file in the same directory, fsync, rename), and every value is checked when it is
 * read, so a corrupt or hand-edited file is a CardImageError naming the field, never an
 * exception from deep inside a parser.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  randomBytes,
  webcrypto,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import { EkortError } from '../errors.ts';
import { fromHex, toHex, VIRTUAL_PIV_ATR } from '../iso7816/index.ts';
import { readJsonFile, writePrivateJson } from '../files/index.ts';
import { isValidPersonnummer } from '../identity/index.ts';
import type { CertificateSubject, IssueCertificate } from '../pki/index.ts';
import { MANAGEMENT_ALGORITHMS, type ManagementKey, type ManagementKeyAlgorithm } from './managementKey.ts';

export const CARD_IMAGE_VERSION = 1;

/** Slots this card can hold: PIV Authentication, Digital Signature, Card Authentication. */
export type PivSlot = '9a' | '9c' | '9e';
export const PIV_SLOTS: readonly PivSlot[] = ['9a', '9c', '9e'];
export type PivKeyType = 'rsa2048' | 'p256';

export interface CardImageSlot {
  keyType: PivKeyType;
  /** PKCS#8 DER, base64. */
  privateKeyPkcs8: string;
  /** X.509 DER, base64; none for a key generated on the card until a certificate is written. */
  certificate?: string;
  /** The key was generated on the card (GENERATE ASYMMETRIC KEY PAIR), not imported. */
  generated?: boolean;
  /** Store the certificate gzip-compressed on the card (CertInfo 01, SP 800-73-4 Part 1 Appendix A). */
  compressCertificate?: boolean;
}

export interface CardImage {
  version: 1;
  holder: { name: string; personnummer?: string };
  /** Hex. */
  atr: string;
  pin: string;
  puk: string;
  pinTriesLeft: number;
  pukTriesLeft: number;
  pinMaxTries: number;
  pukMaxTries: number;
  /** Card Holder Unique Identifier values (SP 800-73-4 Part 1, CHUID). */
  chuid: {
    /** 16 bytes, hex: the card's GUID; OpenSC uses it as the token serial number. */
    guid: string;
    /** YYYYMMDD. */
    expires: string;
  };
  slots: Partial<Record<PivSlot, CardImageSlot>>;
  /** The administration key (9B); the factory default when absent. */
  managementKey?: ManagementKey;
  /** Data objects written with PUT DATA (other than the slots' certificates): tag in hex, value base64. */
  objects?: Record<string, string>;
}

export type CardImageErrorCode = 'CARD_IMAGE_INVALID' | 'CARD_IMAGE_NOT_FOUND' | 'CARD_IMAGE_UNREADABLE' | 'CARD_IMAGE_WRITE_FAILED';

export class CardImageError extends EkortError {
  /** The offending field ("slots.9a.certificate"), when one is to blame. */
  readonly field?: string;
  readonly path?: string;

  constructor(code: CardImageErrorCode, message: string, options: { field?: string; path?: string; cause?: unknown } = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.field !== undefined) this.field = options.field;
    if (options.path !== undefined) this.path = options.path;
  }
}

// SP 800-73-4 Part 2 §2.4.3: the PIV Card Application PIN is 6 to 8 digits.
const PIN_PATTERN = /^\d{6,8}$/;
// SP 800-73-4 Part 2 §2.4.3: the PUK is 8 bytes; this card keeps it to 8 digits.
const PUK_PATTERN = /^\d{8}$/;
/** 63Cx carries the counter in one nibble (ISO/IEC 7816-4 §5.6). */
const MAX_TRIES = 15;

export const DEFAULT_PIN = '123456';
export const DEFAULT_PUK = '12345678';
export const DEFAULT_TRIES = 3;

export function isValidPin(pin: string): boolean {
  return PIN_PATTERN.test(pin);
}

export function isValidPuk(puk: string): boolean {
  return PUK_PATTERN.test(puk);
}

// ---------------------------------------------------------------------------------------------
// Validation

type Json = Record<string, unknown>;

/** Checks a parsed image field by field; each failure is a CardImageError naming the field. */
export class Checker {
  constructor(private readonly source: string) {}

  fail(field: string, problem: string): never {
    throw new CardImageError('CARD_IMAGE_INVALID', `card image ${this.source}: ${field} ${problem}`, { field });
  }

  object(value: unknown, field: string, allowed: readonly string[]): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(field, 'must be an object');
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.fail(field ? `${field}.${key}` : key, 'is not a card image field');
    }
    return value as Json;
  }

  string(value: unknown, field: string, pattern?: RegExp, expected?: string): string {
    if (typeof value !== 'string') this.fail(field, 'must be a string');
    // The value is not quoted: the field may be the PIN.
    if (pattern && !pattern.test(value)) this.fail(field, `must be ${expected ?? `like ${pattern}`}`);
    return value;
  }

  integer(value: unknown, field: string, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(field, `must be an integer from ${min} to ${max}`);
    }
    return value;
  }

  /** Base64 of `min` (1 unless given) to `max` bytes. */
  base64(value: unknown, field: string, bytes: { min?: number; max?: number } = {}): Uint8Array {
    const text = this.string(value, field);
    const { min = 1, max = Infinity } = bytes;
    if ((text.length === 0 && min > 0) || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) this.fail(field, 'must be base64');
    const decoded = new Uint8Array(Buffer.from(text, 'base64'));
    if (decoded.length < min || decoded.length > max) this.fail(field, max === min ? `must be ${min} bytes` : `must be ${min} to ${max} bytes`);
    return decoded;
  }
}

const IMAGE_FIELDS = ['version', 'holder', 'atr', 'pin', 'puk', 'pinTriesLeft', 'pukTriesLeft', 'pinMaxTries', 'pukMaxTries', 'chuid', 'slots', 'managementKey', 'objects'];
const SLOT_FIELDS = ['keyType', 'privateKeyPkcs8', 'certificate', 'generated', 'compressCertificate'];
/** A data object written with PUT DATA: a 5Fxxxx tag (SP 800-73-4 Part 1 Appendix A, YubiKey's 5FFFxx). */
export const WRITABLE_OBJECT_TAG = /^5f[0-9a-f]{4}$/;
/** The certificate data object of each slot (SP 800-73-4 Part 1 Appendix A). */
export const CERTIFICATE_OBJECT: Readonly<Record<PivSlot, number>> = { '9a': 0x5fc105, '9c': 0x5fc10a, '9e': 0x5fc101 };
/** The largest data object a YubiKey 5 holds (3 052 bytes), which this card keeps to as well. */
export const MAX_OBJECT_BYTES = 3052;
/** All written objects together: about what a YubiKey 5's PIV application holds (51 200 bytes). */
export const MAX_OBJECTS_TOTAL_BYTES = 51_200;

/** The bytes the written objects hold together. */
export function writtenObjectBytes(objects: Record<string, string> | undefined): number {
  return Object.values(objects ?? {}).reduce((sum, b64) => sum + Buffer.byteLength(b64, 'base64'), 0);
}

/** The key's type as the card image names it, or undefined for a key this card cannot hold. */
export function pivKeyType(key: KeyObject): PivKeyType | undefined {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa' && details?.modulusLength === 2048) return 'rsa2048';
  if (key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') return 'p256';
  return undefined;
}

function checkSlot(c: Checker, value: unknown, field: string): CardImageSlot {
  const o = c.object(value, field, SLOT_FIELDS);
  const keyType = o.keyType;
  if (keyType !== 'rsa2048' && keyType !== 'p256') c.fail(`${field}.keyType`, 'must be "rsa2048" or "p256"');
  const pkcs8 = c.base64(o.privateKeyPkcs8, `${field}.privateKeyPkcs8`);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  } catch {
    c.fail(`${field}.privateKeyPkcs8`, 'is not a PKCS#8 private key');
  }
  if (pivKeyType(key) !== keyType) c.fail(`${field}.privateKeyPkcs8`, `is not a ${keyType} key`);
  const slot: CardImageSlot = { keyType, privateKeyPkcs8: o.privateKeyPkcs8 as string };
  if (o.certificate !== undefined) {
    const der = c.base64(o.certificate, `${field}.certificate`);
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(der);
    } catch {
      c.fail(`${field}.certificate`, 'is not a DER X.509 certificate');
    }
    if (!cert.checkPrivateKey(key)) c.fail(`${field}.certificate`, "does not certify the slot's private key");
    slot.certificate = o.certificate as string;
  }
  if (o.generated !== undefined) {
    if (o.generated !== true) c.fail(`${field}.generated`, 'must be true when present');
    slot.generated = true;
  }
  if (o.compressCertificate !== undefined) {
    if (typeof o.compressCertificate !== 'boolean') c.fail(`${field}.compressCertificate`, 'must be true or false');
    slot.compressCertificate = o.compressCertificate;
  }
  return slot;
}

/**
 * Checks a parsed card image (keys parse and match their certificates, counters are in range)
 * and returns it typed. `source` names it in error messages (a path).
 */
export function validateCardImage(value: unknown, source = '(in memory)'): CardImage {
  const c: Checker = new Checker(source);
  const o = c.object(value, '', IMAGE_FIELDS);
  if (o.version !== CARD_IMAGE_VERSION) c.fail('version', `must be ${CARD_IMAGE_VERSION}`);

  const h = c.object(o.holder, 'holder', ['name', 'personnummer']);
  const holder: CardImage['holder'] = { name: c.string(h.name, 'holder.name', /\S/, 'a non-empty name') };
  if (h.personnummer !== undefined) {
    holder.personnummer = c.string(h.personnummer, 'holder.personnummer');
    if (!isValidPersonnummer(holder.personnummer)) c.fail('holder.personnummer', 'must be a valid personnummer YYYYMMDDNNNN');
  }

  const atr = c.string(o.atr, 'atr', /^(3[bB]|3[fF])([0-9a-fA-F]{2}){1,32}$/, 'an ATR in hex (3B or 3F, at most 33 bytes)');
  const pin = c.string(o.pin, 'pin', PIN_PATTERN, '6 to 8 digits');
  const puk = c.string(o.puk, 'puk', PUK_PATTERN, '8 digits');
  const pinMaxTries = c.integer(o.pinMaxTries, 'pinMaxTries', 1, MAX_TRIES);
  const pukMaxTries = c.integer(o.pukMaxTries, 'pukMaxTries', 1, MAX_TRIES);
  const pinTriesLeft = c.integer(o.pinTriesLeft, 'pinTriesLeft', 0, pinMaxTries);
  const pukTriesLeft = c.integer(o.pukTriesLeft, 'pukTriesLeft', 0, pukMaxTries);

  const ch = c.object(o.chuid, 'chuid', ['guid', 'expires']);
  const chuid = {
    guid: c.string(ch.guid, 'chuid.guid', /^[0-9a-fA-F]{32}$/, '16 bytes in hex'),
    expires: c.string(ch.expires, 'chuid.expires', /^\d{8}$/, 'a date YYYYMMDD'),
  };

  const s = c.object(o.slots, 'slots', PIV_SLOTS);
  const slots: CardImage['slots'] = {};
  for (const id of PIV_SLOTS) {
    if (s[id] !== undefined) slots[id] = checkSlot(c, s[id], `slots.${id}`);
  }

  const image: CardImage = { version: 1, holder, atr, pin, puk, pinTriesLeft, pukTriesLeft, pinMaxTries, pukMaxTries, chuid, slots };
  if (o.managementKey !== undefined) {
    const m = c.object(o.managementKey, 'managementKey', ['algorithm', 'key']);
    const algorithm = m.algorithm as ManagementKeyAlgorithm;
    if (typeof algorithm !== 'string' || !Object.hasOwn(MANAGEMENT_ALGORITHMS, algorithm)) {
      c.fail('managementKey.algorithm', `must be one of ${Object.keys(MANAGEMENT_ALGORITHMS).join(', ')}`);
    }
    const bytes = MANAGEMENT_ALGORITHMS[algorithm].keyLength;
    // Not quoted either: it is a secret.
    const key = c.string(m.key, 'managementKey.key', new RegExp(`^[0-9a-fA-F]{${2 * bytes}}$`), `${bytes} bytes in hex`);
    image.managementKey = { algorithm, key: key.toLowerCase() };
  }
  if (o.objects !== undefined) {
    const objects = c.object(o.objects, 'objects', Object.keys(Object(o.objects)).filter((t) => WRITABLE_OBJECT_TAG.test(t)));
    image.objects = {};
    for (const [tag, value] of Object.entries(objects)) {
      if (Object.values(CERTIFICATE_OBJECT).includes(parseInt(tag, 16))) c.fail(`objects.${tag}`, "is a slot's certificate, which the slot holds");
      const text = c.string(value, `objects.${tag}`);
      // Empty objects are deleted, not kept.
      c.base64(text, `objects.${tag}`, { max: MAX_OBJECT_BYTES });
      image.objects[tag] = text;
    }
    if (writtenObjectBytes(image.objects) > MAX_OBJECTS_TOTAL_BYTES) c.fail('objects', `must hold at most ${MAX_OBJECTS_TOTAL_BYTES} bytes together`);
  }
  return image;
}

// ---------------------------------------------------------------------------------------------
// Files

export async function loadCardImage(file: string): Promise<CardImage> {
  const value = await readJsonFile(file, (f) =>
    f.kind === 'missing'
      ? new CardImageError('CARD_IMAGE_NOT_FOUND', `no card image at ${file}`, { path: file })
      : f.kind === 'unreadable'
        ? new CardImageError('CARD_IMAGE_UNREADABLE', `cannot read the card image ${file} (${f.errno})`, { path: file, cause: f.cause })
        : new CardImageError('CARD_IMAGE_INVALID', `card image ${file} is not JSON (corrupt or truncated)`, { path: file }),
  );
  try {
    return validateCardImage(value, file);
  } catch (e) {
    if (e instanceof CardImageError) {
      throw new CardImageError('CARD_IMAGE_INVALID', e.message, { path: file, ...(e.field === undefined ? {} : { field: e.field }) });
    }
    throw e;
  }
}

/**
 * Writes the image so that a crash leaves either the old or the new file, never a torn one
 * (writePrivateJson, src/files: temp file 0600, fsync, rename, directory fsync).
 */
export async function saveCardImage(file: string, image: CardImage): Promise<void> {
  try {
    await writePrivateJson(file, image);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CardImageError('CARD_IMAGE_WRITE_FAILED', `cannot write the card image ${file} (${code ?? 'error'})`, { path: file, cause: e });
  }
}

// ---------------------------------------------------------------------------------------------
// Creating a card

export interface CreateCardImageOptions {
  name?: string;
  /** YYYYMMDDNNNN. */
  personnummer?: string;
  keyType?: PivKeyType;
  pin?: string;
  puk?: string;
  /** Hex; VIRTUAL_PIV_ATR by default. */
  atr?: string;
  /** A CA to issue the certificates; self-signed ones without it. */
  issue?: IssueCertificate;
}

const CERT_VALIDITY_YEARS = 2;
/** Backdating covers a verifier whose clock runs a little behind. */
const CLOCK_SKEW_MS = 5 * 60_000;

function invalidOption(field: string, problem: string): never {
  throw new CardImageError('CARD_IMAGE_INVALID', `cannot create a card image: ${field} ${problem}`, { field });
}

const generateKeyPairAsync = promisify(generateKeyPair);

/** A new key of a slot's type (a new card's, and GENERATE ASYMMETRIC KEY PAIR's). */
export async function newKey(keyType: PivKeyType): Promise<KeyObject> {
  const { privateKey } =
    keyType === 'rsa2048'
      ? await generateKeyPairAsync('rsa', { modulusLength: 2048, publicExponent: 0x10001 })
      : await generateKeyPairAsync('ec', { namedCurve: 'prime256v1' });
  return privateKey;
}

/** A self-signed certificate for a card key: digitalSignature, clientAuth, two years. */
async function selfSigned(privateKey: KeyObject, keyType: PivKeyType, subject: CertificateSubject, now: Date): Promise<Uint8Array> {
  // The PKI code (pkijs) comes with a new card, not with the module (the app starts without it).
  const [pkijs, { buildCertificate, cardSubjectName, DIGITAL_SIGNATURE, extension, keyUsage, OID, randomSerial }] = await Promise.all([import('pkijs'), import('../pki/index.ts')]);
  const algorithm = keyType === 'rsa2048' ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', namedCurve: 'P-256' };
  const selfKey = await webcrypto.subtle.importKey('pkcs8', privateKey.export({ format: 'der', type: 'pkcs8' }), algorithm, false, ['sign']);
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CERT_VALIDITY_YEARS);
  return buildCertificate({
    serial: randomSerial(),
    subject: cardSubjectName(subject),
    spki: createPublicKey(privateKey).export({ format: 'der', type: 'spki' }),
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter,
    extensions: [
      extension(OID.keyUsage, true, keyUsage(DIGITAL_SIGNATURE)),
      extension(OID.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: [OID.clientAuth] }).toSchema()),
    ],
    selfKey,
  });
}

/**
 * A new card: keys for 9A and 9C (same type), a certificate for each (self-signed unless
 * `issue` is given), 9E empty, default PIN/PUK with full counters, a random GUID.
 */
export async function createCardImage(options: CreateCardImageOptions = {}): Promise<CardImage> {
  const name = options.name ?? 'Virtual PIV Card';
  if (!/\S/.test(name)) invalidOption('name', 'must not be empty');
  if (options.personnummer !== undefined && !isValidPersonnummer(options.personnummer)) {
    invalidOption('personnummer', 'must be a valid personnummer YYYYMMDDNNNN');
  }
  const keyType = options.keyType ?? 'p256';
  if (keyType !== 'rsa2048' && keyType !== 'p256') invalidOption('keyType', 'must be "rsa2048" or "p256"');
  const pin = options.pin ?? DEFAULT_PIN;
  if (!isValidPin(pin)) invalidOption('pin', 'must be 6 to 8 digits');
  const puk = options.puk ?? DEFAULT_PUK;
  if (!isValidPuk(puk)) invalidOption('puk', 'must be 8 digits');
  let atr = toHex(VIRTUAL_PIV_ATR);
  if (options.atr !== undefined) {
    try {
      atr = toHex(fromHex(options.atr));
    } catch {
      invalidOption('atr', 'must be hex');
    }
  }

  const now = new Date();
  const slots: CardImage['slots'] = {};
  let expires = now;
  for (const slot of ['9a', '9c'] as const) {
    const privateKey = await newKey(keyType);
    const subject: CertificateSubject = { commonName: name, country: 'SE', slot };
    if (options.personnummer !== undefined) subject.serialNumber = options.personnummer;
    const spki = new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }));
    const der = options.issue ? await options.issue(spki, subject) : await selfSigned(privateKey, keyType, subject, now);
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(der);
    } catch (e) {
      throw new EkortError('CERTIFICATE_INVALID', `the issued certificate for slot ${slot} is not DER X.509`, { cause: e });
    }
    if (!cert.checkPrivateKey(privateKey)) {
      throw new EkortError('CERTIFICATE_MISMATCH', `the issued certificate for slot ${slot} certifies another key`);
    }
    const validTo = new Date(cert.validTo);
    if (validTo > expires) expires = validTo;
    slots[slot] = {
      keyType,
      privateKeyPkcs8: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
      certificate: Buffer.from(der).toString('base64'),
    };
  }

  const holder: CardImage['holder'] = { name };
  if (options.personnummer !== undefined) holder.personnummer = options.personnummer;
  return validateCardImage({
    version: CARD_IMAGE_VERSION,
    holder,
    atr,
    pin,
    puk,
    pinTriesLeft: DEFAULT_TRIES,
    pukTriesLeft: DEFAULT_TRIES,
    pinMaxTries: DEFAULT_TRIES,
    pukMaxTries: DEFAULT_TRIES,
    chuid: { guid: randomBytes(16).toString('hex'), expires: expires.toISOString().slice(0, 10).replace(/-/g, '') },
    slots,
  });
}
