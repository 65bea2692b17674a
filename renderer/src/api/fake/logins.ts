/** The fake logins: BankID på kort and på fil, the dosa and the HID token, Mobilt BankID, the session. */
import type {
  EkortApi,
  AppLoginPhase,
  AppLoginStatus,
  CardHolder,
  DosaChallenge,
  SessionInfo,
} from '../../../../src/client/api.ts';
import { FAKE_DOSA_SERIAL, FAKE_FILE_PASSWORD, FAKE_TOKEN_SERIAL, type FakeKit, fail, fakeFile } from './kit.ts';

/** The fake's status text; the real wording is the service's (src/bank/approval/appLogin.ts). */
const appText = (phase: AppLoginPhase): { sv: string; en: string } => ({ sv: `Appinloggning: ${phase}.`, en: `App login: ${phase}.` });
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

export function loginMethods(kit: FakeKit) {
  const { s, options, emit, apdu, nextId, startSession, svarskodFor, cardReader, respond } = kit;
  return {
    cardHolder: (input) =>
      respond('cardHolder', input, (): CardHolder => {
        const r = cardReader(input.reader);
        return { reader: r.name, name: s.customer.name, personnummer: s.customer.personnummer, pinTriesLeft: s.card.triesLeft, pinBlocked: s.card.triesLeft === 0, pinPad: r.pinPad, validUntil: '2030-01-01T00:00:00Z', expiresInDays: null };
      }),
    loginWithCard: (input) =>
      respond('loginWithCard', { reader: input.reader, pin: input.pin === undefined ? undefined : '***' }, () => {
        const r = cardReader(input.reader);
        if (s.card.triesLeft === 0) throw fail('PIN_BLOCKED', 'The PIN is blocked.');
        apdu('=> 00 20 00 80 08 ** ** ** ** ** ** ** **');
        if (!r.pinPad && input.pin === undefined) throw fail('PIN_REQUIRED', 'Give the PIN.');
        const pin = r.pinPad ? s.card.pin : input.pin;
        if (pin !== s.card.pin) {
          s.card.triesLeft -= 1;
          apdu(`<= SW 63C${s.card.triesLeft}`);
          if (s.card.triesLeft === 0) throw fail('PIN_BLOCKED', 'The PIN is blocked.');
          throw fail('PIN_INCORRECT', 'Wrong PIN.', { retriesLeft: s.card.triesLeft });
        }
        s.card.triesLeft = 3;
        apdu('<= SW 9000');
        return startSession('card');
      }),
    fileCredentials: (input) =>
      respond('fileCredentials', input, () => {
        for (const p of input?.paths ?? []) {
          if (s.files.some((f) => f.path === p)) continue;
          let h = 0;
          for (const ch of p) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
          const fileName = p.split(/[\\/]/).pop() ?? p;
          s.files = [...s.files, fakeFile({ id: h.toString(16).padStart(8, '0').repeat(8), path: p, fileName, holder: null })];
        }
        return s.files.map((f) => ({ ...f }));
      }),
    loginWithFile: (input) =>
      respond('loginWithFile', { ...input, password: '***' }, () => {
        const file = s.files.find((f) => (input.id !== undefined ? f.id === input.id : f.path === input.path));
        if (!file) throw fail('FILE_CREDENTIAL_UNKNOWN', 'This BankID på fil is no longer there. Choose the file again.');
        if (file.locked) throw fail('FILE_CREDENTIAL_LOCKED', 'This BankID på fil is locked after too many wrong passwords.');
        if (input.password !== FAKE_FILE_PASSWORD) {
          const wrong = (s.fileFailures.get(file.id) ?? 0) + 1;
          s.fileFailures.set(file.id, wrong);
          if (wrong >= 5) {
            s.files = s.files.map((f) => (f.id === file.id ? { ...f, locked: true } : f));
            throw fail('FILE_CREDENTIAL_LOCKED', 'This BankID på fil is locked after too many wrong passwords.');
          }
          throw fail('PASSWORD_INCORRECT', 'Wrong password.', { triesLeft: 5 - wrong });
        }
        s.fileFailures.delete(file.id);
        if (file.holder?.organisation && !file.holder.personnummer) {
          throw fail('ORGANISATION_EID', 'This is an e-tjänstelegitimation for an organisation. e-kort is a service for private persons: log in with your personal e-legitimation (BankID).');
        }
        return startSession('card');
      }),
    startDosaLogin: (input) =>
      respond('startDosaLogin', input, () => {
        if (input.serial !== FAKE_DOSA_SERIAL && input.serial !== FAKE_TOKEN_SERIAL) throw fail('DOSA_UNKNOWN', 'Unknown dosa serial.');
        if (s.dosaTriesLeft === 0) throw fail('DOSA_BLOCKED', 'The dosa is blocked.');
        s.counter += 1;
        const kontrollnummer = String(10_000_000 + ((s.counter * 7_919_113) % 90_000_000));
        const c: DosaChallenge = { challengeId: nextId('chal'), kontrollnummer, expiresAt: new Date(Date.now() + 5 * 60_000).toISOString() };
        s.challenges.set(c.challengeId, c);
        return c;
      }),
    finishDosaLogin: (input) =>
      respond('finishDosaLogin', { challengeId: input.challengeId, svarskod: '***' }, () => {
        const c = s.challenges.get(input.challengeId);
        if (!c) throw fail('CHALLENGE_EXPIRED', 'The kontrollnummer has expired.');
        if (s.dosaTriesLeft === 0) throw fail('DOSA_BLOCKED', 'The dosa is blocked.', { triesLeft: 0 });
        if (input.svarskod.replace(/\s/g, '') !== svarskodFor(c.kontrollnummer)) {
          s.dosaTriesLeft -= 1;
          if (s.dosaTriesLeft === 0) throw fail('DOSA_BLOCKED', 'The dosa is blocked.', { triesLeft: 0 });
          throw fail('DOSA_CODE_WRONG', 'Wrong svarskod.', { triesLeft: s.dosaTriesLeft });
        }
        s.challenges.delete(c.challengeId);
        return startSession('dosa');
      }),
    answerWithToken: (input) =>
      respond('answerWithToken', input, () => {
        const c = s.challenges.get(input.challengeId);
        if (!c) throw fail('CHALLENGE_EXPIRED', 'The kontrollnummer has expired.');
        if (!s.tokens.some((t) => t.id === input.token)) throw fail('TOKEN_REMOVED', 'The token is gone.');
        s.tokenTouch = true;
        emit({ type: 'token-touch', waiting: true });
        return new Promise<SessionInfo>((resolve, reject) => {
          const done = () => {
            s.tokenWait = null;
            s.tokenTouch = false;
            emit({ type: 'token-touch', waiting: false });
          };
          const timer = setTimeout(() => {
            done();
            s.challenges.delete(c.challengeId);
            resolve(startSession('dosa'));
          }, options.touchDelayMs ?? 50);
          s.tokenWait = {
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
        if (s.tokenWait) {
          clearTimeout(s.tokenWait.timer);
          s.tokenWait.reject(fail('TOKEN_CANCELLED', 'Cancelled.'));
        }
        void s.tokenTouch;
      }),
    startAppLogin: () =>
      respond('startAppLogin', undefined, () => {
        const orderRef = `6f9a1c2e-0b1d-4c5e-9f00-${String(++s.counter).padStart(12, '0')}`;
        s.appOrder = { orderRef, polls: 0 };
        s.appForced = null;
        return { orderRef, autoStartToken: `a7c3e1f0-2b4d-4e6f-8a9b-${String(s.counter).padStart(12, '0')}`, qr: fakeQr(orderRef, 0), expiresAt: new Date(Date.now() + 3 * 60_000).toISOString() };
      }),
    appLoginStatus: (input) =>
      respond('appLoginStatus', input, (): AppLoginStatus => {
        if (!s.appOrder || s.appOrder.orderRef !== input.orderRef) throw fail('APP_ORDER_UNKNOWN', 'Unknown order.');
        if (s.appOrder.final) return s.appOrder.final;
        s.appOrder.polls += 1;
        const script = options.appPhases ?? ['waiting', 'waiting', 'signing', 'done'];
        const phase = s.appForced ?? script[Math.min(s.appOrder.polls - 1, script.length - 1)] ?? 'waiting';
        const hintCode = phase === 'waiting' ? 'outstandingTransaction' : phase === 'signing' ? 'userSign' : phase === 'timeout' ? 'expiredTransaction' : phase === 'cancelled' ? 'cancelled' : phase === 'done' ? null : 'startFailed';
        const status: AppLoginStatus = { orderRef: s.appOrder.orderRef, phase, hintCode, statusText: appText(phase), qr: phase === 'waiting' || phase === 'signing' ? fakeQr(s.appOrder.orderRef, s.appOrder.polls) : '' };
        if (phase === 'done') {
          s.appOrder.final = status;
          return { ...status, session: startSession('app') };
        }
        if (phase !== 'waiting' && phase !== 'signing') s.appOrder.final = status;
        return status;
      }),
    cancelAppLogin: (input) =>
      respond('cancelAppLogin', input, () => {
        if (!s.appOrder || s.appOrder.orderRef !== input.orderRef) throw fail('APP_ORDER_UNKNOWN', 'Unknown order.');
        s.appOrder.final ??= { orderRef: s.appOrder.orderRef, phase: 'cancelled', hintCode: 'cancelled', statusText: appText('cancelled'), qr: '' };
      }),
    session: () => respond('session', undefined, () => s.session),
    logout: () =>
      respond('logout', undefined, () => {
        s.session = null;
        emit({ type: 'session-ended', reason: 'logged-out' });
      }),
  } satisfies Partial<EkortApi>;
}
