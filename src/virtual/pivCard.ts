/**
 * A virtual PIV card (NIST SP 800-73-4) that real middleware accepts: OpenSC's PIV driver
 * finds it, reads its certificates and signs with it through PKCS#11. It runs from a card
 * image (cardImage.ts); PIN and PUK counters and changed PINs are written back to the image
 * file before the response leaves the card, so a card blocked by wrong PINs stays blocked.
 *
 * Commands (SP 800-73-4 Part 2 §3): SELECT, GET DATA, VERIFY, CHANGE REFERENCE DATA,
 * RESET RETRY COUNTER, GENERAL AUTHENTICATE (signing, RSA-2048 and ECC P-256; the
 * administration key 9B, managementKey.ts), GENERATE ASYMMETRIC KEY PAIR and PUT DATA (after
 * 9B), plus the ISO/IEC 7816-4 transport: GET RESPONSE for answers longer than Ne (61xx),
 * command chaining (CLA 10) and extended length. The PIV application is the card's default
 * application. As a YubiKey's PIV (option `yubiKey`) it also answers Yubico's SET MANAGEMENT
 * KEY, IMPORT ASYMMETRIC KEY, SET PIN RETRIES and RESET, as ykman uses them.
 *
 * Security status: 9A (PIV Authentication) signs once the PIN was verified in this session;
 * 9C (Digital Signature) is "PIN Always": each signature needs a VERIFY right before it;
 * 9E (Card Authentication) needs no PIN. reset() forgets the verified PIN.
 */
import {
  constants,
  createECDH,
  createPrivateKey,
  createPublicKey,
  privateEncrypt,
  randomBytes,
  timingSafeEqual,
  X509Certificate,
  type ECDH,
  type KeyObject,
} from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { bytesEqual, concatBytes, decodeTlv, fromHex, parseCommand, type ParsedCommand, tlv } from '../iso7816/index.ts';
import type { SoftwareCard } from '../pcsc/index.ts';
import { CardSideChannel, CLA_CHAINING, INS_GET_RESPONSE, swBytes as sw } from './cardSideChannel.ts';
import {
  CERTIFICATE_OBJECT,
  DEFAULT_PIN,
  DEFAULT_PUK,
  DEFAULT_TRIES,
  isValidPin,
  isValidPuk,
  loadCardImage,
  MAX_OBJECT_BYTES,
  MAX_OBJECTS_TOTAL_BYTES,
  newKey,
  saveCardImage,
  validateCardImage,
  type CardImage,
  type PivKeyType,
  type PivSlot,
  WRITABLE_OBJECT_TAG,
  writtenObjectBytes,
} from './cardImage.ts';
import { generationRequest, importedKey, PIV_ALG_ECC_P256, PIV_ALG_RSA_2048, publicKeyTlv, SLOT_PIN_POLICY } from './pivKeyMaterial.ts';
import { authenticationTemplate, DEFAULT_MANAGEMENT_KEY, isDefaultManagementKey, ManagementKeyAuth, managementAlgorithmById, MANAGEMENT_ALGORITHMS, type ManagementKey } from './managementKey.ts';

// ISO/IEC 7816-4 §5.6 status words.
const SW_OK = 0x9000;
const SW_WRONG_LENGTH = 0x6700;
const SW_MEMORY_FAILURE = 0x6581;
const SW_SECURITY_STATUS = 0x6982;
const SW_BLOCKED = 0x6983;
const SW_CONDITIONS_NOT_SATISFIED = 0x6985;
const SW_WRONG_DATA = 0x6a80;
const SW_NOT_ENOUGH_MEMORY = 0x6a84;
const SW_NOT_FOUND = 0x6a82;
const SW_WRONG_P1P2 = 0x6a86;
const SW_REFERENCE_NOT_FOUND = 0x6a88;
const SW_INS_UNSUPPORTED = 0x6d00;
const SW_CLA_UNSUPPORTED = 0x6e00;

// SP 800-73-4 Part 2 §3 (and ISO/IEC 7816-4 §11 for GET RESPONSE).
const INS_VERIFY = 0x20;
const INS_CHANGE_REFERENCE_DATA = 0x24;
const INS_RESET_RETRY_COUNTER = 0x2c;
const INS_GENERAL_AUTHENTICATE = 0x87;
const INS_SELECT = 0xa4;
const INS_GET_DATA = 0xcb;
const INS_GENERATE_KEY_PAIR = 0x47;
const INS_PUT_DATA = 0xdb;
// Yubico's PIV extensions (yubikit's piv.py, Yubico's PIV guide).
const INS_SET_MANAGEMENT_KEY = 0xff;
const INS_SET_PIN_RETRIES = 0xfa;
const INS_RESET = 0xfb;
const INS_IMPORT_KEY = 0xfe;
const INS_ATTEST = 0xf9;
/** Yubico's object for the F9 attestation certificate. */
const ATTESTATION_OBJECT = 0x5fff01;

/** SP 800-73-4 Part 1 §2.2: NIST RID A0 00 00 03 08, PIX 00 00 10 00 01 00 (version 01 00). */
export const PIV_AID: Uint8Array = fromHex('A0 00 00 03 08 00 00 10 00 01 00');
/** The AID without its version, as OpenSC selects it. */
const PIV_AID_TRUNCATED = 9;

