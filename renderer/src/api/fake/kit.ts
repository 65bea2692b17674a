/** The fake agent's state, its helpers and its constants (renderer/src/api/fakeApi.ts puts it together). */
import type {
  AgentEvent,
  ApiFailure,
  AppLoginPhase,
  AppLoginStatus,
  Dispute,
  DosaChallenge,
  Enummer,
  EnummerSecret,
  FileCredential,
  Notification,
  RefundRequest,
  Terms,
  PaymentCard,
  PlatformNote,
  ReaderInfo,
  SessionInfo,
  Settings,
  TokenInfo,
  Transaction,
} from '../../../../src/client/api.ts';

export interface FakeOptions {
  /** The first reader is a PIN-pad reader. */
  pinPad?: boolean;
  /** Start with the card in the first reader. */
  cardInserted?: boolean;
  /** Start with a virtual token plugged in. */
  token?: boolean;
  /** What the machine lacks (platform()). */
  platform?: PlatformNote[];
  /** How long the token waits for a touch before it answers (ms). */
  touchDelayMs?: number;
  pinTriesLeft?: number;
  /** Resolve calls after this many ms (0: next microtask). */
  latencyMs?: number;
  /** revealEnummer answers REAUTH_REQUIRED. */
  reauthForReveal?: boolean;
  /** Mobilt BankID: the phase of each appLoginStatus call in turn (the last one repeats). */
  appPhases?: AppLoginPhase[];
  /** BankID på fil: the files found (default: Anna's). The password is FAKE_FILE_PASSWORD; an organisation e-ID is refused (ORGANISATION_EID). */
  files?: FileCredential[];
  /** Transactions to start with (e.g. a foreign-currency purchase). */
  transactions?: Transaction[];
  /** A change of the terms announced and not yet in effect (card terms §21). */
  upcomingTerms?: NonNullable<Terms['upcoming']>;
}

export const FAKE_PIN = '123456';
export const FAKE_PUK = '12345678';
export const FAKE_DOSA_SERIAL = '12345678';
export const FAKE_READER = 'Virtual PCD 00 00';
/** The HID token is enrolled at the bank under its own serial, like the real demo's. */
export const FAKE_TOKEN_SERIAL = '7000001';
/** BankID på fil: the right password of every fake file. */
export const FAKE_FILE_PASSWORD = FAKE_PIN;
/** Reference rates of the fake service (SEK per unit), as in a rates file. */
export const FAKE_RATES: Readonly<Record<string, number>> = { EUR: 11.2345, USD: 10.4321 };
export const FAKE_EEA = new Set(['EUR', 'DKK', 'NOK']);

/** Anna's BankID på fil, as fileCredentials lists it. */
export function fakeFile(overrides: Partial<FileCredential> = {}): FileCredential {
  return {
    id: 'f'.repeat(64),
    path: '/home/anna/.bankid/anna.p12',
    fileName: 'anna.p12',
    holder: { name: 'Anna Andersson', personnummer: '199001012385', organisation: null, validUntil: '2030-01-01T00:00:00Z' },
    locked: false,
    ...overrides,
  };
}

export function fail(code: string, message: string, extra: Partial<ApiFailure> = {}): ApiFailure {
  return { code, message, ...extra };
}


/** The fake agent's state: what the methods read and change. */
export interface FakeState {
  listeners: Set<(event: AgentEvent) => void>;
  calls: Array<{ method: string; input: unknown }>;
  settings: Settings;
  readers: ReaderInfo[];
  card: { pin: string; puk: string; triesLeft: number };
  tokens: TokenInfo[];
  tokenTouch: boolean;
  tokenWait: { reject: (f: ApiFailure) => void; timer: ReturnType<typeof setTimeout> } | null;
  session: SessionInfo | null;
  dosaTriesLeft: number;
  challenges: Map<string, DosaChallenge>;
  counter: number;
  trace: string[];
  customer: { name: string; personnummer: string };
  cards: PaymentCard[];
  enummers: Enummer[];
  secrets: Map<string, EnummerSecret>;
  transactions: Transaction[];
  /** Wrong CVCs or expiry dates per e-nummer since its last unlock; 5 lock it (CVC_LOCKED), as the service does. */
  wrongCardData: Map<string, number>;
  files: FileCredential[];
  /** Wrong passwords in a row per file id; 5 lock the file. */
  fileFailures: Map<string, number>;
  disputes: Dispute[];
  notifications: Notification[];
  currencyNotices: boolean;
  refunds: RefundRequest[];
  /** Mobilt BankID: the open order, its polls, and a forced phase. */
  appOrder: { orderRef: string; polls: number; final?: AppLoginStatus } | null;
  appForced: AppLoginPhase | null;
}

