/**
 * A fake EkortApi that simulates the agent in memory, for unit tests and UI work without the
 * real stack: two readers, the demo customer's card (PIN 123456, PUK 12345678, 3 tries), a
 * dosa (serial 12345678; the right svarskod is the kontrollnummer's digits reversed, 5 tries),
 * a HID token (serial 7000001) that waits for a touch, payment cards, e-nummer, transactions and the card
 * network. `control` lets a test pull the card, end the session and so on.
 * Not imported by the app itself, so it stays out of the production bundle.
 */
import type {
  AgentEvent,
  ApiFailure,
  AppLoginPhase,
  AppLoginStatus,
  CardHolder,
  CreateEnummerRequest,
  DemoInfo,
  Dispute,
  DosaChallenge,
  EkortApi,
  Enummer,
  EnummerSecret,
  FileCredential,
  Notification,
  PaymentCard,
  PlatformNote,
  ReaderInfo,
  SessionInfo,
  Settings,
  TokenInfo,
  Transaction,
} from '../../../src/client/api.ts';

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
}

export interface FakeControl {
  emit(event: AgentEvent): void;
  insertCard(): void;
  removeCard(): void;
  expireSession(): void;
  readonly calls: Array<{ method: string; input: unknown }>;
  readonly state: { pinTriesLeft: number; dosaTriesLeft: number; session: SessionInfo | null; enummers: Enummer[] };
  /** The right svarskod for a kontrollnummer. */
  svarskodFor(kontrollnummer: string): string;
  /** Mobilt BankID: the phase the next polls answer from now on (e.g. the app approves: 'done'). */
  setAppPhase(phase: AppLoginPhase): void;
}

export type FakeApi = EkortApi & { control: FakeControl };

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
const FAKE_EEA = new Set(['EUR', 'DKK', 'NOK']);

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

function fail(code: string, message: string, extra: Partial<ApiFailure> = {}): ApiFailure {
  return { code, message, ...extra };
}

