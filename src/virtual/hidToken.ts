/**
 * A virtual YubiKey-style HID OTP token, in process (no /dev/uhid on CI machines). It is the
 * device side of the HID OTP challenge-response protocol behind the HidDevice interface:
 * it reassembles written chunks into the 70-byte frame, checks the frame's CRC, answers
 * HMAC-SHA1 challenges for slot 1 (0x30) and slot 2 (0x38) in variable-length mode (trailing
 * bytes equal to the last byte are stripped before the HMAC), and serves the 20-byte HMAC plus
 * its CRC in response chunks 0x40|seq, wrapping to seq 0 after the last one, until the host
 * sends the reset report. With `requireTouch` it reports 0x20 until `touch()`.
 *
 * Reports follow node-hid's Linux shape: written arrays start with the report id (0), and
 * `getFeatureReport(0, 9)` returns the report id followed by the 8 report bytes.
 * After `unplug()` (or `close()`) every call throws as node-hid does for a gone device.
 *
 * A token can also live in a JSON file (`ekort virtual-token create`): serial, firmware
 * version and per slot the secret (hex) and whether it needs a touch. The file holds the
 * secrets and is written atomically with mode 0600.
 */
import { createHmac, randomBytes, randomInt } from 'node:crypto';
import { CodedError } from '../errors.ts';
import { crc16, FRAME_CHUNKS, FRAME_SIZE, type HidDevice, PAYLOAD_SIZE, REPORT_DATA_SIZE, REPORT_SIZE, SLOT_CHAL_HMAC1, SLOT_CHAL_HMAC2, STATUS_RESET, STATUS_RESPONSE, STATUS_TOUCH_WAIT, STATUS_WRITE_PENDING, unpadChallenge, withResponseCrc } from '../token/index.ts';
import { readJsonFile, writePrivateJson } from '../files/index.ts';

export interface VirtualHidTokenOptions {
  /** HMAC-SHA1 secrets (typically 20 bytes) per slot; an unset slot ignores challenges. */
  slot1?: Uint8Array;
  slot2?: Uint8Array;
  /** Answer only after `touch()`; until then the status byte is 0x20. */
  requireTouch?: boolean;
  /** Slots that need a touch (as a slot configured with "require touch"), besides `requireTouch`. */
  touchSlots?: ReadonlyArray<1 | 2>;
  /** Give up a touch wait after this many ms (the token goes idle, as a real one does). */
  touchTimeoutMs?: number;
  /** Reads that report write pending (0x80) after each written chunk. Default 0. */
  busyReadsPerWrite?: number;
  /** Firmware version shown in the idle status report. */
  version?: readonly [number, number, number];
}

type State = 'idle' | 'touch' | 'response';

export class VirtualHidToken implements HidDevice {
  readonly #secrets = new Map<number, Uint8Array>();
  readonly #requireTouch: boolean;
  readonly #touchCommands: Set<number>;
  readonly #touchTimeoutMs: number | undefined;
  readonly #busyReadsPerWrite: number;
  readonly #version: readonly [number, number, number];
  #frame: Uint8Array = new Uint8Array(FRAME_SIZE);
  #state: State = 'idle';
  #pending: Uint8Array | undefined;
  #touchSince = 0;
  #response: Uint8Array = new Uint8Array(0);
  #readSeq = 0;
  #gone = false;
  #closed = false;
  readonly #pgmSeq = 1;

  /** Reads that will still report write pending; tests may set it (Infinity = stuck). */
  busyReads = 0;
  /** Every report written (without report id), for assertions. */
  readonly written: Uint8Array[] = [];
  /** Frames dropped because their CRC did not match. */
  crcErrors = 0;
  /** Challenges answered. */
  answered = 0;