export { PIV_ALG_ECC_P256, PIV_ALG_RSA_2048 } from './pivKeyMaterial.ts';
const ALG_FOR_KEY: Record<PivKeyType, number> = { rsa2048: PIV_ALG_RSA_2048, p256: PIV_ALG_ECC_P256 };

/** SP 800-73-4 Part 2 §3.2.1: key references of the PIV Card Application PIN and the PUK. */
const REF_PIN = 0x80;
const REF_PUK = 0x81;
const REF_MANAGEMENT_KEY = 0x9b;
/** SP 800-78-4 Table 6-1: key references of the slots this card holds. */
const SLOT_BY_REFERENCE: ReadonlyMap<number, PivSlot> = new Map([
  [0x9a, '9a'],
  [0x9c, '9c'],
  [0x9e, '9e'],
]);

/** SP 800-73-4 Part 1 Appendix A: BER-TLV tags of the data objects this card answers. */
export const PIV_TAG = {
  cardCapabilityContainer: 0x5fc107,
  chuid: 0x5fc102,
  discovery: 0x7e,
  keyHistory: 0x5fc10c,
  certificate: CERTIFICATE_OBJECT,
} as const;
/**
 * SP 800-73-4 Part 1 Table 3, objects read only after the PIN: fingerprints, facial image,
 * printed information, iris images.
 */
const PIN_PROTECTED_OBJECTS: ReadonlySet<number> = new Set([0x5fc103, 0x5fc108, 0x5fc109, 0x5fc121]);
const PIV_SLOTS_BY_CERT_TAG: ReadonlyMap<number, PivSlot> = new Map(
  (Object.entries(PIV_TAG.certificate) as [PivSlot, number][]).map(([slot, tag]) => [tag, slot]),
);

/** PIN and PUK are sent padded to 8 bytes with FF (SP 800-73-4 Part 2 §2.4.3). */
const REFERENCE_DATA_LENGTH = 8;

/**
 * FASC-N of a non-federal card, agency code 9999 (SP 800-73-4 Part 1 §3.1.2; TIG SCEPACS):
 * ";9999=9999=999999=0=1=0000000000300001?" in 5-bit BCD with odd parity and LRC. OpenSC sees
 * the 9999 and uses the GUID as the serial number.
 */
const FASCN_NON_FEDERAL = fromHex('D4 E7 39 DA 73 9C ED 39 CE 73 9D 83 68 58 21 08 42 10 84 21 C8 42 10 C3 EB');

/** ECC P-256 group order n (FIPS 186-5 / SP 800-186 §3.2.1.3). */
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

export interface VirtualPivCardOptions {
  /** Write state changes (counters, PIN, PUK) to this card image file. */
  path?: string;
  /** Where state changes go instead of `path` (a card inside a bigger image, as a virtual YubiKey's). */
  onSave?: (image: CardImage) => Promise<void>;
  /** Answer Yubico's SET MANAGEMENT KEY, SET PIN RETRIES and RESET (a virtual YubiKey's PIV). */
  yubiKey?: boolean;
  /** A YubiKey's slot F9: its certificate (object 5FFF01) and ATTEST for generated keys. */
  attestation?: {
    certificate: Uint8Array;
    attest(slot: PivSlot, key: { publicKey: KeyObject; pinPolicy: number }): Promise<Uint8Array>;
  };
}

interface SlotKey {
  keyType: PivKeyType;
  key: KeyObject;
  /** P-256: the private scalar, for signing a digest the host computed. */
  d?: bigint;
}

interface Reply {
  data?: Uint8Array;
  sw: number;
  /** The card's non-volatile state changed: write the image before answering. */
  persist?: boolean;
}

export class VirtualPivCard implements SoftwareCard {
  readonly atr: Uint8Array;
  private readonly image: CardImage;
  private readonly path: string | undefined;
  private readonly onSave: ((image: CardImage) => Promise<void>) | undefined;
  private readonly yubiKey: boolean;
  private readonly attestation: VirtualPivCardOptions['attestation'];
  private readonly keys = new Map<PivSlot, SlotKey>();
  private readonly objects = new Map<number, Uint8Array>();
  private readonly apt: Uint8Array;
  private ecdh: ECDH | undefined;

  private verified = false;
  /** A VERIFY was the last command: what a "PIN Always" key (9C) needs. */
  private pinJustVerified = false;
  private readonly channel: CardSideChannel;
  private readonly admin = new ManagementKeyAuth(() => this.managementKey);
  private saving: Promise<void> = Promise.resolve();

  /** Throws CardImageError for an invalid image. */
  constructor(image: CardImage, options: VirtualPivCardOptions = {}) {
    this.image = validateCardImage(image);
    this.path = options.path;
    this.onSave = options.onSave;
    this.yubiKey = options.yubiKey ?? false;
    this.attestation = options.attestation;
    this.channel = new CardSideChannel(false, this.yubiKey ? 256 : 0);
    this.atr = fromHex(this.image.atr);
    this.loadContents();
    this.apt = this.applicationPropertyTemplate();
  }

