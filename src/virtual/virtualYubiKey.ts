/**
 * A virtual YubiKey 5 over CCID, as Yubico's tools see one: the management application (device
 * info: serial, firmware version, form factor, what is enabled over CCID), the PIV application
 * (our VirtualPivCard) with YubiKey's extensions (GET VERSION, GET SERIAL, GET METADATA), and the
 * OATH application (oathApplet.ts). Applications are chosen by SELECT, as on the device.
 *
 * The image file (JSON, private) holds the serial and firmware, the PIV card image, the OATH
 * state and the PIV attestation key (F9, yubiKeyAttestation.ts); every change is written back
 * before the command is answered.
 */
import { readJsonFile, writePrivateJson } from '../files/index.ts';
import { bytesEqual, concatBytes, encodeCommand, encodeResponse, parseCommand, tlv, VIRTUAL_YUBIKEY_ATR, type ParsedCommand } from '../iso7816/index.ts';
import type { SoftwareCard } from '../pcsc/index.ts';
import { CardImageError, createCardImage, type CardImage, type CreateCardImageOptions, type PivSlot, validateCardImage } from './cardImage.ts';
import { swBytes } from './cardSideChannel.ts';
import { checkOathState, newOathState, OATH_AID, OathApplet, type OathState } from './oathApplet.ts';
import { PIV_AID, VirtualPivCard } from './pivCard.ts';
import { publicKeyTlv, SLOT_PIN_POLICY } from './pivKeyMaterial.ts';
import { attestationCertificate, checkAttestationKey, createAttestationKey, type AttestationKey } from './yubiKeyAttestation.ts';

export const MANAGEMENT_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x05, 0x27, 0x47, 0x11, 0x17);

export { VIRTUAL_YUBIKEY_ATR };

/** Management capabilities (yubikit's CAPABILITY): what a virtual key offers over CCID. */
const CAPABILITY_PIV = 0x10;
const CAPABILITY_OATH = 0x20;
const FORM_FACTOR_USB_A_KEYCHAIN = 0x01;

const SW_OK = 0x9000;
const SW_NOT_FOUND = 0x6a82;
const SW_INS_UNSUPPORTED = 0x6d00;
const SW_WRONG_P1P2 = 0x6a86;
const INS_SELECT = 0xa4;
const INS_READ_CONFIG = 0x1d;
const INS_GET_VERSION = 0xfd;
const INS_GET_SERIAL = 0xf8;
const INS_GET_METADATA = 0xf7;

export const YUBIKEY_IMAGE_FORMAT = 'ekort-virtual-yubikey';

export interface YubiKeyImage {
  format: typeof YUBIKEY_IMAGE_FORMAT;
  serial: number;
  /** Firmware "major.minor.patch". */
  firmware: string;
  piv: CardImage;
  oath: OathState;
  /** Slot F9, for PIV attestation; images made before it have none. */
  attestation?: AttestationKey;
}

export interface CreateYubiKeyOptions extends CreateCardImageOptions {
  serial?: number;
}

export async function createYubiKeyImage(options: CreateYubiKeyOptions = {}): Promise<YubiKeyImage> {
  const serial = options.serial ?? 10_000_000 + Math.floor(Math.random() * 80_000_000);
  if (!Number.isSafeInteger(serial) || serial < 1 || serial > 0xffffffff) throw new CardImageError('CARD_IMAGE_INVALID', 'serial must be from 1 to 4294967295');
  return {
    format: YUBIKEY_IMAGE_FORMAT,
    serial,
    firmware: '5.4.3',
    // `name: undefined` (the CLI without --name) must not undo the default.
    piv: await createCardImage({ ...options, name: options.name ?? 'Virtual YubiKey' }),
    oath: newOathState(),
    attestation: await createAttestationKey(serial),
  };
}

function validate(value: unknown, source: string): YubiKeyImage {
  const o = value as Partial<YubiKeyImage> | null;
  const bad = (what: string): never => {
    throw new CardImageError('CARD_IMAGE_INVALID', `${source}: ${what}`);
  };
  if (!o || typeof o !== 'object' || o.format !== YUBIKEY_IMAGE_FORMAT) bad(`format must be "${YUBIKEY_IMAGE_FORMAT}"`);
  if (!Number.isSafeInteger(o!.serial) || o!.serial! < 1 || o!.serial! > 0xffffffff) bad('serial must be from 1 to 4294967295');
  if (typeof o!.firmware !== 'string' || !/^\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(o!.firmware)) bad('firmware must be like 5.4.3');
  const image: YubiKeyImage = { ...(o as YubiKeyImage), piv: validateCardImage(o!.piv, `${source} (piv)`), oath: checkOathState(o!.oath, source) };
  if (o!.attestation !== undefined) image.attestation = checkAttestationKey(o!.attestation, source);
  return image;
}

