/**
 * Record and replay of HID feature-report exchanges (format: hidFixture.ts), the HID
 * counterpart of the PC/SC RecordingTransport/ReplayTransport. Both are HidDevices, so the
 * HID OTP session runs over them unchanged.
 *
 * Recordings hold every byte, challenge and response included: record only test tokens with
 * test secrets. The secret itself never crosses the HID interface.
 */
import { readFile } from 'node:fs/promises';
import { FixtureError, toHex } from '../iso7816/index.ts';
import type { HidDevice } from './hidDevice.ts';
import { type HidFixtureCall, formatGet, formatSend, parseHidFixture } from './hidFixture.ts';

/** Wraps any HidDevice and writes each call as a fixture line. */
export class RecordingHidDevice implements HidDevice {
  readonly #inner: HidDevice;
  readonly #lines: string[];

  constructor(inner: HidDevice, comment?: string) {
    this.#inner = inner;
    this.#lines = comment === undefined ? [] : comment.split('\n').map((l) => `# ${l}`);
  }

  sendFeatureReport(data: number[] | Buffer): number {
    const bytes = Uint8Array.from(data);
    try {
      const n = this.#inner.sendFeatureReport(data);
      this.#lines.push(formatSend(bytes));
      return n;
    } catch (e) {
      this.#lines.push(formatSend(bytes, (e as Error)?.message ?? String(e)));
      throw e;
    }
  }

  getFeatureReport(reportId: number, length: number): number[] | Buffer {
    try {
      const result = this.#inner.getFeatureReport(reportId, length);
      this.#lines.push(formatGet(reportId, length, Uint8Array.from(result)));
      return result;
    } catch (e) {
      this.#lines.push(formatGet(reportId, length, undefined, (e as Error)?.message ?? String(e)));
      throw e;
    }
  }

  close(): void {
    this.#inner.close();
  }

  fixtureText(): string {
    return `${this.#lines.join('\n')}\n`;
  }
}

const hex = (b: Uint8Array): string => toHex(b, ' ');

function firstDifference(expected: Uint8Array, got: Uint8Array): string {
  const n = Math.min(expected.length, got.length);
  for (let i = 0; i < n; i++) {
    if (expected[i] !== got[i]) return `byte ${i} is ${hex(got.subarray(i, i + 1))}, recorded ${hex(expected.subarray(i, i + 1))}`;
  }
  return `${got.length} bytes, recorded ${expected.length}`;
}

/**
 * Plays a fixture back strictly in order: a call of the other kind, other arguments or other
 * bytes than recorded fails with REPLAY_MISMATCH naming the fixture line and the first byte
 * that differs; a call past the end REPLAY_EXHAUSTED; `finish()` REPLAY_UNUSED when recorded
 * calls are left. Recorded `! message` lines throw a plain Error, as node-hid does.
 */
export class ReplayHidDevice implements HidDevice {
  readonly #calls: HidFixtureCall[];
  readonly #name: string;
  #next = 0;
  closed = false;

  constructor(calls: HidFixtureCall[], name = 'fixture') {
    this.#calls = calls;
    this.#name = name;
  }

  static fromText(text: string, name?: string): ReplayHidDevice {
    return new ReplayHidDevice(parseHidFixture(text), name);
  }

  static async fromFile(path: string): Promise<ReplayHidDevice> {
    return ReplayHidDevice.fromText(await readFile(path, 'utf8'), path);
  }

  #take(what: string): HidFixtureCall {
    const call = this.#calls[this.#next];
    if (!call) throw new FixtureError('REPLAY_EXHAUSTED', `${this.#name}: ${what} after the last recorded call`);
    this.#next++;
    return call;
  }

  #mismatch(call: HidFixtureCall, detail: string): FixtureError {
    return new FixtureError('REPLAY_MISMATCH', `${this.#name} line ${call.line}: ${detail}`, call.line);
  }

  sendFeatureReport(data: number[] | Buffer): number {
    const bytes = Uint8Array.from(data);
    const call = this.#take(`> ${hex(bytes)}`);
    if (call.kind !== 'send') throw this.#mismatch(call, `recorded a getFeatureReport, got > ${hex(bytes)}`);
    if (hex(call.data) !== hex(bytes)) {
      throw this.#mismatch(call, `expected > ${hex(call.data)}, got > ${hex(bytes)} (${firstDifference(call.data, bytes)})`);
    }
    if (call.error !== undefined) throw new Error(call.error);
    return bytes.length;
  }

  getFeatureReport(reportId: number, length: number): number[] {
    const call = this.#take(`getFeatureReport(${reportId}, ${length})`);
    if (call.kind !== 'get') throw this.#mismatch(call, `expected > ${hex(call.data)}, got getFeatureReport(${reportId}, ${length})`);
    if (call.reportId !== reportId || call.length !== length) {
      throw this.#mismatch(call, `recorded getFeatureReport(${call.reportId}, ${call.length}), got getFeatureReport(${reportId}, ${length})`);
    }
    if (call.error !== undefined || !call.result) throw new Error(call.error ?? 'HID call failed');
    return Array.from(call.result);
  }

  close(): void {
    this.closed = true;
  }

  get remaining(): number {
    return this.#calls.length - this.#next;
  }

  finish(): void {
    const left = this.#calls[this.#next];
    if (left) {
      throw new FixtureError('REPLAY_UNUSED', `${this.#name}: ${this.remaining} recorded call(s) left unused, from line ${left.line}`, left.line);
    }
  }
}
