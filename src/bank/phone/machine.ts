/**
 * A call to the telephone service as a pure state machine driven by key presses:
 * `press(state, key)` and `resolve(state, outcome)` return the next state, what the caller
 * hears (Swedish text) and, where the bank has to check something, an `action` for the
 * service to perform; the service answers it with an `Outcome` given to `resolve`. No I/O,
 * no clock, no randomness here: the service (calls.ts) does those and persists the state.
 *
 * The menu (seed 002, and card terms §8): 9 Spärrservice, before any identification (the
 * personnummer, the card's last four digits, a confirmation: the card is blocked at once),
 * 1 identify with S-mobil (user code #, then approve the request in the
 * app), 2 identify with the code table (user code #, password #, the code of the cell asked
 * #, the SMS confirmation code #), 5 not a customer / not identified (general questions).
 * After an identification the caller picks the reason for the call and waits in the queue.
 *
 * Entries: digits collect in `buffer` until # (submit); * clears the entry and repeats the
 * question. The buffer is cleared at every #, so a state only holds a partly typed entry
 * while the caller is typing it key by key.
 */
import { isValidPersonnummer } from '../../identity/index.ts';
import { P, REASONS, type CallReason } from './prompts.ts';

export type Step =
  | 'menu'
  | 'app.userCode'
  | 'app.waiting'
  | 'table.userCode'
  | 'table.password'
  | 'table.cell'
  | 'table.sms'
  | 'block.personnummer'
  | 'block.last4'
  | 'block.confirm'
  | 'reason'
  | 'queued'
  | 'ended';

export type IdentificationMethod = 'app' | 'codetable';

export interface CallState {
  step: Step;
  /** The digits typed since the last #. */
  buffer: string;
  /** table.password: the user code typed before it. */
  userCode?: string;
  /** The customer the identification under way is for (after the user code / password). */
  customerId?: string;
  /** table.cell: the cell asked, e.g. "B10". */
  cell?: string;
  /** table.sms: the confirmation code sent for this call (its hash) and when it expires. */
  sms?: { hash: string; expiresAt: number };
  /** app.waiting: the identification request sent to the app, and its code. */
  requestId?: string;
  appCode?: string;
  /** Spärrservice: the personnummer given, then the card found for it (blocked on confirmation). */
  blockPersonnummer?: string;
  blockLast4?: string;
  blockCard?: { customerId: string; cardId: string };
  /** Wrong user code / password / code answers in this call. */
  wrongEntries: number;
  /** Set once identified; it belongs to this call only. */
  identified?: { customerId: string; method: IdentificationMethod };
  queue?: 'general' | 'identified';
  reason?: CallReason;
}

export type Action =
  | { type: 'appRequest'; userCode: string }
  | { type: 'appStatus'; requestId: string; customerId: string; asked: boolean }
  | { type: 'verifyPassword'; userCode: string; password: string }
  | { type: 'drawCell'; customerId: string }
  | { type: 'verifyCell'; customerId: string; cell: string; code: string }
  | { type: 'sendSms'; customerId: string }
  | { type: 'verifySms'; customerId: string; code: string; sms: { hash: string; expiresAt: number } }
  | { type: 'findCard'; personnummer: string; last4: string }
  | { type: 'blockCard'; customerId: string; cardId: string };

export type Outcome =
  | { type: 'appRequested'; customerId: string; requestId: string; code: string }
  | { type: 'appStatus'; status: 'pending' | 'approved' | 'rejected' | 'expired'; asked: boolean }
  | { type: 'passwordOk'; customerId: string }
  | { type: 'cellDrawn'; cell: string }
  | { type: 'cellOk' }
  | { type: 'cellUsed' }
  | { type: 'smsSent'; hash: string; expiresAt: number }
  | { type: 'smsOk' }
  | { type: 'smsExpired' }
  | { type: 'wrong' }
  | { type: 'unknownUser' }
  | { type: 'locked' }
  | { type: 'initialPassword' }
  | { type: 'noTable' }
  | { type: 'noPhone' }
  | { type: 'cardFound'; customerId: string; cardId: string }
  | { type: 'noCard' }
  | { type: 'cardBlocked'; smsSent: boolean };

