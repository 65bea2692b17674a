/**
 * ReaderMonitor.settled(), with a fake binding that behaves as npm pcsclite does: the readers
 * pcscd lists come as one batch of 'reader' events, each reports its state afterwards. The
 * picture is whole once they have reported, with no quiet wait; with no reader, the wait is kept.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReaderMonitor } from '../../../src/pcsc/readerMonitor.ts';
import { fakeContext, fakeReader } from '../../support/fakePcsclite.ts';

describe('ReaderMonitor.settled', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] }));
  afterEach(() => vi.useRealTimers());

  it('resolves as soon as every reader of the batch has reported, without the quiet wait', async () => {
    const context = fakeContext();
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
    const context = fakeContext();
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
    const context = fakeContext();
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
