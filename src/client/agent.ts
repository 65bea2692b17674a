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
import { BankClient, createNetworkKey } from '../bank/index.ts';
import { SessionInfo as SessionInfoSchema, type Session } from '../bank/api/schemas.ts';
import { seedDemo } from '../demo/index.ts';
import { EkortError } from '../errors.ts';
import { ensurePrivateDir } from '../files/index.ts';
import { type VirtualHidToken, VPCD_DEFAULT_HOST, VPCD_DEFAULT_PORT } from '../virtual/index.ts';
import type { AgentEvent, ApiInput, ApiMethod, ApiOutput, DemoInfo, PlatformNote, SessionInfo } from './api.ts';
import { platformNotes } from './platform.ts';
import { ApduLog } from './apduLog.ts';
import { AppLogins } from './appLogin.ts';
import { loginWithCard, readCardHolder } from './cards.ts';
import { DosaLogins } from './dosaLogin.ts';
import { FileLogins } from './fileLogin.ts';
import { defaultBankIdDirs } from '../pki/index.ts';
import { demoDir, EmbeddedService } from './embeddedService.ts';
import { AgentError } from './failure.ts';
import { Readers } from './readers.ts';
import { SettingsStore } from './settingsStore.ts';
import { Tokens, type TokensOptions } from './tokens.ts';
import { EngineerKeypad } from './engineerKeypad.ts';
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