  /** The slots' keys and the data objects, as the image holds them now. */
  private loadContents(): void {
    this.keys.clear();
    this.objects.clear();
    for (const slot of Object.keys(this.image.slots) as PivSlot[]) this.loadSlot(slot);
    this.objects.set(PIV_TAG.cardCapabilityContainer, this.cardCapabilityContainer());
    this.objects.set(PIV_TAG.chuid, this.chuid());
    this.objects.set(PIV_TAG.discovery, discoveryObject());
    this.objects.set(PIV_TAG.keyHistory, tlv(0x53, tlv(0xc1, Uint8Array.of(0)), tlv(0xc2, Uint8Array.of(0)), tlv(0xfe, new Uint8Array(0))));
    if (this.attestation) {
      const certificate = this.attestation.certificate;
      this.objects.set(ATTESTATION_OBJECT, tlv(0x53, tlv(0x70, certificate), tlv(0x71, Uint8Array.of(0)), tlv(0xfe, new Uint8Array(0))));
    }
    // Written objects replace the card's own (a CHUID written by an issuer, say).
    for (const [tag, value] of Object.entries(this.image.objects ?? {})) this.objects.set(parseInt(tag, 16), tlv(0x53, Buffer.from(value, 'base64')));
  }

  private loadSlot(slot: PivSlot): void {
    const s = this.image.slots[slot];
    this.keys.delete(slot);
    this.objects.delete(PIV_TAG.certificate[slot]);
    if (!s) return;
    const key = createPrivateKey({ key: Buffer.from(s.privateKeyPkcs8, 'base64'), format: 'der', type: 'pkcs8' });
    const entry: SlotKey = { keyType: s.keyType, key };
    if (s.keyType === 'p256') entry.d = BigInt(`0x${Buffer.from(key.export({ format: 'jwk' }).d!, 'base64url').toString('hex')}`);
    this.keys.set(slot, entry);
    if (s.certificate === undefined) return;
    let cert: Uint8Array = Buffer.from(s.certificate, 'base64');
    if (s.compressCertificate) cert = gzipSync(cert);
    // SP 800-73-4 Part 1 Appendix A, certificate containers: 70 cert, 71 CertInfo, FE LRC.
    const certInfo = Uint8Array.of(s.compressCertificate ? 0x01 : 0x00);
    this.objects.set(PIV_TAG.certificate[slot], tlv(0x53, tlv(0x70, cert), tlv(0x71, certInfo), tlv(0xfe, new Uint8Array(0))));
  }

  private get managementKey(): ManagementKey {
    return this.image.managementKey ?? DEFAULT_MANAGEMENT_KEY;
  }

  /** Opens a card image file; state changes are written back to it. */
  static async open(path: string): Promise<VirtualPivCard> {
    return new VirtualPivCard(await loadCardImage(path), { path });
  }

  /** Tries left, as the card counts them (for tests and the UI; the PIN itself never leaves). */
  get pinTriesLeft(): number {
    return this.image.pinTriesLeft;
  }

  get pukTriesLeft(): number {
    return this.image.pukTriesLeft;
  }

  /** The image as it is now (a copy), for an image that holds this card. */
  get currentImage(): CardImage {
    return { ...this.image };
  }

  /**
   * A slot's key type, public key and whether the card generated it, or undefined for an empty
   * slot (YubiKey's GET METADATA).
   */
  slotKey(slot: PivSlot): { keyType: PivKeyType; publicKey: KeyObject; generated: boolean } | undefined {
    const entry = this.keys.get(slot);
    return entry && { keyType: entry.keyType, publicKey: createPublicKey(entry.key), generated: this.image.slots[slot]?.generated === true };
  }

  /** What GET METADATA tells of the PIN, PUK and administration key: tries and factory defaults. */
  get credentials(): { pinMaxTries: number; pukMaxTries: number; pinDefault: boolean; pukDefault: boolean; managementAlgorithm: number; managementDefault: boolean } {
    const image = this.image;
    return {
      pinMaxTries: image.pinMaxTries,
      pukMaxTries: image.pukMaxTries,
      pinDefault: image.pin === DEFAULT_PIN,
      pukDefault: image.puk === DEFAULT_PUK,
      managementAlgorithm: MANAGEMENT_ALGORITHMS[this.managementKey.algorithm].id,
      managementDefault: isDefaultManagementKey(this.managementKey),
    };
  }

  reset(): void {
    this.verified = false;
    this.pinJustVerified = false;
    this.admin.clear();
    this.channel.reset();
  }

  process(apdu: Uint8Array): Uint8Array | Promise<Uint8Array> {
    let cmd: ParsedCommand;
    try {
      cmd = parseCommand(apdu);
    } catch {
      this.pinJustVerified = false;
      return this.channel.fail(SW_WRONG_LENGTH);
    }
    // Anything but the signature itself (or fetching an answer) comes between VERIFY and a 9C key.
    if (cmd.ins !== INS_GENERAL_AUTHENTICATE && cmd.ins !== INS_GET_RESPONSE) {
      this.pinJustVerified = false;
      this.admin.interrupt();
    }
    if ((cmd.cla & ~CLA_CHAINING) !== 0x00) return this.channel.fail(SW_CLA_UNSUPPORTED);
    if (cmd.ins === INS_GET_RESPONSE) return this.channel.getResponse(cmd);
    this.channel.dropPending();
    // SP 800-73-4 Part 2 §3.2.4 and §3.3.2: GENERAL AUTHENTICATE and PUT DATA may be chained (and IMPORT KEY).
    const collected = this.channel.collect(cmd, cmd.ins === INS_GENERAL_AUTHENTICATE || cmd.ins === INS_PUT_DATA || cmd.ins === INS_IMPORT_KEY);
    if ('response' in collected) return collected.response;

    const reply = this.run(cmd, collected.data);
    return reply instanceof Promise ? reply.then((r) => this.answer(cmd, r)) : this.answer(cmd, reply);
  }