  constructor(options: VirtualHidTokenOptions = {}) {
    if (options.slot1) this.#secrets.set(SLOT_CHAL_HMAC1, options.slot1.slice());
    if (options.slot2) this.#secrets.set(SLOT_CHAL_HMAC2, options.slot2.slice());
    this.#requireTouch = options.requireTouch ?? false;
    this.#touchCommands = new Set((options.touchSlots ?? []).map((n) => (n === 1 ? SLOT_CHAL_HMAC1 : SLOT_CHAL_HMAC2)));
    this.#touchTimeoutMs = options.touchTimeoutMs;
    this.#busyReadsPerWrite = options.busyReadsPerWrite ?? 0;
    this.#version = options.version ?? [5, 4, 3];
  }

  /** The token is waiting for a touch. */
  get waitingForTouch(): boolean {
    return this.#state === 'touch';
  }

  touch(): void {
    if (this.#state === 'touch' && this.#pending) this.#serve(this.#pending);
  }

  unplug(): void {
    this.#gone = true;
  }

  close(): void {
    this.#closed = true;
  }

  #checkPresent(what: 'send' | 'get'): void {
    if (this.#gone || this.#closed) {
      throw new Error(what === 'send' ? 'could not send feature report to device' : 'could not get feature report from device');
    }
  }

  sendFeatureReport(data: number[] | Buffer): number {
    this.#checkPresent('send');
    const bytes = Uint8Array.from(data);
    if (bytes.length !== REPORT_SIZE + 1 || bytes[0] !== 0) {
      throw new Error(`virtual token: expected report id 0 and 8 report bytes, got ${bytes.length} bytes`);
    }
    const report = bytes.slice(1);
    this.written.push(report);
    const status = report[REPORT_DATA_SIZE] ?? 0;
    if (status === STATUS_RESET) {
      this.#state = 'idle';
      this.#pending = undefined;
      this.#response = new Uint8Array(0);
      this.#readSeq = 0;
      return bytes.length;
    }
    if (status & STATUS_WRITE_PENDING) {
      const seq = status & 0x1f;
      if (seq >= FRAME_CHUNKS) return bytes.length; // e.g. a dummy "update only" write
      if (seq === 0) this.#frame = new Uint8Array(FRAME_SIZE); // skipped chunks stay zero
      this.#frame.set(report.subarray(0, REPORT_DATA_SIZE), seq * REPORT_DATA_SIZE);
      this.busyReads = Math.max(this.busyReads, this.#busyReadsPerWrite);
      if (seq === FRAME_CHUNKS - 1) this.#process(this.#frame);
    }
    return bytes.length;
  }

  #process(frame: Uint8Array): void {
    const payload = frame.subarray(0, PAYLOAD_SIZE);
    const slot = frame[64] ?? 0;
    const crc = (frame[65] ?? 0) | ((frame[66] ?? 0) << 8);
    if (crc16(payload) !== crc) {
      this.crcErrors++;
      this.#state = 'idle';
      return;
    }
    const secret = this.#secrets.get(slot);
    if (!secret) {
      this.#state = 'idle'; // unknown command or unconfigured slot: the token stays silent
      return;
    }
    const hmac = createHmac('sha1', secret).update(unpadChallenge(payload)).digest();
    this.answered++;
    const withCrc = withResponseCrc(new Uint8Array(hmac));
    const padded = new Uint8Array(Math.ceil(withCrc.length / REPORT_DATA_SIZE) * REPORT_DATA_SIZE);
    padded.set(withCrc, 0);
    if (this.#requireTouch || this.#touchCommands.has(slot)) {
      this.#pending = padded;
      this.#state = 'touch';
      this.#touchSince = Date.now();
    } else {
      this.#serve(padded);
    }
  }

