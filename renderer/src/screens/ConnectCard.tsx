import { useEffect, useState, type FormEvent } from 'react';
import type { PaymentCard, Terms } from '../../../src/client/api.ts';
import { BackActions } from '../components/BackActions.tsx';
import { SubmitButton } from '../components/SubmitButton.tsx';
import { ErrorMessage, StatusMessage } from '../components/Messages.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';
import { useApp } from '../context.ts';
import { cardLabel } from './PaymentCards.tsx';

/**
 * "Anslut kort till e-kort", as the bank's steps go: the cards to connect (the one chosen
 * first, the others to tick), the terms to read, "Jag har läst och godkänner villkoren",
 * "Fortsätt"; each chosen card is connected, and the answer names them all.
 */
export function ConnectCard(props: { cards: PaymentCard[]; preselected: string; onConnected(cards: PaymentCard[]): void; onBack(): void }) {
  const { api, t, report } = useApp();
  const [terms, setTerms] = useState<Terms | null>(null);
  const [chosen, setChosen] = useState<ReadonlySet<string>>(() => new Set([props.preselected]));
  const [choiceError, setChoiceError] = useState<string | null>(null);
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
    const cards = props.cards.filter((c) => chosen.has(c.id));
    setChoiceError(cards.length === 0 ? t('terms.chooseOne') : null);
    setAcceptError(accepted ? null : t('terms.mustAccept'));
    if (cards.length === 0 || !accepted) return;
    setError(null);
    setBusy(true);
    const connected: PaymentCard[] = [];
    try {
      for (const card of cards) connected.push(await api.connectCard({ cardId: card.id, termsVersion: terms.version }));
      props.onConnected(connected);
    } catch (e) {
      setBusy(false);
      // The cards connected before the failure stay connected: say which, with the error.
      setError([report(e), connected.length ? t('terms.partlyConnected', { cards: connected.map(cardLabel).join(', ') }) : null].filter(Boolean).join(' '));
    }
  }

  const toggle = (id: string, on: boolean) =>
    setChosen((set) => {
      const next = new Set(set);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  return (
    <div className="screen connect-card">
      <ScreenHeading>{t('terms.heading')}</ScreenHeading>
      <p>{t('terms.introCards')}</p>
      <form onSubmit={(e) => void submit(e)} noValidate className="form">
        <fieldset aria-describedby={choiceError ? 'choose-error' : undefined}>
          <legend>{t('terms.chooseCards')}</legend>
          {props.cards.map((card) => (
            <label key={card.id} className="checkbox">
              <input type="checkbox" checked={chosen.has(card.id)} onChange={(e) => toggle(card.id, e.target.checked)} disabled={busy} />
              {cardLabel(card)}
            </label>
          ))}
          <ErrorMessage id="choose-error">{choiceError}</ErrorMessage>
        </fieldset>
        {terms ? (
          <section className="terms" tabIndex={0} aria-labelledby="terms-title">
            <h2 id="terms-title">{terms.title}</h2>
            <p className="hint">{t('terms.version', { version: terms.version })}</p>
            {terms.text.split(/\n{2,}/).map((para, i) => (
              <p key={i}>{para}</p>
            ))}
          </section>
        ) : (
          !error && <StatusMessage>{t('terms.loading')}</StatusMessage>
        )}
        <label className="checkbox">
          <input
            type="checkbox"
            checked={accepted}
            onChange={(e) => setAccepted(e.target.checked)}
            aria-invalid={acceptError ? true : undefined}
            aria-describedby={acceptError ? 'accept-error' : undefined}
            disabled={busy || !terms}
          />
          {t('terms.accept')}
        </label>
        <ErrorMessage id="accept-error">{acceptError}</ErrorMessage>
        <BackActions onBack={props.onBack} busy={busy}>
          <SubmitButton busy={busy} disabled={busy || !terms}>{t('terms.continue')}</SubmitButton>
        </BackActions>
      </form>
      <ErrorMessage>{error}</ErrorMessage>
    </div>
  );
}
