/**
 * ReaderMonitor.settled(), with a fake binding that behaves as npm pcsclite does: the readers
 * pcscd lists come as one batch of 'reader' events, each reports its state afterwards. The
 * picture is whole once they have reported, with no quiet wait; with no reader, the wait is kept.
 */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PcscliteContext, PcscliteReader } from '../../../src/pcsc/pcscliteBinding.ts';
import { ReaderMonitor } from '../../../src/pcsc/readerMonitor.ts';

function fakeReader(name: string): PcscliteReader {
  const r = Object.assign(new EventEmitter(), {
    name,
    connected: false,
    SCARD_SHARE_SHARED: 2,
    SCARD_SHARE_EXCLUSIVE: 1,
    SCARD_PROTOCOL_T0: 1,
    SCARD_PROTOCOL_T1: 2,
    SCARD_LEAVE_CARD: 0,
    SCARD_STATE_PRESENT: 0x20,
    SCARD_STATE_EMPTY: 0x10,
    SCARD_STATE_MUTE: 0x200,
    SCARD_STATE_EXCLUSIVE: 0x80,
    SCARD_STATE_INUSE: 0x100,
    close: () => undefined,
  });
  return r as unknown as PcscliteReader;
}

describe('ReaderMonitor.settled', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] }));
  afterEach(() => vi.useRealTimers());

  it('resolves as soon as every reader of the batch has reported, without the quiet wait', async () => {
    const context = new EventEmitter() as unknown as PcscliteContext & EventEmitter;
    Object.assign(context, { close: () => undefined });
    const monitor = new ReaderMonitor({ factory: () => context }).start();
    const readers = [fakeReader('A 00 00'), fakeReader('B 00 00')];
    for (const r of readers) context.emit('reader', r);
    let settled = false;
    void monitor.settled().then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(40);
    expect(settled).toBe(false); // the states have not come yet
    for (const r of readers) r.emit('status', { state: 0x10 });
    await vi.advanceTimersByTimeAsync(40);
    expect(settled).toBe(true);
    expect(monitor.readers().map((r) => r.name)).toEqual(['A 00 00', 'B 00 00']);
    await monitor.close();
  });

  it('resolves on the last report itself, with no timer in between (no polling period to wait out)', async () => {
    const context = new EventEmitter() as unknown as PcscliteContext & EventEmitter;
    Object.assign(context, { close: () => undefined });
    const monitor = new ReaderMonitor({ factory: () => context }).start();
    const readers = [fakeReader('A 00 00'), fakeReader('B 00 00')];
    for (const r of readers) context.emit('reader', r);
    let settled = false;
    void monitor.settled().then(() => (settled = true));
    readers[0]!.emit('status', { state: 0x10 });
    await Promise.resolve();
    expect(settled).toBe(false); // B has not reported
    readers[1]!.emit('status', { state: 0x20, atr: Buffer.from([0x3b, 0x00]) });
    await Promise.resolve();
    await Promise.resolve();
    expect(settled).toBe(true);
    await monitor.close();
  });

  it('resolves when pcscd is found down, at once', async () => {
    const monitor = new ReaderMonitor({ factory: () => { throw new Error('no pcscd'); } }).start();
    let settled = false;
    void monitor.settled().then(() => (settled = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(settled).toBe(true);
    expect(monitor.unavailableReason?.code).toBe('PCSC_UNAVAILABLE');
    await monitor.close();
  });

  it('with no reader listed, waits the quiet time before saying there is none', async () => {
    const context = new EventEmitter() as unknown as PcscliteContext & EventEmitter;
    Object.assign(context, { close: () => undefined });
    const monitor = new ReaderMonitor({ factory: () => context }).start();
    let settled = false;
    void monitor.settled().then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(100);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(settled).toBe(true);
    await monitor.close();
  });
});
