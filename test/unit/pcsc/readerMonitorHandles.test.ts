/**
 * One card handle per reader object, as npm pcsclite has it: a new connection to a reader waits
 * until pcscd has confirmed the previous handle's disconnect. With the real binding the two run
 * on libuv's thread pool in either order (a connect that overtook the disconnect would have its
 * new handle closed under it), so the order is shown here with a binding whose disconnect
 * answers when the test says.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { PcscliteContext, PcscliteReader } from '../../../src/pcsc/pcscliteBinding.ts';
import { ReaderMonitor } from '../../../src/pcsc/readerMonitor.ts';

function heldReader(name: string) {
  const calls: string[] = [];
  const disconnects: Array<() => void> = [];
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
    close: () => undefined,
  });
  return { reader: r as unknown as PcscliteReader & EventEmitter, calls, disconnects };
}

const ticks = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('ReaderMonitor: card handles of one reader', () => {
  it('connects a reader again only once the previous handle is disconnected (closing does not wait for it)', async () => {
    const context = Object.assign(new EventEmitter(), { close: () => undefined }) as unknown as PcscliteContext & EventEmitter;
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