  /** The reply cut at Ne; written to the image first when the card's state changed. */
  private answer(cmd: ParsedCommand, reply: Reply): Uint8Array | Promise<Uint8Array> {
    const out = this.channel.deliver(reply.data ?? new Uint8Array(0), reply.sw, cmd);
    const file = this.path;
    const save = this.onSave ?? (file === undefined ? undefined : (image: CardImage) => saveCardImage(file, image));
    if (!reply.persist || save === undefined) return out;
    // Copy now: later commands may change the image before this write runs.
    const snapshot = structuredClone(this.image);
    this.saving = this.saving.catch(() => undefined).then(() => save(snapshot));
    // 6581: the change could not be made durable (the card keeps it in memory regardless).
    return this.saving.then(
      () => out,
      () => sw(SW_MEMORY_FAILURE),
    );
  }

  private run(cmd: ParsedCommand, data: Uint8Array): Reply | Promise<Reply> {
    switch (cmd.ins) {
      case INS_SELECT:
        return this.select(cmd, data);
      case INS_GET_DATA:
        return this.getData(cmd, data);
      case INS_VERIFY:
        return this.verify(cmd, data);
      case INS_CHANGE_REFERENCE_DATA:
        return this.changeReferenceData(cmd, data);
      case INS_RESET_RETRY_COUNTER:
        return this.resetRetryCounter(cmd, data);
      case INS_GENERAL_AUTHENTICATE:
        return this.generalAuthenticate(cmd, data);
      case INS_GENERATE_KEY_PAIR:
        return this.generateKeyPair(cmd, data);
      case INS_PUT_DATA:
        return this.putData(cmd, data);
      case INS_SET_MANAGEMENT_KEY:
        return this.yubiKey ? this.setManagementKey(cmd, data) : { sw: SW_INS_UNSUPPORTED };
      case INS_SET_PIN_RETRIES:
        return this.yubiKey ? this.setPinRetries(cmd, data) : { sw: SW_INS_UNSUPPORTED };
      case INS_RESET:
        return this.yubiKey ? this.resetApplication(cmd, data) : { sw: SW_INS_UNSUPPORTED };
      case INS_IMPORT_KEY:
        return this.yubiKey ? this.importKey(cmd, data) : { sw: SW_INS_UNSUPPORTED };
      case INS_ATTEST:
        return this.attestation ? this.attest(cmd, data) : { sw: SW_INS_UNSUPPORTED };
      default:
        // Includes YubiKey's GET VERSION (FD) and GET SERIAL (F8), which virtualYubiKey.ts answers.
        return { sw: SW_INS_UNSUPPORTED };
    }
  }

  // --- SELECT (SP 800-73-4 Part 2 §3.1.1) -----------------------------------------------------

  private select(cmd: ParsedCommand, data: Uint8Array): Reply {
    if (cmd.p1 !== 0x04 || (cmd.p2 !== 0x00 && cmd.p2 !== 0x0c)) return { sw: SW_WRONG_P1P2 };
    const isPiv = data.length >= PIV_AID_TRUNCATED && data.length <= PIV_AID.length && bytesEqual(data, PIV_AID.subarray(0, data.length));
    if (!isPiv) return { sw: SW_NOT_FOUND };
    return cmd.p2 === 0x0c ? { sw: SW_OK } : { data: this.apt, sw: SW_OK };
  }

  /** SP 800-73-4 Part 2 §3.1.1, Application Property Template. */
  private applicationPropertyTemplate(): Uint8Array {
    return tlv(
      0x61,
      tlv(0x4f, PIV_AID.subarray(5)), // PIX of the AID
      tlv(0x79, tlv(0x4f, PIV_AID.subarray(0, 5))), // coexistent tag allocation authority: NIST RID
      tlv(0x50, new TextEncoder().encode('e-kort virtual PIV')),
      // Cryptographic algorithms supported; no cipher suite 27/2E, so no secure messaging.
      tlv(0xac, tlv(0x80, Uint8Array.of(PIV_ALG_RSA_2048)), tlv(0x80, Uint8Array.of(PIV_ALG_ECC_P256)), tlv(0x06, Uint8Array.of(0x00))),
    );
  }

  // --- GET DATA (SP 800-73-4 Part 2 §3.1.2) ---------------------------------------------------

  private getData(cmd: ParsedCommand, data: Uint8Array): Reply {
    if (cmd.p1 !== 0x3f || cmd.p2 !== 0xff) return { sw: SW_WRONG_P1P2 };
    let tag: number;
    try {
      const [list, ...extra] = decodeTlv(data, { allowPadding: false });
      if (!list || extra.length > 0 || list.tag !== 0x5c || list.value.length < 1 || list.value.length > 3) return { sw: SW_WRONG_DATA };
      tag = list.value.reduce((t, b) => t * 256 + b, 0);
    } catch {
      return { sw: SW_WRONG_DATA };
    }
    const object = this.objects.get(tag);
    if (!object) return { sw: SW_NOT_FOUND };
    // A PIN-protected 9B key (ykman --protect) is kept in Printed Information.
    if (PIN_PROTECTED_OBJECTS.has(tag) && !this.verified) return { sw: SW_SECURITY_STATUS };
    return { data: object, sw: SW_OK };
  }

