import { useState } from 'react';
import type { Terms } from '../../../src/client/api.ts';
import { BackActions } from '../components/BackActions.tsx';
import { ConfirmDialog } from '../components/Dialog.tsx';
import { ErrorMessage } from '../components/Messages.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';
import { useApp } from '../context.ts';
import { dayInWords } from '../lib/format.ts';

type Upcoming = NonNullable<Terms['upcoming']>;

/** The notice on the start page while a change of the terms is announced and not accepted (card terms §21). */
export function TermsChangeNotice(props: { upcoming: Upcoming; onRead(): void }) {
  const { t, language } = useApp();
  return (
    <section className="message warning" aria-labelledby="terms-change-heading">
      <h2 id="terms-change-heading">{t('termsChange.heading', { date: dayInWords(props.upcoming.effectiveFrom, language) })}</h2>
      <p>{t('termsChange.notice')}</p>
      <button type="button" onClick={props.onRead}>
        {t('termsChange.read')}
      </button>
    </section>
  );
}

/**
 * The announced terms in full, with the two choices §21 gives before they take effect: accept
 * them now, or end e-kort (every card disconnected, every e-nummer closed, after a
 * confirmation). Doing nothing is acceptance on the day.
 */
export function TermsChange(props: { upcoming: Upcoming; onDone(notice: string): void; onBack(): void }) {
  const { api, t, report, language } = useApp();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [confirmEnd, setConfirmEnd] = useState(false);
  const date = dayInWords(props.upcoming.effectiveFrom, language);

  async function run(work: () => Promise<string>) {
    setBusy(true);
    setError(null);
    try {
      props.onDone(await work());
    } catch (e) {
      setBusy(false);
      setError(report(e));
    }
  }

  return (
    <div className="screen terms-change">
      <ScreenHeading>{t('termsChange.heading', { date })}</ScreenHeading>
      <p>{t('termsChange.intro', { date })}</p>
      <section className="terms" tabIndex={0} aria-labelledby="new-terms-title">
        <h2 id="new-terms-title">{props.upcoming.title}</h2>
        <p className="hint">{t('terms.version', { version: props.upcoming.version })}</p>
        {props.upcoming.text.split(/\n{2,}/).map((para, i) => (
          <p key={i}>{para}</p>
        ))}
      </section>
      <ErrorMessage>{error}</ErrorMessage>
      <BackActions onBack={props.onBack} busy={busy}>
        <button type="button" className="danger" onClick={() => setConfirmEnd(true)} disabled={busy}>
          {t('termsChange.end')}
        </button>
        <button type="button" className="primary" onClick={() => void run(async () => (await api.acceptTerms({ version: props.upcoming.version }), t('termsChange.accepted')))} disabled={busy} aria-busy={busy}>
          {t('termsChange.accept')}
        </button>
      </BackActions>
      {confirmEnd && (
        <ConfirmDialog
          title={t('termsChange.endTitle')}
          confirmLabel={t('termsChange.endConfirm')}
          cancelLabel={t('common.cancel')}
          danger
          onConfirm={() => {
            setConfirmEnd(false);
            void run(async () => {
              const ended = await api.endAgreement();
              return t('termsChange.ended', { cards: ended.cards, enummers: ended.enummers });
            });
          }}
          onCancel={() => setConfirmEnd(false)}
        >
          <p>{t('termsChange.endText')}</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
