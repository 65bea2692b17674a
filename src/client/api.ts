/**
 * The one contract between the desktop agent (main process) and the renderer, shared by the
 * Electron preload, the loopback browser bridge and the renderer (docs/design.md). The renderer
 * imports only types from here (plus the method list, a plain constant).
 *
 * Every call takes at most one plain JSON input object and resolves with plain JSON, or
 * rejects with an `ApiFailure` ({ code, message, ... }): nothing else crosses the boundary,
 * no Node object, no class instance, no function. Secrets the user types (PIN, svarskod)
 * travel in one call's input and are not kept by the agent after the call.
 */
import type {
  AgreementEnded,
  AuthorizationRequest,
  AuthorizationResult,
  CreatedEnummer,
  CreateEnummerRequest,
  Dispute,
  DisputeKind,
  DosaChallenge,
  Enummer,
  EnummerAction,
  EnummerSecret,
  Notification,
  PaymentCard,
  Preferences,
  RefundRequest,
  SessionInfo,
  Terms,
  Transaction,
} from '../bank/api/schemas.ts';

export type { AuthorizationRequest, AuthorizationResult, CreatedEnummer, CreateEnummerRequest, DosaChallenge, Enummer, EnummerAction, EnummerSecret, PaymentCard, SessionInfo, Terms, Transaction };
export type { AgreementEnded, Dispute, DisputeKind, Notification, Preferences, RefundRequest };

export type Language = 'sv' | 'en';

export interface Settings {
  language: Language;
  /** Shows the engineers' view (APDU trace, reader details, virtual card and token controls). */
  engineerMode: boolean;
  /** The e-kort service: embedded (SQLite in the app's data folder) or a remote URL. */
  service: { mode: 'embedded' } | { mode: 'remote'; url: string };
}

export interface ReaderInfo {
  name: string;
  state: 'empty' | 'card' | 'unavailable';
  /** A PIN-pad reader (PC/SC part 10): the PIN is typed on the reader. */
  pinPad: boolean;
  /** Hex, when a card is in. */
  atr?: string;
  /** From the ATR table, e.g. "BankID (Telia)", "Virtual PIV card". */
  cardKind?: string;
  /** A reader for virtual cards only: the app's own, or vsmartcard's through pcscd. */
  virtual: boolean;
  /** 'in-app': the app's own reader, no pcscd needed; 'pcsc': a reader pcscd reports. */
  source: 'in-app' | 'pcsc';
}

export interface CardHolder {
  reader: string;
  name: string;
  personnummer: string | null;
  /** Tries left before the PIN blocks; null when the card does not say. */
  pinTriesLeft: number | null;
  pinBlocked: boolean;
  pinPad: boolean;
  /** ISO 8601: the end of the e-legitimation's validity. */
  validUntil: string;
  /** Set from 30 days before expiry. */
  expiresInDays: number | null;
}

/** A BankID på fil found on the computer (or picked), with its holder when readable without the password. */
export interface FileCredential {
  /** SHA-256 of the file, hex: pass back to loginWithFile. */
  id: string;
  path: string;
  fileName: string;
  /** null: the file encrypts its certificate as well; whose it is shows only after the password. */
  holder: {
    name: string;
    personnummer: string | null;
    /** An e-tjänstelegitimation: the organisation it speaks for (then personnummer is null). */
    organisation: { number: string; name: string | null; personId: string } | null;
    /** ISO 8601. */
    validUntil: string;
  } | null;
  /** Locked after 5 wrong passwords in a row: a new BankID is needed. */
  locked: boolean;
}

export interface TokenInfo {
  /** Opaque id to pass back (a HID path, or "virtual:…"). */
  id: string;
  product: string;
  serial?: string;
  virtual: boolean;
}

