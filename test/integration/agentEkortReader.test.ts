/**
 * The desktop agent with ekort's own reader driver: the engineers' view puts the demo card
 * into an "ekort Reader" slot, and the PIN-pad path logs in through "ekort PIN Pad" with the
 * PIN typed on the reader's keypad, never given to the agent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Agent, createAgent } from '../../src/client/agent.ts';
import type { DemoInfo, ReaderInfo } from '../../src/client/api.ts';
import { demoDir } from '../../src/client/embeddedService.ts';
import { ekortReaderSlot } from '../../src/virtual/ekortReaders.ts';
import { VirtualPivCard } from '../../src/virtual/pivCard.ts';
import type { Keypad, PinEntryRequest } from '../../src/virtual/virtualPinPad.ts';
import { VpcdLink } from '../../src/virtual/vpcdLink.ts';
import { EKORT_PIN_PAD, ekortReaders, requireSystem, vpcdPorts } from '../support/pcscd.ts';

const available = await requireSystem('pcscd', 'ekort-ifd');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ekort-agent-ifd-'));
let agent: Agent;
let demo: DemoInfo;

async function readerState(name: string, state: ReaderInfo['state'], timeoutMs = 10_000): Promise<ReaderInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reader = (await agent.readers()).find((r) => r.name === name);
    if (reader?.state === state) return reader;
    if (Date.now() > deadline) throw new Error(`${name} not in state ${state} within ${timeoutMs} ms: ${JSON.stringify(reader)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!available)("desktop agent with ekort's reader driver", () => {
  beforeAll(async () => {
    agent = await createAgent({ dataDir, vpcdPort: vpcdPorts[0], hid: false, log: () => undefined });
    await agent.updateSettings({ engineerMode: true });
    demo = await agent.startDemo();
  }, 120_000);

  afterAll(async () => {
    await agent?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists the driver\'s readers, the PIN pad too, as virtual readers through pcscd', async () => {
    for (const reader of [...ekortReaders, EKORT_PIN_PAD]) expect(await readerState(reader, 'empty')).toMatchObject({ virtual: true, source: 'pcsc' });
  });

  it('the engineers\' view moves the demo card into an ekort Reader slot, where the login works', async () => {
    expect(await agent.insertVirtualCard({ reader: ekortReaders[2] })).toEqual({ reader: ekortReaders[2] });
    await readerState(ekortReaders[2], 'card');
    const session = await agent.loginWithCard({ reader: ekortReaders[2], pin: demo.cardPin });
    expect(session).toMatchObject({ customer: { name: 'Anna Andersson' } });
    await agent.logout();
    await agent.removeVirtualCard();
    await readerState(ekortReaders[2], 'empty');
  });

  it('the PIN-pad path: no PIN from the app, the holder types it on the reader', async () => {
    const requests: PinEntryRequest[] = [];
    const keypad: Keypad = {
      enter: async (request) => {
        requests.push(request);
        return { pin: demo.cardPin };
      },
    };
    const card = await VirtualPivCard.open(path.join(demoDir(dataDir), 'card.json'));
    const link = new VpcdLink(card, { path: ekortReaderSlot(EKORT_PIN_PAD)!.path, keypad });
    await link.start();
    try {
      await readerState(EKORT_PIN_PAD, 'card');
      expect(await agent.cardHolder({ reader: EKORT_PIN_PAD })).toMatchObject({ pinPad: true, name: 'Anna Andersson' });
      expect((await readerState(EKORT_PIN_PAD, 'card')).pinPad).toBe(true);
      const session = await agent.loginWithCard({ reader: EKORT_PIN_PAD });
      expect(session).toMatchObject({ customer: { name: 'Anna Andersson' } });
      expect(requests).toEqual([expect.objectContaining({ kind: 'verify' })]);
      await agent.logout();
    } finally {
      await link.stop();
    }
  });
});
