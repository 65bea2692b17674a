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
 */
import { createHmac } from 'node:crypto';
import type { HidDevice } from '../token/hidDevice.ts';
import {
  FRAME_CHUNKS,
  FRAME_SIZE,
  PAYLOAD_SIZE,
  REPORT_DATA_SIZE,
  REPORT_SIZE,
  SLOT_CHAL_HMAC1,
  SLOT_CHAL_HMAC2,
  STATUS_RESET,
  STATUS_RESPONSE,
  STATUS_TOUCH_WAIT,
  STATUS_WRITE_PENDING,
  crc16,
  unpadChallenge,
  withResponseCrc,
} from '../token/hidFrames.ts';

export interface VirtualHidTokenOptions {
  /** HMAC-SHA1 secrets (typically 20 bytes) per slot; an unset slot ignores challenges. */
  slot1?: Uint8Array;
  slot2?: Uint8Array;
  /** Answer only after `touch()`; until then the status byte is 0x20. */
  requireTouch?: boolean;
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
    if (this.#requireTouch) {
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