  /** SP 800-73-4 Part 1 §3.1.1: Card Capability Container. */
  private cardCapabilityContainer(): Uint8Array {
    const empty = new Uint8Array(0);
    // Card identifier: GSC-RID A0 00 00 01 16, manufacturer FF, card type 00, 14 bytes of the GUID.
    const cardId = concatBytes(fromHex('A0 00 00 01 16 FF 00'), fromHex(this.image.chuid.guid).subarray(0, 14));
    return tlv(
      0x53,
      tlv(0xf0, cardId),
      tlv(0xf1, Uint8Array.of(0x21)), // capability container version
      tlv(0xf2, Uint8Array.of(0x21)), // capability grammar version
      tlv(0xf3, empty), // applications CardURL
      tlv(0xf4, Uint8Array.of(0x00)), // PKCS#15: no
      tlv(0xf5, Uint8Array.of(0x10)), // registered data model number: PIV
      tlv(0xf6, empty), // access control rule table
      tlv(0xf7, empty), // card APDUs
      tlv(0xfa, empty), // redirection tag
      tlv(0xfb, empty), // capability tuples
      tlv(0xfc, empty), // status tuples
      tlv(0xfd, empty), // next CCC
      tlv(0xfe, empty), // error detection code
    );
  }

  /** SP 800-73-4 Part 1 §3.1.2: Card Holder Unique Identifier. */
  private chuid(): Uint8Array {
    return tlv(
      0x53,
      tlv(0x30, FASCN_NON_FEDERAL),
      tlv(0x34, fromHex(this.image.chuid.guid)),
      tlv(0x35, new TextEncoder().encode(this.image.chuid.expires)),
      tlv(0x3e, new Uint8Array(0)), // issuer asymmetric signature: this card has no issuer to sign it
      tlv(0xfe, new Uint8Array(0)),
    );
  }

  // --- PIN and PUK (SP 800-73-4 Part 2 §3.2.1 - §3.2.3) ---------------------------------------

  private verify(cmd: ParsedCommand, data: Uint8Array): Reply {
    if (cmd.p2 !== REF_PIN) return { sw: SW_REFERENCE_NOT_FOUND };
    if (cmd.p1 === 0xff) {
      // Reset the security status of the PIN ("log out"); no data allowed.
      if (data.length > 0) return { sw: SW_WRONG_LENGTH };
      this.verified = false;
      return { sw: SW_OK };
    }
    if (cmd.p1 !== 0x00) return { sw: SW_WRONG_P1P2 };
    const image = this.image;
    if (image.pinTriesLeft === 0) return { sw: SW_BLOCKED };
    if (data.length === 0) return { sw: this.verified ? SW_OK : triesSw(image.pinTriesLeft) };
    if (data.length !== REFERENCE_DATA_LENGTH) return { sw: SW_WRONG_DATA };
    if (!matches(data, image.pin)) {
      this.verified = false;
      image.pinTriesLeft--;
      return { sw: image.pinTriesLeft === 0 ? SW_BLOCKED : triesSw(image.pinTriesLeft), persist: true };
    }
    this.verified = true;
    this.pinJustVerified = true;
    if (image.pinTriesLeft === image.pinMaxTries) return { sw: SW_OK };
    image.pinTriesLeft = image.pinMaxTries;
    return { sw: SW_OK, persist: true };
  }

  /** Old || new, each padded to 8 bytes; P2 80 changes the PIN, 81 the PUK. */
  private changeReferenceData(cmd: ParsedCommand, data: Uint8Array): Reply {
    if (cmd.p1 !== 0x00) return { sw: SW_WRONG_P1P2 };
    if (cmd.p2 !== REF_PIN && cmd.p2 !== REF_PUK) return { sw: SW_REFERENCE_NOT_FOUND };
    const isPin = cmd.p2 === REF_PIN;
    const image = this.image;
    const left = isPin ? image.pinTriesLeft : image.pukTriesLeft;
    if (left === 0) return { sw: SW_BLOCKED };
    if (data.length !== 2 * REFERENCE_DATA_LENGTH) return { sw: SW_WRONG_DATA };
    // The old value is checked (and counted) before the new one's format, as a YubiKey does:
    // ykman blocks the PUK for a reset with an empty new PIN.
    if (!matches(data.subarray(0, REFERENCE_DATA_LENGTH), isPin ? image.pin : image.puk)) {
      if (isPin) this.verified = false;
      const now = left - 1;
      if (isPin) image.pinTriesLeft = now;
      else image.pukTriesLeft = now;
      return { sw: now === 0 ? SW_BLOCKED : triesSw(now), persist: true };
    }
    const next = unpad(data.subarray(REFERENCE_DATA_LENGTH));
    if (next === undefined || !(isPin ? isValidPin(next) : isValidPuk(next))) return { sw: SW_WRONG_DATA };
    if (isPin) {
      image.pin = next;
      image.pinTriesLeft = image.pinMaxTries;
    } else {
      image.puk = next;
      image.pukTriesLeft = image.pukMaxTries;
    }
    return { sw: SW_OK, persist: true };
  }

