import { useCallback, useEffect, useState } from 'react';
import type { Enummer, PaymentCard, SessionInfo, Terms } from '../../../src/client/api.ts';
import { ErrorMessage } from '../components/Messages.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';
import { useApp } from '../context.ts';
import { ConnectCard } from './ConnectCard.tsx';
import { CreateEnummer } from './CreateEnummer.tsx';
import { Disputes, Notifications } from './Disputes.tsx';
import { EnummerList } from './EnummerList.tsx';
import { cardLabel, PaymentCards } from './PaymentCards.tsx';
import { TermsChange, TermsChangeNotice } from './TermsChange.tsx';

type View = { kind: 'overview' } | { kind: 'connect'; card: PaymentCard } | { kind: 'create' } | { kind: 'disputes' } | { kind: 'notifications' } | { kind: 'terms-change' };

/**
 * Logged in: payment cards and e-nummer, with "Skapa e-nummer" and "Anslut kort till e-kort"
 * as their own screens. All secrets live below this component, so logging out (which
 * unmounts it) drops them from React state.
 */
export function Home(props: { session: SessionInfo; onReauth(): void }) {
  const { api, t, report } = useApp();
  const [view, setView] = useState<View>({ kind: 'overview' });
  const [cards, setCards] = useState<PaymentCard[] | null>(null);
  const [enummers, setEnummers] = useState<Enummer[] | null>(null);
  const [terms, setTerms] = useState<Terms | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    setError(null);
    try {
      const [c, e, x] = await Promise.all([api.paymentCards(), api.enummers(), api.terms()]);
      setCards(c);
      setEnummers(e);
      setTerms(x);
      return { cards: c.length, enummers: e.length };
    } catch (err) {
      setError(report(err));
      return null;
    }
  }, [api, report]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const replaceCard = (card: PaymentCard) => setCards((cs) => (cs ? cs.map((c) => (c.id === card.id ? card : c)) : [card]));

  async function block(card: PaymentCard) {
    setNotice(null);
    setError(null);
    try {
      const blocked = await api.blockCard({ cardId: card.id });
      replaceCard(blocked);
      setNotice(t('cards.blockedDone', { card: cardLabel(blocked) }));
      await refresh(); // e-nummer on the card are closed at once
    } catch (err) {
      setError(report(err));
    }
  }

  const upcoming = terms?.upcoming ?? null;
  if (view.kind === 'connect') {
    return (
      <ConnectCard
        cards={(cards ?? []).filter((c) => c.id === view.card.id || (!c.connected && c.state === 'active'))}
        preselected={view.card.id}
        onBack={() => setView({ kind: 'overview' })}
        onConnected={(connected) => {
          for (const card of connected) replaceCard(card);
          setNotice(t(connected.length === 1 ? 'terms.connected' : 'terms.connectedMany', { card: connected.map(cardLabel).join(', ') }));
          setView({ kind: 'overview' });
        }}
      />
    );
  }
  if (view.kind === 'terms-change' && upcoming) {
    return (
      <TermsChange
        upcoming={upcoming}
        onBack={() => setView({ kind: 'overview' })}
        onDone={(message) => {
          setNotice(message);
          setView({ kind: 'overview' });
          void refresh();
        }}
      />
    );
  }
  if (view.kind === 'disputes') return <Disputes onBack={() => setView({ kind: 'overview' })} />;
  if (view.kind === 'notifications') return <Notifications onBack={() => setView({ kind: 'overview' })} />;
  if (view.kind === 'create') {
    return (
      <CreateEnummer
        cards={cards ?? []}
        onBack={() => setView({ kind: 'overview' })}
        onCreated={(e) => {
          setEnummers((list) => [e, ...(list ?? []).filter((x) => x.id !== e.id)]);
          setNotice(null);
        }}
      />
    );
  }

  const canCreate = (cards ?? []).some((c) => c.connected && c.state === 'active');
  return (
    <div className="screen home">
      <ScreenHeading>{t('home.welcome', { name: props.session.customer.name })}</ScreenHeading>
      <p role="status" className="message status">
        {notice}
      </p>
      <ErrorMessage>{error}</ErrorMessage>
      <div className="actions toolbar">
        <button type="button" className="primary" onClick={() => setView({ kind: 'create' })} disabled={cards === null || !canCreate} aria-describedby={cards && !canCreate ? 'no-connected' : undefined}>
          {t('home.create')}
        </button>
        <button
          type="button"
          onClick={() => {
            setNotice(null);
            void refresh().then((counts) => counts && setNotice(t('home.refreshed', counts)));
          }}
        >
          {t('home.refresh')}
        </button>
        <button type="button" onClick={() => setView({ kind: 'disputes' })}>
          {t('home.disputes')}
        </button>
        <button type="button" onClick={() => setView({ kind: 'notifications' })}>
          {t('home.notifications')}
        </button>
      </div>
      {upcoming && (cards ?? []).some((c) => c.connected && c.termsVersion !== upcoming.version) && <TermsChangeNotice upcoming={upcoming} onRead={() => setView({ kind: 'terms-change' })} />}
      {cards && !canCreate && (
        <p id="no-connected" className="hint">
          {t('cards.noConnected')}
        </p>
      )}
      <PaymentCards cards={cards} onConnect={(card) => setView({ kind: 'connect', card })} onBlock={block} />
      <EnummerList
        enummers={enummers}
        onChanged={(e) => setEnummers((list) => (list ?? []).map((x) => (x.id === e.id ? e : x)))}
        onReauth={props.onReauth}
        onCardBlocked={(card) => {
          replaceCard(card);
          setNotice(t('cards.blockedDone', { card: cardLabel(card) }));
          void refresh(); // e-nummer on the card are closed at once
        }}
      />
    </div>
  );
}
