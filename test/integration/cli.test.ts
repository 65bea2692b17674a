/**
 * The `ekort` command as a user runs it (bin/ekort.js in a child process) against pcscd + vpcd,
 * with a virtual card plugged in by this test process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/iso7816/hex.ts';
import { FileSystemCard, FILE_SYSTEM_CARD_ATR } from '../../src/virtual/fileSystemCard.ts';
import { VpcdLink } from '../../src/virtual/vpcdLink.ts';
import { ekort } from '../support/ekortCli.ts';
import { requireSystem, startPcscd, vpcdPorts, vpcdReaders, waitForCard } from '../support/pcscd.ts';

const available = await requireSystem('pcscd', 'pcsc_scan');


describe.skipIf(!available)('ekort CLI on pcscd + vpcd', () => {
  let link: VpcdLink;

  beforeAll(async () => {
    await startPcscd();
    link = new VpcdLink(new FileSystemCard(), { port: vpcdPorts[0] });
    await link.start();
    await waitForCard(vpcdReaders[0]);
  });

  afterAll(async () => {
    await link?.stop();
  });

  it('readers --json lists the card with its ATR and identification', async () => {
    const r = await ekort(['readers', '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    const reader = json.readers.find((x: { name: string }) => x.name === vpcdReaders[0]);
    expect(reader).toMatchObject({ cardPresent: true, atr: toHex(FILE_SYSTEM_CARD_ATR), card: { kind: 'virtual' } });
    expect(json.readers.find((x: { name: string }) => x.name === vpcdReaders[1])).toMatchObject({ cardPresent: false, atr: null });
  });

  it('readers prints one block per reader', async () => {
    const r = await ekort(['readers']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${vpcdReaders[0]}: card present\n  ATR   ${toHex(FILE_SYSTEM_CARD_ATR, ' ')}`);
    expect(r.stdout).toContain(`${vpcdReaders[1]}: no card`);
  });

  it('apdu sends commands, follows GET RESPONSE, explains the status word, masks PINs in the trace', async () => {
    const r = await ekort(['apdu', '--reader', 'PCD 00 00', '--trace', '00A4000C020101', '00B0000005', '0020000104313233FF', '00A4000C02DEAD']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('=> 00 b0 00 00 05\n<= 65 6b 6f 72 74  SW 9000: ');
    expect(r.stdout).toMatch(/=> 00 20 00 01 04 31 32 33 ff\n<= SW 63C[0-9A-F]: /);
    expect(r.stdout).toMatch(/=> 00 a4 00 0c 02 de ad\n<= SW 6A82: /);
    expect(r.stderr).toContain('=> 00 20 00 01 <masked>');
    expect(r.stderr).not.toContain('31 32 33');
  });

  it('apdu --json gives each exchange with status code', async () => {
    const r = await ekort(['apdu', '--json', '00A4000C020101', '00B0000003']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.exchanges).toEqual([
      expect.objectContaining({ command: '00a4000c020101', sw: '9000', status: 'OK' }),
      expect.objectContaining({ command: '00b0000003', response: '656b6f', sw: '9000' }),
    ]);
  });

  it('apdu exits 1 with a typed code for a reader that does not exist', async () => {
    const r = await ekort(['apdu', '--json', '--reader', 'Nope', '00A4000C023F00']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'READER_NOT_FOUND' });
    expect(r.stderr).toContain('No reader matches "Nope"');
  });

  it('watch prints the current state, then insertions and removals, until Ctrl-C', async () => {
    const second = new VpcdLink(new FileSystemCard(), { port: vpcdPorts[1] });
    const running = ekort(['watch', '--json'], '', { until: /"card-removed".*Virtual PCD 00 01/ });
    await new Promise((r) => setTimeout(r, 1500));
    await second.start();
    await waitForCard(vpcdReaders[1]);
    await second.stop();
    const r = await running;
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const types = events.map((e: { type: string; reader?: string }) => `${e.type}${e.reader ? ` ${e.reader}` : ''}`);
    expect(types).toEqual(
      expect.arrayContaining([
        'pcsc-up',
        `reader-added ${vpcdReaders[0]}`,
        `card-inserted ${vpcdReaders[0]}`,
        `card-inserted ${vpcdReaders[1]}`,
        `card-removed ${vpcdReaders[1]}`,
      ]),
    );
  });
});