  /** PUK || new PIN, each padded to 8 bytes: unblocks the PIN. */
  private resetRetryCounter(cmd: ParsedCommand, data: Uint8Array): Reply {
    if (cmd.p1 !== 0x00) return { sw: SW_WRONG_P1P2 };
    if (cmd.p2 !== REF_PIN) return { sw: SW_REFERENCE_NOT_FOUND };
    const image = this.image;
    if (image.pukTriesLeft === 0) return { sw: SW_BLOCKED };
    if (data.length !== 2 * REFERENCE_DATA_LENGTH) return { sw: SW_WRONG_DATA };
    if (!matches(data.subarray(0, REFERENCE_DATA_LENGTH), image.puk)) {
      image.pukTriesLeft--;
      return { sw: image.pukTriesLeft === 0 ? SW_BLOCKED : triesSw(image.pukTriesLeft), persist: true };
    }
    const next = unpad(data.subarray(REFERENCE_DATA_LENGTH));
    if (next === undefined || !isValidPin(next)) return { sw: SW_WRONG_DATA };
    image.pin = next;
    image.pinTriesLeft = image.pinMaxTries;
    image.pukTriesLeft = image.pukMaxTries;
    this.verified = false;
    return { sw: SW_OK, persist: true };
  }

  // --- GENERAL AUTHENTICATE (SP 800-73-4 Part 2 §3.2.4) ---------------------------------------

  private generalAuthenticate(cmd: ParsedCommand, data: Uint8Array): Reply {
    const pinAlways = this.pinJustVerified;
    this.pinJustVerified = false;
    if (cmd.p2 === REF_MANAGEMENT_KEY) return this.admin.authenticate(cmd.p1, data);
    this.admin.interrupt();
    const slot = SLOT_BY_REFERENCE.get(cmd.p2);
    const entry = slot && this.keys.get(slot);
    if (!slot || !entry) return { sw: SW_WRONG_P1P2 };
    if (cmd.p1 !== ALG_FOR_KEY[entry.keyType]) return { sw: SW_WRONG_DATA };
    const input = challengeInput(data);
    if (!input) return { sw: SW_WRONG_DATA };
    const allowed = slot === '9e' || (slot === '9a' && this.verified) || (slot === '9c' && this.verified && pinAlways);
    if (!allowed) return { sw: SW_SECURITY_STATUS };
    const signature = entry.keyType === 'rsa2048' ? rsaRaw(entry.key, input) : this.ecdsaP256(entry.d!, input);
    if (!signature) return { sw: SW_WRONG_DATA };
    // Dynamic authentication template with the response (82).
    return { data: tlv(0x7c, tlv(0x82, signature)), sw: SW_OK };
  }

  /**
   * ECDSA (FIPS 186-5 §6.4.1) over a digest the host computed. Node signs only messages it
   * hashes itself, so the scalar multiplication k·G comes from OpenSSL through ECDH (the
   * public key of the private key k) and the rest is arithmetic mod n.
   */
  private ecdsaP256(d: bigint, digest: Uint8Array): Uint8Array {
    // bits2int: the leftmost 256 bits of the digest.
    let e = BigInt(`0x${Buffer.from(digest).toString('hex')}`);
    if (digest.length > 32) e >>= BigInt(8 * (digest.length - 32));
    this.ecdh ??= createECDH('prime256v1');
    for (;;) {
      const k = BigInt(`0x${randomBytes(32).toString('hex')}`);
      if (k === 0n || k >= P256_N) continue;
      this.ecdh.setPrivateKey(Buffer.from(k.toString(16).padStart(64, '0'), 'hex'));
      const point = this.ecdh.getPublicKey(); // 04 || x || y
      const r = BigInt(`0x${point.subarray(1, 33).toString('hex')}`) % P256_N;
      if (r === 0n) continue;
      const s = (modPow(k, P256_N - 2n, P256_N) * ((e + r * d) % P256_N)) % P256_N;
      if (s === 0n) continue;
      return tlv(0x30, derInteger(r), derInteger(s));
    }
  }

  // --- Administration (SP 800-73-4 Part 2 §3.3; Yubico's extensions) ---------------------------

