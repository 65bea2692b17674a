/**
 * VpcdLink against a scripted peer playing vpcd's side of the socket (framing, controls,
 * reconnects). The real pcscd + vpcd run in test/integration/vpcdLink.test.ts.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isEkortError } from '../../../src/errors.ts';
import { fromHex, toHex } from '../../../src/iso7816/hex.ts';
import type { SoftwareCard } from '../../../src/pcsc/cardTransport.ts';
import { FILE_SYSTEM_CARD_ATR, FileSystemCard } from '../../../src/virtual/fileSystemCard.ts';
import { VpcdFrameReader, VpcdLink, encodeVpcdFrame, type VpcdLinkState } from '../../../src/virtual/vpcdLink.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One accepted connection, seen from vpcd's side. */
class Peer {
  readonly chunks: Buffer[] = [];
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  readonly closed: Promise<void>;

  constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => {
      this.chunks.push(c);
      this.buf = Buffer.concat([this.buf, c]);
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((r) => socket.on('close', () => r()));
  }

  write(hex: string): void {
    this.socket.write(fromHex(hex));
  }

  /** The next frame from the card, as hex. */
  async frame(timeoutMs = 2000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buf.length >= 2) {
        const len = this.buf.readUInt16BE(0);
        if (this.buf.length >= 2 + len) {
          const out = this.buf.subarray(2, 2 + len);
          this.buf = this.buf.subarray(2 + len);
          return toHex(out, ' ');
        }
      }
      if (Date.now() > deadline) throw new Error('no frame from the card');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  get buffered(): number {
    return this.buf.length;
  }
}

class FakeVpcd {
  readonly server = net.createServer();
  private peers: Peer[] = [];
  private sockets = new Set<net.Socket>();
  private waiters: Array<(p: Peer) => void> = [];
  port = 0;

  async listen(port = 0): Promise<void> {
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      const p = new Peer(s);
      const w = this.waiters.shift();
      if (w) w(p);
      else this.peers.push(p);
    });
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  next(): Promise<Peer> {
    const p = this.peers.shift();
    return p ? Promise.resolve(p) : new Promise((r) => this.waiters.push(r));
  }

  /** Stops listening and drops every connection (server.close alone waits for them). */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

/** A card that records resets and answers APDUs from a script. */
class ScriptCard implements SoftwareCard {
  readonly atr = fromHex('3b 80 80 01 01');
  resets = 0;
  behaviour: (apdu: Uint8Array) => Uint8Array | Promise<Uint8Array> = () => fromHex('90 00');
  reset(): void {
    this.resets++;
  }
  process(apdu: Uint8Array): Uint8Array | Promise<Uint8Array> {
    return this.behaviour(apdu);
  }
}

function logs() {
  const lines: string[] = [];
  return { lines, logger: { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) } };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(card: SoftwareCard = new FileSystemCard(), options: Record<string, unknown> = {}) {
  const vpcd = new FakeVpcd();
  await vpcd.listen();
  const log = logs();
  const link = new VpcdLink(card, { port: vpcd.port, logger: log.logger, ...options });
  const states: VpcdLinkState[] = [];
  link.on('state', (s) => states.push(s));
  cleanups.push(async () => {
    await link.stop();
    await vpcd.close();
  });
  await link.start();
  const peer = await vpcd.next();
  return { vpcd, link, peer, states, log };
}

describe('encodeVpcdFrame / VpcdFrameReader', () => {
  it('frames with a big-endian length and reassembles split and coalesced chunks', () => {
    expect(toHex(encodeVpcdFrame(fromHex('00 a4 04 00')), ' ')).toBe('00 04 00 a4 04 00');
    const r = new VpcdFrameReader();
    expect(r.push(fromHex('00'))).toEqual([]);
    expect(r.push(fromHex('01'))).toEqual([]);
    expect(r.push(fromHex('04 00 05 00 a4 00 0c'))).toEqual([Buffer.from([4])]);
    expect(r.push(fromHex('00 00 01 02 00 01'))).toEqual([Buffer.from(fromHex('00 a4 00 0c 00')), Buffer.from([2])]);
    expect(r.push(fromHex('00'))).toEqual([Buffer.from([0])]);
    expect(() => r.push(fromHex('00 00'))).toThrow(/zero-length/);
  });

  it('handles a 65535-byte frame', () => {
    const r = new VpcdFrameReader();
    const big = encodeVpcdFrame(new Uint8Array(65535).fill(7));
    expect(r.push(big.subarray(0, 30000))).toEqual([]);
    const [f] = r.push(big.subarray(30000));
    expect(f!.length).toBe(65535);
  });
});