/** A device kind this machine cannot use, and the command that adds it (platformNotes). */
export interface PlatformNote {
  code: 'PCSC_NOT_INSTALLED' | 'PCSCD_NOT_RUNNING' | 'HID_NOT_INSTALLED';
  /** One line for a terminal, in English: what is missing, what it costs, the command. */
  line: string;
}

export interface DemoInfo {
  customer: { name: string; personnummer: string };
  cardPin: string;
  cardPuk: string;
  dosaSerial: string;
  dosaPin: string;
  /** The virtual card is inserted into this reader. */
  reader: string;
}

export type AgentEvent =
  | { type: 'readers'; readers: ReaderInfo[] }
  | { type: 'tokens'; tokens: TokenInfo[] }
  /** A HID token waits for a touch ("rör vid din dosa"), or stopped waiting. */
  | { type: 'token-touch'; waiting: boolean }
  /** The login session ended: idle 15 minutes, logged out, or the card left mid-login. */
  | { type: 'session-ended'; reason: 'expired' | 'logged-out' }
  /**
   * The session ends for want of use in `secondsLeft` (WCAG 2.2.1: warned before the end, one
   * action keeps it: any call); null when a call has kept it after a warning.
   */
  | { type: 'session-expiring'; secondsLeft: number | null }
  /** The settings changed in another app window on the same data folder. */
  | { type: 'settings'; settings: Settings }
  /** Engineers' view: one APDU trace line, PINs masked. */
  | { type: 'apdu'; line: string }
  /** Engineers' view: ekort's PIN-pad reader asks for a PIN (typed with pinPadEntry), or stopped asking (null). */
  | { type: 'pin-pad'; prompt: PinPadPrompt | null };

export interface PinPadPrompt {
  reader: string;
  kind: 'verify' | 'modify';
  minDigits: number;
  maxDigits: number;
  timeoutSeconds: number;
}

/** An OATH account on a YubiKey and, when the key gave one, its code now. */
export interface OathAccount {
  id: string;
  name: string;
  issuer?: string;
  type: 'totp' | 'hotp';
  /** TOTP time step in seconds (0 for HOTP). */
  period: number;
  /** The key asks for a touch before it gives this code. */
  touch: boolean;
  code?: string;
  /** Unix seconds: when the code starts and stops being valid (TOTP). */
  validFrom?: number;
  validTo?: number;
}

/** A failed call, as the renderer sees it. `code` is stable; the UI translates by it. */
export interface ApiFailure {
  code: string;
  message: string;
  /** PIN_INCORRECT: tries left on the card. */
  retriesLeft?: number;
  /** DOSA_CODE_WRONG: tries left before the bank blocks the dosa; PASSWORD_INCORRECT: before the BankID på fil locks. */
  triesLeft?: number;
  /** TRY_LATER (a wrong dosa code moments ago), RATE_LIMITED: seconds to wait before trying again. */
  retryAfter?: number;
  /** CODE_TOO_EASY: why the chosen code is easy to guess (sequence, repeated, pattern, birth_date, personnummer, card_number, phone_number). */
  reason?: string;
  /** CARD_REMOVED, TRANSMIT_TIMEOUT, ...: a PIN was on its way to the card and its answer was lost, so one try may be spent. */
  pinMayBeSpent?: boolean;
  /** STORAGE_FULL, STORAGE_READ_ONLY: the folder that could not be written (the app's data folder). */
  folder?: string;
  issues?: Array<{ path: string; message: string }>;
}

/** Mobilt BankID (the approval app): what the renderer needs to show the order. */
export interface AppLoginStart {
  orderRef: string;
  /** For the same-device link `bankid:///?autostarttoken=…&redirect=null`. */
  autoStartToken: string;
  /** The QR code's content now (it changes every second: ask appLoginStatus). */
  qr: string;
  /** When the order ends unscanned (ISO 8601; three minutes after the start). */
  expiresAt: string;
}

/** waiting for the app, the user is signing, cancelled, timed out, failed, done. */
export type AppLoginPhase = 'waiting' | 'signing' | 'cancelled' | 'timeout' | 'failed' | 'done';

