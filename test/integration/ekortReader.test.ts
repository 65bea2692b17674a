/**
 * ekort's own reader driver (native/ifd) inside the real pcscd: cards plugged into its slots
 * over Unix-domain sockets, seen by OpenSC's opensc-tool and by our monitor and transport;
 * card events, APDUs byte for byte, one card per slot, pcscd restarts, and the PIN-pad
 * reader's secure PIN entry (PC/SC part 10) end to end with the PIV session.
 */
import { execFile } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/iso7816/hex.ts';
import { ReaderMonitor } from '../../src/pcsc/readerMonitor.ts';
import { PinPad } from '../../src/piv/pinPad.ts';
import { PivSession } from '../../src/piv/pivSession.ts';
import { createCardImage } from '../../src/virtual/cardImage.ts';
import { ekortReaderSlot } from '../../src/virtual/ekortReaders.ts';
import { FILE_SYSTEM_CARD_ATR, FileSystemCard, testPattern } from '../../src/virtual/fileSystemCard.ts';
import { VirtualPivCard } from '../../src/virtual/pivCard.ts';
import type { Keypad, PinEntryRequest, PinEntryResult } from '../../src/virtual/virtualPinPad.ts';
import { VpcdLink } from '../../src/virtual/vpcdLink.ts';
import { thrown } from '../support/failures.ts';
import { openscTool } from '../support/opensc.ts';
import { EKORT_PIN_PAD, ekortReaders, findExecutable, OPENSC_PKCS11_MODULE, requireSystem, restartPcscd, startPcscd, waitForCard } from '../support/pcscd.ts';

const available = await requireSystem('pcscd', 'ekort-ifd', 'opensc-tool', 'pkcs15-tool', 'pkcs11-tool');
const ATR = toHex(FILE_SYSTEM_CARD_ATR, ' ').toUpperCase();
const hex = (b: Uint8Array): string => toHex(b, ' ').toUpperCase();

const pathOf = (reader: string): string => ekortReaderSlot(reader)!.path;

/** A keypad that answers with what the test says, and records what it was asked. */
class ScriptedKeypad implements Keypad {
  readonly requests: PinEntryRequest[] = [];
  constructor(private readonly answer: (request: PinEntryRequest) => Promise<PinEntryResult> | PinEntryResult) {}
  async enter(request: PinEntryRequest): Promise<PinEntryResult> {
    this.requests.push(request);
    return this.answer(request);
  }
}

