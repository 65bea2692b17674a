/**
 * The PC/SC layer against the real pcscd + vpcd: our reader monitor and pcsclite transport
 * with a software card plugged into vpcd, and pcscd stopped and started under them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { transceive } from '../../src/iso7816/apduProtocol.ts';
import { parseAtr } from '../../src/iso7816/atr.ts';
import { toHex } from '../../src/iso7816/hex.ts';
import { ReaderMonitor, type ReaderEvent } from '../../src/pcsc/readerMonitor.ts';
import { FileSystemCard, FILE_SYSTEM_CARD_ATR, DEFAULT_FILES, testPattern } from '../../src/virtual/fileSystemCard.ts';
import { VpcdLink } from '../../src/virtual/vpcdLink.ts';
import { holdTransaction } from '../support/holdTransaction.ts';
import { startVicc } from '../support/vicc.ts';
import { requireSystem, restartPcscd, startPcscd, stopPcscd, vpcdPorts, vpcdReaders } from '../support/pcscd.ts';

const available = await requireSystem('pcscd', 'vicc');

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const READER = vpcdReaders[0];

describe.skipIf(!available)('ReaderMonitor and PcscliteTransport on pcscd + vpcd', () => {
  let monitor: ReaderMonitor;
  let events: ReaderEvent[];
  let link: VpcdLink | undefined;

  const insert = async (card = new FileSystemCard()) => {
    link = new VpcdLink(card, { port: vpcdPorts[0] });
    await link.start();
    await monitor.waitFor((e) => e.type === 'card-inserted' && e.reader === READER, 5000);
    return card;
  };

  beforeAll(async () => {
    await startPcscd();
    monitor = new ReaderMonitor({ retryMs: 200 });
    events = [];
    monitor.on('event', (e) => events.push(e));
    monitor.start();
    await monitor.settled();
  });

  afterEach(async () => {
    if (!link) return;
    await link.stop();
    link = undefined;
    // The next insert() must not mistake this card, still reported present, for its own.
    if (monitor.available) await waitUntil(() => !monitor.readers().find((r) => r.name === READER)?.present);
  });

  afterAll(async () => {
    await monitor?.close();
    await startPcscd();
  });

  it('lists both vpcd readers, empty at first', () => {
    const names = monitor.readers().map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining([...vpcdReaders]));
    expect(monitor.readers().find((r) => r.name === READER)).toMatchObject({ present: false, mute: false });
  });

  it('reports an inserted card with its ATR and identification, and its removal', async () => {
    events.length = 0;
    await insert();
    const inserted = events.find((e) => e.type === 'card-inserted');
    expect(inserted).toMatchObject({ reader: READER });
    expect(toHex((inserted as { atr: Uint8Array }).atr)).toBe(toHex(FILE_SYSTEM_CARD_ATR));
    expect(inserted).toMatchObject({ identity: { name: 'e-kort virtual ISO 7816 test card', kind: 'virtual' } });
    expect(monitor.readers().find((r) => r.name === READER)).toMatchObject({ present: true });
    await link!.stop();
    await monitor.waitFor((e) => e.type === 'card-removed' && e.reader === READER, 5000);
    expect(monitor.readers().find((r) => r.name === READER)?.present).toBe(false);
  });

  it('exchanges APDUs: SELECT, and a 3000-byte file read with extended Le', async () => {
    await insert();
    const t = await monitor.connect(READER);
    try {
      expect(parseAtr(t.atr).supportsExtendedLength).toBe(true);
      const select = await transceive((a) => t.transmit(a), { cla: 0, ins: 0xa4, p1: 0, p2: 0x0c, data: Uint8Array.of(DEFAULT_FILES.large >> 8, DEFAULT_FILES.large & 0xff) });
      expect(select.sw).toBe(0x9000);
      const read = await t.transaction((tx) => transceive(tx, { cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 3000 }, { extendedLength: true }));
      expect(read.sw).toBe(0x9000);
      expect(toHex(read.data)).toBe(toHex(testPattern(3000, 2)));
    } finally {
      await t.close();
    }
  });

  it('follows 61xx with GET RESPONSE for a T=0 card through pcscd', async () => {
    await insert(new FileSystemCard({ t0: true }));
    const t = await monitor.connect(READER);
    try {
      await t.transaction(async (tx) => {
        const sel = await transceive(tx, { cla: 0, ins: 0xa4, p1: 0, p2: 0x0c, data: Uint8Array.of(DEFAULT_FILES.medium >> 8, DEFAULT_FILES.medium & 0xff) });
        expect(sel.sw).toBe(0x9000);
        const read = await transceive(tx, { cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 256 });
        expect(toHex(read.data)).toBe(toHex(testPattern(300, 1).subarray(0, 256)));
      });
    } finally {
      await t.close();
    }
  });

  it('fails a transmit after the card was pulled with CARD_REMOVED, and keeps failing at once', async () => {
    await insert();
    const t = await monitor.connect(READER);
    await link!.stop();
    await monitor.waitFor((e) => e.type === 'card-removed', 5000);
    await expect(t.transmit(Uint8Array.of(0, 0xa4, 0, 0x0c, 2, 0x3f, 0))).rejects.toMatchObject({ code: 'CARD_REMOVED' });
    const t0 = Date.now();
    await expect(t.transmit(Uint8Array.of(0, 0xb0, 0, 0, 1))).rejects.toMatchObject({ code: 'CARD_REMOVED' });
    expect(Date.now() - t0).toBeLessThan(100);
    await t.close();
    await expect(monitor.connect(READER)).rejects.toMatchObject({ code: 'NO_CARD' });
  });

  it('gives READER_NOT_FOUND with the list of readers for an unknown name', async () => {
    await expect(monitor.connect('No Such Reader')).rejects.toMatchObject({
      code: 'READER_NOT_FOUND',
      message: expect.stringContaining('Virtual PCD 00 00'),
    });
  });

  it('reports SHARING_VIOLATION while another program holds the card exclusively', async () => {
    await insert();
    const other = new ReaderMonitor().start();
    await other.settled();
    const exclusive = await other.connect(READER, { share: 'exclusive' });
    try {
      await expect(monitor.connect(READER)).rejects.toMatchObject({ code: 'SHARING_VIOLATION' });
    } finally {
      await exclusive.close();
      await other.close();
    }
    const shared = await monitor.connect(READER);
    expect((await shared.transmit(Uint8Array.of(0, 0xa4, 0, 0x0c, 2, 0x3f, 0))).at(-2)).toBe(0x90);
    await shared.close();
  });

  it("waits while another program holds a PC/SC transaction, and goes on once it ends", async () => {
    await insert();
    const other = await holdTransaction(READER);
    const started = performance.now();
    const connecting = monitor.connect(READER);
    await new Promise((r) => setTimeout(r, 400));
    await other.release();
    const transport = await connecting;
    expect(performance.now() - started).toBeGreaterThanOrEqual(350);
    expect((await transport.transmit(Uint8Array.of(0, 0xa4, 0, 0x0c, 2, 0x3f, 0))).at(-2)).toBe(0x90);
    await transport.close();
  });

  it('gives CARD_BUSY when another program keeps its transaction past the deadline, without blocking the event loop', async () => {
    await insert();
    const busy = new ReaderMonitor({ connect: { connectTimeoutMs: 500 } }).start();
    await busy.settled();
    const other = await holdTransaction(READER);
    // The longest the event loop went without running a timer, from here to the release.
    let last = performance.now();
    let longestGap = 0;
    const ticker = setInterval(() => {
      longestGap = Math.max(longestGap, performance.now() - last);
      last = performance.now();
    }, 10);
    try {
      const started = performance.now();
      await expect(busy.connect(READER)).rejects.toMatchObject({ code: 'CARD_BUSY', message: expect.stringContaining('Another program') });
      expect(performance.now() - started).toBeLessThan(3000);
      // pcscd still holds our SCardConnect: closing must not wait for it on the event loop.
      await busy.close();
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      clearInterval(ticker);
      await other.release();
    }
    expect(longestGap).toBeLessThan(1000);
    const transport = await monitor.connect(READER);
    expect((await transport.transmit(Uint8Array.of(0, 0xa4, 0, 0x0c, 2, 0x3f, 0))).at(-2)).toBe(0x90);
    await transport.close();
  });

  it('shares one handle and one queue between two transports on the same card', async () => {
    await insert();
    const a = await monitor.connect(READER);
    const b = await monitor.connect(READER);
    const order: string[] = [];
    const inA = a.transaction(async (tx) => {
      order.push('a1');
      await tx(Uint8Array.of(0, 0x84, 0, 0, 8));
      await new Promise((r) => setTimeout(r, 20));
      order.push('a2');
      await tx(Uint8Array.of(0, 0x84, 0, 0, 8));
    });
    const inB = b.transmit(Uint8Array.of(0, 0x84, 0, 0, 8)).then(() => order.push('b'));
    await Promise.all([inA, inB]);
    expect(order).toEqual(['a1', 'a2', 'b']);
    await a.close();
    // b still works after a closed: the handle is released only with the last transport.
    expect((await b.transmit(Uint8Array.of(0, 0x84, 0, 0, 8))).length).toBe(10);
    await b.close();
  });

  it("works with Debian's vicc, a card written by another project", async () => {
    const vicc = await startVicc({ port: vpcdPorts[1] });
    try {
      const inserted = await monitor.waitFor((e) => e.type === 'card-inserted' && e.reader === vpcdReaders[1], 5000);
      expect(inserted).toMatchObject({ identity: { name: 'vsmartcard vicc ISO 7816 card' } });
      const t = await monitor.connect(vpcdReaders[1]);
      try {
        const challenge = await transceive((a) => t.transmit(a), { cla: 0, ins: 0x84, p1: 0, p2: 0, le: 8 });
        expect(challenge.sw).toBe(0x9000);
        expect(challenge.data.length).toBe(8);
        const unknown = await transceive((a) => t.transmit(a), { cla: 0, ins: 0x02, p1: 0, p2: 0 });
        expect(unknown.sw >> 8).toBe(0x6d);
      } finally {
        await t.close();
      }
    } finally {
      await vicc.stop();
    }
    await waitUntil(() => !monitor.readers().find((r) => r.name === vpcdReaders[1])?.present);
  });

  it('recovers when pcscd stops and starts again: state true again within 5 s', async () => {
    await insert();
    const t = await monitor.connect(READER);
    events.length = 0;
    await stopPcscd();
    await monitor.waitFor((e) => e.type === 'pcsc-down', 5000);
    expect(monitor.available).toBe(false);
    expect(monitor.readers()).toEqual([]);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['card-removed', 'reader-removed', 'pcsc-down']));
    await expect(t.transmit(Uint8Array.of(0, 0xb0, 0, 0, 1))).rejects.toMatchObject({ code: expect.stringMatching(/PCSC_UNAVAILABLE|CARD_REMOVED|READER_GONE/) });
    await expect(monitor.connect(READER)).rejects.toMatchObject({ code: 'PCSC_UNAVAILABLE' });
    await startPcscd();
    const back = Date.now();
    // The vpcd link reconnects on its own; the monitor must see the reader and the card again.
    await monitor.waitFor((e) => e.type === 'card-inserted' && e.reader === READER, 5000);
    expect(Date.now() - back).toBeLessThan(5000);
    expect(monitor.available).toBe(true);
    const again = await monitor.connect(READER);
    expect((await again.transmit(Uint8Array.of(0, 0xa4, 0, 0x0c, 2, 0x3f, 0))).at(-2)).toBe(0x90);
    await again.close();
    await t.close();
  });

  it('starts without pcscd, reports it down, and comes up when pcscd starts', async () => {
    await stopPcscd();
    const late = new ReaderMonitor({ retryMs: 200 });
    const seen: string[] = [];
    late.on('event', (e) => seen.push(e.type));
      late.start();
    try {
      await late.settled();
      expect(late.available).toBe(false);
      expect(late.unavailableReason?.code).toBe('PCSC_UNAVAILABLE');
      await expect(late.connect(READER)).rejects.toMatchObject({ code: 'PCSC_UNAVAILABLE' });
      await restartPcscd();
      await late.waitFor((e) => e.type === 'reader-added' && e.reader === READER, 5000);
      expect(seen[0]).toBe('pcsc-down');
      expect(seen).toContain('pcsc-up');
    } finally {
      await late.close();
    }
  });
});
