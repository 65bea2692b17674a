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
import type { AgentEvent, DemoInfo, PinPadPrompt, ReaderInfo } from '../../src/client/api.ts';
import { demoDir } from '../../src/client/embeddedService.ts';
import { ekortReaderSlot } from '../../src/virtual/ekortReaders.ts';
import { VirtualPivCard } from '../../src/virtual/pivCard.ts';
import type { Keypad, PinEntryRequest } from '../../src/virtual/virtualPinPad.ts';
import { VpcdLink } from '../../src/virtual/vpcdLink.ts';
import { OathSession } from '../../src/oath/index.ts';
import { totp } from '../../src/token/index.ts';
import { createYubiKeyImage, VirtualYubiKey } from '../../src/virtual/virtualYubiKey.ts';
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

  it("the engineers' view types the PIN on ekort's PIN pad: the reader asks, the login never sees it", async () => {
    const prompts: Array<PinPadPrompt | null> = [];
    const off = agent.subscribe((e: AgentEvent) => {
      if (e.type === 'pin-pad') prompts.push(e.prompt);
    });
    try {
      expect(await agent.insertVirtualCard({ reader: EKORT_PIN_PAD })).toEqual({ reader: EKORT_PIN_PAD });
      await readerState(EKORT_PIN_PAD, 'card');
      const login = agent.loginWithCard({ reader: EKORT_PIN_PAD });
      const deadline = Date.now() + 10_000;
      while (!prompts.some((p) => p !== null) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(prompts[0]).toMatchObject({ reader: EKORT_PIN_PAD, kind: 'verify', minDigits: 6, maxDigits: 8 });
      await agent.pinPadEntry({ pin: demo.cardPin });
      expect(await login).toMatchObject({ customer: { name: 'Anna Andersson' } });
      expect(prompts.at(-1)).toBeNull();
      await expect(agent.pinPadEntry({ pin: demo.cardPin })).rejects.toMatchObject({ code: 'PIN_PAD_NOT_ASKING' });
      await agent.logout();
    } finally {
      off();
      await agent.removeVirtualCard();
    }
  });

  it('the authenticator: codes from a virtual YubiKey in an ekort slot equal RFC 6238 and RFC 4226', async () => {
    const key = new VirtualYubiKey(await createYubiKeyImage({ serial: 777 }));
    const secret = new TextEncoder().encode('12345678901234567890');
    const setup = await OathSession.open(async (apdu) => key.process(apdu));
    await setup.add({ name: 'anna@example.com', issuer: 'Example', type: 'totp', secret, digits: 8 });
    await setup.add({ name: 'counter', type: 'hotp', secret });
    const link = new VpcdLink(key, { path: ekortReaderSlot(ekortReaders[3])!.path });
    await link.start();
    try {
      await readerState(ekortReaders[3], 'card');
      for (;;) {
        const into = (Date.now() / 1000) % 30;
        if (into > 1 && into < 28) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const accounts = await agent.oathCodes({ reader: ekortReaders[3] });
      const now = new Date();
      expect(accounts).toEqual([
        expect.objectContaining({ id: 'Example:anna@example.com', type: 'totp', code: totp({ secret, time: now, digits: 8, algorithm: 'sha1' }), touch: false }),
        expect.objectContaining({ id: 'counter', type: 'hotp', touch: false }),
      ]);
      expect(accounts[1]!.code).toBeUndefined();
      expect(await agent.oathCode({ reader: ekortReaders[3], id: 'counter' })).toMatchObject({ code: '755224' });
      expect(await agent.oathCode({ reader: ekortReaders[3], id: 'counter' })).toMatchObject({ code: '287082' });
      await expect(agent.oathCode({ reader: ekortReaders[3], id: 'nobody' })).rejects.toMatchObject({ code: 'OATH_NO_SUCH_CREDENTIAL' });
      await expect(agent.oathCodes({ reader: ekortReaders[2] })).rejects.toMatchObject({ code: expect.stringMatching(/NO_CARD|CARD/) });
    } finally {
      await link.stop();
    }
  });
});
