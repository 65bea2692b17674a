/** A fake agent for the IPC table and bridge tests: every API method recorded, answers canned. */
import { type Mock, vi } from 'vitest';
import { API_METHODS, type AgentEvent, type ApiMethod } from '../../../src/client/api.ts';
import { AgentError } from '../../../src/client/failure.ts';

export type FakeAgent = Record<ApiMethod, Mock<(input?: unknown) => Promise<unknown>>> & {
  subscribe(listener: (event: AgentEvent) => void): () => void;
  emit(event: AgentEvent): void;
  listeners: Set<(event: AgentEvent) => void>;
};

export function fakeAgent(): FakeAgent {
  const listeners = new Set<(event: AgentEvent) => void>();
  const agent = {
    listeners,
    subscribe(listener: (event: AgentEvent) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(event: AgentEvent) {
      for (const l of listeners) l(event);
    },
  } as unknown as FakeAgent;
  for (const method of API_METHODS) agent[method] = vi.fn(async (_input?: unknown): Promise<unknown> => ({ method }));
  agent.readers.mockResolvedValue([{ name: 'Virtual PCD 00 00', state: 'card', pinPad: false, virtual: true, source: 'pcsc' }]);
  agent.loginWithCard.mockRejectedValue(new AgentError('PIN_INCORRECT', 'Wrong PIN. 2 tries left.', { retriesLeft: 2 }));
  agent.logout.mockResolvedValue(undefined);
  agent.terms.mockRejectedValue(Object.assign(new TypeError('boom at /secret/path'), { secret: 'hunter2' }));
  return agent;
}

/** A valid input per method (what the renderer would send). */
export const VALID_INPUTS: Record<ApiMethod, unknown> = {
  settings: undefined,
  updateSettings: { language: 'en' },
  startDemo: undefined,
  platform: undefined,
  readers: undefined,
  cardHolder: { reader: 'Virtual PCD 00 00' },
  tokens: undefined,
  loginWithCard: { reader: 'Virtual PCD 00 00', pin: '123456' },
  fileCredentials: { paths: ['/home/anna/Hämtade/anna.p12'] },
  loginWithFile: { id: 'a'.repeat(64), password: 'Rätt lösen 42' },
  startDosaLogin: { serial: '12345678' },
  finishDosaLogin: { challengeId: 'abcdefgh12345678', svarskod: '1234 5678' },
  answerWithToken: { challengeId: 'abcdefgh12345678', token: 'virtual:12345678' },
  cancelToken: undefined,
  startAppLogin: undefined,
  appLoginStatus: { orderRef: '6f9a1c2e-0b1d-4c5e-9f00-123456789abc' },
  cancelAppLogin: { orderRef: '6f9a1c2e-0b1d-4c5e-9f00-123456789abc' },
  session: undefined,
  logout: undefined,
  terms: undefined,
  paymentCards: undefined,
  connectCard: { cardId: 'abcdefgh12345678', termsVersion: '2026-01' },
  blockCard: { cardId: 'abcdefgh12345678' },
  acceptTerms: { version: '2027-02' },
  endAgreement: undefined,
  submitPoliceReport: { id: 'abcdefgh12345678', reference: '5000-K123456-26' },
  preferences: undefined,
  requestRefund: { transactionId: 'abcdefgh12345678', expectedAmount: 100_00 },
  refunds: undefined,
  setPreferences: { currencyNotices: false },
  enummers: undefined,
  createEnummer: { cardId: 'abcdefgh12345678', merchant: 'Webbhandeln AB' },
  revealEnummer: { id: 'abcdefgh12345678' },
  changeEnummer: { id: 'abcdefgh12345678', action: 'pause' },
  transactions: {},
  disputeTransaction: { transactionId: 'abcdefgh12345678', kind: 'unauthorised', description: 'Inte mitt köp' },
  disputes: undefined,
  notifications: undefined,
  oathCodes: { reader: 'ekort Reader 00 01' },
  oathCode: { reader: 'ekort Reader 00 01', id: 'Example:anna@example.com' },
  apduTrace: undefined,
  insertVirtualCard: {},
  removeVirtualCard: undefined,
  pinPadEntry: { pin: '123456' },
  plugVirtualToken: { touch: true },
  unplugVirtualToken: undefined,
  authorizePurchase: { pan: '4556990000000000', expiry: '12/27', cvc: '123', merchant: 'Webbhandeln AB', amount: 1250 },
};

/** An input each method must refuse. */
export const INVALID_INPUTS: Record<ApiMethod, unknown> = {
  settings: { extra: 1 },
  updateSettings: { engineerMode: 'yes' },
  startDemo: 'go',
  platform: { all: true },
  readers: [1],
  cardHolder: { reader: '' },
  tokens: 42,
  loginWithCard: { reader: 'Virtual PCD 00 00', pin: '12ab' },
  fileCredentials: { paths: ['relative/anna.p12'] },
  loginWithFile: { id: 'a'.repeat(64), path: '/home/anna/anna.p12', password: 'x' },
  startDosaLogin: { serial: 'abc' },
  finishDosaLogin: { challengeId: 'abcdefgh12345678', svarskod: '12' },
  answerWithToken: { challengeId: 'x', token: 'virtual:1' },
  cancelToken: { now: true },
  startAppLogin: { personnummer: '199001012385' },
  appLoginStatus: { orderRef: '../../x' },
  cancelAppLogin: {},
  session: 'x',
  logout: { all: true },
  terms: { version: 1 },
  paymentCards: { filter: 'x' },
  connectCard: { cardId: 'abcdefgh12345678' },
  blockCard: { cardId: '../etc' },
  acceptTerms: { version: 'x'.repeat(41) },
  endAgreement: { confirm: true },
  submitPoliceReport: { id: 'abcdefgh12345678', reference: '<script>' },
  preferences: { all: true },
  requestRefund: { transactionId: 'abcdefgh12345678', expectedAmount: -1 },
  refunds: 7,
  setPreferences: { currencyNotices: 'no' },
  enummers: { state: 'open' },
  createEnummer: { cardId: 'abcdefgh12345678', merchant: 'X', months: 3 },
  revealEnummer: { id: 1 },
  changeEnummer: { id: 'abcdefgh12345678', action: 'delete' },
  transactions: { enummerId: 'short' },
  disputeTransaction: { transactionId: 'abcdefgh12345678', kind: 'fraud' },
  disputes: { state: 'received' },
  notifications: 'all',
  oathCodes: { reader: '' },
  oathCode: { reader: 'ekort Reader 00 01', id: 'a\u0000b' },
  apduTrace: { lines: 5 },
  insertVirtualCard: { reader: 7 },
  removeVirtualCard: { force: true },
  pinPadEntry: { pin: '12ab' },
  plugVirtualToken: { touch: 'yes' },
  unplugVirtualToken: 1,
  authorizePurchase: { pan: '1', expiry: '13/27', cvc: '1', merchant: '', amount: 0 },
};
