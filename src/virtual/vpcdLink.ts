/**
 * Plugs a SoftwareCard into vsmartcard's vpcd reader driver (inside pcscd), so every PC/SC
 * application on the machine sees it in "Virtual PCD 00 00" (port 35963) or "... 00 01"
 * (35964), or into a slot of ekort's own driver (native/ifd: "ekort Reader 00 0N", over a
 * Unix-domain socket, see ekortReaders.ts). The card is the client; the driver is the server.
 * ekort's PIN-pad reader adds FF 50 / FF 51 frames: a secure PIN entry (virtualPinPad.ts). Wire format (both ways): a 2-byte
 * big-endian length, then the payload. A 1-byte payload from vpcd is a control (power off,
 * power on, reset, send ATR); anything longer is a command APDU.
 *
 * Power on, power off and reset all call card.reset(), and so does every new link to the
 * driver (the card put in again): a real card loses its volatile state (selected file,
 * verified PIN) on every one of them, and pcscd powers a card up and down on its own schedule,
 * so a card that kept state across them would behave unlike a real one.
 */
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import net from 'node:net';
import { EkortError } from '../errors.ts';
import type { SoftwareCard } from '../pcsc/index.ts';
import { type Keypad, runPinEntry } from './virtualPinPad.ts';

export const VPCD_DEFAULT_HOST = '127.0.0.1';
/** vpcd's first slot; the second listens on the next port. */
export const VPCD_DEFAULT_PORT = 35963;

/** vpcd control bytes (vsmartcard vpcd.h: VPCD_CTRL_OFF / ON / RESET / ATR). */
export const VPCD_CTRL_OFF = 0x00;
export const VPCD_CTRL_ON = 0x01;
export const VPCD_CTRL_RESET = 0x02;
export const VPCD_CTRL_ATR = 0x04;

// Linux <netinet/tcp.h>: IPPROTO_TCP and TCP_QUICKACK.
const IPPROTO_TCP = 6;
const TCP_QUICKACK = 12;

/** ekort's PIN-pad frames: FF 50 || PIN_VERIFY_STRUCTURE, FF 51 || PIN_MODIFY_STRUCTURE (native/ifd/ekort_ifd.c). */
const PIN_PAD_VERIFY = 0x50;
const PIN_PAD_MODIFY = 0x51;

const SW_NO_PRECISE_DIAGNOSIS = Uint8Array.of(0x6f, 0x00);

export type VpcdLinkState = 'connecting' | 'inserted' | 'stopped';

export interface VpcdLinkLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface VpcdLinkOptions {
  host?: string;
  port?: number;
  /** A Unix-domain socket instead of host and port (ekort's own driver). */
  path?: string;
  /** The PIN pad's keypad, for a PIN-pad slot. */
  keypad?: Keypad;
  /** First delay before reconnecting; doubles per failed attempt up to maxReconnectDelayMs. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** How long start() waits for the first connection before it rejects. */
  connectTimeoutMs?: number;
  /** Re-arm TCP_QUICKACK after every read (Linux only); see docs/protocols.md, vpcd. */
  quickAck?: boolean;
  logger?: VpcdLinkLogger;
}

export class VpcdUnreachableError extends EkortError {
  readonly host: string;
  readonly port: number;
  readonly path: string | undefined;

  constructor(host: string, port: number, timeoutMs: number, path?: string) {
    super(
      'VPCD_UNREACHABLE',
      path === undefined
        ? `No vpcd virtual reader is listening on ${host}:${port} (waited ${timeoutMs} ms). ` +
            'Start pcscd with the vsmartcard vpcd driver, e.g. with the setup script in native/ ' +
            'or `pcscd --foreground` as root once vsmartcard-vpcd is installed.'
        : `No ekort reader slot is listening on ${path} (waited ${timeoutMs} ms). ` +
            'Install ekort\'s reader driver and restart pcscd: native/setup-pcsc.sh (as root, or with sudo).',
    );
    this.host = host;
    this.port = port;
    this.path = path;
  }
}

/** One frame as vpcd expects it: length and payload in a single buffer, so one write. */
export function encodeVpcdFrame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(payload.length + 2);
  out.writeUInt16BE(payload.length, 0);
  out.set(payload, 2);
  return out;
}

/**
 * Incremental frame parser: feed it TCP chunks in order, it returns the complete payloads.
 * A zero length is a protocol error (vpcd never sends one): push() throws an EkortError
 * VPCD_PROTOCOL then.
 */
