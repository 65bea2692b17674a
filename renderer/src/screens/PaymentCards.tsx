import { useState } from 'react';
import type { PaymentCard } from '../../../src/client/api.ts';
import { ConfirmDialog } from '../components/Dialog.tsx';
import { useApp } from '../context.ts';
import { formatKronor, lastValidDay, maskedLast4 } from '../lib/format.ts';


/** Card terms §8: the bank's Spärrservice, around the clock, by telephone. */
const SPARRSERVICE = '00-000 00 00';
export function cardLabel(card: PaymentCard): string {
  return `${card.product} ${maskedLast4(card.last4)}`;
}

/** The customer's payment cards: state, connected or not; connect (terms) and block. */
export function PaymentCards(props: { cards: PaymentCard[] | null; onConnect(card: PaymentCard): void; onBlock(card: PaymentCard): Promise<void> }) {
  const { t, language } = useApp();
  const [toBlock, setToBlock] = useState<PaymentCard | null>(null);
  const [busy, setBusy] = useState(false);

  async function block(card: PaymentCard) {
    setToBlock(null);
    setBusy(true);
    try {
      await props.onBlock(card);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="cards-heading" className="panel">
      <h2 id="cards-heading">{t('cards.heading')}</h2>
      {props.cards === null ? (
        <p role="status">{t('cards.loading')}</p>
      ) : props.cards.length === 0 ? (
        <p>{t('cards.none')}</p>
      ) : (
        <ul className="items">
          {props.cards.map((card) => (
            <li key={card.id} className={`item card-${card.state}`} aria-labelledby={`card-${card.id}`}>
              <h3 id={`card-${card.id}`}>{cardLabel(card)}</h3>
              <dl className="facts">
                <div>
                  <dt>{t('cards.state')}</dt>
                  <dd>
                    <span className={`badge ${card.state}`}>{card.state === 'active' ? t('cards.active') : t('cards.blocked')}</span>
                    {card.expired ? `, ${t('cards.expired')}` : ''}
                    {', '}
                    {card.connected ? t('cards.connected') : t('cards.notConnected')}
                  </dd>
                </div>
                {card.expiresAt && (
                  <div>
                    <dt>{t('cards.validity')}</dt>
                    <dd>{t('list.validThrough', { date: lastValidDay(card.expiresAt, language) })}</dd>
                  </div>
                )}
              </dl>
              {card.replaces && <p className="hint">{t('cards.replaces', { last4: maskedLast4(card.replaces.last4) })}</p>}
              <p className="hint">{t('cards.limits', { perPurchase: formatKronor(card.limitPerPurchase), perMonth: formatKronor(card.limitPerMonth) })}</p>
              {card.state === 'active' && !card.expired && (
                <div className="actions">
                  {!card.connected && (
                    <button type="button" className="primary" onClick={() => props.onConnect(card)} disabled={busy}>
                      {t('cards.connect')}
                    </button>
                  )}
                  <button type="button" className="danger" onClick={() => setToBlock(card)} disabled={busy}>
                    {t('cards.block')}
                  </button>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      <p className="hint">
        {t('cards.blockService')} <a href={`tel:${SPARRSERVICE.replace(/\D/g, '')}`}>{SPARRSERVICE}</a>
      </p>
      {toBlock && (
        <ConfirmDialog
          title={t('cards.blockTitle', { card: cardLabel(toBlock) })}
          confirmLabel={t('cards.blockConfirm')}
          cancelLabel={t('common.cancel')}
          danger
          onConfirm={() => void block(toBlock)}
          onCancel={() => setToBlock(null)}
        >
          <p>{t('cards.blockText')}</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
