/**
 * The calls of the demo and of the engineers' view: the demo customer with its virtual card
 * and token, the virtual devices plugged in and out, the PIN pad's keys, the APDU trace and a
 * purchase through the card network. All but the demo need the engineers' view turned on.
 */
import { seedDemo } from '../demo/index.ts';
import { VPCD_DEFAULT_HOST, VPCD_DEFAULT_PORT } from '../virtual/index.ts';
import type { DemoInfo, PinPadPrompt } from './api.ts';
import type { AgentHandlerTable } from './agent.ts';
import type { ApduLog } from './apduLog.ts';
import { demoDir } from './embeddedService.ts';
import { EngineerKeypad } from './engineerKeypad.ts';
import { AgentError } from './failure.ts';
import type { Readers } from './readers.ts';
import type { ServiceConnection } from './serviceConnection.ts';
import type { Tokens } from './tokens.ts';
import { loadVirtualToken, VirtualCardSlot } from './virtualDevices.ts';

/** startDemo waits this long for the readers to show the virtual card. */
export const DEMO_CARD_WAIT_MS = 10_000;

type DemoCalls = 'startDemo' | 'apduTrace' | 'insertVirtualCard' | 'removeVirtualCard' | 'pinPadEntry' | 'plugVirtualToken' | 'unplugVirtualToken' | 'authorizePurchase';

export interface DemoContext {
  dataDir: string;
  readers: Readers;
  tokens: Tokens;
  service: ServiceConnection;
  trace: ApduLog;
  engineerMode(): boolean;
  /** Where the PIN pad's prompt goes (the engineers' view types the PIN). */
  pinPadPrompt(prompt: PinPadPrompt | null): void;
  vpcd?: { host?: string; port?: number };
}

export function demoHandlers(ctx: DemoContext): { handlers: Pick<AgentHandlerTable, DemoCalls>; close(): Promise<void> } {
  const { dataDir, readers, tokens, service, trace } = ctx;
  let keypad: EngineerKeypad | undefined;
  const virtualCard = new VirtualCardSlot(dataDir, readers.inApp, ctx.vpcd?.port ?? VPCD_DEFAULT_PORT, ctx.vpcd?.host ?? VPCD_DEFAULT_HOST, (reader) => {
    keypad?.close();
    keypad = new EngineerKeypad(reader, ctx.pinPadPrompt);
    return keypad;
  });
  const engineer = (): void => {
    if (!ctx.engineerMode()) throw new AgentError('ENGINEER_MODE_OFF', "Turn on the engineers' view in the settings first.");
  };

  async function plugVirtualToken(touch: boolean) {
    const running = service.running;
    const { token, serial } = await loadVirtualToken(dataDir, { touch, ...(running ? { bank: running.service.ctx } : {}) });
    return tokens.plugVirtual(token, serial);
  }

  /**
   * Inserts the demo card (the in-app reader unless a vpcd reader is named) and resolves once
   * the 'readers' event showing it has gone out: the UI goes on to the card login with it.
   */
  async function insertVirtualCard(reader?: string): Promise<string> {
    const inserted = await virtualCard.insert(reader);
    if (!(await readers.waitCard(inserted, DEMO_CARD_WAIT_MS))) {
      throw new AgentError('VIRTUAL_CARD_NOT_SEEN', `The virtual card was inserted into "${inserted}", but pcscd did not show it within ${DEMO_CARD_WAIT_MS / 1000} s. Is pcscd running with vsmartcard's vpcd?`);
    }
    return inserted;
  }

  const handlers: Pick<AgentHandlerTable, DemoCalls> = {
    async startDemo(): Promise<DemoInfo> {
      const running = service.requireEmbedded('The demo');
      const seed = await seedDemo({ service: running.service, outDir: demoDir(dataDir) });
      // Card login needs the demo PKI's trust, which the seed has just made.
      if (!running.hasTrust) await running.loadDemoTrust(dataDir);
      // The app's own reader: the demo needs neither pcscd nor vpcd.
      const reader = await insertVirtualCard();
      await plugVirtualToken(false);
      return {
        customer: { name: seed.customer.name, personnummer: seed.customer.personnummer },
        cardPin: seed.card.pin,
        cardPuk: seed.card.puk,
        dosaSerial: seed.dosa.serial,
        dosaPin: seed.dosa.pin,
        reader,
      };
    },
    async apduTrace() {
      engineer();
      return trace.snapshot();
    },
    async insertVirtualCard(input) {
      engineer();
      return { reader: await insertVirtualCard(input?.reader) };
    },
    async removeVirtualCard() {
      engineer();
      await virtualCard.remove();
    },
    async pinPadEntry(input) {
      engineer();
      if (!keypad) throw new AgentError('PIN_PAD_NOT_ASKING', 'The PIN pad is not asking for a PIN now.');
      keypad.type(input);
    },
    async plugVirtualToken(input) {
      engineer();
      return plugVirtualToken(input?.touch ?? false);
    },
    async unplugVirtualToken() {
      engineer();
      tokens.unplugVirtual();
    },
    async authorizePurchase(request) {
      engineer();
      return (await service.networkClient('Authorizing a purchase')).authorize(request);
    },
  };
  return { handlers, close: () => virtualCard.remove() };
}
