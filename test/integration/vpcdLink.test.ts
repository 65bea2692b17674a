/**
 * VpcdLink against the real pcscd + vpcd, with OpenSC's opensc-tool and pcsc-tools' pcsc_scan
 * as the programs on the other side, and Debian's vicc as a second card.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/iso7816/hex.ts';
import { FILE_SYSTEM_CARD_ATR, FILE_SYSTEM_CARD_T0_ATR, FileSystemCard, testPattern } from '../../src/virtual/fileSystemCard.ts';
import { VpcdLink, type VpcdLinkState } from '../../src/virtual/vpcdLink.ts';
import { openscTool } from '../support/opensc.ts';
import {
  readerState,
  requireSystem,
  restartPcscd,
  startPcscd,
  vpcdPorts,
  vpcdReaders,
  waitForCard,
} from '../support/pcscd.ts';
import { startVicc, type ViccHandle } from '../support/vicc.ts';

const available = await requireSystem('pcscd', 'opensc-tool', 'pcsc_scan');
const viccAvailable = available && (await requireSystem('vicc'));
const READER = vpcdReaders[0];
const ATR = toHex(FILE_SYSTEM_CARD_ATR, ' ').toUpperCase();

const hex = (b: Uint8Array) => toHex(b, ' ').toUpperCase();

function waitForState(link: VpcdLink, state: VpcdLinkState, timeoutMs: number): Promise<void> {
  if (link.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      link.off('state', on);
      reject(new Error(`link did not reach ${state} within ${timeoutMs} ms (is ${link.state})`));
    }, timeoutMs);
    const on = (s: VpcdLinkState) => {
      if (s !== state) return;
      clearTimeout(timer);
      link.off('state', on);
      resolve();
    };
    link.on('state', on);
  });
}


describe.skipIf(!available)('VpcdLink with pcscd + vpcd', () => {
  let link: VpcdLink | undefined;

  const insert = async (card = new FileSystemCard(), atr = ATR) => {
    link = new VpcdLink(card, { port: vpcdPorts[0] });
    await link.start();
    return waitForCard(READER, { atr });
  };

  beforeAll(async () => {
    await startPcscd();
    await waitForCard(READER, { present: false });
  });

  afterEach(async () => {
    await link?.stop();
    link = undefined;
    // pcscd notices a removal only at its next presence poll; until then it still shows the
    // old card, and a new link's card would be mistaken for it.
    await waitForCard(READER, { present: false });
  });

  afterAll(async () => {
    await startPcscd(); // leave pcscd running for the next file, whatever happened here
  });

  it('inserts the card: pcsc_scan and opensc-tool -a show our ATR', async () => {
    const t0 = Date.now();
    const state = await insert();
    expect(state).toMatchObject({ reader: READER, present: true, atr: ATR });
    console.info(`pcscd showed the card ${Date.now() - t0} ms after start()`);
    const { stdout } = await openscTool(['-r', READER, '-a']);
    expect(stdout.trim()).toBe(toHex(FILE_SYSTEM_CARD_ATR, ':'));
  });

  it('answers APDUs from opensc-tool, which follows 61xx with GET RESPONSE', async () => {
    await insert();
    const echo = testPattern(255, 3);
    const { exchanges } = await openscTool([
      '-r', READER,
      '-s', '00 A4 00 0C 02 01 02',
      '-s', '00 B0 01 20 10',
      '-s', '00 B0 00 00 00',
      '-s', '80 EE 00 00 04 01 02 03 04 02',
      '-s', `90 EE 00 00 FF ${hex(echo)}`,
      '-s', `80 EE 00 00 FF ${hex(echo)} 00`,
      '-s', '00 84 00 00 08',
      '-s', '00 20 00 01 04 30 30 30 30',
      '-s', '00 CA 00 00 00',
    ]);
    const medium = testPattern(300, 1);
    expect(exchanges).toEqual([
      { sw: '9000', data: '' },
      { sw: '6282', data: hex(medium.subarray(288)) },
      { sw: '9000', data: hex(medium.subarray(0, 256)) },
      { sw: '9000', data: '01 02 03 04' }, // Le 2: 61 02, then GET RESPONSE
      { sw: '9000', data: '' },
      { sw: '9000', data: `${hex(echo)} ${hex(echo)}` }, // 256 + 61 00, then 254 + 9000
      { sw: '9000', data: expect.stringMatching(/^([0-9A-F]{2} ){7}[0-9A-F]{2}$/) },
      { sw: '63C2', data: '' },
      { sw: '6D00', data: '' },
    ]);
  });

  it('a T=0 card: opensc-tool drops Le on case 4 and collects the 61xx data', async () => {
    await insert(new FileSystemCard({ t0: true }), toHex(FILE_SYSTEM_CARD_T0_ATR, ' ').toUpperCase());
    const { exchanges } = await openscTool(['-r', READER, '-s', '80 EE 00 00 03 0A 0B 0C 00', '-s', '00 A4 00 0C 02 01 02', '-s', '00 B0 01 20 00']);
    expect(exchanges.map((e) => e.sw)).toEqual(['9000', '9000', '9000']);
    expect(exchanges[0]!.data).toBe('0A 0B 0C');
    expect(exchanges[2]!.data).toBe(hex(testPattern(300, 1).subarray(288))); // 6C0C, resent with Le 0C
  });

  it('answers fast: TCP_QUICKACK keeps an APDU far below the ~40 ms delayed-ACK cost', async () => {
    await insert();
    const many = Array.from({ length: 50 }, () => ['-s', '00 84 00 00 08']).flat();
    const time = async (args: string[]) => {
      const t0 = performance.now();
      const { exchanges } = await openscTool(['-r', READER, ...args]);
      expect(exchanges.every((e) => e.sw === '9000')).toBe(true);
      return performance.now() - t0;
    };
    const one = await time(['-s', '00 84 00 00 08']);
    const perApdu = ((await time(['-s', '00 84 00 00 08', ...many])) - one) / 50;
    console.info(`${perApdu.toFixed(3)} ms per APDU through pcscd + vpcd (opensc-tool)`);
    expect(perApdu).toBeLessThan(10); // measured ~0.4 ms; ~48 ms without quickAck
  });

  it('stop() removes the card: the reader shows none', async () => {
    await insert();
    const t0 = Date.now();
    await link!.stop();
    await waitForCard(READER, { present: false });
    console.info(`pcscd showed the card removed ${Date.now() - t0} ms after stop()`);
    await expect(openscTool(['-r', READER, '-a'])).rejects.toThrow(/Card not present|card/i);
  });

  it('reconnects by itself after pcscd is restarted; the card is visible again within 5 s', async () => {
    await insert();
    const states: VpcdLinkState[] = [];
    link!.on('state', (s) => states.push(s));
    await restartPcscd();
    const back = Date.now();
    await waitForState(link!, 'inserted', 5000);
    await waitForCard(READER, { atr: ATR, timeoutMs: 5000 - (Date.now() - back) });
    console.info(`card visible again ${Date.now() - back} ms after pcscd was back`);
    expect(states).toContain('connecting');
    expect(link!.state).toBe('inserted');
    const { exchanges } = await openscTool(['-r', READER, '-s', '00 A4 00 0C 02 3F 00']);
    expect(exchanges).toEqual([{ sw: '9000', data: '' }]);
  });

  describe.skipIf(!viccAvailable)('with vicc as a second card', () => {
    let vicc: ViccHandle | undefined;

    afterEach(async () => {
      await vicc?.stop();
      vicc = undefined;
    });

    it('vicc on port 35964 answers opensc-tool while our card sits in the first reader', async () => {
      await insert();
      vicc = await startVicc({ port: vpcdPorts[1] });
      expect(vicc.reader).toBe(vpcdReaders[1]);
      const state = await readerState(vpcdReaders[1]);
      expect(state?.present).toBe(true);
      expect(state?.atr).not.toBe(ATR);
      const [theirs, ours] = await Promise.all([
        openscTool(['-r', vpcdReaders[1], '-s', '00 A4 00 0C 02 3F 00', '-s', '00 84 00 00 08']),
        openscTool(['-r', READER, '-s', '00 84 00 00 08']),
      ]);
      expect(theirs.exchanges.map((e) => e.sw)).toEqual(['9000', '9000']);
      expect(theirs.exchanges[1]!.data.split(' ')).toHaveLength(8);
      expect(ours.exchanges[0]!.data.split(' ')).toHaveLength(8);
      await vicc.stop();
      vicc = undefined;
      await waitForCard(vpcdReaders[1], { present: false });
    });
  });
});
