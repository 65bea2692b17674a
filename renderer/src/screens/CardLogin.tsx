import { useState, type FormEvent } from 'react';
import type { DemoInfo, SessionInfo } from '../../../src/client/api.ts';
import { BackActions } from '../components/BackActions.tsx';
import { SubmitButton } from '../components/SubmitButton.tsx';
import { ConfirmDialog } from '../components/Dialog.tsx';
import { HolderSection } from '../components/HolderSection.tsx';
import { DemoInfoBox } from '../components/DemoInfoBox.tsx';
import { SecretField } from '../components/Field.tsx';
import { ErrorMessage, StatusMessage } from '../components/Messages.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';
import { useApp } from '../context.ts';
import { asFailure } from '../i18n/index.ts';
import { isValidPin } from '../lib/format.ts';
import { useSecretLogin } from '../lib/useSecretLogin.ts';
import { ReaderList } from './ReaderList.tsx';
import { CARD_AWAY, useCardInReader } from './useCardInReader.ts';

/** A card PIN: 6 to 8 digits (the PIV application's PIN rule). */
const PIN_INPUT = { inputMode: 'numeric', pattern: '[0-9]{6,8}', minLength: 6, maxLength: 8 } as const;

/**
 * Log in with BankID på kort: readers listed live, "Sätt i kortet" until a card is in, the
 * holder's name, the PIN (or the reader's PIN pad) with tries left, a confirmation before the
 * last try, the PUK route when blocked. The card pulled out, the reader unplugged or pcscd
 * restarted keeps the screen and what was typed: it says what is missing, and the login goes
 * on once the card is back (its tries read again).
 */
export function CardLogin(props: { demo: DemoInfo | null; onLoggedIn(session: SessionInfo): void; onBack(): void }) {
  const { api, t, report } = useApp();
  const login = useSecretLogin(props.onLoggedIn);
  const { busy } = login;
  const [confirmLast, setConfirmLast] = useState(false);
  const { shown, withCard, reader, setChosen, holder, holderError, triesLeft, setTriesLeft, blocked, setBlocked, noPcsc, lost, reread } = useCardInReader();
  const pinPad = !!(holder?.pinPad || reader?.pinPad);

  function submit(event?: FormEvent, confirmed = false) {
    event?.preventDefault();
    if (lost) return login.setError(lost);
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
        if (CARD_AWAY.has(f.code)) {
          // The card went (or stopped answering) mid-login: stay, say so, read it again when back.
          login.setError(report(e));
          return reread();
        }
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


  return (
    <div className="screen card-login">
      <ScreenHeading>{t('card.heading')}</ScreenHeading>

      <ReaderList shown={shown} withCard={withCard} chosen={reader?.name ?? null} onChoose={setChosen} noPcsc={noPcsc} busy={busy} />

      {!reader && shown.length > 0 && (
        <div className="insert-card">
          <p className="big" role="status">
            {t('card.insertCard')}
          </p>
          <p className="hint">{t('card.insertCardHint')}</p>
        </div>
      )}

      <StatusMessage>{reader && !holder && !holderError && !blocked ? t('card.readingCard') : lost}</StatusMessage>
      <ErrorMessage>{holderError}</ErrorMessage>

      {reader && holder && (
        <HolderSection id="holder-heading" heading={t('card.holder')} name={holder.name} personnummer={holder.personnummer} validUntil={holder.validUntil}>
          {holder.expiresInDays !== null && <p className="message warning">{t('card.expiresSoon', { days: holder.expiresInDays })}</p>}
        </HolderSection>
      )}

      {reader && blocked && (
        <section role="alert" className="message error" aria-labelledby="blocked-heading">
          <h2 id="blocked-heading">{t('card.blockedTitle')}</h2>
          <p>{t('card.blockedText')}</p>
        </section>
      )}

      {holder && !blocked && (reader || lost) && (
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
          <StatusMessage>{busy ? (pinPad ? t('card.pinPad') : t('card.loggingIn')) : null}</StatusMessage>
          <BackActions onBack={props.onBack} busy={busy}>
            <SubmitButton busy={busy}>{t('card.login')}</SubmitButton>
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
