import { useEffect, useState, type FormEvent } from 'react';
import type { PaymentCard, Terms } from '../../../src/client/api.ts';
import { BackActions } from '../components/BackActions.tsx';
import { ErrorMessage, StatusMessage } from '../components/Messages.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';
import { useApp } from '../context.ts';
import { cardLabel } from './PaymentCards.tsx';

/** "Anslut kort till e-kort": the terms to read and accept, then connectCard. */
export function ConnectCard(props: { card: PaymentCard; onConnected(card: PaymentCard): void; onBack(): void }) {
  const { api, t, report } = useApp();
  const [terms, setTerms] = useState<Terms | null>(null);
  const [accepted, setAccepted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [acceptError, setAcceptError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api.terms().then(
      (x) => live && setTerms(x),
      (e: unknown) => live && setError(report(e)),
    );
    return () => {
      live = false;
    };
  }, [api, report]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!terms || busy) return;
    if (!accepted) {
      setAcceptError(t('terms.mustAccept'));
      return;
    }
    setAcceptError(null);
    setError(null);
    setBusy(true);
    try {
      props.onConnected(await api.connectCard({ cardId: props.card.id, termsVersion: terms.version }));
    } catch (e) {
      setBusy(false);
      setError(report(e));
    }
  }

  return (
    <div className="screen connect-card">
      <ScreenHeading>{t('terms.heading')}</ScreenHeading>
      <p>{t('terms.intro', { card: cardLabel(props.card) })}</p>
      {!terms && !error && <StatusMessage>{t('terms.loading')}</StatusMessage>}
      {terms && (
        <form onSubmit={(e) => void submit(e)} noValidate className="form">
          <section className="terms" tabIndex={0} aria-labelledby="terms-title">
            <h2 id="terms-title">{terms.title}</h2>
            <p className="hint">{t('terms.version', { version: terms.version })}</p>
            {terms.text.split(/\n{2,}/).map((para, i) => (
              <p key={i}>{para}</p>
            ))}
          </section>
          <label className="checkbox">
            <input
              type="checkbox"
              checked={accepted}
              onChange={(e) => setAccepted(e.target.checked)}
              aria-invalid={acceptError ? true : undefined}
              aria-describedby={acceptError ? 'accept-error' : undefined}
              disabled={busy}
            />
            {t('terms.accept')}
          </label>
          <ErrorMessage id="accept-error">{acceptError}</ErrorMessage>
          <BackActions onBack={props.onBack} busy={busy}>
            <button type="submit" className="primary" disabled={busy} aria-busy={busy}>
              {t('terms.connect')}
            </button>
          </BackActions>
        </form>
      )}
      <ErrorMessage>{error}</ErrorMessage>
      {error && !terms && (
        <BackActions onBack={props.onBack} />
      )}
    </div>
  );
}
