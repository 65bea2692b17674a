/**
 * HMAC-SHA1 challenge-response with a YubiKey-style token over its OTP HID interface
 * (docs/protocols.md, "HID OTP challenge-response"). The session takes an open HidDevice and never
 * opens or closes devices itself.
 *
 * Flow: wait (bounded) until the token's write-pending bit is clear, send the frame's chunks
 * (each after the token is ready again), poll for response chunks 0x40|seq, report a touch
 * wait (0x20) once through onTouch, check the response CRC, and always leave the token's read
 * state reset (7 zero bytes + 0xFF). Every wait is bounded by the overall timeout; the
 * write-ready waits also by `busyTimeoutMs`.
 */
import { EkortError } from '../errors.ts';
import { type HidDevice, HidTokenError, hidError } from './hidDevice.ts';
import {
  HMAC_RESPONSE_SIZE,
  MAX_CHALLENGE_SIZE,
  REPORT_DATA_SIZE,
  REPORT_SIZE,
  RESET_REPORT,
  SEQUENCE_MASK,
  STATUS_RESPONSE,
  STATUS_TOUCH_WAIT,
  STATUS_WRITE_PENDING,
  buildFrame,
  frameChunks,
  padChallenge,
  parseResponse,
  slotCommand,
} from './hidFrames.ts';

export interface ChallengeResponseOptions {
  slot: 1 | 2;
  /** Called once when the token signals that it waits for a touch. */
  onTouch?: () => void;
  signal?: AbortSignal;
  /** Overall bound for the exchange, touch included. Default 15000. */
  timeoutMs?: number;
  /** Poll interval. Default 10. */
  pollMs?: number;
}

export interface HidOtpSessionOptions {
  /** Bound for each wait on the write-pending bit before a chunk is written. Default 1000. */
  busyTimeoutMs?: number;
}

