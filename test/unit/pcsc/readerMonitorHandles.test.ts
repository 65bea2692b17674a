/**
 * One card handle per reader object, as npm pcsclite has it: a new connection to a reader waits
 * until pcscd has confirmed the previous handle's disconnect. With the real binding the two run
 * on libuv's thread pool in either order (a connect that overtook the disconnect would have its
 * new handle closed under it), so the order is shown here with a binding whose disconnect
 * answers when the test says.
 */
import { describe, expect, it } from 'vitest';
import { ReaderMonitor } from '../../../src/pcsc/readerMonitor.ts';
import { fakeContext, fakeReader } from '../../support/fakePcsclite.ts';

function heldReader(name: string) {
  const calls: string[] = [];
  const disconnects: Array<() => void> = [];
  const reader = fakeReader(name, {
    connect(_options: unknown, cb: (err: Error | undefined, protocol: number) => void) {
      calls.push('connect');
      setImmediate(() => cb(undefined, 2));
    },
    disconnect(_disposition: number, cb: (err?: Error) => void) {
      calls.push('disconnect');
      disconnects.push(() => cb());
    },
    transmit(_data: Buffer, _len: number, _protocol: number, cb: (err: Error | undefined, data: Buffer) => void) {
      calls.push('transmit');
      setImmediate(() => cb(undefined, Buffer.from([0x90, 0x00])));
    },
  });
  return { reader, calls, disconnects };
}

const ticks = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('ReaderMonitor: card handles of one reader', () => {
  it('connects a reader again only once the previous handle is disconnected (closing does not wait for it)', async () => {
    const context = fakeContext();
    const monitor = new ReaderMonitor({ factory: () => context }).start();
    const { reader, calls, disconnects } = heldReader('A 00 00');
    context.emit('reader', reader);
    reader.emit('status', { state: 0x20, atr: Buffer.from([0x3b, 0x00]) });

    const first = await monitor.connect('A 00 00');
    await first.transmit(Uint8Array.of(0x00, 0xa4, 0x04, 0x00));
    let closed = false;
    void first.close().then(() => (closed = true));
    const second = monitor.connect('A 00 00');
    await ticks(5);
    expect(calls).toEqual(['connect', 'transmit', 'disconnect']);
    expect(closed).toBe(false);

    disconnects.shift()!();
    const transport = await second;
    expect(calls).toEqual(['connect', 'transmit', 'disconnect', 'connect']);
    expect(closed).toBe(true);
    expect(await transport.transmit(Uint8Array.of(0x00, 0xa4, 0x04, 0x00))).toEqual(Uint8Array.of(0x90, 0x00));
    await monitor.close();
  });
});