/** The state and the helpers every group of fake methods uses. */
export interface FakeKit {
  s: FakeState;
  options: FakeOptions;
  emit(event: AgentEvent): void;
  setReaders(next: ReaderInfo[]): void;
  insertCard(): void;
  removeCard(): void;
  apdu(line: string): void;
  nextId(prefix: string): string;
  requireSession(): void;
  requireEngineer(): void;
  startSession(method: SessionInfo['method']): SessionInfo;
  svarskodFor(kontrollnummer: string): string;
  cardReader(name: string): ReaderInfo;
  respond<T>(method: string, input: unknown, work: () => T | Promise<T>): Promise<T>;
}

export function createFakeKit(options: FakeOptions): FakeKit {
  const s: FakeState = {
    listeners: new Set(),
    calls: [],
    settings: { language: 'sv', engineerMode: false, service: { mode: 'embedded' } },
    readers: [
      { name: FAKE_READER, state: 'empty', pinPad: !!options.pinPad, virtual: true, source: 'pcsc' },
      { name: 'Virtual PCD 00 01', state: 'empty', pinPad: false, virtual: true, source: 'pcsc' },
    ],
    card: { pin: FAKE_PIN, puk: FAKE_PUK, triesLeft: options.pinTriesLeft ?? 3 },
    tokens: [],
    tokenTouch: false,
    tokenWait: null,
    session: null,
    dosaTriesLeft: 5,
    challenges: new Map(),
    counter: 1000,
    trace: [],
    customer: { name: 'Anna Andersson', personnummer: '199001012385' },
    cards: [
      { id: 'card-visa-0001', last4: '1111', product: 'Visa', state: 'active', connected: true, termsVersion: '2026-01', termsAcceptedAt: '2026-01-10T10:00:00Z', limitPerPurchase: 2_000_000, limitPerMonth: 5_000_000 },
      { id: 'card-mc-00002', last4: '5678', product: 'Mastercard', state: 'active', connected: false, termsVersion: null, termsAcceptedAt: null, limitPerPurchase: 2_000_000, limitPerMonth: 5_000_000 },
    ],
    enummers: [],
    secrets: new Map(),
    transactions: [...(options.transactions ?? [])],
    wrongCardData: new Map(),
    files: options.files ?? [fakeFile()],
    fileFailures: new Map(),
    disputes: [],
    notifications: [],
    currencyNotices: true,
    refunds: [],
    appOrder: null,
    appForced: null,
  };
  const emit = (event: AgentEvent): void => {
    for (const l of [...s.listeners]) l(event);
  };
  const setReaders = (next: ReaderInfo[]): void => {
    s.readers = next;
    emit({ type: 'readers', readers: s.readers.map((r) => ({ ...r })) });
  };
  const kit: FakeKit = {
    s,
    options,
    emit,
    setReaders,
    insertCard: () => setReaders(s.readers.map((r, i) => (i === 0 ? { ...r, state: 'card', atr: '3B8880010000000000000000', cardKind: 'Virtual PIV card' } : r))),
    removeCard: () => setReaders(s.readers.map((r, i) => (i === 0 ? { name: r.name, pinPad: r.pinPad, state: 'empty', virtual: r.virtual, source: r.source } : r))),
    apdu(line) {
      s.trace.push(line);
      emit({ type: 'apdu', line });
    },
    nextId(prefix) {
      s.counter += 1;
      return `${prefix}-${String(s.counter).padStart(8, '0')}`;
    },
    requireSession() {
      if (!s.session) throw fail('SESSION_EXPIRED', 'The session has ended: log in again.');
    },
    requireEngineer() {
      if (!s.settings.engineerMode) throw fail('FORBIDDEN', 'Turn on the engineers’ view first.');
    },
    startSession(method) {
      s.session = { customer: s.customer, method, authenticatedAt: new Date().toISOString(), idleTimeoutSeconds: 900 };
      return s.session;
    },
    svarskodFor: (kontrollnummer) => kontrollnummer.split('').reverse().join(''),
    cardReader(name) {
      const r = s.readers.find((x) => x.name === name);
      if (!r) throw fail('READER_GONE', `The reader ${name} is gone.`);
      if (r.state !== 'card') throw fail('NO_CARD', `No card in ${name}.`);
      return r;
    },
    async respond(method, input, work) {
      s.calls.push({ method, input });
      if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
      else await Promise.resolve();
      return work();
    },
  };
  if (options.cardInserted) kit.insertCard();
  if (options.token) s.tokens = [{ id: 'virtual:token-1', product: 'Virtual YubiKey', serial: FAKE_TOKEN_SERIAL, virtual: true }];
  return kit;
}