export class VpcdFrameReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Uint8Array): Buffer[] {
    let buf = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (len === 0) throw new EkortError('VPCD_PROTOCOL', 'vpcd sent a zero-length frame');
      if (buf.length < 2 + len) break;
      frames.push(buf.subarray(2, 2 + len));
      buf = buf.subarray(2 + len);
    }
    // Copy the remainder so a large chunk is not kept alive by a small tail.
    this.pending = buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf);
    return frames;
  }
}

type SetSockOpt = (socket: net.Socket, level: number, option: number, value: number) => void;
let setsockoptFn: SetSockOpt | null | undefined;

function loadSetsockopt(): SetSockOpt | null {
  if (setsockoptFn === undefined) {
    try {
      const mod = createRequire(import.meta.url)('sockopt') as { setsockopt: SetSockOpt };
      setsockoptFn = mod.setsockopt;
    } catch {
      setsockoptFn = null;
    }
  }
  return setsockoptFn;
}

export class VpcdLink extends EventEmitter<{ state: [VpcdLinkState] }> {
  readonly host: string;
  readonly port: number;
  readonly path: string | undefined;
  private readonly keypad: Keypad | undefined;
  private readonly card: SoftwareCard;
  private readonly baseDelay: number;
  private readonly maxDelay: number;
  private readonly connectTimeoutMs: number;
  private readonly logger: VpcdLinkLogger | undefined;
  private quickAck: boolean;

