/**
 * The desktop agent: everything the app does, as one async handler per API method
 * (src/client/api.ts), plus events. Plain Node: Electron's main process hosts it behind IPC,
 * and the browser bridge behind loopback HTTP; tests call it directly.
 *
 * It talks to the e-kort service only through BankClient: the embedded service (SQLite in
 * dataDir, HTTP on 127.0.0.1) or a remote URL from the settings. It holds the session token
 * while logged in and drops it after 15 minutes without a call, when the service says the
 * session is over, or at logout (event `session-ended`). PINs and svarskoder pass through one
 * call and are not kept; nothing here logs them.
 */
import os from 'node:os';
import path from 'node:path';
import { seedDemo } from '../demo/index.ts';
import { ensurePrivateDir } from '../files/index.ts';
import { type VirtualHidToken, VPCD_DEFAULT_HOST, VPCD_DEFAULT_PORT } from '../virtual/index.ts';
import type { AgentEvent, ApiInput, ApiMethod, ApiOutput, DemoInfo, PlatformNote } from './api.ts';
import { platformNotes } from './platform.ts';
import { ApduLog } from './apduLog.ts';
import { AppLogins } from './appLogin.ts';
import { readCardHolder } from './cards.ts';
import { DosaLogins } from './dosaLogin.ts';
import { FileLogins } from './fileLogin.ts';
import { defaultBankIdDirs } from '../pki/index.ts';
import { demoDir } from './embeddedService.ts';
import { AgentError } from './failure.ts';
import { Readers } from './readers.ts';
import { SettingsStore } from './settingsStore.ts';
import { Tokens, type TokensOptions } from './tokens.ts';
import { AgentSession } from './agentSession.ts';
import { ekortHandlers } from './ekortHandlers.ts';
import { loginHandlers } from './loginHandlers.ts';
import { EngineerKeypad } from './engineerKeypad.ts';
import { ServiceConnection } from './serviceConnection.ts';
import { oathCode, oathCodes } from './oathCodes.ts';
import { loadVirtualToken, VirtualCardSlot } from './virtualDevices.ts';

export const SESSION_IDLE_MS = 15 * 60_000;
/** startDemo waits this long for the readers to show the virtual card. */
export const DEMO_CARD_WAIT_MS = 10_000;

export interface AgentOptions {
  /** The app's data folder: settings.json, ekort.db, demo/. */
  dataDir: string;
  /** Overrides the service in the settings (e.g. `ekort web --service URL`). */
  service?: { mode: 'embedded' } | { mode: 'remote'; url: string };
  /** vpcd's first port (its reader "Virtual PCD 00 00"); default 35963. */
  vpcdPort?: number;
  vpcdHost?: string;
  /** Drop the session after this long without a call; default 15 minutes. */
  idleTimeoutMs?: number;
  /** The HID binding for real tokens; false: none (tests). */
  hid?: TokensOptions['hid'];
  tokenPollMs?: number;
  readerRetryMs?: number;
  /** The token exchange's bound, touch included; default 30 s. */
  tokenTimeoutMs?: number;
  /** The BankID folders searched for BankID på fil; default `$EKORT_BANKID_DIR` or `~/.bankid`. */
  bankIdDirs?: string[];
  /** What the machine lacks (tests); probed at start by default. */
  platformNotes?: PlatformNote[];
  /** Where the agent's own diagnostics go (never secrets); default stderr. */
  log?: (line: string) => void;
}

export type AgentHandlerTable = { [M in ApiMethod]: (input: ApiInput<M>) => Promise<ApiOutput<M>> };

export type Agent = AgentHandlerTable & {
  subscribe(listener: (event: AgentEvent) => void): () => void;
  close(): Promise<void>;
  /** For tests and the engineers' tooling in-process: the virtual token while plugged in. */
  virtualToken(): VirtualHidToken | undefined;
};

