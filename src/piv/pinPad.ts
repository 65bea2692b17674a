/**
 * PIN pads through PC/SC part 10 (v2.02.09): the reader takes the PIN on its own keypad and
 * puts it into the VERIFY APDU itself, so the PIN never passes through the host. Only the
 * one-shot FEATURE_VERIFY_PIN_DIRECT is used; the two-phase START/FINISH variant is not.
 */
import { EkortError } from '../errors.ts';
import { hex16, parseResponse, type ResponseApdu } from '../iso7816/index.ts';
import { PcscError } from '../pcsc/index.ts';

/** SCardControl, as PcscliteTransport.control offers it. */
export interface ControlTransport {
  control(controlCode: number, data: Uint8Array): Promise<Uint8Array>;
}

export type Control = (controlCode: number, data: Uint8Array) => Promise<Uint8Array>;

/** PC/SC part 10 §2.2: CM_IOCTL_GET_FEATURE_REQUEST = SCARD_CTL_CODE(3400), pcsc-lite's encoding (0x42000000 + code). */
export const CM_IOCTL_GET_FEATURE_REQUEST = 0x42000d48;
/** PC/SC part 10 §2.3: feature tags. */
export const FEATURE_VERIFY_PIN_DIRECT = 0x06;
export const FEATURE_MODIFY_PIN_DIRECT = 0x07;

export type PinPadErrorCode =
  | 'PIN_PAD_TIMEOUT'
  | 'PIN_PAD_CANCELLED'
  | 'PIN_PAD_PIN_MISMATCH'
  | 'PIN_PAD_PIN_LENGTH'
  | 'PIN_PAD_REJECTED'
  | 'PIN_PAD_FEATURES_MALFORMED';

export class PinPadError extends EkortError {
  declare readonly code: PinPadErrorCode;
  /** The status word the reader itself answered, when there is one. */
  readonly sw?: number;

  constructor(code: PinPadErrorCode, message: string, sw?: number) {
    super(code, sw === undefined ? message : `${message} (SW ${hex16(sw)} from the reader)`);
    if (sw !== undefined) this.sw = sw;
  }
}

/**
 * Status words the reader answers on its own for a secure PIN entry (CCID rev 1.1,
 * PC_to_RDR_Secure; OpenSC's reader-pcsc.c reads them the same way). They come from the
 * reader, not the card, so statusWords.ts does not know them.
 */
const READER_STATUS: ReadonlyMap<number, { code: PinPadErrorCode; message: string }> = new Map([
  [0x6400, { code: 'PIN_PAD_TIMEOUT', message: 'No PIN was entered on the reader in time' }],
  [0x6401, { code: 'PIN_PAD_CANCELLED', message: 'PIN entry was cancelled on the reader' }],
  [0x6402, { code: 'PIN_PAD_PIN_MISMATCH', message: 'The two new PINs typed on the reader differ' }],
  [0x6403, { code: 'PIN_PAD_PIN_LENGTH', message: 'The PIN typed on the reader is too short or too long: it must be 6 to 8 digits' }],
  [0x6b80, { code: 'PIN_PAD_REJECTED', message: 'The reader rejected the PIN entry request' }],
] as const);

/** PC/SC part 10 §2.2: TLV list of (feature tag, 4, control code big-endian). */
export function parseFeatureList(bytes: Uint8Array): Map<number, number> {
  const features = new Map<number, number>();
  for (let at = 0; at < bytes.length; at += 6) {
    const tag = bytes[at]!;
    if (at + 6 > bytes.length || bytes[at + 1] !== 4) {
      throw new PinPadError('PIN_PAD_FEATURES_MALFORMED', `The reader's feature list is malformed at byte ${at} (feature ${tag})`);
    }
    features.set(tag, ((bytes[at + 2]! << 24) | (bytes[at + 3]! << 16) | (bytes[at + 4]! << 8) | bytes[at + 5]!) >>> 0);
  }
  return features;
}

/** The reader's PC/SC part 10 features: feature tag → control code. */
export async function readerFeatures(control: Control): Promise<Map<number, number>> {
  return parseFeatureList(await control(CM_IOCTL_GET_FEATURE_REQUEST, new Uint8Array(0)));
}

export interface ApduHeader {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
}

export interface PinEntryOptions {
  /** Seconds to wait for the first key and between keys; 0 is the reader's default. Default 30. */
  timeoutSeconds?: number;
  /** Default 6 and 8, the PIV rule (SP 800-73-4 Part 2 §2.4.3). */
  minDigits?: number;
  maxDigits?: number;
  /** Language of the reader's prompts. Default 0x041D, Swedish. */
  langId?: number;
}

