/**
 * A fake EkortApi that simulates the agent in memory, for unit tests and UI work without the
 * real stack: two readers, the demo customer's card (PIN 123456, PUK 12345678, 3 tries), a
 * dosa (serial 12345678; the right svarskod is the kontrollnummer's digits reversed, 5 tries),
 * a HID token (serial 7000001) that waits for a touch, payment cards, e-nummer, transactions and the card
 * network. `control` lets a test pull the card, end the session and so on.
 * Not imported by the app itself, so it stays out of the production bundle.
 */
import type { AgentEvent, AppLoginPhase, EkortApi, Enummer, SessionInfo } from '../../../src/client/api.ts';
import { deviceMethods } from './fake/devices.ts';
import { ekortMethods } from './fake/ekort.ts';
import { createFakeKit, type FakeOptions } from './fake/kit.ts';
import { loginMethods } from './fake/logins.ts';
import { purchaseMethods } from './fake/purchases.ts';

export { FAKE_DOSA_SERIAL, FAKE_FILE_PASSWORD, FAKE_PIN, FAKE_PUK, FAKE_RATES, FAKE_READER, FAKE_TOKEN_SERIAL, fakeFile, type FakeOptions } from './fake/kit.ts';

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

export function createFakeApi(options: FakeOptions = {}): FakeApi {
  const kit = createFakeKit(options);
  const { s, emit, insertCard, removeCard, svarskodFor } = kit;
  const api: EkortApi = {
    ...deviceMethods(kit),
    ...loginMethods(kit),
    ...ekortMethods(kit),
    ...purchaseMethods(kit),
    subscribe(listener) {
      s.listeners.add(listener);
      return () => {
        s.listeners.delete(listener);
      };
    },
  };

  const control: FakeControl = {
    emit,
    insertCard,
    removeCard,
    expireSession() {
      s.session = null;
      emit({ type: 'session-ended', reason: 'expired' });
    },
    calls: s.calls,
    get state() {
      return { pinTriesLeft: s.card.triesLeft, dosaTriesLeft: s.dosaTriesLeft, session: s.session, enummers: s.enummers };
    },
    svarskodFor,
    setAppPhase(phase) {
      s.appForced = phase;
    },
  };
  return Object.assign(api, { control });
  return Object.assign(api, { control });
}