/** Is this JSON a virtual YubiKey's image (rather than a plain card's)? */
export function isYubiKeyImage(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { format?: unknown }).format === YUBIKEY_IMAGE_FORMAT;
}

export async function loadYubiKeyImage(file: string): Promise<YubiKeyImage> {
  const value = await readJsonFile(file, (f) =>
    new CardImageError(f.kind === 'missing' ? 'CARD_IMAGE_NOT_FOUND' : f.kind === 'unreadable' ? 'CARD_IMAGE_UNREADABLE' : 'CARD_IMAGE_INVALID', `cannot read the YubiKey image ${file} (${f.kind})`, { path: file }),
  );
  return validate(value, file);
}

export async function saveYubiKeyImage(file: string, image: YubiKeyImage): Promise<void> {
  try {
    await writePrivateJson(file, image);
  } catch (e) {
    throw new CardImageError('CARD_IMAGE_WRITE_FAILED', `cannot write the YubiKey image ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { path: file, cause: e });
  }
}

type Application = 'management' | 'piv' | 'oath' | undefined;

export interface VirtualYubiKeyOptions {
  /** Write state changes to this image file. */
  path?: string;
  /** The holder touches the key (OATH credentials that need touch); false when nobody did in time. */
  touch?: () => Promise<boolean>;
}

export class VirtualYubiKey implements SoftwareCard {
  readonly atr = VIRTUAL_YUBIKEY_ATR;
  private readonly piv: VirtualPivCard;
  private readonly oath: OathApplet;
  private readonly version: readonly [number, number, number];
  private selected: Application;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly image: YubiKeyImage,
    private readonly options: VirtualYubiKeyOptions = {},
  ) {
    this.version = image.firmware.split('.').map(Number) as unknown as readonly [number, number, number];
    const f9 = image.attestation;
    this.piv = new VirtualPivCard(image.piv, {
      onSave: async (piv) => this.save({ piv }),
      yubiKey: true,
      ...(f9 && {
        attestation: {
          certificate: new Uint8Array(Buffer.from(f9.certificate, 'base64')),
          attest: (slot, key) =>
            attestationCertificate(f9, { slot, ...key, firmware: this.version, serial: image.serial, touchPolicy: 0x01, formFactor: FORM_FACTOR_USB_A_KEYCHAIN }),
        },
      }),
    });
    this.oath = new OathApplet(image.oath, { version: this.version, ...(options.touch ? { touch: options.touch } : {}) });
  }

  static async open(file: string, options: Omit<VirtualYubiKeyOptions, 'path'> = {}): Promise<VirtualYubiKey> {
    return new VirtualYubiKey(await loadYubiKeyImage(file), { ...options, path: file });
  }

  get serial(): number {
    return this.image.serial;
  }

  reset(): void {
    this.selected = undefined;
    this.piv.reset();
    this.oath.reset();
  }

  async process(apdu: Uint8Array): Promise<Uint8Array> {
    let cmd: ParsedCommand;
    try {
      cmd = parseCommand(apdu);
    } catch {
      return swBytes(0x6700);
    }
    if (cmd.ins === INS_SELECT && cmd.p1 === 0x04) return this.select(cmd, apdu);
    switch (this.selected) {
      case 'management':
        return this.management(cmd);
      case 'oath': {
        const { response, persist } = await this.oath.process(cmd);
        if (persist) await this.save({});
        return response;
      }
      case 'piv':
        return this.pivExtension(cmd) ?? (await this.piv.process(apdu));
      default:
        return swBytes(SW_INS_UNSUPPORTED);
    }
  }

  private async select(cmd: ParsedCommand, apdu: Uint8Array): Promise<Uint8Array> {
    const aid = cmd.data ?? new Uint8Array(0);
    const is = (target: Uint8Array, min = target.length) => aid.length >= min && aid.length <= target.length && bytesEqual(aid, target.subarray(0, aid.length));
    if (is(MANAGEMENT_AID)) {
      this.selected = 'management';
      return encodeResponse(new TextEncoder().encode(this.image.firmware), SW_OK);
    }
    if (is(OATH_AID)) {
      this.selected = 'oath';
      return this.oath.select();
    }
    // A YubiKey selects PIV by its RID and PIX prefix A0 00 00 03 08 too (yubikit does so).
    if (is(PIV_AID, 5)) {
      this.selected = 'piv';
      const full = aid.length >= 9 ? apdu : encodeCommand({ cla: cmd.cla, ins: cmd.ins, p1: cmd.p1, p2: cmd.p2, data: PIV_AID.subarray(0, 9), le: cmd.le ?? 256 });
      return this.piv.process(full);
    }
    this.selected = undefined;
    return swBytes(SW_NOT_FOUND);
  }

  /** Management READ CONFIG: the device info TLVs, after their total length (yubikit's DeviceInfo). */
  private management(cmd: ParsedCommand): Uint8Array {
    if (cmd.ins !== INS_READ_CONFIG) return swBytes(SW_INS_UNSUPPORTED);
    const u16 = (v: number) => Uint8Array.of(v >> 8, v & 0xff);
    const serial = new Uint8Array(4);
    new DataView(serial.buffer).setUint32(0, this.image.serial);
    const ccid = CAPABILITY_PIV | CAPABILITY_OATH;
    const info = concatBytes(
      tlv(0x01, u16(ccid)), // USB supported
      tlv(0x02, serial),
      tlv(0x03, u16(ccid)), // USB enabled
      tlv(0x04, Uint8Array.of(FORM_FACTOR_USB_A_KEYCHAIN)),
      tlv(0x05, Uint8Array.from(this.version)),
      tlv(0x0a, Uint8Array.of(0x00)), // configuration not locked
    );
    return encodeResponse(concatBytes(Uint8Array.of(info.length), info), SW_OK);
  }

  /** YubiKey's PIV extensions, answered here; undefined for the PIV card itself. */
  private pivExtension(cmd: ParsedCommand): Uint8Array | undefined {
    if (cmd.ins === INS_GET_VERSION) return encodeResponse(Uint8Array.from(this.version), SW_OK);
    if (cmd.ins === INS_GET_SERIAL) {
      const serial = new Uint8Array(4);
      new DataView(serial.buffer).setUint32(0, this.image.serial);
      return encodeResponse(serial, SW_OK);
    }
    if (cmd.ins !== INS_GET_METADATA) return undefined;
    if (cmd.p1 !== 0x00) return swBytes(SW_WRONG_P1P2);
    const metadata = this.metadata(cmd.p2);
    return metadata ? encodeResponse(metadata, SW_OK) : swBytes(SW_NOT_FOUND);
  }

  /**
   * GET METADATA (YubiKey 5.3+): 01 algorithm, 02 PIN and touch policy, 03 origin (01 generated,
   * 02 imported), 04 public key, 05 default value, 06 tries (total, remaining).
   */
  private metadata(reference: number): Uint8Array | undefined {
    const tries = (total: number, left: number) => tlv(0x06, Uint8Array.of(total, left));
    const flag = (on: boolean) => Uint8Array.of(on ? 1 : 0);
    const c = this.piv.credentials;
    if (reference === 0x80) return concatBytes(tlv(0x01, Uint8Array.of(0xff)), tlv(0x05, flag(c.pinDefault)), tries(c.pinMaxTries, this.piv.pinTriesLeft));
    if (reference === 0x81) return concatBytes(tlv(0x01, Uint8Array.of(0xff)), tlv(0x05, flag(c.pukDefault)), tries(c.pukMaxTries, this.piv.pukTriesLeft));
    if (reference === 0x9b) return concatBytes(tlv(0x01, Uint8Array.of(c.managementAlgorithm)), tlv(0x02, Uint8Array.of(0x00, 0x01)), tlv(0x05, flag(c.managementDefault)));
    const slot = ({ 0x9a: '9a', 0x9c: '9c', 0x9e: '9e' } as Record<number, PivSlot>)[reference];
    const key = slot && this.piv.slotKey(slot);
    if (!key) return undefined;
    // Touch never.
    const pinPolicy = SLOT_PIN_POLICY[slot];
    return concatBytes(
      tlv(0x01, Uint8Array.of(key.keyType === 'p256' ? 0x11 : 0x07)),
      tlv(0x02, Uint8Array.of(pinPolicy, 0x01)),
      tlv(0x03, Uint8Array.of(key.generated ? 0x01 : 0x02)),
      tlv(0x04, publicKeyTlv(key.publicKey)),
    );
  }

  /** Writes the image (with `change`) before the answer goes out; serialised so writes keep their order. */
  private save(change: Partial<Pick<YubiKeyImage, 'piv'>>): Promise<void> {
    if (change.piv) this.image.piv = change.piv;
    const file = this.options.path;
    if (file === undefined) return Promise.resolve();
    const snapshot: YubiKeyImage = JSON.parse(JSON.stringify(this.image)) as YubiKeyImage;
    this.saving = this.saving.catch(() => undefined).then(() => saveYubiKeyImage(file, snapshot));
    return this.saving;
  }
}