  private _state: VpcdLinkState = 'stopped';
  private running = false;
  private socket: net.Socket | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private delay: number;
  private outageLogged = false;
  private firstConnect: { resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | null = null;
  private startPromise: Promise<void> | null = null;

  constructor(card: SoftwareCard, options: VpcdLinkOptions = {}) {
    super();
    this.card = card;
    this.host = options.host ?? VPCD_DEFAULT_HOST;
    this.port = options.port ?? VPCD_DEFAULT_PORT;
    this.path = options.path;
    this.keypad = options.keypad;
    this.baseDelay = options.reconnectDelayMs ?? 100;
    this.maxDelay = Math.max(this.baseDelay, options.maxReconnectDelayMs ?? 1000);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.quickAck = (options.quickAck ?? true) && process.platform === 'linux' && options.path === undefined;
    this.logger = options.logger;
    this.delay = this.baseDelay;
  }

  /** Where the reader listens, for messages. */
  get endpoint(): string {
    return this.path ?? `${this.host}:${this.port}`;
  }

  get state(): VpcdLinkState {
    return this._state;
  }

  /**
   * Connects to vpcd and keeps reconnecting until stop(). Resolves once connected (the card is
   * then inserted in the reader); rejects with VpcdUnreachableError after connectTimeoutMs, and
   * then stops trying. Calling it again while running returns the same promise.
   */
  start(): Promise<void> {
    if (this.startPromise) return this.startPromise;
    this.running = true;
    this.delay = this.baseDelay;
    this.startPromise = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.firstConnect = null;
        void this.stop().then(() => reject(new VpcdUnreachableError(this.host, this.port, this.connectTimeoutMs, this.path)));
      }, this.connectTimeoutMs);
      this.firstConnect = { resolve, reject, timer };
    });
    this.connect();
    return this.startPromise;
  }

  /**
   * Closes the connection (every application sees the card removed); resolves once closed.
   * A start() still waiting for its first connection rejects with VPCD_STOPPED.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.startPromise = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.firstConnect) {
      clearTimeout(this.firstConnect.timer);
      this.firstConnect.reject(new EkortError('VPCD_STOPPED', 'the vpcd link was stopped before it connected'));
      this.firstConnect = null;
    }
    const socket = this.socket;
    if (socket && !socket.closed) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.destroy();
      });
    }
    this.socket = null;
    this.setState('stopped');
  }

  private setState(state: VpcdLinkState): void {
    if (state === this._state) return;
    this._state = state;
    this.emit('state', state);
  }

  private connect(): void {
    this.retryTimer = null;
    if (!this.running) return;
    this.setState('connecting');
    const socket = net.connect(this.path === undefined ? { host: this.host, port: this.port } : { path: this.path });
    this.socket = socket;
    const reader = new VpcdFrameReader();
    const queue: Buffer[] = [];
    let busy = false;

    const pump = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        while (queue.length > 0 && this.socket === socket) {
          let reply = this.handle(queue.shift()!);
          if (reply instanceof Promise) reply = await reply;
          if (reply && this.socket === socket && !socket.destroyed) socket.write(encodeVpcdFrame(reply));
        }
      } finally {
        busy = false;
      }
    };

    socket.on('connect', () => {
      // A new link is a card put in again: a real one lost its power, and with it a verified
      // PIN, when it was out. pcscd powers it up only if one of its polls saw it gone, which a
      // quick reconnect can slip between.
      this.card.reset();
      if (this.path === undefined) socket.setNoDelay(true);
      this.armQuickAck(socket);
      this.delay = this.baseDelay;
      if (this.outageLogged) this.logger?.info(`vpcd at ${this.endpoint} reachable again`);
      this.outageLogged = false;
      this.setState('inserted');
      if (this.firstConnect) {
        clearTimeout(this.firstConnect.timer);
        this.firstConnect.resolve();
        this.firstConnect = null;
      }
    });
    socket.on('data', (chunk: Buffer) => {
      this.armQuickAck(socket);
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch (e) {
        this.logger?.warn(`vpcd link: ${(e as Error).message}; reconnecting`);
        socket.destroy();
        return;
      }
      // The common case, one command and a card that answers at once, skips the queue's promise.
      if (!busy && queue.length === 0 && frames.length === 1) {
        const reply = this.handle(frames[0]!);
        if (!(reply instanceof Promise)) {
          if (reply && !socket.destroyed) socket.write(encodeVpcdFrame(reply));
          return;
        }
        busy = true;
        void reply
          .then((r) => {
            if (r && this.socket === socket && !socket.destroyed) socket.write(encodeVpcdFrame(r));
          })
          .finally(() => {
            busy = false;
            void pump();
          });
        return;
      }
      queue.push(...frames);
      void pump();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (!this.outageLogged && this.running) {
        this.logger?.warn(`vpcd at ${this.endpoint}: ${e.code ?? e.name}; retrying until it is back`);
        this.outageLogged = true;
      }
    });
    socket.on('close', () => {
      if (this.socket !== socket || !this.running) return;
      this.socket = null;
      this.setState('connecting');
      this.retryTimer = setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, this.maxDelay);
    });
  }

  /** Reply payload for one frame, or undefined when vpcd expects none. */
  private handle(frame: Buffer): Uint8Array | undefined | Promise<Uint8Array> {
    if (frame.length === 1) {
      switch (frame[0]) {
        case VPCD_CTRL_ATR:
          return this.card.atr;
        case VPCD_CTRL_OFF:
        case VPCD_CTRL_ON:
        case VPCD_CTRL_RESET:
          this.card.reset();
          return undefined;
        default:
          this.logger?.warn(`vpcd link: unknown control byte 0x${frame[0]!.toString(16)} ignored`);
          return undefined;
      }
    }
    if (frame[0] === 0xff && (frame[1] === PIN_PAD_VERIFY || frame[1] === PIN_PAD_MODIFY)) {
      const kind = frame[1] === PIN_PAD_VERIFY ? 'verify' : 'modify';
      return runPinEntry(kind, frame.subarray(2), this.keypad, async (apdu) => this.card.process(apdu)).catch((e: unknown) => this.failed(e));
    }
    try {
      const out = this.card.process(frame);
      return out instanceof Promise ? out.catch((e: unknown) => this.failed(e)) : out;
    } catch (e) {
      return this.failed(e);
    }
  }

  private failed(e: unknown): Uint8Array {
    // The class only: a message could quote command data (a PIN).
    const kind = e instanceof Error ? e.constructor.name : typeof e;
    this.logger?.warn(`vpcd link: card.process threw ${kind}; answered 6F00`);
    return SW_NO_PRECISE_DIAGNOSIS;
  }

  // The kernel clears TCP_QUICKACK as it goes, so it is set again after every read.
  private armQuickAck(socket: net.Socket): void {
    if (!this.quickAck) return;
    try {
      const set = loadSetsockopt();
      if (!set) throw new Error('sockopt not loadable');
      set(socket, IPPROTO_TCP, TCP_QUICKACK, 1);
    } catch (e) {
      this.quickAck = false;
      this.logger?.warn(`vpcd link: TCP_QUICKACK unavailable (${(e as Error).message}); APDUs may take ~40 ms each`);
    }
  }
}
