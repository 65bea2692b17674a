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
  CardHolder,
  CreateEnummerRequest,
  DemoInfo,
  DosaChallenge,
  EkortApi,
  Enummer,
  EnummerSecret,
  PaymentCard,
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
  /** How long the token waits for a touch before it answers (ms). */
  touchDelayMs?: number;
  pinTriesLeft?: number;
  /** Resolve calls after this many ms (0: next microtask). */
  latencyMs?: number;
  /** revealEnummer answers REAUTH_REQUIRED. */
  reauthForReveal?: boolean;
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
}

export type FakeApi = EkortApi & { control: FakeControl };

export const FAKE_PIN = '123456';
export const FAKE_PUK = '12345678';
export const FAKE_DOSA_SERIAL = '12345678';
export const FAKE_READER = 'Virtual PCD 00 00';
/** The HID token is enrolled at the bank under its own serial, like the real demo's. */
export const FAKE_TOKEN_SERIAL = '7000001';

function fail(code: string, message: string, extra: Partial<ApiFailure> = {}): ApiFailure {
  return { code, message, ...extra };
}

export function createFakeApi(options: FakeOptions = {}): FakeApi {
  const listeners = new Set<(event: AgentEvent) => void>();
  const calls: Array<{ method: string; input: unknown }> = [];
  let settings: Settings = { language: 'sv', engineerMode: false, service: { mode: 'embedded' } };
  let readers: ReaderInfo[] = [
    { name: FAKE_READER, state: 'empty', pinPad: !!options.pinPad },
    { name: 'Virtual PCD 00 01', state: 'empty', pinPad: false },
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
  let transactions: Transaction[] = [];

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
    setReaders(readers.map((r, i) => (i === 0 ? { name: r.name, pinPad: r.pinPad, state: 'empty' } : r)));
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
        const next: Enummer =
          input.action === 'close'
            ? { ...e, state: 'closed', closeReason: 'closed_by_holder', closedAt: new Date().toISOString() }
            : { ...e, state: input.action === 'pause' ? 'paused' : 'open' };
        enummers = enummers.map((x) => (x.id === e.id ? next : x));
        return next;
      }),
    transactions: (input) =>
      respond('transactions', input, () => {
        requireSession();
        return transactions.filter((x) => !input.enummerId || x.enummerId === input.enummerId);
      }),
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
        else if (e.state === 'paused') declineCode = 'PAUSED';
        else if (entry.expiry !== input.expiry) declineCode = 'EXPIRY_MISMATCH';
        else if (entry.cvc !== input.cvc) declineCode = 'CVC_MISMATCH';
        else if (e.merchant.toLowerCase() !== input.merchant.trim().toLowerCase()) declineCode = 'MERCHANT_MISMATCH';
        else if (e.limit && input.amount > e.limit.amount) declineCode = 'LIMIT_EXCEEDED';
        const tx: Transaction = {
          id: nextId('txn'),
          enummerId: e?.id ?? null,
          last4: input.pan.slice(-4),
          merchant: input.merchant,
          amount: input.amount,
          decision: declineCode ? 'declined' : 'approved',
          declineCode,
          createdAt: new Date().toISOString(),
        };
        transactions = [tx, ...transactions];
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
  };
  return Object.assign(api, { control });
}
