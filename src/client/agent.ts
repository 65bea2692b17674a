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
import { EkortError } from '../errors.ts';
import { ensurePrivateDir, StorageError } from '../files/index.ts';
import type { VirtualHidToken } from '../virtual/index.ts';
import type { AgentEvent, ApiInput, ApiMethod, ApiOutput, PlatformNote, Settings } from './api.ts';
import { platformNotes } from './platform.ts';
import { ApduLog } from './apduLog.ts';
import { AppLogins } from './appLogin.ts';
import { CardHolders } from './cards.ts';
import { DosaLogins } from './dosaLogin.ts';
import { FileLogins } from './fileLogin.ts';
import { Readers } from './readers.ts';
import { SettingsStore } from './settingsStore.ts';
import { Tokens, type TokensOptions } from './tokens.ts';
import { AgentSession } from './agentSession.ts';
import { demoHandlers } from './demoHandlers.ts';
import { ekortHandlers } from './ekortHandlers.ts';
import { loginHandlers } from './loginHandlers.ts';
import { ServiceConnection } from './serviceConnection.ts';
import { oathCode, oathCodes } from './oathCodes.ts';

export const SESSION_IDLE_MS = 15 * 60_000;

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
  /** How long connecting to a card, and one exchange with it, may take (default 10 s each); tests shorten it. */
  cardTimeoutMs?: number;
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
  const readers = new Readers((list) => emit({ type: 'readers', readers: list }), {
    ...(options.readerRetryMs === undefined ? {} : { retryMs: options.readerRetryMs }),
    ...(options.cardTimeoutMs === undefined ? {} : { cardTimeoutMs: options.cardTimeoutMs }),
  });
  const tokens = new Tokens((list) => emit({ type: 'tokens', tokens: list }), {
    ...(options.hid === undefined ? {} : { hid: options.hid }),
    ...(options.tokenPollMs === undefined ? {} : { pollMs: options.tokenPollMs }),
  });
  const files = new FileLogins(options.dataDir, options.bankIdDirs);
  const dosa = new DosaLogins((waiting) => emit({ type: 'token-touch', waiting }));
  const appLogins = new AppLogins();
  const idleMs = options.idleTimeoutMs ?? SESSION_IDLE_MS;
  const notes = options.platformNotes ?? platformNotes();

  // --- the service connection and the holder's session
  const service = new ServiceConnection(options.dataDir, log);
  const connect = (): Promise<void> => service.connect(settingsStore.get().service);
  await connect();
  const holder = new AgentSession(() => service.bank, idleMs, emit);
  const cardCtx = { readers, trace };
  const holders = new CardHolders(cardCtx);
  const demo = demoHandlers({
    dataDir: options.dataDir,
    readers,
    tokens,
    service,
    trace,
    engineerMode: () => settingsStore.get().engineerMode,
    pinPadPrompt: (prompt) => emit({ type: 'pin-pad', prompt }),
    vpcd: { ...(options.vpcdHost === undefined ? {} : { host: options.vpcdHost }), ...(options.vpcdPort === undefined ? {} : { port: options.vpcdPort }) },
  });

  /** Another service in the settings: the session there ends, and the app connects anew. */
  const serviceFollows = async (before: Settings, after: Settings): Promise<void> => {
    if (JSON.stringify(before.service) === JSON.stringify(after.service)) return;
    holder.end('logged-out');
    await connect();
  };
  // Another window on this data folder changed the settings: this one follows.
  let shown = settingsStore.get();
  settingsStore.watch((settings) => {
    const before = shown;
    shown = settings;
    emit({ type: 'settings', settings });
    void serviceFollows(before, settings).catch((error: unknown) => log(`settings: cannot connect to the service now: ${(error as Error).message}`));
  });

  const handlers: AgentHandlerTable = {
    async settings() {
      return settingsStore.get();
    },
    async updateSettings(patch) {
      const before = settingsStore.get();
      const after = await settingsStore.update(patch);
      await serviceFollows(before, after);
      return after;
    },
    async platform() {
      return notes;
    },
    async readers() {
      return readers.settledList();
    },
    async cardHolder({ reader }) {
      return holders.read(reader);
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

    ...demo.handlers,
  };

    // The embedded service's full or read-only disk is this app's data folder: say so.
  const dataFolder = path.resolve(options.dataDir);
  const embeddedStorageError = (error: unknown): unknown => {
    if (error instanceof StorageError || !(error instanceof EkortError) || settingsStore.get().service.mode !== 'embedded') return error;
    if (error.code !== 'STORAGE_FULL' && error.code !== 'STORAGE_READ_ONLY') return error;
    return new StorageError(error.code, dataFolder, { cause: error });
  };
  const table = markingActivity(handlers, holder, embeddedStorageError);

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
      holders.close();
      settingsStore.unwatch();
      dosa.clear();
      appLogins.clear();
      listeners.clear();
      await demo.close().catch(() => undefined);
      await tokens.close().catch(() => undefined);
      await readers.close().catch(() => undefined);
      await service.close().catch(() => undefined);
    },
  });
}

/**
 * The table with every handler marking activity (for the idle timeout) before it runs, and its
 * failures passed through `mapError`.
 */
function markingActivity(handlers: AgentHandlerTable, holder: AgentSession, mapError: (error: unknown) => unknown): AgentHandlerTable {
  const table = {} as Record<ApiMethod, (input: unknown) => Promise<unknown>>;
  for (const name of Object.keys(handlers) as ApiMethod[]) {
    const handler = handlers[name] as (input: unknown) => Promise<unknown>;
    table[name] = async (input: unknown) => {
      holder.activity();
      try {
        return await handler(input);
      } catch (error) {
        throw mapError(error);
      }
    };
  }
  return table as AgentHandlerTable;
}

/** The default data folder outside Electron: $XDG_DATA_HOME/ekort-desktop or ~/.local/share/ekort-desktop. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  const xdg = env.XDG_DATA_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.local', 'share'), 'ekort-desktop');
}
