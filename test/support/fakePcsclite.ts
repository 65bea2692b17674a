/**
 * A stand-in for npm pcsclite's context and reader objects, for the ReaderMonitor tests that
 * must order the binding's events and callbacks themselves (the real binding runs them on
 * libuv's thread pool in whatever order it will). The constants are pcsclite's.
 */
import { EventEmitter } from 'node:events';
import type { PcscliteContext, PcscliteReader } from '../../src/pcsc/pcscliteBinding.ts';

export function fakeContext(): PcscliteContext & EventEmitter {
  return Object.assign(new EventEmitter(), { close: () => undefined }) as unknown as PcscliteContext & EventEmitter;
}

/** A reader named `name`; `methods` (connect, transmit, disconnect…) as the test needs them. */
export function fakeReader(name: string, methods: Record<string, unknown> = {}): PcscliteReader & EventEmitter {
  const reader = Object.assign(new EventEmitter(), {
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
    ...methods,
  });
  return reader as unknown as PcscliteReader & EventEmitter;
}