export function createFakeApi(options: FakeOptions = {}): FakeApi {
  const listeners = new Set<(event: AgentEvent) => void>();
  const calls: Array<{ method: string; input: unknown }> = [];
  let settings: Settings = { language: 'sv', engineerMode: false, service: { mode: 'embedded' } };
  let readers: ReaderInfo[] = [
    { name: FAKE_READER, state: 'empty', pinPad: !!options.pinPad, virtual: true, source: 'pcsc' },
    { name: 'Virtual PCD 00 01', state: 'empty', pinPad: false, virtual: true, source: 'pcsc' },
  ];
  const card = { pin: FAKE_PIN, puk: FAKE_PUK, triesLeft: options.pinTriesLeft ?? 3 };
  let tokens: TokenInfo[] = [];
  let tokenTouch = false;
  let tokenWait: { reject: (f: ApiFailure) => void; timer: ReturnType<typeof setTimeout> } | null = null;
  let session: SessionInfo | null = null;
  let dosaTriesLeft = 5;
  const challenges = new Map<string, DosaChallenge>();
  let counter = 1000;
  const trace: string[] = [];
  const customer = { name: 'Anna Andersson', personnummer: '199001012385' };
  let cards: PaymentCard[] = [
    { id: 'card-visa-0001', last4: '1111', product: 'Visa', state: 'active', connected: true, termsVersion: '2026-01', termsAcceptedAt: '2026-01-10T10:00:00Z', limitPerPurchase: 2_000_000, limitPerMonth: 5_000_000 },
    { id: 'card-mc-00002', last4: '5678', product: 'Mastercard', state: 'active', connected: false, termsVersion: null, termsAcceptedAt: null, limitPerPurchase: 2_000_000, limitPerMonth: 5_000_000 },
  ];
  let enummers: Enummer[] = [];
  const secrets = new Map<string, EnummerSecret>();
  let transactions: Transaction[] = [...(options.transactions ?? [])];
  /** Wrong CVCs or expiry dates per e-nummer since its last unlock; 5 lock it (CVC_LOCKED), as the service does. */
  const wrongCardData = new Map<string, number>();
  let files: FileCredential[] = options.files ?? [fakeFile()];
  /** Wrong passwords in a row per file id; 5 lock the file. */
  const fileFailures = new Map<string, number>();
  let disputes: Dispute[] = [];
  let notifications: Notification[] = [];
  /** Mobilt BankID: the open order, its polls, and a forced phase. */
  let appOrder: { orderRef: string; polls: number; final?: AppLoginStatus } | null = null;
  let appForced: AppLoginPhase | null = null;
  const APP_TEXT: Record<AppLoginPhase, { sv: string; en: string }> = {
    waiting: { sv: 'Väntar på appen.', en: 'Waiting for the app.' },
    signing: { sv: 'Skriv in din PIN-kod i appen.', en: 'Enter your PIN in the app.' },
    cancelled: { sv: 'Inloggningen avbröts.', en: 'The login was cancelled.' },
    timeout: { sv: 'Tiden gick ut.', en: 'The login timed out.' },
    failed: { sv: 'Inloggningen misslyckades.', en: 'The login failed.' },
    done: { sv: 'Klart.', en: 'Done.' },
  };
  /** A QR content shaped like the real one (the code part is not an HMAC here). */
  function fakeQr(orderRef: string, seconds: number): string {
    let h = 0x811c9dc5;
    const hex: string[] = [];
    for (let i = 0; i < 8; i++) {
      for (const ch of `${orderRef}.${seconds}.${i}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
      hex.push(h.toString(16).padStart(8, '0'));
    }
    return `bankid.${orderRef}.${seconds}.${hex.join('')}`;
  }

  function emit(event: AgentEvent): void {
    for (const l of [...listeners]) l(event);
  }
  function setReaders(next: ReaderInfo[]): void {
    readers = next;
    emit({ type: 'readers', readers: readers.map((r) => ({ ...r })) });
  }
  function insertCard(): void {
    setReaders(readers.map((r, i) => (i === 0 ? { ...r, state: 'card', atr: '3B8880010000000000000000', cardKind: 'Virtual PIV card' } : r)));
  }
  function removeCard(): void {
    setReaders(readers.map((r, i) => (i === 0 ? { name: r.name, pinPad: r.pinPad, state: 'empty', virtual: r.virtual, source: r.source } : r)));
  }
  function apdu(line: string): void {
    trace.push(line);
    emit({ type: 'apdu', line });
  }
  function nextId(prefix: string): string {
    counter += 1;
    return `${prefix}-${String(counter).padStart(8, '0')}`;
  }
  function requireSession(): void {
    if (!session) throw fail('SESSION_EXPIRED', 'The session has ended: log in again.');
  }
  function requireEngineer(): void {
    if (!settings.engineerMode) throw fail('FORBIDDEN', 'Turn on the engineers’ view first.');
  }
  function startSession(method: SessionInfo['method']): SessionInfo {
    session = { customer, method, authenticatedAt: new Date().toISOString(), idleTimeoutSeconds: 900 };
    return session;
  }
  function svarskodFor(kontrollnummer: string): string {
    return kontrollnummer.split('').reverse().join('');
  }
  function cardReader(name: string): ReaderInfo {
    const r = readers.find((x) => x.name === name);
    if (!r) throw fail('READER_GONE', `The reader ${name} is gone.`);
    if (r.state !== 'card') throw fail('NO_CARD', `No card in ${name}.`);
    return r;
  }
  async function respond<T>(method: string, input: unknown, work: () => T | Promise<T>): Promise<T> {
    calls.push({ method, input });
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
    else await Promise.resolve();
    return work();
  }

  if (options.cardInserted) insertCard();
  if (options.token) tokens = [{ id: 'virtual:token-1', product: 'Virtual YubiKey', serial: FAKE_TOKEN_SERIAL, virtual: true }];

  const api: EkortApi = {
    settings: () => respond('settings', undefined, () => ({ ...settings })),
    updateSettings: (input) => respond('updateSettings', input, () => (settings = { ...settings, ...input })),
    startDemo: () =>
      respond('startDemo', undefined, (): DemoInfo => {
        insertCard();
        return { customer, cardPin: card.pin, cardPuk: card.puk, dosaSerial: FAKE_DOSA_SERIAL, dosaPin: '1234', reader: FAKE_READER };
      }),
    platform: () => respond('platform', undefined, () => [...(options.platform ?? [])]),
    readers: () => respond('readers', undefined, () => readers.map((r) => ({ ...r }))),
    cardHolder: (input) =>
      respond('cardHolder', input, (): CardHolder => {
        const r = cardReader(input.reader);
        return { reader: r.name, name: customer.name, personnummer: customer.personnummer, pinTriesLeft: card.triesLeft, pinBlocked: card.triesLeft === 0, pinPad: r.pinPad, validUntil: '2030-01-01T00:00:00Z', expiresInDays: null };
      }),
    tokens: () => respond('tokens', undefined, () => tokens.map((t) => ({ ...t }))),
    loginWithCard: (input) =>
      respond('loginWithCard', { reader: input.reader, pin: input.pin === undefined ? undefined : '***' }, () => {
        const r = cardReader(input.reader);
        if (card.triesLeft === 0) throw fail('PIN_BLOCKED', 'The PIN is blocked.');
        apdu('=> 00 20 00 80 08 ** ** ** ** ** ** ** **');
        if (!r.pinPad && input.pin === undefined) throw fail('PIN_REQUIRED', 'Give the PIN.');
        const pin = r.pinPad ? card.pin : input.pin;
        if (pin !== card.pin) {
          card.triesLeft -= 1;
          apdu(`<= SW 63C${card.triesLeft}`);
          if (card.triesLeft === 0) throw fail('PIN_BLOCKED', 'The PIN is blocked.');
          throw fail('PIN_INCORRECT', 'Wrong PIN.', { retriesLeft: card.triesLeft });
        }
        card.triesLeft = 3;
        apdu('<= SW 9000');
        return startSession('card');
      }),
    fileCredentials: (input) =>
      respond('fileCredentials', input, () => {
        for (const p of input?.paths ?? []) {
          if (files.some((f) => f.path === p)) continue;
          let h = 0;
          for (const ch of p) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
          const fileName = p.split(/[\\/]/).pop() ?? p;
          files = [...files, fakeFile({ id: h.toString(16).padStart(8, '0').repeat(8), path: p, fileName, holder: null })];
        }
        return files.map((f) => ({ ...f }));
      }),
    loginWithFile: (input) =>
      respond('loginWithFile', { ...input, password: '***' }, () => {
        const file = files.find((f) => (input.id !== undefined ? f.id === input.id : f.path === input.path));
        if (!file) throw fail('FILE_CREDENTIAL_UNKNOWN', 'This BankID på fil is no longer there. Choose the file again.');
        if (file.locked) throw fail('FILE_CREDENTIAL_LOCKED', 'This BankID på fil is locked after too many wrong passwords.');
        if (input.password !== FAKE_FILE_PASSWORD) {
          const wrong = (fileFailures.get(file.id) ?? 0) + 1;
          fileFailures.set(file.id, wrong);
          if (wrong >= 5) {
            files = files.map((f) => (f.id === file.id ? { ...f, locked: true } : f));
            throw fail('FILE_CREDENTIAL_LOCKED', 'This BankID på fil is locked after too many wrong passwords.');
          }
          throw fail('PASSWORD_INCORRECT', 'Wrong password.', { triesLeft: 5 - wrong });
        }
        fileFailures.delete(file.id);
        if (file.holder?.organisation && !file.holder.personnummer) {
          throw fail('ORGANISATION_EID', 'This is an e-tjänstelegitimation for an organisation. e-kort is a service for private persons: log in with your personal e-legitimation (BankID).');
        }
        return startSession('card');
      }),
    startDosaLogin: (input) =>
      respond('startDosaLogin', input, () => {
        if (input.serial !== FAKE_DOSA_SERIAL && input.serial !== FAKE_TOKEN_SERIAL) throw fail('DOSA_UNKNOWN', 'Unknown dosa serial.');
        if (dosaTriesLeft === 0) throw fail('DOSA_BLOCKED', 'The dosa is blocked.');
        counter += 1;
        const kontrollnummer = String(10_000_000 + ((counter * 7_919_113) % 90_000_000));
        const c: DosaChallenge = { challengeId: nextId('chal'), kontrollnummer, expiresAt: new Date(Date.now() + 5 * 60_000).toISOString() };
        challenges.set(c.challengeId, c);
        return c;
      }),
    finishDosaLogin: (input) =>
      respond('finishDosaLogin', { challengeId: input.challengeId, svarskod: '***' }, () => {
        const c = challenges.get(input.challengeId);
        if (!c) throw fail('CHALLENGE_EXPIRED', 'The kontrollnummer has expired.');
        if (dosaTriesLeft === 0) throw fail('DOSA_BLOCKED', 'The dosa is blocked.', { triesLeft: 0 });
        if (input.svarskod.replace(/\s/g, '') !== svarskodFor(c.kontrollnummer)) {
          dosaTriesLeft -= 1;
          if (dosaTriesLeft === 0) throw fail('DOSA_BLOCKED', 'The dosa is blocked.', { triesLeft: 0 });
          throw fail('DOSA_CODE_WRONG', 'Wrong svarskod.', { triesLeft: dosaTriesLeft });
        }
        challenges.delete(c.challengeId);
        return startSession('dosa');
      }),
    answerWithToken: (input) =>
      respond('answerWithToken', input, () => {
        const c = challenges.get(input.challengeId);
        if (!c) throw fail('CHALLENGE_EXPIRED', 'The kontrollnummer has expired.');
        if (!tokens.some((t) => t.id === input.token)) throw fail('TOKEN_REMOVED', 'The token is gone.');
        tokenTouch = true;
        emit({ type: 'token-touch', waiting: true });
        return new Promise<SessionInfo>((resolve, reject) => {
          const done = () => {
            tokenWait = null;
            tokenTouch = false;
            emit({ type: 'token-touch', waiting: false });
          };
          const timer = setTimeout(() => {
            done();
            challenges.delete(c.challengeId);
            resolve(startSession('dosa'));
          }, options.touchDelayMs ?? 50);
          tokenWait = {
            timer,
            reject: (f) => {
              done();
              reject(f);
            },
          };
        });
      }),
    cancelToken: () =>
      respond('cancelToken', undefined, () => {
        if (tokenWait) {
          clearTimeout(tokenWait.timer);
          tokenWait.reject(fail('TOKEN_CANCELLED', 'Cancelled.'));
        }
        void tokenTouch;
      }),
    startAppLogin: () =>
      respond('startAppLogin', undefined, () => {
        const orderRef = `6f9a1c2e-0b1d-4c5e-9f00-${String(++counter).padStart(12, '0')}`;
        appOrder = { orderRef, polls: 0 };
        appForced = null;
        return { orderRef, autoStartToken: `a7c3e1f0-2b4d-4e6f-8a9b-${String(counter).padStart(12, '0')}`, qr: fakeQr(orderRef, 0) };
      }),
    appLoginStatus: (input) =>
      respond('appLoginStatus', input, (): AppLoginStatus => {
        if (!appOrder || appOrder.orderRef !== input.orderRef) throw fail('APP_ORDER_UNKNOWN', 'Unknown order.');
        if (appOrder.final) return appOrder.final;
        appOrder.polls += 1;
        const script = options.appPhases ?? ['waiting', 'waiting', 'signing', 'done'];
        const phase = appForced ?? script[Math.min(appOrder.polls - 1, script.length - 1)] ?? 'waiting';
        const hintCode = phase === 'waiting' ? 'outstandingTransaction' : phase === 'signing' ? 'userSign' : phase === 'timeout' ? 'expiredTransaction' : phase === 'cancelled' ? 'cancelled' : phase === 'done' ? null : 'startFailed';
        const status: AppLoginStatus = { orderRef: appOrder.orderRef, phase, hintCode, statusText: APP_TEXT[phase], qr: phase === 'waiting' || phase === 'signing' ? fakeQr(appOrder.orderRef, appOrder.polls) : '' };
        if (phase === 'done') {
          appOrder.final = status;
          return { ...status, session: startSession('app') };
        }
        if (phase !== 'waiting' && phase !== 'signing') appOrder.final = status;
        return status;
      }),
    cancelAppLogin: (input) =>
      respond('cancelAppLogin', input, () => {
        if (!appOrder || appOrder.orderRef !== input.orderRef) throw fail('APP_ORDER_UNKNOWN', 'Unknown order.');
        appOrder.final ??= { orderRef: appOrder.orderRef, phase: 'cancelled', hintCode: 'cancelled', statusText: APP_TEXT.cancelled, qr: '' };
      }),
    session: () => respond('session', undefined, () => session),
    logout: () =>
      respond('logout', undefined, () => {
        session = null;
        emit({ type: 'session-ended', reason: 'logged-out' });
      }),
    terms: () => respond('terms', undefined, () => ({ version: '2026-01', title: 'Villkor för e-kort', text: 'Du betalar på internet med e-nummer som bara gäller hos en handlare.\n\nBanken ansvarar för…' })),
    paymentCards: () =>
      respond('paymentCards', undefined, () => {
        requireSession();
        return cards.map((c) => ({ ...c }));
      }),
    connectCard: (input) =>
      respond('connectCard', input, () => {
        requireSession();
        const c = cards.find((x) => x.id === input.cardId);
        if (!c) throw fail('NOT_FOUND', 'No such card.');
        if (c.state === 'blocked') throw fail('CARD_BLOCKED', 'The card is blocked.');
        const next: PaymentCard = { ...c, connected: true, termsVersion: input.termsVersion, termsAcceptedAt: new Date().toISOString() };
        cards = cards.map((x) => (x.id === c.id ? next : x));
        return next;
      }),
    blockCard: (input) =>
      respond('blockCard', input, () => {
        requireSession();
        const c = cards.find((x) => x.id === input.cardId);
        if (!c) throw fail('NOT_FOUND', 'No such card.');
        const next: PaymentCard = { ...c, state: 'blocked' };
        cards = cards.map((x) => (x.id === c.id ? next : x));
        enummers = enummers.map((e) => (e.cardLast4 === c.last4 && e.state !== 'closed' ? { ...e, state: 'closed', closeReason: 'card_blocked', closedAt: new Date().toISOString() } : e));
        return next;
      }),
    enummers: () =>
      respond('enummers', undefined, () => {
        requireSession();
        return enummers.map((e) => ({ ...e }));
      }),
    createEnummer: (input: CreateEnummerRequest) =>
      respond('createEnummer', input, () => {
        requireSession();
        const c = cards.find((x) => x.id === input.cardId);
        if (!c) throw fail('NOT_FOUND', 'No such card.');
        if (!c.connected) throw fail('CARD_NOT_CONNECTED', 'Connect the card first.');
        if (c.state === 'blocked') throw fail('CARD_BLOCKED', 'The card is blocked.');
        const id = nextId('enr');
        counter += 1;
        const pan = `4571${String(counter).padStart(4, '0')}${String(counter * 31).padStart(8, '0').slice(-8)}`;
        const months = input.recurring ? (input.months ?? 1) : 1;
        const until = new Date();
        until.setMonth(until.getMonth() + months);
        const expiry = `${String(until.getMonth() + 1).padStart(2, '0')}/${String(until.getFullYear() % 100).padStart(2, '0')}`;
        const enummer: Enummer = {
          id,
          last4: pan.slice(-4),
          cardLast4: c.last4,
          merchant: input.merchant.trim(),
          kind: input.recurring ? 'recurring' : 'single',
          months,
          expiry,
          validUntil: until.toISOString(),
          nickname: input.nickname ?? null,
          limit: input.limit ?? null,
          state: 'open',
          closeReason: null,
          createdAt: new Date().toISOString(),
          closedAt: null,
          lock: null,
        };
        const secret: EnummerSecret = { id, pan, expiry, cvc: String(100 + (counter % 900)) };
        enummers = [enummer, ...enummers];
        secrets.set(id, secret);
        return { enummer, secret };
      }),
    revealEnummer: (input) =>
      respond('revealEnummer', input, () => {
        requireSession();
        if (options.reauthForReveal) throw fail('REAUTH_REQUIRED', 'Log in again to see the number.');
        const s = secrets.get(input.id);
        if (!s) throw fail('NOT_FOUND', 'No such e-nummer.');
        return { ...s };
      }),
    changeEnummer: (input) =>
      respond('changeEnummer', input, () => {
        requireSession();
        const e = enummers.find((x) => x.id === input.id);
        if (!e) throw fail('NOT_FOUND', 'No such e-nummer.');
        if (e.state === 'closed') throw fail('STATE_CONFLICT', 'The e-nummer is closed.');
        if (input.action === 'unlock') wrongCardData.delete(e.id);
        const next: Enummer =
          input.action === 'close'
            ? { ...e, state: 'closed', closeReason: 'closed_by_holder', closedAt: new Date().toISOString() }
            : input.action === 'unlock'
              ? { ...e, lock: null }
              : { ...e, state: input.action === 'pause' ? 'paused' : 'open' };
        enummers = enummers.map((x) => (x.id === e.id ? next : x));
        return next;
      }),
    transactions: (input) =>
      respond('transactions', input, () => {
        requireSession();
        return transactions.filter((x) => !input.enummerId || x.enummerId === input.enummerId);
      }),
    disputeTransaction: (input) =>
      respond('disputeTransaction', input, (): Dispute => {
        requireSession();
        const tx = transactions.find((x) => x.id === input.transactionId);
        if (!tx) throw fail('NOT_FOUND', 'There is no such transaction among yours.');
        if (tx.decision !== 'approved') throw fail('TRANSACTION_DECLINED', 'The purchase was declined and never charged: there is nothing to dispute.');
        const existing = disputes.find((d) => d.transactionId === tx.id && d.kind !== 'goods' && input.kind !== 'goods');
        if (existing) throw fail('ALREADY_DISPUTED', 'This purchase is disputed already.');
        const enr = enummers.find((e) => e.id === tx.enummerId);
        const card = cards.find((c) => c.last4 === enr?.cardLast4);
        const now = new Date().toISOString();
        const liability: Dispute['liability'] =
          input.kind === 'unauthorised'
            ? card?.state === 'blocked'
              ? { maxSelfRiskOre: 0, reason: 'after_card_block', section: '10.5' }
              : { maxSelfRiskOre: Math.min(400_00, tx.amount), reason: 'self_risk', section: '10.2', grossNegligenceMaxOre: Math.min(12_000_00, tx.amount) }
            : input.kind === 'incorrect'
              ? { maxSelfRiskOre: 0, reason: 'incorrect_execution', section: '11.1' }
              : { maxSelfRiskOre: tx.amount, reason: 'goods_merchant_first', section: '11.2' };
        const dispute: Dispute = {
          id: nextId('dsp'),
          transactionId: tx.id,
          kind: input.kind,
          state: input.kind === 'goods' ? 'referred_to_merchant' : 'received',
          resolution: null,
          description: input.description ?? null,
          createdAt: now,
          updatedAt: now,
          merchant: tx.merchant,
          amount: tx.amount,
          liability,
          ...(input.kind === 'unauthorised' && card && card.state !== 'blocked' ? { offerCardBlock: true, cardId: card.id } : {}),
        };
        disputes = [dispute, ...disputes];
        return dispute;
      }),
    disputes: () =>
      respond('disputes', undefined, () => {
        requireSession();
        return disputes.map((d) => ({ ...d }));
      }),
    notifications: () =>
      respond('notifications', undefined, () => {
        requireSession();
        return notifications.map((n) => ({ ...n }));
      }),
    oathCodes: (input) =>
      respond('oathCodes', input, () => {
        const from = Math.floor(Date.now() / 30_000) * 30;
        return [
          { id: 'Example:anna@example.com', issuer: 'Example', name: 'anna@example.com', type: 'totp' as const, period: 30, touch: false, code: '287082', validFrom: from, validTo: from + 30 },
          { id: 'counter', name: 'counter', type: 'hotp' as const, period: 0, touch: false },
        ];
      }),
    oathCode: (input) =>
      respond('oathCode', input, () => ({ id: input.id, name: input.id, type: 'hotp' as const, period: 0, touch: false, code: '755224' })),
    apduTrace: () =>
      respond('apduTrace', undefined, () => {
        requireEngineer();
        return [...trace];
      }),
    insertVirtualCard: (input) =>
      respond('insertVirtualCard', input, () => {
        requireEngineer();
        insertCard();
        return { reader: FAKE_READER };
      }),
    removeVirtualCard: () =>
      respond('removeVirtualCard', undefined, () => {
        requireEngineer();
        removeCard();
      }),
    pinPadEntry: (input) =>
      respond('pinPadEntry', input, () => {
        requireEngineer();
        emit({ type: 'pin-pad', prompt: null });
      }),
    plugVirtualToken: (input) =>
      respond('plugVirtualToken', input, () => {
        requireEngineer();
        const t: TokenInfo = { id: 'virtual:token-1', product: input.touch ? 'Virtual YubiKey (touch)' : 'Virtual YubiKey', serial: FAKE_TOKEN_SERIAL, virtual: true };
        tokens = [t];
        emit({ type: 'tokens', tokens: [t] });
        return t;
      }),
    unplugVirtualToken: () =>
      respond('unplugVirtualToken', undefined, () => {
        requireEngineer();
        tokens = [];
        emit({ type: 'tokens', tokens: [] });
        if (tokenWait) {
          clearTimeout(tokenWait.timer);
          tokenWait.reject(fail('TOKEN_REMOVED', 'The token was unplugged.'));
        }
      }),
    authorizePurchase: (input) =>
      respond('authorizePurchase', { ...input, pan: '***', cvc: '***' }, () => {
        requireEngineer();
        const entry = [...secrets.values()].find((s) => s.pan === input.pan);
        const e = entry ? enummers.find((x) => x.id === entry.id) : undefined;
        let declineCode: Transaction['declineCode'] = null;
        if (!entry || !e) declineCode = 'UNKNOWN_NUMBER';
        else if (e.state === 'closed') declineCode = 'CLOSED';
        else if (e.lock) declineCode = 'CVC_LOCKED';
        else if (e.state === 'paused') declineCode = 'PAUSED';
        else if (entry.expiry !== input.expiry) declineCode = 'EXPIRY_MISMATCH';
        else if (entry.cvc !== input.cvc) declineCode = 'CVC_MISMATCH';
        else if (e.merchant.toLowerCase() !== input.merchant.trim().toLowerCase()) declineCode = 'MERCHANT_MISMATCH';
        if (e && (declineCode === 'EXPIRY_MISMATCH' || declineCode === 'CVC_MISMATCH')) {
          const wrong = (wrongCardData.get(e.id) ?? 0) + 1;
          wrongCardData.set(e.id, wrong);
          const lock = wrong >= 5 ? { reason: 'wrong_cvc' as const, lockedAt: new Date().toISOString() } : null;
          if (lock) enummers = enummers.map((x) => (x.id === e.id ? { ...x, lock } : x));
        }
        const currency = input.currency && input.currency !== 'SEK' ? input.currency : null;
        const rate = currency ? FAKE_RATES[currency] : undefined;
        // Another currency: converted at the reference rate (cents × SEK/unit = öre), plus the 1,65 % markup.
        const converted = rate === undefined ? input.amount : Math.round(input.amount * rate);
        const fee = rate === undefined ? 0 : Math.round((converted * 165) / 10_000);
        const amount = converted + fee;
        if (declineCode === null && currency && rate === undefined) declineCode = 'CURRENCY_NOT_SUPPORTED';
        else if (e && e.limit && amount > e.limit.amount && declineCode === null) declineCode = 'LIMIT_EXCEEDED';
        const tx: Transaction = {
          id: nextId('txn'),
          enummerId: e?.id ?? null,
          last4: input.pan.slice(-4),
          merchant: input.merchant,
          amount,
          decision: declineCode ? 'declined' : 'approved',
          declineCode,
          createdAt: new Date().toISOString(),
          ...(currency && rate !== undefined ? { originalAmount: input.amount, currency, rate, rateDate: '2026-11-20', fee } : {}),
        };
        transactions = [tx, ...transactions];
        if (currency && rate !== undefined && FAKE_EEA.has(currency) && !notifications.some((n) => n.currency === currency)) {
          const shown = String(rate).replace('.', ',');
          notifications = [
            {
              id: nextId('ntf'),
              kind: 'currency_conversion',
              currency,
              month: tx.createdAt.slice(0, 7),
              transactionId: tx.id,
              markupPercent: '1.65',
              rate,
              rateDate: '2026-11-20',
              text: {
                sv: `Du har handlat med ditt kort i ${currency}. Valutaväxlingspåslaget är 1,65 % över referensväxelkursen (${shown} kr per ${currency} den 2026-11-20). Vi skickar detta meddelande en gång per valuta och månad (kortvillkor punkt 17).`,
                en: `You paid with your card in ${currency}. The currency conversion markup is 1.65 % over the reference exchange rate (SEK ${rate} per ${currency} on 2026-11-20). We send this message once per currency and month (card terms §17).`,
              },
              createdAt: tx.createdAt,
            },
            ...notifications,
          ];
        }
        if (!declineCode && e && e.kind === 'single') {
          enummers = enummers.map((x) => (x.id === e.id ? { ...x, state: 'closed', closeReason: 'used', closedAt: tx.createdAt } : x));
        }
        return { approved: !declineCode, declineCode, transactionId: tx.id };
      }),
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };

  const control: FakeControl = {
    emit,
    insertCard,
    removeCard,
    expireSession() {
      session = null;
      emit({ type: 'session-ended', reason: 'expired' });
    },
    calls,
    get state() {
      return { pinTriesLeft: card.triesLeft, dosaTriesLeft, session, enummers };
    },
    svarskodFor,
    setAppPhase(phase) {
      appForced = phase;
    },
  };
  return Object.assign(api, { control });
}