const REPORT_ID = 0;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class HidOtpSession {
  readonly #device: HidDevice;
  readonly #busyTimeoutMs: number;
  #inUse = false;

  constructor(device: HidDevice, options: HidOtpSessionOptions = {}) {
    this.#device = device;
    this.#busyTimeoutMs = options.busyTimeoutMs ?? 1000;
  }

  /** Sends one 8-byte report (report id 0 prepended, node-hid style). */
  #write(report: Uint8Array): void {
    let written: number;
    try {
      written = this.#device.sendFeatureReport([REPORT_ID, ...report]);
    } catch (e) {
      if (e instanceof EkortError) throw e; // already typed by the transport (or a replay mismatch)
      throw hidError('TOKEN_REMOVED', 'writing a feature report failed', e);
    }
    if (written < 0) throw hidError('TOKEN_REMOVED', 'writing a feature report failed');
  }

  /** Reads one 8-byte report (7 data bytes + status), with or without the leading report id. */
  #read(): Uint8Array {
    let raw: number[] | Buffer;
    try {
      raw = this.#device.getFeatureReport(REPORT_ID, REPORT_SIZE + 1);
    } catch (e) {
      if (e instanceof EkortError) throw e; // already typed by the transport (or a replay mismatch)
      throw hidError('TOKEN_REMOVED', 'reading a feature report failed', e);
    }
    const bytes = Uint8Array.from(raw);
    if (bytes.length >= REPORT_SIZE + 1) return bytes.slice(1, REPORT_SIZE + 1);
    if (bytes.length === REPORT_SIZE) return bytes;
    throw hidError('TOKEN_REMOVED', `the device returned a ${bytes.length}-byte feature report`);
  }

  #resetQuietly(): void {
    try {
      this.#write(RESET_REPORT);
    } catch {
      // the token is gone or broken; the original error is what the caller needs
    }
  }

  async challengeResponse(challenge: Uint8Array, options: ChallengeResponseOptions): Promise<Uint8Array> {
    const { slot, onTouch, signal } = options;
    const timeoutMs = options.timeoutMs ?? 15000;
    const pollMs = Math.max(0, options.pollMs ?? 10);
    if (slot !== 1 && slot !== 2) throw new EkortError('OTP_INVALID_INPUT', 'slot must be 1 or 2');
    if (challenge.length < 1 || challenge.length > MAX_CHALLENGE_SIZE) {
      throw new EkortError(
        'OTP_INVALID_INPUT',
        `challenge is ${challenge.length} bytes, 1 to ${MAX_CHALLENGE_SIZE} allowed (variable-length HMAC mode)`,
      );
    }
    if (!(timeoutMs > 0)) throw new EkortError('OTP_INVALID_INPUT', 'timeoutMs must be positive');
    if (this.#inUse) throw hidError('TOKEN_BUSY', 'another exchange runs on this session');
    if (signal?.aborted) throw hidError('TOKEN_CANCELLED');

    this.#inUse = true;
    const deadline = Date.now() + timeoutMs;
    let touchSeen = false;
    let resetNeeded = false;

    const checkAbort = (): void => {
      if (signal?.aborted) throw hidError('TOKEN_CANCELLED');
    };
    const checkDeadline = (): void => {
      if (Date.now() >= deadline) throw hidError(touchSeen ? 'TOUCH_TIMEOUT' : 'TOKEN_TIMEOUT');
    };
    const pause = async (): Promise<void> => {
      await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())), signal);
      checkAbort();
    };
    /** Bounded wait until the write-pending bit is clear; returns the last status report. */
    const awaitWritable = async (): Promise<Uint8Array> => {
      const busyUntil = Math.min(deadline, Date.now() + this.#busyTimeoutMs);
      for (;;) {
        checkAbort();
        const report = this.#read();
        if (!((report[7] ?? 0) & STATUS_WRITE_PENDING)) return report;
        if (Date.now() >= busyUntil) {
          checkDeadline();
          throw hidError('TOKEN_BUSY', 'the token kept its write-pending flag set');
        }
        await pause();
      }
    };

    try {
      const frame = buildFrame(slotCommand(slot), padChallenge(challenge));
      const first = await awaitWritable();
      if ((first[7] ?? 0) & STATUS_RESPONSE) {
        // a response left over from an earlier, interrupted exchange: drop it first
        this.#write(RESET_REPORT);
      }
      resetNeeded = true;
      let firstChunk = true;
      for (const chunk of frameChunks(frame)) {
        if (!firstChunk) await awaitWritable();
        firstChunk = false;
        this.#write(chunk);
      }

      const response: number[] = [];
      let nextSeq = 0;
      for (;;) {
        checkAbort();
        const report = this.#read();
        const status = report[7] ?? 0;
        if (status & STATUS_RESPONSE) {
          const seq = status & SEQUENCE_MASK;
          if (seq === nextSeq) {
            response.push(...report.subarray(0, REPORT_DATA_SIZE));
            nextSeq++;
            if (response.length >= HMAC_RESPONSE_SIZE) break;
            continue; // the next response chunk is ready at once; no sleep
          }
          if (seq === 0 && nextSeq > 0) break; // the token wrapped around: transmission complete
          // out-of-order chunk: poll again after a pause, still bounded by the deadline
        } else if (status & STATUS_TOUCH_WAIT) {
          if (!touchSeen) {
            touchSeen = true;
            onTouch?.();
          }
        } else if (!(status & STATUS_WRITE_PENDING)) {
          // idle: the token dropped the command (touch wait expired, or slot not configured / bad frame)
          if (touchSeen) throw hidError('TOUCH_TIMEOUT', 'the token stopped waiting for a touch');
          throw hidError('TOKEN_REJECTED', `no answer for slot ${slot}`);
        }
        checkDeadline();
        await pause();
        checkDeadline();
      }

      const hmac = parseResponse(Uint8Array.from(response));
      resetNeeded = false;
      this.#write(RESET_REPORT);
      return hmac;
    } catch (e) {
      if (resetNeeded && !(e instanceof HidTokenError && e.code === 'TOKEN_REMOVED')) this.#resetQuietly();
      throw e;
    } finally {
      this.#inUse = false;
    }
  }
}