export async function createAgent(options: AgentOptions): Promise<Agent> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const listeners = new Set<(event: AgentEvent) => void>();
  const emit = (event: AgentEvent): void => {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own.
      }
    }
  };

  await ensurePrivateDir(options.dataDir);
  const settingsStore = new SettingsStore(options.dataDir);
  await settingsStore.load();
  if (options.service) settingsStore.override({ service: options.service });

  const trace = new ApduLog((line) => {
    if (settingsStore.get().engineerMode) emit({ type: 'apdu', line });
  });
  const readers = new Readers((list) => emit({ type: 'readers', readers: list }), options.readerRetryMs === undefined ? {} : { retryMs: options.readerRetryMs });
  const tokens = new Tokens((list) => emit({ type: 'tokens', tokens: list }), {
    ...(options.hid === undefined ? {} : { hid: options.hid }),
    ...(options.tokenPollMs === undefined ? {} : { pollMs: options.tokenPollMs }),
  });
  const files = new FileLogins(options.dataDir, () => options.bankIdDirs ?? defaultBankIdDirs());
  const dosa = new DosaLogins((waiting) => emit({ type: 'token-touch', waiting }));
  const appLogins = new AppLogins();
  const vpcdPort = options.vpcdPort ?? VPCD_DEFAULT_PORT;
  let keypad: EngineerKeypad | undefined;
  const virtualCard = new VirtualCardSlot(options.dataDir, readers.inApp, vpcdPort, options.vpcdHost ?? VPCD_DEFAULT_HOST, (reader) => {
    keypad?.close();
    keypad = new EngineerKeypad(reader, (prompt) => emit({ type: 'pin-pad', prompt }));
    return keypad;
  });
  const idleMs = options.idleTimeoutMs ?? SESSION_IDLE_MS;
  const notes = options.platformNotes ?? platformNotes();

  // --- the service connection and the holder's session
  const service = new ServiceConnection(options.dataDir, log);
  const connect = (): Promise<void> => service.connect(settingsStore.get().service);
  await connect();
  const holder = new AgentSession(() => service.bank, idleMs, emit);
  const engineer = (): void => {
    if (!settingsStore.get().engineerMode) throw new AgentError('ENGINEER_MODE_OFF', "Turn on the engineers' view in the settings first.");
  };

  const cardCtx = { readers, trace };

  async function plugVirtualToken(touch: boolean) {
    const running = service.running;
    const { token, serial } = await loadVirtualToken(options.dataDir, { touch, ...(running ? { bank: running.service.ctx } : {}) });
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

  const handlers: AgentHandlerTable = {
    async settings() {
      return settingsStore.get();
    },
    async updateSettings(patch) {
      const before = settingsStore.get();
      const after = await settingsStore.update(patch);
      if (JSON.stringify(before.service) !== JSON.stringify(after.service)) {
        holder.end('logged-out');
        await connect();
      }
      return after;
    },
    async startDemo(): Promise<DemoInfo> {
      const running = service.requireEmbedded('The demo');
      const outDir = demoDir(options.dataDir);
      const seed = await seedDemo({ service: running.service, outDir });
      // Card login needs the demo PKI's trust, which the seed has just made.
      if (!running.hasTrust) await running.loadDemoTrust(options.dataDir);
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

    async platform() {
      return notes;
    },
    async readers() {
      return readers.settledList();
    },
    async cardHolder({ reader }) {
      return readCardHolder(cardCtx, reader);
    },
    async tokens() {
      return tokens.list();
    },

    ...loginHandlers({ holder, service, cards: cardCtx, files, dosa, tokens, appLogins, ...(options.tokenTimeoutMs === undefined ? {} : { tokenTimeoutMs: options.tokenTimeoutMs }) }),
    ...ekortHandlers(holder),

    async oathCodes(input) {
      return oathCodes(readers, input.reader);
    },
    async oathCode(input) {
      return oathCode(readers, input.reader, input.id);
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

  // Every handler marks activity (for the idle timeout) before it runs.
  const table = {} as AgentHandlerTable;
  for (const name of Object.keys(handlers) as ApiMethod[]) {
    const handler = handlers[name] as (input: unknown) => Promise<unknown>;
    (table as Record<ApiMethod, (input: unknown) => Promise<unknown>>)[name] = async (input: unknown) => {
      holder.activity();
      return handler(input);
    };
  }

  readers.start();
  tokens.start();

  let closed = false;
  return Object.assign(table, {
    subscribe(listener: (event: AgentEvent) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    virtualToken: () => tokens.virtualToken,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      holder.close();
      dosa.clear();
      appLogins.clear();
      listeners.clear();
      await virtualCard.remove().catch(() => undefined);
      await tokens.close().catch(() => undefined);
      await readers.close().catch(() => undefined);
      await service.close().catch(() => undefined);
    },
  });
}

/** The default data folder outside Electron: $XDG_DATA_HOME/ekort-desktop or ~/.local/share/ekort-desktop. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  const xdg = env.XDG_DATA_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.local', 'share'), 'ekort-desktop');
}
