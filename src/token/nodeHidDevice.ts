/**
 * An open node-hid device as a HidDevice. node-hid throws plain Errors ("could not get
 * feature report from device", "could not send feature report to device", "Cannot access
 * closed device", ...) when a token is unplugged or its handle is gone; here they become
 * HidTokenError TOKEN_REMOVED, with the original as `cause`. Reports pass through unchanged:
 * report id 0 first on writes, and reads in node-hid's shape (report id first on hidraw).
 */
import { type HidDevice, HidTokenError, hidError } from './hidDevice.ts';

/** The methods of node-hid's synchronous `HID` class used here. */
export interface NodeHidHandle {
  sendFeatureReport(data: number[] | Buffer): number;
  getFeatureReport(reportId: number, length: number): number[] | Buffer;
  close(): void;
}

export class NodeHidDevice implements HidDevice {
  readonly #handle: NodeHidHandle;
  #closed = false;

  constructor(handle: NodeHidHandle) {
    this.#handle = handle;
  }

  #call<T>(what: string, fn: () => T): T {
    if (this.#closed) throw hidError('TOKEN_REMOVED', `${what} on a closed device`);
    try {
      return fn();
    } catch (cause) {
      if (cause instanceof HidTokenError) throw cause;
      throw hidError('TOKEN_REMOVED', `${what} failed`, cause);
    }
  }

  sendFeatureReport(data: number[] | Buffer): number {
    return this.#call('writing a feature report', () => this.#handle.sendFeatureReport(data));
  }

  getFeatureReport(reportId: number, length: number): number[] | Buffer {
    return this.#call('reading a feature report', () => this.#handle.getFeatureReport(reportId, length));
  }

  /** Idempotent; a handle that fails to close (already gone) is not an error. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#handle.close();
    } catch {
      // the device is gone already; nothing left to release
    }
  }
}