describe.skipIf(!available)("ekort's reader driver in pcscd", () => {
  const links: VpcdLink[] = [];

  const plug = async (reader: string, card: ConstructorParameters<typeof VpcdLink>[0] = new FileSystemCard(), keypad?: Keypad): Promise<VpcdLink> => {
    const link = new VpcdLink(card, { path: pathOf(reader), connectTimeoutMs: 5000, ...(keypad ? { keypad } : {}) });
    links.push(link);
    await link.start();
    return link;
  };

  beforeAll(async () => {
    await startPcscd();
  });

  afterEach(async () => {
    await Promise.all(links.splice(0).map((l) => l.stop()));
    for (const reader of [...ekortReaders, EKORT_PIN_PAD]) await waitForCard(reader, { present: false });
  });

  afterAll(async () => {
    await startPcscd();
  });

  it('pcscd lists four slots and the PIN pad; OpenSC sees the PIN pad as one', async () => {
    const { stdout } = await openscTool(['-l']);
    for (const reader of ekortReaders) expect(stdout).toMatch(new RegExp(`No\\s+${reader}$`, 'm'));
    expect(stdout).toMatch(new RegExp(`No\\s+PIN pad\\s+${EKORT_PIN_PAD}$`, 'm'));
  });

  it("OpenSC's PKCS#11 module serves every reader, the PIN pad (the seventh) too: setup-pcsc.sh raised its 4-reader default", async () => {
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(findExecutable('pkcs11-tool')!, ['--module', OPENSC_PKCS11_MODULE, '-L'], { timeout: 20_000 }, (e, out, err) => (e ? reject(new Error(err || e.message)) : resolve(out))),
    );
    for (const reader of [...ekortReaders, EKORT_PIN_PAD]) expect(stdout).toContain(`): ${reader}\n`);
  });

  it('a card plugged in is a card event at once, with our ATR; pulling it is one too', async () => {
    const t0 = performance.now();
    const link = await plug(ekortReaders[0]);
    await waitForCard(ekortReaders[0], { atr: ATR, timeoutMs: 2000 });
    const inserted = performance.now() - t0;
    const { stdout } = await openscTool(['-r', ekortReaders[0], '-a']);
    expect(stdout.trim()).toBe(toHex(FILE_SYSTEM_CARD_ATR, ':'));
    const t1 = performance.now();
    await link.stop();
    await waitForCard(ekortReaders[0], { present: false, timeoutMs: 2000 });
    console.info(`card seen by pcscd ${inserted.toFixed(0)} ms after connecting, removal ${(performance.now() - t1).toFixed(0)} ms after closing`);
  });

  it('answers APDUs byte for byte through pcscd (opensc-tool), GET RESPONSE chains included', async () => {
    await plug(ekortReaders[1]);
    await waitForCard(ekortReaders[1], { atr: ATR });
    const echo = testPattern(255, 3);
    const { exchanges } = await openscTool([
      '-r', ekortReaders[1],
      '-s', '00 A4 00 0C 02 01 02',
      '-s', '00 B0 01 20 10',
      '-s', '80 EE 00 00 04 01 02 03 04 02',
      '-s', `80 EE 00 00 FF ${hex(echo)} 00`,
      '-s', '00 20 00 01 04 30 30 30 30',
      '-s', '00 CA 00 00 00',
    ]);
    expect(exchanges).toEqual([
      { sw: '9000', data: '' },
      { sw: '6282', data: hex(testPattern(300, 1).subarray(288)) },
      { sw: '9000', data: '01 02 03 04' },
      { sw: '9000', data: hex(echo) }, // 256 bytes: 61 FF, then GET RESPONSE
      { sw: '63C2', data: '' },
      { sw: '6D00', data: '' },
    ]);
  });

  it('four cards in four slots at once, each answering for itself; a second card in a taken slot is refused', async () => {
    const cards = ekortReaders.map(() => new FileSystemCard());
    await Promise.all(ekortReaders.map((reader, i) => plug(reader, cards[i])));
    for (const reader of ekortReaders) await waitForCard(reader, { atr: ATR });
    const results = await Promise.all(ekortReaders.map((reader) => openscTool(['-r', reader, '-s', '00 A4 00 0C 02 01 02', '-s', '00 B0 00 00 04'])));
    for (const { exchanges } of results) expect(exchanges.map((e) => e.sw)).toEqual(['9000', '9000']);

    const intruder = new VpcdLink(new FileSystemCard({ t0: true }), { path: pathOf(ekortReaders[2]), connectTimeoutMs: 5000, reconnectDelayMs: 50 });
    links.push(intruder);
    await intruder.start(); // the connection is accepted by the kernel, then closed by the driver
    await new Promise((r) => setTimeout(r, 300));
    const { stdout } = await openscTool(['-r', ekortReaders[2], '-a']);
    expect(stdout.trim()).toBe(toHex(FILE_SYSTEM_CARD_ATR, ':'));
  });

  it('a card stays plugged across a pcscd restart: visible again within 5 s of pcscd being back', async () => {
    const link = await plug(ekortReaders[3]);
    await waitForCard(ekortReaders[3], { atr: ATR });
    await restartPcscd();
    const back = Date.now();
    await waitForCard(ekortReaders[3], { atr: ATR, timeoutMs: 5000 });
    console.info(`card visible again ${Date.now() - back} ms after pcscd was back`);
    expect(link.state).toBe('inserted');
    const { exchanges } = await openscTool(['-r', ekortReaders[3], '-s', '00 A4 00 0C 02 3F 00']);
    expect(exchanges).toEqual([{ sw: '9000', data: '' }]);
  });

  describe('the PIN pad', () => {
    let monitor: ReaderMonitor;
    let card: VirtualPivCard;

    beforeAll(async () => {
      monitor = new ReaderMonitor({ retryMs: 200 }).start();
      await monitor.settled();
    });

    afterAll(async () => {
      await monitor.close();
    });

    const session = async (keypad: Keypad): Promise<{ piv: PivSession; close: () => Promise<void> }> => {
      card = new VirtualPivCard(await createCardImage({ name: 'Pad Holder', pin: '246810' }));
      await plug(EKORT_PIN_PAD, card, keypad);
      await monitor.waitFor((e) => e.type === 'card-inserted' && e.reader === EKORT_PIN_PAD, 5000);
      const transport = await monitor.connect(EKORT_PIN_PAD);
      const pinPad = await PinPad.detect(transport);
      expect(pinPad).toBeDefined();
      const piv = await PivSession.open(transport, { pinPad: pinPad! });
      return { piv, close: () => transport.close() };
    };

    it('the PIN typed on the reader verifies; the host never sees it', async () => {
      const keypad = new ScriptedKeypad(() => ({ pin: '246810' }));
      const { piv, close } = await session(keypad);
      try {
        expect(piv.usesPinPad).toBe(true);
        await piv.verifyPinOnReader();
        expect(keypad.requests).toEqual([expect.objectContaining({ kind: 'verify', minDigits: 6, maxDigits: 8, timeoutSeconds: 30 })]);
        expect(await piv.pinStatus()).toMatchObject({ verified: true });
      } finally {
        await close();
      }
    });

    it('a wrong PIN on the reader spends one try and says so; cancel and timeout are the reader\'s own answers', async () => {
      const answers: PinEntryResult[] = [{ pin: '111111' }, 'cancelled', { pin: '12' }];
      const keypad = new ScriptedKeypad(() => answers.shift()!);
      const { piv, close } = await session(keypad);
      try {
        expect(await thrown(() => piv.verifyPinOnReader())).toMatchObject({ code: 'PIN_INCORRECT', retriesLeft: 2 });
        expect(await thrown(() => piv.verifyPinOnReader())).toMatchObject({ code: 'PIN_PAD_CANCELLED' });
        expect(await thrown(() => piv.verifyPinOnReader())).toMatchObject({ code: 'PIN_PAD_PIN_LENGTH' });
        expect(await piv.pinStatus()).toMatchObject({ retriesLeft: 2 });
      } finally {
        await close();
      }
    });

    it("OpenSC uses it as a PIN pad: pkcs15-tool --verify-pin, the PIN typed on the reader's keypad", async () => {
      const keypad = new ScriptedKeypad(() => ({ pin: '246810' }));
      const { close } = await session(keypad);
      await close();
      const run = (args: string[]) =>
        new Promise<{ code: number | null; out: string }>((resolve) => {
          const child = execFile(findExecutable('pkcs15-tool')!, args, { timeout: 20_000 }, (e, out, err) => resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out: out + err }));
          child.stdin?.end(); // no PIN typed on the computer: OpenSC turns to the reader's keypad
        });
      const verified = await run(['--reader', EKORT_PIN_PAD, '--verify-pin', '--auth-id', '01']);
      expect(verified.code).toBe(0);
      expect(keypad.requests).toEqual([expect.objectContaining({ kind: 'verify' })]);
    });

    it('nobody at the keypad: the reader answers 64 00 when its time is up', async () => {
      const keypad = new ScriptedKeypad((request) => new Promise((resolve) => request.signal.addEventListener('abort', () => resolve('cancelled'))));
      const { piv, close } = await session(keypad);
      try {
        const pad = await PinPad.detect(await monitor.connect(EKORT_PIN_PAD));
        const t0 = Date.now();
        await expect(pad!.verifyPin({ cla: 0, ins: 0x20, p1: 0, p2: 0x80 }, { timeoutSeconds: 1 })).rejects.toMatchObject({ code: 'PIN_PAD_TIMEOUT' });
        expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
        expect(await piv.pinStatus()).toMatchObject({ retriesLeft: 3 });
      } finally {
        await close();
      }
    });
  });
});
