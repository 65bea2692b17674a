import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { DemoInfo, DosaChallenge, SessionInfo } from '../../../src/client/api.ts';
import { BackActions } from '../components/BackActions.tsx';
import { SubmitButton } from '../components/SubmitButton.tsx';
import { DemoInfoBox } from '../components/DemoInfoBox.tsx';
import { Field, SecretField } from '../components/Field.tsx';
import { ErrorMessage, StatusMessage } from '../components/Messages.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';
import { useApp } from '../context.ts';
import { asFailure } from '../i18n/index.ts';
import { kontrollnummerGroups, normalizeSerial, normalizeSvarskod, spokenDigits } from '../lib/format.ts';
import { useSecretLogin } from '../lib/useSecretLogin.ts';
import { useTimeLeft } from '../lib/useTimeLeft.ts';
import { TimeLeft } from '../components/TimeLeft.tsx';

/** How long a kontrollnummer is valid (the service's DOSA challenge lifetime). */
const KONTROLLNUMMER_SECONDS = 120;

/**
 * Log in with a säkerhetsdosa: serial → kontrollnummer (two groups of four, large) → svarskod.
 * A connected HID token can answer by itself ("Rör vid din dosa" while it waits for a touch).
 */
export function DosaLogin(props: { demo: DemoInfo | null; onLoggedIn(session: SessionInfo): void; onBack(): void }) {
  const { api, t, tokens, tokenTouch, report } = useApp();
  const [serial, setSerial] = useState('');
  const [challenge, setChallenge] = useState<DosaChallenge | null>(null);
  /** The serial the current kontrollnummer was asked for. */
  const [challengeSerial, setChallengeSerial] = useState<string | null>(null);
  const login = useSecretLogin(props.onLoggedIn);
  const { busy, setBusy, setError, setSecret: setSvarskod } = login;
  const [tokenBusy, setTokenBusy] = useState(false);
  const [chosenToken, setChosenToken] = useState<string | null>(null);
  const [serialError, setSerialError] = useState<string | null>(null);
  const challengeRef = useRef<HTMLDivElement>(null);

  const token = tokens.find((tk) => tk.id === chosenToken) ?? tokens[0] ?? null;

  // The kontrollnummer's two minutes are the security itself: the time left in words, and at
  // its end a new one in place (the typed svarskod, for the old one, is cleared), said aloud.
  const [renewed, setRenewed] = useState<string | null>(null);
  const secondsLeft = useTimeLeft(challenge?.expiresAt ?? null, KONTROLLNUMMER_SECONDS, () => {
    if (!challengeSerial || login.busy) return;
    setSvarskod('');
    api.startDosaLogin({ serial: challengeSerial }).then(
      (next) => {
        setChallenge(next);
        setRenewed(t('dosa.expiredNewShown', { digits: spokenDigits(next.kontrollnummer) }));
      },
      (e: unknown) => {
        setChallenge(null);
        setError(report(e));
      },
    );
  });

  // A kontrollnummer the user asked for takes the focus; the one shown after a wrong svarskod
  // does not: the focus stays in the field, whose error reads the new digits out.
  const [focusChallenge, setFocusChallenge] = useState(0);
  useEffect(() => {
    if (focusChallenge > 0) challengeRef.current?.focus();
  }, [focusChallenge]);

  async function getChallenge(event?: FormEvent) {
    event?.preventDefault();
    const s = normalizeSerial(serial);
    if (!s) {
      setSerialError(t('dosa.serialInvalid'));
      return;
    }
    setSerialError(null);
    setError(null);
    setBusy(true);
    try {
      setSvarskod('');
      setRenewed(null);
      setChallenge(await api.startDosaLogin({ serial: s }));
      setFocusChallenge((n) => n + 1);
      setChallengeSerial(s);
    } catch (e) {
      setChallenge(null);
      setError(report(e));
    } finally {
      setBusy(false);
    }
  }

  function failed(e: unknown) {
    const f = asFailure(e);
    if (f.code === 'CHALLENGE_EXPIRED' || f.code === 'CHALLENGE_UNKNOWN' || f.code === 'CHALLENGE_REPLAYED' || f.code === 'DOSA_BLOCKED') setChallenge(null);
    if (f.code === 'TOKEN_CANCELLED' || f.code === 'CANCELLED') return setError(null);
    setError(report(e));
  }

  function finish(event: FormEvent) {
    event.preventDefault();
    if (!challenge) return;
    void login.send({
      check: (code) => (normalizeSvarskod(code) ? null : t('dosa.svarskodInvalid')),
      call: (code) => api.finishDosaLogin({ challengeId: challenge.challengeId, svarskod: normalizeSvarskod(code) ?? '' }),
      failed: async (e) => {
        if (asFailure(e).code !== 'DOSA_CODE_WRONG' || !challengeSerial) return failed(e);
        login.setFieldError(report(e));
        // That kontrollnummer is spent: a new one at once, so the next answer can succeed (WCAG 3.3.3).
        try {
          const next = await api.startDosaLogin({ serial: challengeSerial });
          setChallenge(next);
          login.setFieldError(`${report(e)} ${t('dosa.newKontrollnummerShown', { digits: spokenDigits(next.kontrollnummer) })}`);
        } catch (again) {
          setChallenge(null);
          setError(report(again));
        }
      },
    });
  }

  /**
   * The connected token answers the kontrollnummer itself. The bank knows the token by its
   * own serial: when the kontrollnummer was asked for another serial (or none yet), a new one
   * is asked for the token's serial first. The agent refuses a kontrollnummer of another dosa
   * (TOKEN_NOT_FOR_THIS_DOSA, no try spent): then one is asked for the token's serial, once.
   */
  async function answerWithToken() {
    if (!token) return;
    setError(null);
    const tokenSerial = token.serial ? normalizeSerial(token.serial) : null;
    let c = challenge;
    setTokenBusy(true);
    const challengeFor = async (s: string) => {
      setSerial(s);
      setSvarskod('');
      const next = await api.startDosaLogin({ serial: s });
      setChallenge(next);
      setChallengeSerial(s);
      setFocusChallenge((n) => n + 1);
      return next;
    };
    try {
      if (!c || (tokenSerial && tokenSerial !== challengeSerial)) {
        const s = tokenSerial ?? normalizeSerial(serial);
        if (!s) {
          setTokenBusy(false);
          setSerialError(t('dosa.serialInvalid'));
          return;
        }
        c = await challengeFor(s);
      }
      let session: SessionInfo;
      try {
        session = await api.answerWithToken({ challengeId: c.challengeId, token: token.id });
      } catch (e) {
        if (asFailure(e).code !== 'TOKEN_NOT_FOR_THIS_DOSA' || !tokenSerial) throw e;
        c = await challengeFor(tokenSerial);
        session = await api.answerWithToken({ challengeId: c.challengeId, token: token.id });
      }
      props.onLoggedIn(session);
    } catch (e) {
      setTokenBusy(false);
      failed(e);
    }
  }

  async function cancelToken() {
    try {
      await api.cancelToken();
    } catch (e) {
      setError(report(e));
    }
  }

  const groups = challenge ? kontrollnummerGroups(challenge.kontrollnummer) : null;
  const working = busy || tokenBusy;

  return (
    <div className="screen dosa-login">
      <ScreenHeading>{t('dosa.heading')}</ScreenHeading>

      <form onSubmit={(e) => void getChallenge(e)} noValidate className="form">
        <Field id="dosa-serial" label={t('dosa.serial')} hint={t('dosa.serialHint')} inputMode="numeric" value={serial} onValue={setSerial} error={serialError} disabled={working} />
        <BackActions onBack={props.onBack} busy={working}>
          <button type="submit" className={challenge ? undefined : 'primary'} disabled={working}>
            {challenge ? t('dosa.newChallenge') : t('dosa.getChallenge')}
          </button>
        </BackActions>
      </form>

      {challenge && groups && (
        <section aria-labelledby="challenge-heading" className="challenge">
          <h2 id="challenge-heading">{t('dosa.kontrollnummer')}</h2>
          <p>{t('dosa.instructions')}</p>
          <div
            ref={challengeRef}
            tabIndex={-1}
            className="kontrollnummer"
            role="group"
            aria-label={t('dosa.kontrollnummerSpoken', { digits: spokenDigits(challenge.kontrollnummer) })}
            data-testid="kontrollnummer"
            data-value={challenge.kontrollnummer}
          >
            <span aria-hidden="true">{groups[0]}</span> <span aria-hidden="true">{groups[1]}</span>
          </div>
          <TimeLeft seconds={secondsLeft} what={t('dosa.kontrollnummerWhat')} almostOut={t('dosa.almostOut')} />
          <StatusMessage>{renewed}</StatusMessage>

          <form onSubmit={finish} noValidate className="form">
            <SecretField login={login} id="svarskod" label={t('dosa.svarskod')} hint={t('dosa.svarskodHint')} inputMode="numeric" maxLength={9} clean={(v) => v.replace(/[^\d ]/g, '').slice(0, 9)} disabled={working} className="code-input" />
            <div className="actions">
              <SubmitButton busy={busy} disabled={working}>{t('dosa.login')}</SubmitButton>
            </div>
          </form>

        </section>
      )}

      {token && (
        <div className="token">
          <p>{t('dosa.tokenConnected', { product: token.serial ? `${token.product}, ${t('dosa.serialShort')} ${token.serial}` : token.product })}</p>
          {tokens.length > 1 && (
            <div className="field">
              <label htmlFor="token-choice">{t('dosa.chooseToken')}</label>
              <select id="token-choice" value={token.id} onChange={(e) => setChosenToken(e.target.value)} disabled={working}>
                {tokens.map((tk) => (
                  <option key={tk.id} value={tk.id}>
                    {tk.product}
                    {tk.serial ? ` (${tk.serial})` : ''}
                  </option>
                ))}
              </select>
            </div>
          )}
          {!tokenBusy ? (
            <button type="button" onClick={() => void answerWithToken()} disabled={working}>
              {t('dosa.answerWithToken')}
            </button>
          ) : (
            <div className="touch">
              {tokenTouch ? (
                <div role="status" className="big touch-now">
                  <p>{t('dosa.touch')}</p>
                  <p className="hint">{t('dosa.touchHint')}</p>
                </div>
              ) : (
                <StatusMessage>{t('dosa.tokenWorking')}</StatusMessage>
              )}
              <button type="button" onClick={() => void cancelToken()}>
                {t('dosa.cancelToken')}
              </button>
            </div>
          )}
        </div>
      )}
      <ErrorMessage>{login.error}</ErrorMessage>
      {props.demo && <DemoInfoBox demo={props.demo} />}
    </div>
  );
}