  /** GENERATE ASYMMETRIC KEY PAIR: a new key in the slot, its certificate gone; answers 7F49 { public key }. */
  private async generateKeyPair(cmd: ParsedCommand, data: Uint8Array): Promise<Reply> {
    if (cmd.p1 !== 0x00) return { sw: SW_WRONG_P1P2 };
    const slot = SLOT_BY_REFERENCE.get(cmd.p2);
    if (!slot) return { sw: SW_WRONG_P1P2 };
    if (!this.admin.authenticated) return { sw: SW_SECURITY_STATUS };
    const keyType = generationRequest(data, slot);
    if (!keyType) return { sw: SW_WRONG_DATA };
    const privateKey = await newKey(keyType);
    this.image.slots = { ...this.image.slots, [slot]: { keyType, privateKeyPkcs8: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'), generated: true } };
    this.loadSlot(slot);
    return { data: tlv(0x7f49, publicKeyTlv(createPublicKey(privateKey))), sw: SW_OK, persist: true };
  }

  /**
   * Yubico's IMPORT ASYMMETRIC KEY: P1 the algorithm, P2 the slot; the slot's certificate stays
   * if it certifies the new key.
   */
  private importKey(cmd: ParsedCommand, data: Uint8Array): Reply {
    const slot = SLOT_BY_REFERENCE.get(cmd.p2);
    if (!slot) return { sw: SW_WRONG_P1P2 };
    // The 9B key first: nobody else has the card take key material apart.
    if (!this.admin.authenticated) return { sw: SW_SECURITY_STATUS };
    const imported = importedKey(cmd.p1, data, slot);
    if (!imported) return { sw: SW_WRONG_DATA };
    const { keyType, key } = imported;
    const current = this.image.slots[slot];
    const next: NonNullable<CardImage['slots'][PivSlot]> = { keyType, privateKeyPkcs8: key.export({ format: 'der', type: 'pkcs8' }).toString('base64') };
    if (current?.certificate && new X509Certificate(Buffer.from(current.certificate, 'base64')).checkPrivateKey(key)) {
      next.certificate = current.certificate;
      if (current.compressCertificate) next.compressCertificate = true;
    }
    this.image.slots = { ...this.image.slots, [slot]: next };
    this.loadSlot(slot);
    return { sw: SW_OK, persist: true };
  }

  /**
   * PUT DATA: 5C { tag } 53 { object }. A slot's certificate must certify the slot's key; other
   * objects are 5Fxxxx tags of at most MAX_OBJECT_BYTES; an empty 53 deletes.
   */
  private putData(cmd: ParsedCommand, data: Uint8Array): Reply {
    if (cmd.p1 !== 0x3f || cmd.p2 !== 0xff) return { sw: SW_WRONG_P1P2 };
    if (!this.admin.authenticated) return { sw: SW_SECURITY_STATUS };
    let tag: number;
    let object: Uint8Array;
    try {
      const [list, content, ...extra] = decodeTlv(data, { allowPadding: false, shallow: true });
      if (!list || !content || extra.length > 0 || list.tag !== 0x5c || list.value.length !== 3 || content.tag !== 0x53) return { sw: SW_WRONG_DATA };
      tag = list.value.reduce((t, b) => t * 256 + b, 0);
      object = content.value;
    } catch {
      return { sw: SW_WRONG_DATA };
    }
    const slot = PIV_SLOTS_BY_CERT_TAG.get(tag);
    if (slot) return this.putCertificate(slot, object);
    const tagHex = tag.toString(16).padStart(6, '0');
    if (!WRITABLE_OBJECT_TAG.test(tagHex)) return { sw: SW_WRONG_DATA };
    if (object.length > MAX_OBJECT_BYTES) return { sw: SW_NOT_ENOUGH_MEMORY };
    const objects = { ...this.image.objects };
    if (object.length === 0) delete objects[tagHex];
    else objects[tagHex] = Buffer.from(object).toString('base64');
    if (writtenObjectBytes(objects) > MAX_OBJECTS_TOTAL_BYTES) return { sw: SW_NOT_ENOUGH_MEMORY };
    if (Object.keys(objects).length > 0) this.image.objects = objects;
    else delete this.image.objects;
    this.loadContents();
    return { sw: SW_OK, persist: true };
  }

  private putCertificate(slot: PivSlot, object: Uint8Array): Reply {
    const current = this.image.slots[slot];
    if (!current) return { sw: SW_WRONG_DATA };
    const next: NonNullable<CardImage['slots'][PivSlot]> = { keyType: current.keyType, privateKeyPkcs8: current.privateKeyPkcs8 };
    if (current.generated) next.generated = true;
    if (object.length > 0) {
      let der: Uint8Array;
      let compressed: boolean;
      try {
        // Shallow: 70 is a constructed tag by its number, but holds the certificate's DER as it is.
        const fields = new Map(decodeTlv(object, { allowPadding: false, shallow: true }).map((t) => [t.tag, t.value]));
        const info = fields.get(0x71);
        compressed = info !== undefined && info.length === 1 && info[0] === 0x01;
        der = compressed ? new Uint8Array(gunzipSync(fields.get(0x70) ?? new Uint8Array(0), { maxOutputLength: 64 * 1024 })) : (fields.get(0x70) ?? new Uint8Array(0));
        if (!new X509Certificate(der).checkPrivateKey(this.keys.get(slot)!.key)) return { sw: SW_WRONG_DATA };
      } catch {
        return { sw: SW_WRONG_DATA };
      }
      next.certificate = Buffer.from(der).toString('base64');
      if (compressed) next.compressCertificate = true;
    }
    this.image.slots = { ...this.image.slots, [slot]: next };
    this.loadSlot(slot);
    return { sw: SW_OK, persist: true };
  }

  /** Yubico's ATTEST: P1 the slot; a certificate for its key, signed by F9, for generated keys only. */
  private async attest(cmd: ParsedCommand, data: Uint8Array): Promise<Reply> {
    if (cmd.p2 !== 0x00 || data.length > 0) return { sw: SW_WRONG_P1P2 };
    const slot = SLOT_BY_REFERENCE.get(cmd.p1);
    if (!slot) return { sw: SW_WRONG_P1P2 };
    const key = this.slotKey(slot);
    if (!key) return { sw: SW_NOT_FOUND };
    // A YubiKey vouches only for keys it made: an imported one may exist elsewhere.
    if (!key.generated) return { sw: SW_WRONG_DATA };
    return { data: await this.attestation!.attest(slot, { publicKey: key.publicKey, pinPolicy: SLOT_PIN_POLICY[slot] }), sw: SW_OK };
  }

  /** Yubico's SET MANAGEMENT KEY: P2 FF (no touch); data algorithm, 9B, length, key. */
  private setManagementKey(cmd: ParsedCommand, data: Uint8Array): Reply {
    if (cmd.p1 !== 0xff || cmd.p2 !== 0xff) return { sw: SW_WRONG_P1P2 };
    if (!this.admin.authenticated) return { sw: SW_SECURITY_STATUS };
    const algorithm = managementAlgorithmById(data[0] ?? -1);
    const key = data.subarray(3);
    if (!algorithm || data[1] !== REF_MANAGEMENT_KEY || data[2] !== key.length || key.length !== MANAGEMENT_ALGORITHMS[algorithm].keyLength) return { sw: SW_WRONG_DATA };
    this.image.managementKey = { algorithm, key: Buffer.from(key).toString('hex') };
    return { sw: SW_OK, persist: true };
  }

  /** Yubico's SET PIN RETRIES: P1 the PIN's tries, P2 the PUK's; both back to their defaults. */
  private setPinRetries(cmd: ParsedCommand, data: Uint8Array): Reply {
    if (data.length > 0) return { sw: SW_WRONG_LENGTH };
    // 63Cx counts to 15: no more tries than the status word can tell.
    if (cmd.p1 < 1 || cmd.p1 > 15 || cmd.p2 < 1 || cmd.p2 > 15) return { sw: SW_WRONG_P1P2 };
    if (!this.admin.authenticated || !this.verified) return { sw: SW_SECURITY_STATUS };
    Object.assign(this.image, { pin: DEFAULT_PIN, puk: DEFAULT_PUK, pinMaxTries: cmd.p1, pinTriesLeft: cmd.p1, pukMaxTries: cmd.p2, pukTriesLeft: cmd.p2 });
    this.verified = false;
    return { sw: SW_OK, persist: true };
  }

  /** Yubico's RESET: once PIN and PUK are both blocked, the application as it left the factory. */
  private resetApplication(cmd: ParsedCommand, data: Uint8Array): Reply {
    if (cmd.p1 !== 0x00 || cmd.p2 !== 0x00) return { sw: SW_WRONG_P1P2 };
    if (data.length > 0) return { sw: SW_WRONG_LENGTH };
    if (this.image.pinTriesLeft > 0 || this.image.pukTriesLeft > 0) return { sw: SW_CONDITIONS_NOT_SATISFIED };
    Object.assign(this.image, {
      pin: DEFAULT_PIN,
      puk: DEFAULT_PUK,
      pinMaxTries: DEFAULT_TRIES,
      pinTriesLeft: DEFAULT_TRIES,
      pukMaxTries: DEFAULT_TRIES,
      pukTriesLeft: DEFAULT_TRIES,
      slots: {},
    });
    delete this.image.managementKey;
    delete this.image.objects;
    this.verified = false;
    this.admin.clear();
    this.loadContents();
    return { sw: SW_OK, persist: true };
  }
}

/** 7C { 82 00, 81 challenge } → the challenge; undefined for any other template. */
function challengeInput(data: Uint8Array): Uint8Array | undefined {
  const fields = authenticationTemplate(data);
  if (!fields || fields.witness || fields.response?.length !== 0 || !fields.challenge?.length) return undefined;
  return fields.challenge;
}

/**
 * RSA signature primitive m^d mod n: the host already built the PKCS#1 block. Undefined for an
 * input that is not one modulus long or not below the modulus.
 */
function rsaRaw(key: KeyObject, input: Uint8Array): Uint8Array | undefined {
  if (input.length !== 256) return undefined;
  try {
    return new Uint8Array(privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, input));
  } catch {
    return undefined;
  }
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
  }
  return result;
}