/** The PIN block the reader fills: ASCII digits from byte 0, FF up to 8 bytes (the PIV format). */
const PIN_BLOCK_BYTES = 8;
/** bmFormatString: b7 units are bytes, b6-b3 PIN position 0, b2 left justify, b1-b0 10 = ASCII. */
const FORMAT_BYTES_ASCII_LEFT = 0x82;
/** bmPINBlockString: no PIN length field (b7-b4 = 0), PIN block of 8 bytes. */
const PIN_BLOCK_STRING = PIN_BLOCK_BYTES;
/** bEntryValidationCondition: the holder confirms with the validation key. */
const VALIDATE_ON_KEY = 0x02;
/** bNumberMessage: one prompt ("enter PIN"), message index 0. */
const ONE_MESSAGE = 0x01;
const LANG_SWEDISH = 0x041d;
/** bTimerOut .. ulDataLength: everything before abData. */
const VERIFY_STRUCTURE_HEADER_BYTES = 19;

/**
 * PIN_VERIFY_STRUCTURE, PC/SC part 10 v2.02.09 §2.5.2, multi-byte fields little-endian.
 * abData is the VERIFY APDU with its PIN block as FF bytes: the reader writes the digits over
 * them. OpenSC builds the same for PIV except bmFormatString 02 (bit units, position 0), which
 * places the PIN identically.
 */
export function pinVerifyStructure(header: ApduHeader, options: PinEntryOptions = {}): Uint8Array {
  const timeout = options.timeoutSeconds ?? 30;
  const min = options.minDigits ?? 6;
  const max = options.maxDigits ?? 8;
  const apdu = Uint8Array.of(header.cla, header.ins, header.p1, header.p2, PIN_BLOCK_BYTES, ...new Array<number>(PIN_BLOCK_BYTES).fill(0xff));
  const out = new Uint8Array(VERIFY_STRUCTURE_HEADER_BYTES + apdu.length);
  const view = new DataView(out.buffer);
  out[0] = timeout; // bTimerOut
  out[1] = timeout; // bTimerOut2
  out[2] = FORMAT_BYTES_ASCII_LEFT;
  out[3] = PIN_BLOCK_STRING;
  out[4] = 0x00; // bmPINLengthFormat: the APDU carries no PIN length
  view.setUint16(5, (min << 8) | max, true); // wPINMaxExtraDigit: XXYY = min, max
  out[7] = VALIDATE_ON_KEY;
  out[8] = ONE_MESSAGE;
  view.setUint16(9, options.langId ?? LANG_SWEDISH, true);
  out[11] = 0x00; // bMsgIndex
  // out[12..14] bTeoPrologue: zero, the reader fills it for T=1
  view.setUint32(15, apdu.length, true); // ulDataLength
  out.set(apdu, VERIFY_STRUCTURE_HEADER_BYTES);
  return out;
}

function isControlTransport(transport: object): transport is ControlTransport {
  return typeof (transport as Partial<ControlTransport>).control === 'function';
}

export class PinPad {
  private constructor(
    private readonly transport: ControlTransport,
    readonly features: ReadonlyMap<number, number>,
  ) {}

  /**
   * The reader's PIN pad, or undefined when the transport has no `control` (a virtual card, a
   * fixture) or the reader has no FEATURE_VERIFY_PIN_DIRECT. A reader that refuses the feature
   * request (a PC/SC error of no known kind) has none; card removal and the like still throw.
   */
  static async detect(transport: object): Promise<PinPad | undefined> {
    if (!isControlTransport(transport)) return undefined;
    let features: Map<number, number>;
    try {
      features = await readerFeatures((code, data) => transport.control(code, data));
    } catch (error) {
      if (error instanceof PcscError && (error.code === 'PCSC_ERROR' || error.code === 'UNSUPPORTED_FEATURE')) return undefined;
      throw error;
    }
    return features.has(FEATURE_VERIFY_PIN_DIRECT) ? new PinPad(transport, features) : undefined;
  }

  /** The reader could also change a PIN on its keypad (not used yet). */
  get canModifyPin(): boolean {
    return this.features.has(FEATURE_MODIFY_PIN_DIRECT);
  }

  /**
   * Lets the holder type the PIN for the VERIFY `header` and returns the card's answer;
   * the reader's own refusals (timeout, cancel) are PinPadErrors.
   */
  async verifyPin(header: ApduHeader, options?: PinEntryOptions): Promise<ResponseApdu> {
    const code = this.features.get(FEATURE_VERIFY_PIN_DIRECT)!;
    const response = parseResponse(await this.transport.control(code, pinVerifyStructure(header, options)));
    const refusal = READER_STATUS.get(response.sw);
    if (refusal) throw new PinPadError(refusal.code, refusal.message, response.sw);
    return response;
  }
}