export interface AppLoginStatus {
  orderRef: string;
  phase: AppLoginPhase;
  /** BankID's hint code (pending and failed orders); the renderer words it by phase and hint. */
  hintCode: string | null;
  /** The service's own wording, both languages (the renderer prefers its i18n by phase/hint). */
  statusText: { sv: string; en: string };
  /** The QR code's content now ('' once the order is over). */
  qr: string;
  /** When done: the session (the agent keeps its token, like the other logins). */
  session?: SessionInfo;
}

/** Every call, with its input (`void`: none) and output. */
export interface EkortApiMethods {
  // The app
  settings: { input: void; output: Settings };
  updateSettings: { input: Partial<Settings>; output: Settings };
  /** "Prova med virtuellt kort": demo customer, virtual card inserted, virtual dosa (embedded service). */
  startDemo: { input: void; output: DemoInfo };
  /** What this machine lacks for real readers and tokens (the demo needs none of it). */
  platform: { input: void; output: PlatformNote[] };

  // Readers, cards, tokens
  readers: { input: void; output: ReaderInfo[] };
  cardHolder: { input: { reader: string }; output: CardHolder };
  tokens: { input: void; output: TokenInfo[] };

  // Login
  /** `pin` absent on a PIN-pad reader: the holder types it there. Never retried by the agent. */
  loginWithCard: { input: { reader: string; pin?: string }; output: SessionInfo };
  /** BankID på fil in the BankID folders (~/.bankid or $EKORT_BANKID_DIR) plus `paths` the user picked. */
  fileCredentials: { input: { paths?: string[] }; output: FileCredential[] };
  /** BankID på fil: the file (by id from fileCredentials, or a picked path) and its password, used once. PASSWORD_INCORRECT has `triesLeft`. */
  loginWithFile: { input: { id?: string; path?: string; password: string }; output: SessionInfo };
  startDosaLogin: { input: { serial: string }; output: DosaChallenge };
  finishDosaLogin: { input: { challengeId: string; svarskod: string }; output: SessionInfo };
  /** A connected HID token answers the kontrollnummer itself (events: token-touch). */
  answerWithToken: { input: { challengeId: string; token: string }; output: SessionInfo };
  cancelToken: { input: void; output: void };
  /** Mobilt BankID: an order to approve in the app (QR code or the same-device link). */
  startAppLogin: { input: void; output: AppLoginStart };
  /** Every second: the order's phase and QR code now; when done, the session. */
  appLoginStatus: { input: { orderRef: string }; output: AppLoginStatus };
  cancelAppLogin: { input: { orderRef: string }; output: void };
  session: { input: void; output: SessionInfo | null };
  logout: { input: void; output: void };

  // e-kort
  terms: { input: void; output: Terms };
  paymentCards: { input: void; output: PaymentCard[] };
  connectCard: { input: { cardId: string; termsVersion: string }; output: PaymentCard };
  blockCard: { input: { cardId: string }; output: PaymentCard };
  /** Accept the announced change of the terms now (card terms §21). */
  acceptTerms: { input: { version: string }; output: void };
  /** End e-kort: every card disconnected, every e-nummer closed. */
  endAgreement: { input: void; output: AgreementEnded };
  enummers: { input: void; output: Enummer[] };
  createEnummer: { input: CreateEnummerRequest; output: CreatedEnummer };
  revealEnummer: { input: { id: string }; output: EnummerSecret };
  changeEnummer: { input: { id: string; action: EnummerAction }; output: Enummer };
  transactions: { input: { enummerId?: string }; output: Transaction[] };
  /** A claim (reklamation, card terms §10–11) on one of the holder's transactions; the answer says what the holder risks, and offers blocking the card (offerCardBlock, cardId) for an unauthorised purchase. */
  disputeTransaction: { input: { transactionId: string; kind: DisputeKind; description?: string }; output: Dispute };
  disputes: { input: void; output: Dispute[] };
  /** Card terms §20: a refund of a purchase whose exact amount was not given; expectedAmount in the purchase's currency (minor units). */
  requestRefund: { input: { transactionId: string; expectedAmount: number; reason?: string }; output: RefundRequest };
  refunds: { input: void; output: RefundRequest[] };
  /** The police's report number the bank asked for with a claim (card terms §10.4). */
  submitPoliceReport: { input: { id: string; reference: string }; output: Dispute };
  /** Messages to the holder, newest first (the §17 currency conversion notice). */
  notifications: { input: void; output: Notification[] };
  /** The holder's choice of messages: the §17 currency conversion message on or off. */
  preferences: { input: void; output: Preferences };
  setPreferences: { input: Preferences; output: Preferences };