/** A positive DER INTEGER (X.690 §8.3): minimal, with a 00 when the high bit is set. */
function derInteger(v: bigint): Uint8Array {
  let hex = v.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = `00${hex}`;
  return tlv(0x02, fromHex(hex));
}

/** SP 800-73-4 Part 1 §3.3.2: Discovery Object, PIN usage policy 40 00 (PIV PIN only). */
function discoveryObject(): Uint8Array {
  return tlv(0x7e, tlv(0x4f, PIV_AID), tlv(0x5f2f, Uint8Array.of(0x40, 0x00)));
}

/** The reference data without its FF padding, if it is ASCII; undefined otherwise. */
function unpad(padded: Uint8Array): string | undefined {
  let end = padded.length;
  while (end > 0 && padded[end - 1] === 0xff) end--;
  const value = padded.subarray(0, end);
  return value.every((b) => b >= 0x20 && b < 0x7f) ? Buffer.from(value).toString('latin1') : undefined;
}

/** Constant-time comparison of sent reference data with the stored PIN or PUK. */
function matches(sent: Uint8Array, secret: string): boolean {
  const expected = Buffer.alloc(REFERENCE_DATA_LENGTH, 0xff);
  expected.write(secret, 'latin1');
  return timingSafeEqual(sent, expected);
}

/** 63Cx: x tries left. */
function triesSw(left: number): number {
  return 0x63c0 | Math.min(left, 15);
}