describe('VpcdLink against a scripted vpcd', () => {
  it('connects, reports inserted and answers the ATR request', async () => {
    const { link, peer, states } = await setup();
    expect(link.state).toBe('inserted');
    expect(states).toEqual(['connecting', 'inserted']);
    peer.write('00 01 04');
    expect(await peer.frame()).toBe(toHex(FILE_SYSTEM_CARD_ATR, ' '));
  });

  it('resets the card on power off, power on and reset, and answers none of them', async () => {
    const card = new ScriptCard();
    const { peer } = await setup(card);
    const atConnect = card.resets;
    peer.write('00 01 00 00 01 01 00 01 02 00 01 04');
    expect(await peer.frame()).toBe('3b 80 80 01 01');
    expect(card.resets - atConnect).toBe(3);
    await sleep(30);
    expect(peer.buffered).toBe(0);
  });

  it('answers APDUs with card.process, each reply in one write', async () => {
    const { peer } = await setup();
    peer.write('00 07 00 a4 00 0c 02 01 01');
    expect(await peer.frame()).toBe('90 00');
    const before = peer.chunks.length;
    peer.write('00 05 00 b0 00 06 04');
    expect(await peer.frame()).toBe('74 65 73 74 90 00');
    // On loopback with TCP_NODELAY a single write arrives as a single chunk.
    expect(peer.chunks.slice(before).map((c) => c.length)).toEqual([8]);
  });

  it('reassembles frames split over many chunks and serves coalesced ones in order', async () => {
    const { peer } = await setup();
    for (const b of ['00', '07 00', 'a4 00 0c', '02 01', '03']) {
      peer.write(b);
      await sleep(5);
    }
    expect(await peer.frame()).toBe('90 00');
    peer.write('00 05 00 b0 00 00 02 00 01 04 00 07 00 b0 00 00 00 00 02');
    expect((await peer.frame()).length).toBe('xx xx 90 00'.length);
    expect(await peer.frame()).toBe(toHex(FILE_SYSTEM_CARD_ATR, ' '));
    expect((await peer.frame()).split(' ').length).toBe(4);
  });

  it('keeps the order when the card answers asynchronously', async () => {
    const card = new ScriptCard();
    card.behaviour = async (apdu) => {
      await sleep(apdu[2] === 1 ? 30 : 0);
      return Uint8Array.of(apdu[2]!, 0x90, 0x00);
    };
    const { peer } = await setup(card);
    peer.write('00 04 00 00 01 00 00 04 00 00 02 00');
    expect(await peer.frame()).toBe('01 90 00');
    expect(await peer.frame()).toBe('02 90 00');
  });

  it('answers 6F00 when card.process throws and logs only the error class', async () => {
    const card = new ScriptCard();
    class SecretLeak extends Error {}
    card.behaviour = (apdu) => {
      if (apdu[1] === 0x20) throw new SecretLeak('PIN 1234 was wrong');
      if (apdu[1] === 0x21) return Promise.reject(new TypeError('PIN 1234'));
      return fromHex('90 00');
    };
    const { peer, log } = await setup(card);
    peer.write('00 09 00 20 00 01 04 31 32 33 34');
    expect(await peer.frame()).toBe('6f 00');
    peer.write('00 04 00 21 00 00');
    expect(await peer.frame()).toBe('6f 00');
    peer.write('00 04 00 22 00 00');
    expect(await peer.frame()).toBe('90 00');
    expect(log.lines.join('\n')).toContain('SecretLeak');
    expect(log.lines.join('\n')).toContain('TypeError');
    expect(log.lines.join('\n')).not.toMatch(/1234|31 ?32/);
  });

  it('closes and reconnects on a zero-length frame', async () => {
    const { vpcd, peer, link, states } = await setup();
    peer.write('00 00');
    await peer.closed;
    const again = await vpcd.next();
    again.write('00 01 04');
    expect(await again.frame()).toBe(toHex(FILE_SYSTEM_CARD_ATR, ' '));
    expect(link.state).toBe('inserted');
    expect(states).toEqual(['connecting', 'inserted', 'connecting', 'inserted']);
  });

  it('resets the card on every new link, as a card put in again lost its power, whether or not vpcd powers it up', async () => {
    const card = new ScriptCard();
    const { vpcd, peer } = await setup(card, { reconnectDelayMs: 20, maxReconnectDelayMs: 80 });
    expect(card.resets).toBe(1);
    peer.socket.destroy();
    const second = await vpcd.next();
    // No control byte from vpcd on the new link: the reset is the link's own.
    second.write('00 05 00 20 00 80 00');
    expect(await second.frame()).toBe('90 00');
    expect(card.resets).toBe(2);
  });

  it('reconnects by itself when vpcd drops the connection or goes away for a while', async () => {
    const { vpcd, peer, link } = await setup(new FileSystemCard(), { reconnectDelayMs: 20, maxReconnectDelayMs: 80 });
    peer.socket.destroy();
    const second = await vpcd.next();
    second.write('00 01 04');
    expect(await second.frame()).toBe(toHex(FILE_SYSTEM_CARD_ATR, ' '));

    // The listener itself goes away (pcscd stopped), then comes back on the same port.
    const port = vpcd.port;
    second.socket.destroy();
    await vpcd.close();
    await sleep(50);
    expect(link.state).toBe('connecting');
    await sleep(250); // several refused attempts, backing off
    const back = new FakeVpcd();
    await back.listen(port);
    cleanups.push(() => back.close());
    const third = await back.next();
    third.write('00 01 04');
    expect(await third.frame()).toBe(toHex(FILE_SYSTEM_CARD_ATR, ' '));
    expect(link.state).toBe('inserted');
  });

  it('stop() closes the socket (vpcd sees the card removed) and leaves no handles', async () => {
    const count = () =>
      process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'Timeout').length;
    const baseline = count();
    const vpcd = new FakeVpcd();
    await vpcd.listen();
    const link = new VpcdLink(new FileSystemCard(), { port: vpcd.port });
    await link.start();
    const peer = await vpcd.next();
    await link.stop();
    expect(link.state).toBe('stopped');
    await peer.closed;
    await vpcd.close();
    await sleep(10);
    expect(count()).toBeLessThanOrEqual(baseline);
  });

  it('stop() during the reconnect backoff cancels the timer', async () => {
    const { vpcd, peer, link } = await setup(new FileSystemCard(), { reconnectDelayMs: 500 });
    await vpcd.close();
    await peer.closed;
    await sleep(50);
    expect(link.state).toBe('connecting');
    const timers = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    await link.stop();
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(timers - 1);
    expect(link.state).toBe('stopped');
  });

  it('start() rejects with VPCD_UNREACHABLE after the timeout, and stops trying', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const log = logs();
    const link = new VpcdLink(new FileSystemCard(), { port, connectTimeoutMs: 300, reconnectDelayMs: 20, logger: log.logger });
    const err = await link.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isEkortError(err, 'VPCD_UNREACHABLE')).toBe(true);
    expect((err as Error).message).toMatch(/pcscd/);
    expect(link.state).toBe('stopped');
    expect(log.lines.filter((l) => l.includes('ECONNREFUSED'))).toHaveLength(1); // logged once per outage
  });

  it('works with quickAck off, and can be started again after stop()', async () => {
    const { link, peer, vpcd, log } = await setup(new FileSystemCard(), { quickAck: false });
    peer.write('00 01 04');
    await peer.frame();
    await link.stop();
    await link.start();
    const again = await vpcd.next();
    again.write('00 05 00 84 00 00 08');
    expect((await again.frame()).split(' ')).toHaveLength(10);
    expect(log.lines.filter((l) => l.includes('QUICKACK'))).toEqual([]);
  });

  it('arms TCP_QUICKACK without complaint on Linux', async () => {
    const { peer, log } = await setup();
    peer.write('00 01 04');
    await peer.frame();
    expect(log.lines.filter((l) => l.includes('QUICKACK'))).toEqual([]);
  });
});