const SESSION_GONE = new Set(['SESSION_EXPIRED', 'UNAUTHENTICATED']);

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

  // --- the service connection
  let embedded: EmbeddedService | undefined;
  let bank: BankClient;
  let networkKey: string | undefined;

  const connect = async (): Promise<void> => {
    const service = settingsStore.get().service;
    if (service.mode === 'embedded') {
      embedded ??= await EmbeddedService.start(options.dataDir, { log });
      bank = new BankClient({ baseUrl: embedded.url });
    } else {
      await closeEmbedded();
      bank = new BankClient({ baseUrl: service.url });
    }
  };
  const closeEmbedded = async (): Promise<void> => {
    const e = embedded;
    embedded = undefined;
    networkKey = undefined;
    await e?.close();
  };
  const requireEmbedded = (what: string): EmbeddedService => {
    if (!embedded) throw new AgentError('EMBEDDED_ONLY', `${what} works with the e-kort service inside the app only (settings: service "embedded").`);
    return embedded;
  };
  await connect();

  // --- the session
  let loggedIn = false;
  let idleTimer: NodeJS.Timeout | undefined;
  const armIdle = (): void => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = undefined;
    if (!loggedIn) return;
    idleTimer = setTimeout(() => endSession('expired'), idleMs);
    idleTimer.unref();
  };
  const endSession = (reason: 'expired' | 'logged-out'): void => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = undefined;
    const wasLoggedIn = loggedIn;
    loggedIn = false;
    bank.token = undefined;
    if (wasLoggedIn) emit({ type: 'session-ended', reason });
  };
  const loggedInWith = (session: Session): SessionInfo => {
    loggedIn = true;
    armIdle();
    return SessionInfoSchema.parse(session);
  };
  /** A call to the service; a session the service no longer knows ends here too. */
  const withBank = async <T>(fn: (client: BankClient) => Promise<T>): Promise<T> => {
    try {
      return await fn(bank);
    } catch (error) {
      if (loggedIn && error instanceof EkortError && SESSION_GONE.has(error.code)) endSession('expired');
      throw error;
    }
  };
  const requireLogin = (): void => {
    if (!loggedIn) throw new AgentError('UNAUTHENTICATED', 'Log in first.');
  };
  const engineer = (): void => {
    if (!settingsStore.get().engineerMode) throw new AgentError('ENGINEER_MODE_OFF', "Turn on the engineers' view in the settings first.");
  };
  /** Every call counts as activity for the idle timeout. */
  const activity = (): void => {
    if (loggedIn) armIdle();
  };

  const cardCtx = { readers, trace };

  async function plugVirtualToken(touch: boolean) {
    const { token, serial } = await loadVirtualToken(options.dataDir, { touch, ...(embedded ? { bank: embedded.service.ctx } : {}) });
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
        endSession('logged-out');
        await connect();
      }
      return after;
    },
    async startDemo(): Promise<DemoInfo> {
      const running = requireEmbedded('The demo');
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

    async loginWithCard(input) {
      endSession('logged-out');
      return loggedInWith(await loginWithCard(cardCtx, bank, input));
    },
    async fileCredentials(input) {
      return files.list(input?.paths ?? []);
    },
    async loginWithFile(input) {
      endSession('logged-out');
      return loggedInWith(await files.login(bank, input));
    },
    async startDosaLogin({ serial }) {
      return dosa.start(bank, serial);
    },
    async finishDosaLogin({ challengeId, svarskod }) {
      endSession('logged-out');
      return loggedInWith(await dosa.finish(bank, challengeId, svarskod));
    },
    async answerWithToken(input) {
      endSession('logged-out');
      return loggedInWith(await dosa.answerWithToken(bank, tokens, input, options.tokenTimeoutMs === undefined ? {} : { timeoutMs: options.tokenTimeoutMs }));
    },
    async cancelToken() {
      dosa.cancel();
    },
    async startAppLogin() {
      endSession('logged-out');
      return appLogins.start(bank);
    },
    async appLoginStatus({ orderRef }) {
      const { status, session } = await appLogins.poll(bank, orderRef);
      // The collect that completed the order left its token in BankClient, like the other logins.
      return session ? { ...status, session: loggedInWith(session) } : status;
    },
    async cancelAppLogin({ orderRef }) {
      await appLogins.cancel(bank, orderRef);
    },
    async session() {
      if (!loggedIn) return null;
      try {
        return await withBank((c) => c.session());
      } catch (error) {
        if (!loggedIn) return null;
        throw error;
      }
    },
    async logout() {
      if (!loggedIn) return;
      try {
        await bank.logout();
      } catch {
        // The session ends here either way.
      } finally {
        endSession('logged-out');
      }
    },

    async terms() {
      return withBank((c) => c.terms());
    },
    async paymentCards() {
      requireLogin();
      return withBank((c) => c.cards());
    },
    async connectCard({ cardId, termsVersion }) {
      requireLogin();
      return withBank((c) => c.connectCard(cardId, termsVersion));
    },
    async blockCard({ cardId }) {
      requireLogin();
      return withBank((c) => c.blockCard(cardId));
    },
    async enummers() {
      requireLogin();
      return withBank((c) => c.enummers());
    },
    async createEnummer(request) {
      requireLogin();
      return withBank((c) => c.createEnummer(request));
    },
    async revealEnummer({ id }) {
      requireLogin();
      return withBank((c) => c.revealEnummer(id));
    },
    async changeEnummer({ id, action }) {
      requireLogin();
      return withBank((c) => c.changeEnummer(id, action));
    },
    async transactions(input) {
      requireLogin();
      const enummerId = input?.enummerId;
      return withBank((c) => (enummerId === undefined ? c.transactions() : c.enummerTransactions(enummerId)));
    },
    async disputeTransaction({ transactionId, kind, description }) {
      requireLogin();
      return withBank((c) => c.disputeTransaction(transactionId, description === undefined ? { kind } : { kind, description }));
    },
    async disputes() {
      requireLogin();
      return withBank((c) => c.disputes());
    },
    async notifications() {
      requireLogin();
      return withBank((c) => c.notifications());
    },

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
      const running = requireEmbedded('Authorizing a purchase');
      networkKey ??= await createNetworkKey(running.service.ctx, 'desktop-agent');
      return new BankClient({ baseUrl: running.url, networkKey }).authorize(request);
    },
  };

  // Every handler marks activity (for the idle timeout) before it runs.
  const table = {} as AgentHandlerTable;
  for (const name of Object.keys(handlers) as ApiMethod[]) {
    const handler = handlers[name] as (input: unknown) => Promise<unknown>;
    (table as Record<ApiMethod, (input: unknown) => Promise<unknown>>)[name] = async (input: unknown) => {
      activity();
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
      if (idleTimer) clearTimeout(idleTimer);
      dosa.clear();
      appLogins.clear();
      listeners.clear();
      await virtualCard.remove().catch(() => undefined);
      await tokens.close().catch(() => undefined);
      await readers.close().catch(() => undefined);
      await closeEmbedded().catch(() => undefined);
    },
  });
}

/** The default data folder outside Electron: $XDG_DATA_HOME/ekort-desktop or ~/.local/share/ekort-desktop. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  const xdg = env.XDG_DATA_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.local', 'share'), 'ekort-desktop');
}
