/**
 * The slice of the npm `pcsclite` binding we use, typed, and loaded lazily so that a machine
 * without the native module (or without libpcsclite) gets a typed error, not a crash at import.
 */
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';
import { PcscError } from './errors.ts';

export interface PcscliteReader extends EventEmitter {
  readonly name: string;
  readonly connected: boolean;
  readonly SCARD_SHARE_SHARED: number;
  readonly SCARD_SHARE_EXCLUSIVE: number;
  readonly SCARD_PROTOCOL_T0: number;
  readonly SCARD_PROTOCOL_T1: number;
  readonly SCARD_LEAVE_CARD: number;
  readonly SCARD_STATE_PRESENT: number;
  readonly SCARD_STATE_EMPTY: number;
  readonly SCARD_STATE_MUTE: number;
  readonly SCARD_STATE_EXCLUSIVE: number;
  readonly SCARD_STATE_INUSE: number;
  readonly SCARD_STATE_UNAVAILABLE: number;
  connect(options: { share_mode?: number; protocol?: number }, cb: (err: Error | undefined, protocol: number) => void): void;
  disconnect(disposition: number, cb: (err?: Error) => void): void;
  transmit(data: Buffer, resLen: number, protocol: number, cb: (err: Error | undefined, data: Buffer) => void): void;
  control(data: Buffer, controlCode: number, resLen: number, cb: (err: Error | undefined, data: Buffer) => void): void;
  SCARD_CTL_CODE(code: number): number;
  close(): void;
}

export interface PcscliteContext extends EventEmitter {
  close(): void;
}

export type PcscliteFactory = () => PcscliteContext;

let factory: PcscliteFactory | undefined;

export function loadPcsclite(): PcscliteFactory {
  if (!factory) {
    try {
      factory = createRequire(import.meta.url)('pcsclite') as PcscliteFactory;
    } catch (cause) {
      throw new PcscError(
        'PCSC_UNAVAILABLE',
        'The PC/SC binding (npm pcsclite) could not be loaded. Install libpcsclite-dev and run npm ci again (native/setup-pcsc.sh does both).',
        { cause },
      );
    }
  }
  return factory;
}

/** pcsclite.h: the largest extended APDU response plus the status word. */
export const MAX_RESPONSE_LENGTH = 65536 + 2;