export interface Transition {
  state: CallState;
  prompts: string[];
  action?: Action;
}

/** Wrong entries in one call before it goes back to the main menu. */
export const MAX_WRONG_ENTRIES_PER_CALL = 3;
const MAX_BUFFER = 16;

export const KEYS = /^[0-9*#]$/;

export const initialState = (): CallState => ({ step: 'menu', buffer: '', wrongEntries: 0 });

/** What a new call hears. */
export function start(): Transition {
  return { state: initialState(), prompts: [P.welcome, P.menu] };
}

/** The question of an entry step, asked again. */
function question(state: CallState): string {
  switch (state.step) {
    case 'app.userCode':
    case 'table.userCode':
      return P.userCode;
    case 'table.password':
      return P.password;
    case 'table.cell':
      return P.cell(state.cell!);
    case 'table.sms':
      return P.smsSent;
    case 'reason':
      return P.reasonMenu;
    case 'block.personnummer':
      return P.blockPersonnummer;
    case 'block.last4':
      return P.blockLast4;
    case 'block.confirm':
      return P.blockConfirm(state.blockLast4!);
    case 'app.waiting':
      return P.appWaiting;
    case 'queued':
      return P.inQueue;
    default:
      return P.menu;
  }
}

/** Back to the main menu, with nothing of the identification attempt kept. */
function toMenu(state: CallState, prompts: string[]): Transition {
  return { state: { step: 'menu', buffer: '', wrongEntries: state.wrongEntries }, prompts: [...prompts, P.menu] };
}

const withStep = (state: CallState, step: Step, extra: Partial<CallState> = {}): CallState => ({ ...state, ...extra, step, buffer: '' });

/** One key press. Keys other than 0-9, * and # are a programming error of the caller. */
export function press(state: CallState, key: string): Transition {
  if (!KEYS.test(key)) throw new RangeError(`not a phone key: ${JSON.stringify(key)}`);
  switch (state.step) {
    case 'ended':
      return { state, prompts: [] };
    case 'menu':
      return menuChoice(state, key);
    case 'reason':
      return reasonChoice(state, key);
    case 'block.confirm':
      return blockConfirmation(state, key);
    case 'queued':
      return { state, prompts: [P.inQueue] };
    case 'app.waiting':
      // Any key asks whether the app has answered.
      return { state, prompts: [], action: { type: 'appStatus', requestId: state.requestId!, customerId: state.customerId!, asked: true } };
    default:
      return entryKey(state, key);
  }
}

/** Time passed without a key (the phone system polls): only the app wait has news. */
export function poll(state: CallState): Transition {
  if (state.step === 'app.waiting') return { state, prompts: [], action: { type: 'appStatus', requestId: state.requestId!, customerId: state.customerId!, asked: false } };
  return { state, prompts: [] };
}

/** The caller hung up, or the line dropped: the call and its identification end. */
export function hangup(state: CallState): Transition {
  return { state: { step: 'ended', buffer: '', wrongEntries: state.wrongEntries, ...(state.identified ? { identified: state.identified } : {}) }, prompts: [P.goodbye] };
}

function menuChoice(state: CallState, key: string): Transition {
  switch (key) {
    case '1':
      return { state: withStep(state, 'app.userCode'), prompts: [P.userCode] };
    case '2':
      return { state: withStep(state, 'table.userCode'), prompts: [P.userCode] };
    case '9':
      return { state: withStep(state, 'block.personnummer'), prompts: [P.blockPersonnummer] };
    case '5':
      return { state: { step: 'queued', buffer: '', wrongEntries: state.wrongEntries, queue: 'general' }, prompts: [P.queuedGeneral] };
    case '*':
      return { state, prompts: [P.menu] };
    default:
      return { state, prompts: [P.invalidChoice, P.menu] };
  }
}

function reasonChoice(state: CallState, key: string): Transition {
  const reason = (REASONS as Record<string, CallReason>)[key];
  if (reason) return { state: withStep(state, 'queued', { queue: 'identified', reason }), prompts: [P.queuedIdentified] };
  if (key === '*') return { state, prompts: [P.reasonMenu] };
  return { state, prompts: [P.invalidChoice, P.reasonMenu] };
}

function blockConfirmation(state: CallState, key: string): Transition {
  const card = state.blockCard!;
  if (key === '1') return { state, prompts: [], action: { type: 'blockCard', customerId: card.customerId, cardId: card.cardId } };
  if (key === '*') return toMenu(state, [P.blockCancelled]);
  return { state, prompts: [P.invalidChoice, P.blockConfirm(state.blockLast4!)] };
}

function entryKey(state: CallState, key: string): Transition {
  if (key === '*') return { state: { ...state, buffer: '' }, prompts: [question(state)] };
  if (key !== '#') {
    if (state.buffer.length >= MAX_BUFFER) return { state: { ...state, buffer: '' }, prompts: [P.tooLong, question(state)] };
    return { state: { ...state, buffer: state.buffer + key }, prompts: [] };
  }
  const entry = state.buffer;
  const cleared: CallState = { ...state, buffer: '' };
  switch (state.step) {
    case 'app.userCode':
      if (!/^[0-9]{6,8}$/.test(entry)) return { state: cleared, prompts: [P.userCodeFormat, P.userCode] };
      return { state: cleared, prompts: [], action: { type: 'appRequest', userCode: entry } };
    case 'table.userCode':
      if (!/^[0-9]{6,8}$/.test(entry)) return { state: cleared, prompts: [P.userCodeFormat, P.userCode] };
      return { state: withStep(state, 'table.password', { userCode: entry }), prompts: [P.password] };
    case 'table.password':
      if (!/^[0-9]{4,6}$/.test(entry)) return { state: cleared, prompts: [P.passwordFormat, P.password] };
      return { state: cleared, prompts: [], action: { type: 'verifyPassword', userCode: state.userCode!, password: entry } };
    case 'table.cell':
      if (!/^[0-9]{4}$/.test(entry)) return { state: cleared, prompts: [P.cellFormat, P.cell(state.cell!)] };
      return { state: cleared, prompts: [], action: { type: 'verifyCell', customerId: state.customerId!, cell: state.cell!, code: entry } };
    case 'table.sms':
      if (!/^[0-9]{6}$/.test(entry)) return { state: cleared, prompts: [P.smsFormat, P.smsSent] };
      return { state: cleared, prompts: [], action: { type: 'verifySms', customerId: state.customerId!, code: entry, sms: state.sms! } };
    case 'block.personnummer':
      if (!isValidPersonnummer(entry)) return { state: cleared, prompts: [P.personnummerFormat, P.blockPersonnummer] };
      return { state: withStep(state, 'block.last4', { blockPersonnummer: entry }), prompts: [P.blockLast4] };
    case 'block.last4':
      if (!/^[0-9]{4}$/.test(entry)) return { state: cleared, prompts: [P.last4Format, P.blockLast4] };
      return { state: { ...cleared, blockLast4: entry }, prompts: [], action: { type: 'findCard', personnummer: state.blockPersonnummer!, last4: entry } };
    default:
      return { state: cleared, prompts: [question(state)] };
  }
}

/** One more wrong entry; after MAX_WRONG_ENTRIES_PER_CALL the call goes back to the menu. */
function wrongEntry(state: CallState, prompts: string[], retry: Transition): Transition {
  const wrongEntries = state.wrongEntries + 1;
  if (wrongEntries >= MAX_WRONG_ENTRIES_PER_CALL) return toMenu({ ...state, wrongEntries: 0 }, [...prompts, P.tooManyTries, P.failed]);
  return { ...retry, state: { ...retry.state, wrongEntries }, prompts: [...prompts, ...retry.prompts] };
}

/** The service's answer to the action of the last transition. */
export function resolve(state: CallState, outcome: Outcome): Transition {
  // Answers every step shares: the identification attempt ends.
  switch (outcome.type) {
    case 'locked':
      return toMenu(state, [P.failed, P.locked]);
    case 'initialPassword':
      return toMenu(state, [P.failed, P.initialPassword]);
    case 'noTable':
      return toMenu(state, [P.failed, P.noTable]);
    case 'noPhone':
      return toMenu(state, [P.failed, P.noPhone]);
    default:
      break;
  }
  switch (state.step) {
    case 'app.userCode':
      if (outcome.type === 'appRequested') {
        return { state: withStep(state, 'app.waiting', { customerId: outcome.customerId, requestId: outcome.requestId, appCode: outcome.code }), prompts: [P.appSent(outcome.code)] };
      }
      if (outcome.type === 'unknownUser') return wrongEntry(state, [P.unknownUser], { state: withStep(state, 'app.userCode'), prompts: [P.userCode] });
      break;
    case 'app.waiting':
      if (outcome.type === 'appStatus') {
        if (outcome.status === 'pending') return { state, prompts: outcome.asked ? [P.appWaiting] : [] };
        if (outcome.status === 'approved') return identified(state, state.customerId!, 'app');
        return toMenu(state, [P.failed, outcome.status === 'rejected' ? P.appRejected : P.appExpired]);
      }
      break;
    case 'table.password':
      if (outcome.type === 'passwordOk') {
        return { state: withStep(state, 'table.password', { customerId: outcome.customerId }), prompts: [], action: { type: 'drawCell', customerId: outcome.customerId } };
      }
      if (outcome.type === 'cellDrawn') return { state: withStep(state, 'table.cell', { cell: outcome.cell }), prompts: [P.cell(outcome.cell)] };
      if (outcome.type === 'wrong' || outcome.type === 'unknownUser') {
        const again = withStep(state, 'table.userCode');
        delete again.userCode;
        delete again.customerId;
        return wrongEntry(state, [P.wrongCredentials], { state: again, prompts: [P.userCode] });
      }
      break;
    case 'table.cell':
      if (outcome.type === 'cellOk') return { state, prompts: [], action: { type: 'sendSms', customerId: state.customerId! } };
      if (outcome.type === 'smsSent') return { state: withStep(state, 'table.sms', { sms: { hash: outcome.hash, expiresAt: outcome.expiresAt } }), prompts: [P.smsSent] };
      if (outcome.type === 'cellDrawn') return { state: withStep(state, 'table.cell', { cell: outcome.cell }), prompts: [P.cell(outcome.cell)] };
      if (outcome.type === 'cellUsed') return { state, prompts: [P.cellUsed], action: { type: 'drawCell', customerId: state.customerId! } };
      if (outcome.type === 'wrong') return wrongEntry(state, [P.wrongCell], { state, prompts: [P.cell(state.cell!)] });
      break;
    case 'block.last4':
      if (outcome.type === 'cardFound') {
        return { state: withStep(state, 'block.confirm', { blockCard: { customerId: outcome.customerId, cardId: outcome.cardId } }), prompts: [P.blockConfirm(state.blockLast4!)] };
      }
      if (outcome.type === 'noCard') {
        const again = withStep(state, 'block.personnummer');
        delete again.blockPersonnummer;
        delete again.blockLast4;
        return wrongEntry(state, [P.noCardToBlock], { state: again, prompts: [P.blockPersonnummer] });
      }
      break;
    case 'block.confirm':
      if (outcome.type === 'cardBlocked') {
        const done: CallState = { step: 'menu', buffer: '', wrongEntries: state.wrongEntries };
        return { state: done, prompts: [P.cardBlocked(state.blockLast4!, outcome.smsSent), P.menu] };
      }
      break;
    case 'table.sms':
      if (outcome.type === 'smsOk') return identified(state, state.customerId!, 'codetable');
      if (outcome.type === 'smsExpired') return toMenu(state, [P.failed, P.smsExpired]);
      if (outcome.type === 'wrong') return wrongEntry(state, [P.wrongSms], { state, prompts: [P.smsSent] });
      break;
    default:
      break;
  }
  throw new Error(`the phone menu has no answer "${outcome.type}" in step ${state.step}`);
}

function identified(state: CallState, customerId: string, method: IdentificationMethod): Transition {
  return {
    state: { step: 'reason', buffer: '', wrongEntries: 0, identified: { customerId, method } },
    prompts: [P.identified, P.reasonMenu],
  };
}