  #serve(response: Uint8Array): void {
    this.#pending = undefined;
    this.#response = response;
    this.#readSeq = 0;
    this.#state = 'response';
  }

  getFeatureReport(reportId: number, length: number): number[] {
    this.#checkPresent('get');
    const report = new Uint8Array(REPORT_SIZE);
    if (
      this.#state === 'touch' &&
      this.#touchTimeoutMs !== undefined &&
      Date.now() - this.#touchSince > this.#touchTimeoutMs
    ) {
      this.#state = 'idle';
      this.#pending = undefined;
    }
    if (this.busyReads > 0) {
      this.busyReads--;
      report[REPORT_DATA_SIZE] = STATUS_WRITE_PENDING;
    } else if (this.#state === 'response') {
      const chunks = this.#response.length / REPORT_DATA_SIZE;
      const seq = this.#readSeq;
      report.set(this.#response.subarray(seq * REPORT_DATA_SIZE, (seq + 1) * REPORT_DATA_SIZE), 0);
      report[REPORT_DATA_SIZE] = STATUS_RESPONSE | seq;
      this.#readSeq = (seq + 1) % chunks;
    } else {
      // status report: version, programming sequence, touch level
      report.set([0, this.#version[0], this.#version[1], this.#version[2], this.#pgmSeq, 0, 0], 0);
      if (this.#state === 'touch') report[REPORT_DATA_SIZE] = STATUS_TOUCH_WAIT;
    }
    return [reportId, ...report].slice(0, Math.max(0, length));
  }
}

export const VIRTUAL_TOKEN_FILE_VERSION = 1;
/** HMAC-SHA1 slot secrets are at most 20 bytes, as on the real token. */
export const MAX_SLOT_SECRET_BYTES = 20;

export interface VirtualHidSlotFile {
  /** The HMAC-SHA1 secret, hex, 1 to 20 bytes. */
  secret: string;
  touch: boolean;
}

export interface VirtualHidTokenFile {
  version: 1;
  kind: 'hid-otp-token';
  /** The serial, as the token's management interface reports it. */
  serial: number;
  /** Firmware version "major.minor.patch", shown in the status report. */
  firmware: string;
  slots: { '1'?: VirtualHidSlotFile; '2'?: VirtualHidSlotFile };
}

export type VirtualTokenErrorCode =
  | 'VIRTUAL_TOKEN_NOT_FOUND'
  | 'VIRTUAL_TOKEN_UNREADABLE'
  | 'VIRTUAL_TOKEN_INVALID'
  | 'VIRTUAL_TOKEN_WRITE_FAILED';

export class VirtualTokenError extends CodedError<VirtualTokenErrorCode> {}

const TOKEN_FIELDS = ['version', 'kind', 'serial', 'firmware', 'slots'];

/** Checks a parsed token file; `source` names it in messages. Secrets are never quoted. */
export function validateVirtualHidTokenFile(value: unknown, source = '(in memory)'): VirtualHidTokenFile {
  const bad = (field: string, problem: string): never => {
    throw new VirtualTokenError('VIRTUAL_TOKEN_INVALID', `virtual token ${source}: ${field} ${problem}`);
  };
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(value)) return bad('the file', 'must be a JSON object');
  for (const key of Object.keys(value)) if (!TOKEN_FIELDS.includes(key)) bad(key, 'is not a virtual token field');
  if (value.version !== VIRTUAL_TOKEN_FILE_VERSION) bad('version', `must be ${VIRTUAL_TOKEN_FILE_VERSION}`);
  if (value.kind !== 'hid-otp-token') bad('kind', 'must be "hid-otp-token"');
  const serial = value.serial;
  if (typeof serial !== 'number' || !Number.isInteger(serial) || serial < 1 || serial > 0xffffffff) bad('serial', 'must be an integer from 1 to 4294967295');
  const firmware = value.firmware;
  if (typeof firmware !== 'string' || !/^\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(firmware) || firmware.split('.').some((n) => Number(n) > 255)) {
    bad('firmware', 'must be "major.minor.patch" (each 0-255)');
  }
  if (!isObject(value.slots)) return bad('slots', 'must be an object');
  const slots: VirtualHidTokenFile['slots'] = {};
  for (const [name, slot] of Object.entries(value.slots)) {
    if (name !== '1' && name !== '2') bad(`slots.${name}`, 'is not a slot (1 or 2)');
    if (!isObject(slot)) return bad(`slots.${name}`, 'must be an object');
    for (const key of Object.keys(slot)) if (key !== 'secret' && key !== 'touch') bad(`slots.${name}.${key}`, 'is not a slot field');
    const secret = slot.secret;
    if (typeof secret !== 'string' || !/^([0-9a-f]{2}){1,20}$/.test(secret)) bad(`slots.${name}.secret`, `must be 1 to ${MAX_SLOT_SECRET_BYTES} bytes of lower-case hex`);
    if (typeof slot.touch !== 'boolean') bad(`slots.${name}.touch`, 'must be true or false');
    slots[name as '1' | '2'] = { secret: secret as string, touch: slot.touch as boolean };
  }
  if (!slots['1'] && !slots['2']) bad('slots', 'must configure slot 1 or 2');
  return { version: 1, kind: 'hid-otp-token', serial: serial as number, firmware: firmware as string, slots };
}

export interface CreateVirtualHidTokenOptions {
  /** 1 to 20 bytes; 20 random bytes by default. */
  secret?: Uint8Array;
  /** The slot to configure; 2 by default, the slot challenge-response tools use. */
  slot?: 1 | 2;
  touch?: boolean;
  serial?: number;
}

/** A new token file with one slot configured for HMAC-SHA1 challenge-response. */
export function createVirtualHidTokenFile(options: CreateVirtualHidTokenOptions = {}): VirtualHidTokenFile {
  const secret = options.secret ?? new Uint8Array(randomBytes(MAX_SLOT_SECRET_BYTES));
  if (secret.length < 1 || secret.length > MAX_SLOT_SECRET_BYTES) {
    throw new VirtualTokenError('VIRTUAL_TOKEN_INVALID', `cannot create a virtual token: the secret must be 1 to ${MAX_SLOT_SECRET_BYTES} bytes`);
  }
  const slot = options.slot ?? 2;
  return validateVirtualHidTokenFile({
    version: VIRTUAL_TOKEN_FILE_VERSION,
    kind: 'hid-otp-token',
    serial: options.serial ?? randomInt(10_000_000, 100_000_000),
    firmware: '5.4.3',
    slots: { [String(slot)]: { secret: Buffer.from(secret).toString('hex'), touch: options.touch ?? false } },
  });
}

export async function loadVirtualHidTokenFile(file: string): Promise<VirtualHidTokenFile> {
  const value = await readJsonFile(file, (f) =>
    f.kind === 'missing'
      ? new VirtualTokenError('VIRTUAL_TOKEN_NOT_FOUND', `no virtual token file at ${file}`)
      : f.kind === 'unreadable'
        ? new VirtualTokenError('VIRTUAL_TOKEN_UNREADABLE', `cannot read the virtual token file ${file} (${f.errno})`, { cause: f.cause })
        : new VirtualTokenError('VIRTUAL_TOKEN_INVALID', `virtual token ${file}: not JSON (corrupt or truncated)`),
  );
  return validateVirtualHidTokenFile(value, file);
}

/** Validates, then writes atomically with mode 0600 (the file holds the secrets). */
export async function saveVirtualHidTokenFile(file: string, token: VirtualHidTokenFile): Promise<void> {
  const checked = validateVirtualHidTokenFile(token);
  try {
    await writePrivateJson(file, checked);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new VirtualTokenError('VIRTUAL_TOKEN_WRITE_FAILED', `cannot write the virtual token file ${file} (${code ?? 'error'})`, { cause: e });
  }
}

/** The token a file describes (validated first). */
export function virtualHidTokenFromFile(data: VirtualHidTokenFile, options: Pick<VirtualHidTokenOptions, 'touchTimeoutMs' | 'busyReadsPerWrite'> = {}): VirtualHidToken {
  const checked = validateVirtualHidTokenFile(data);
  const secret = (s: VirtualHidSlotFile | undefined) => (s ? new Uint8Array(Buffer.from(s.secret, 'hex')) : undefined);
  const [major, minor, patch] = checked.firmware.split('.').map(Number) as [number, number, number];
  const touchSlots = ([1, 2] as const).filter((n) => checked.slots[String(n) as '1' | '2']?.touch);
  return new VirtualHidToken({
    ...options,
    ...(checked.slots['1'] ? { slot1: secret(checked.slots['1']) } : {}),
    ...(checked.slots['2'] ? { slot2: secret(checked.slots['2']) } : {}),
    touchSlots,
    version: [major, minor, patch],
  });
}