  // The authenticator: OATH codes from a YubiKey in a reader
  oathCodes: { input: { reader: string }; output: OathAccount[] };
  /** One account's code: HOTP moves the key's counter; a touch account waits for the touch. */
  oathCode: { input: { reader: string; id: string }; output: OathAccount };

  // Engineers' view (refused unless settings.engineerMode)
  apduTrace: { input: void; output: string[] };
  insertVirtualCard: { input: { reader?: string }; output: { reader: string } };
  removeVirtualCard: { input: void; output: void };
  /** Typed on ekort's PIN-pad reader while it asks (event pin-pad): the PIN, or cancel. */
  pinPadEntry: { input: { pin?: string; cancel?: boolean }; output: void };
  plugVirtualToken: { input: { touch?: boolean }; output: TokenInfo };
  unplugVirtualToken: { input: void; output: void };
  /** The card network's question to the embedded service, for demos and tests. */
  authorizePurchase: { input: AuthorizationRequest; output: AuthorizationResult };
}

export type ApiMethod = keyof EkortApiMethods;
export type ApiInput<M extends ApiMethod> = EkortApiMethods[M]['input'];
export type ApiOutput<M extends ApiMethod> = EkortApiMethods[M]['output'];

/** What the renderer holds as `window.ekort` (preload) or gets from the bridge client. */
export type EkortApi = {
  [M in ApiMethod]: ApiInput<M> extends void ? () => Promise<ApiOutput<M>> : (input: ApiInput<M>) => Promise<ApiOutput<M>>;
} & {
  /** Agent events; returns the unsubscribe function. */
  subscribe(listener: (event: AgentEvent) => void): () => void;
};

export const API_METHODS = [
  'settings',
  'updateSettings',
  'startDemo',
  'platform',
  'readers',
  'cardHolder',
  'tokens',
  'loginWithCard',
  'fileCredentials',
  'loginWithFile',
  'startDosaLogin',
  'finishDosaLogin',
  'answerWithToken',
  'cancelToken',
  'startAppLogin',
  'appLoginStatus',
  'cancelAppLogin',
  'session',
  'logout',
  'terms',
  'paymentCards',
  'connectCard',
  'blockCard',
  'acceptTerms',
  'endAgreement',
  'enummers',
  'createEnummer',
  'revealEnummer',
  'changeEnummer',
  'transactions',
  'disputeTransaction',
  'disputes',
  'requestRefund',
  'refunds',
  'submitPoliceReport',
  'notifications',
  'preferences',
  'setPreferences',
  'oathCodes',
  'oathCode',
  'apduTrace',
  'insertVirtualCard',
  'removeVirtualCard',
  'pinPadEntry',
  'plugVirtualToken',
  'unplugVirtualToken',
  'authorizePurchase',
] as const satisfies readonly ApiMethod[];

/** Compile-time check that API_METHODS names every method exactly. */
type Missing = Exclude<ApiMethod, (typeof API_METHODS)[number]>;
const complete: Missing extends never ? true : Missing = true;
void complete;
