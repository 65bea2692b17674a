import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { CardHolder, DemoInfo, PlatformNote, ReaderInfo, SessionInfo } from '../../../src/client/api.ts';
import { BackActions } from '../components/BackActions.tsx';
import { ConfirmDialog } from '../components/Dialog.tsx';
import { DemoInfoBox } from '../components/DemoInfoBox.tsx';
import { SecretField } from '../components/Field.tsx';
import { ErrorMessage, StatusMessage } from '../components/Messages.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';
import { useApp } from '../context.ts';
import { asFailure } from '../i18n/index.ts';
import { formatDate, formatPersonnummer, isValidPin } from '../lib/format.ts';
import { useSecretLogin } from '../lib/useSecretLogin.ts';

/** A card PIN: 6 to 8 digits (the PIV application's PIN rule). */
const PIN_INPUT = { inputMode: 'numeric', pattern: '[0-9]{6,8}', minLength: 6, maxLength: 8 } as const;

/**
 * Log in with BankID på kort: readers listed live, "Sätt i kortet" until a card is in, the
 * holder's name, the PIN (or the reader's PIN pad) with tries left, a confirmation before the
 * last try, the PUK route when blocked. The card pulled out mid-login returns to the start.
 */
export function CardLogin(props: { demo: DemoInfo | null; onLoggedIn(session: SessionInfo): void; onAbort(message: string): void; onBack(): void }) {
  const { api, t, readers, report } = useApp();
  const [chosen, setChosen] = useState<string | null>(null);
  const [holder, setHolder] = useState<CardHolder | null>(null);
  const [holderError, setHolderError] = useState<string | null>(null);
  const login = useSecretLogin(props.onLoggedIn);
  const { busy } = login;
  const [triesLeft, setTriesLeft] = useState<number | null>(null);
  const [blocked, setBlocked] = useState(false);
  const [confirmLast, setConfirmLast] = useState(false);
  /** The reader whose card this login is using, once the card was read. */
  const usedReader = useRef<string | null>(null);
  const [stuckReader, setStuckReader] = useState<string | null>(null);
  const [noPcsc, setNoPcsc] = useState<PlatformNote['code'] | null>(null);
  const { onAbort } = props;
  // The latest callbacks, so the effects below run only when readers or the card change.
  const latest = useRef({ onAbort, report, t });
  useEffect(() => {
    latest.current = { onAbort, report, t };
  });

  // The app's own reader holds only the demo's virtual card: listed while it does.
  const shown = readers.filter((r) => r.source !== 'in-app' || r.state === 'card');
  const withCard = shown.filter((r) => r.state === 'card');
  // Once the card is read, the login stays with that reader (even if it reports itself busy
  // for a moment); until then, the chosen reader with a card, or the first.
  const reader: ReaderInfo | null = (stuckReader ? readers.find((r) => r.name === stuckReader && r.state !== 'empty') : undefined) ?? withCard.find((r) => r.name === chosen) ?? withCard[0] ?? null;
  const readerName = reader?.name ?? null;

  // Why no reader can show up on this machine, if that is so (PC/SC missing or not running).
  useEffect(() => {
    let live = true;
    api.platform().then(
      (notes) => live && setNoPcsc(notes.find((n) => n.code !== 'HID_NOT_INSTALLED')?.code ?? null),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api]);

  // The card pulled out (or the reader unplugged) mid-login: say so and return to the start.
  useEffect(() => {
    const used = usedReader.current;
    if (!used) return;
    const now = readers.find((r) => r.name === used);
    const { onAbort: abort, t: tr } = latest.current;
    if (!now) abort(tr('card.readerGone'));
    else if (now.state === 'empty') abort(tr('card.removed'));
  }, [readers]);

  // Read the holder from the card in the chosen reader.
  useEffect(() => {
    if (!readerName) return;
    let live = true;
    setHolder(null);
    setHolderError(null);
    api.cardHolder({ reader: readerName }).then(
      (h) => {
        if (!live) return;
        usedReader.current = h.reader || readerName;
        setStuckReader(usedReader.current);
        setHolder(h);
        setTriesLeft(h.pinTriesLeft);
        setBlocked(h.pinBlocked);
      },
      (e: unknown) => {
        if (!live) return;
        const f = asFailure(e);
        if (f.code === 'CARD_REMOVED' && usedReader.current) return latest.current.onAbort(latest.current.t('card.removed'));
        if (f.code === 'PIN_BLOCKED') {
          setBlocked(true);
          return;
        }
        setHolderError(latest.current.report(e));
      },
    );
    return () => {
      live = false;
    };
  }, [api, readerName]);

  const pinPad = !!(holder?.pinPad || reader?.pinPad);

  function submit(event?: FormEvent, confirmed = false) {
    event?.preventDefault();
    if (!reader || !holder || blocked) return;
    void login.send({
      check: (pin) => (pinPad || isValidPin(pin) ? null : t('card.pinInvalid')),
      hold: () => {
        setConfirmLast(triesLeft === 1 && !confirmed);
        return triesLeft === 1 && !confirmed;
      },
      call: (pin) => api.loginWithCard(pinPad ? { reader: reader.name } : { reader: reader.name, pin }),
      failed: (e) => {
        const f = asFailure(e);
        if (f.code === 'CARD_REMOVED' || f.code === 'NO_CARD') return onAbort(t('card.removed'));
        if (f.code === 'READER_GONE') return onAbort(t('card.readerGone'));
        if (f.code === 'PIN_BLOCKED') {
          setBlocked(true);
          setTriesLeft(0);
          return;
        }
        if (f.code === 'PIN_INCORRECT') {
          if (typeof f.retriesLeft === 'number') setTriesLeft(f.retriesLeft);
          return login.setFieldError(report(e)); // a wrong PIN is the field's error
        }
        login.setError(report(e));
      },
    });
  }

  const readerState = (r: ReaderInfo) => (r.state === 'card' ? t('card.readerCard') : r.state === 'empty' ? t('card.readerEmpty') : t('card.readerUnavailable'));

  return (
    <div className="screen card-login">
      <ScreenHeading>{t('card.heading')}</ScreenHeading>

      <section aria-labelledby="readers-heading">
        <h2 id="readers-heading">{t('card.readers')}</h2>
        {noPcsc && <p className="message warning">{t(`platform.${noPcsc}`)}</p>}
        {shown.length === 0 ? (
          !noPcsc && <p>{t('card.noReaders')}</p>
        ) : (
          <ul className="readers" aria-labelledby="readers-heading">
            {shown.map((r) => (
              <li key={r.name}>
                <span className="reader-name">{r.name}</span>
                {r.virtual ? ` (${t(r.source === 'in-app' ? 'card.readerInApp' : 'card.readerVirtual')})` : ''}: {readerState(r)}
                {r.pinPad ? `, ${t('card.readerPinPad')}` : ''}
              </li>
            ))}
          </ul>
        )}
        {withCard.length > 1 && (
          <fieldset>
            <legend>{t('card.chooseReader')}</legend>
            {withCard.map((r) => (
              <label key={r.name} className="radio">
                <input type="radio" name="reader" value={r.name} checked={reader?.name === r.name} onChange={() => setChosen(r.name)} disabled={busy} />
                {r.name}
              </label>
            ))}
          </fieldset>
        )}
      </section>

      {!reader && shown.length > 0 && (
        <div className="insert-card">
          <p className="big" role="status">
            {t('card.insertCard')}
          </p>
          <p className="hint">{t('card.insertCardHint')}</p>
        </div>
      )}

      {reader && !holder && !holderError && !blocked && <StatusMessage>{t('card.readingCard')}</StatusMessage>}
      <ErrorMessage>{holderError}</ErrorMessage>

      {reader && holder && (
        <section aria-labelledby="holder-heading" className="holder">
          <h2 id="holder-heading">{t('card.holder')}</h2>
          <p className="holder-name">
            {holder.name}
            {holder.personnummer ? ` (${formatPersonnummer(holder.personnummer)})` : ''}
          </p>
          <p className="hint">{t('card.validUntil', { date: formatDate(holder.validUntil) })}</p>
          {holder.expiresInDays !== null && <p className="message warning">{t('card.expiresSoon', { days: holder.expiresInDays })}</p>}
        </section>
      )}

      {reader && blocked && (
        <section role="alert" className="message error" aria-labelledby="blocked-heading">
          <h2 id="blocked-heading">{t('card.blockedTitle')}</h2>
          <p>{t('card.blockedText')}</p>
        </section>
      )}

      {reader && holder && !blocked && (
        <form onSubmit={submit} noValidate className="form">
          {pinPad ? (
            <div className="pin-pad">
              <p className="big">{t('card.pinPad')}</p>
              <p className="hint">{t('card.pinPadHint')}</p>
            </div>
          ) : (
            <SecretField
              login={login}
              id="pin"
              label={t('card.pin')}
              hint={t('card.pinHint')}
              describedBy="pin-tries"
              type="password"
              {...PIN_INPUT}
              clean={(v) => v.replace(/\D/g, '').slice(0, 8)}
              disabled={busy}
            />
          )}
          <p id="pin-tries" className="tries">
            {triesLeft !== null ? t('card.triesLeft', { n: triesLeft }) : ''}
          </p>
          <ErrorMessage>{login.error}</ErrorMessage>
          {busy && <StatusMessage>{pinPad ? t('card.pinPad') : t('card.loggingIn')}</StatusMessage>}
          <BackActions onBack={props.onBack} busy={busy}>
            <button type="submit" className="primary" disabled={busy} aria-busy={busy}>
              {t('card.login')}
            </button>
          </BackActions>
        </form>
      )}

      {(!holder || blocked) && (
        <BackActions onBack={props.onBack} />
      )}

      {confirmLast && (
        <ConfirmDialog
          title={t('card.lastTryTitle')}
          confirmLabel={t('card.lastTryConfirm')}
          cancelLabel={t('common.cancel')}
          danger
          onConfirm={() => submit(undefined, true)}
          onCancel={() => setConfirmLast(false)}
        >
          <p>{t('card.lastTryText')}</p>
        </ConfirmDialog>
      )}

      {props.demo && <DemoInfoBox demo={props.demo} />}
    </div>
  );
}
