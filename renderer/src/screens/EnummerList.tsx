import { useEffect, useRef, useState } from 'react';
import type { Enummer, EnummerAction, EnummerSecret, PaymentCard, Transaction } from '../../../src/client/api.ts';
import { ConfirmDialog } from '../components/Dialog.tsx';
import { ErrorMessage, StatusMessage } from '../components/Messages.tsx';
import { SecretView } from '../components/SecretView.tsx';
import { useApp } from '../context.ts';
import { asFailure, type Translate } from '../i18n/index.ts';
import { daysLeft, formatKronor, lastValidDay, maskedLast4 } from '../lib/format.ts';
import { TransactionList } from './TransactionList.tsx';

/** Days left to the last valid day (validUntil is the exclusive end: midnight after it). */
export function daysLeftText(validUntil: string, t: Translate, now: Date = new Date()): string {
  const end = Date.parse(validUntil);
  const n = Number.isNaN(end) ? null : daysLeft(new Date(end - 1).toISOString(), now);
  if (n === null) return '';
  if (n < 0) return t('list.expired');
  if (n === 0) return t('list.lastDay');
  if (n === 1) return t('list.daysLeftOne');
  return t('list.daysLeft', { n });
}

export function stateText(e: Enummer, t: Translate): string {
  const state = t(`state.${e.state}`);
  return e.state === 'closed' && e.closeReason ? `${state} (${t(`closeReason.${e.closeReason}`)})` : state;
}

/** The e-nummer list: merchant, last four, valid until with days left, state, actions. */
/** onCardBlocked: a card was blocked from a dispute ("Spärra kortet nu"). */
export function EnummerList(props: { enummers: Enummer[] | null; onChanged(e: Enummer): void; onReauth(): void; onCardBlocked?(card: PaymentCard): void }) {
  const { t } = useApp();
  return (
    <section aria-labelledby="list-heading" className="panel">
      <h2 id="list-heading">{t('list.heading')}</h2>
      {props.enummers === null ? (
        <p role="status">{t('list.loading')}</p>
      ) : props.enummers.length === 0 ? (
        <p>{t('list.none')}</p>
      ) : (
        <ul className="items">
          {props.enummers.map((e) => (
            <EnummerItem key={e.id} enummer={e} onChanged={props.onChanged} onReauth={props.onReauth} {...(props.onCardBlocked ? { onCardBlocked: props.onCardBlocked } : {})} />
          ))}
        </ul>
      )}
    </section>
  );
}

function EnummerItem({ enummer: e, onChanged, onReauth, onCardBlocked }: { enummer: Enummer; onChanged(e: Enummer): void; onReauth(): void; onCardBlocked?(card: PaymentCard): void }) {
  const { api, t, report, language } = useApp();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [secret, setSecret] = useState<EnummerSecret | null>(null);
  const [reauth, setReauth] = useState(false);
  const [confirmClose, setConfirmClose] = useState(false);
  const [transactions, setTransactions] = useState<Transaction[] | null>(null);
  const [showTx, setShowTx] = useState(false);
  const titleId = `enr-${e.id}`;
  // Where the focus goes once an action is done and the buttons are enabled again (WCAG 2.4.3):
  // to the button that replaced the one used (Pausa ↔ Återuppta, Dölj → Visa), or to the
  // e-nummer's heading when it is closed and its buttons are gone.
  const [focusNext, setFocusNext] = useState<'toggle' | 'show' | 'title' | null>(null);
  const toggleRef = useRef<HTMLButtonElement>(null);
  const showRef = useRef<HTMLButtonElement>(null);
  const titleRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (busy || focusNext === null) return;
    ({ toggle: toggleRef, show: showRef, title: titleRef })[focusNext].current?.focus();
    setFocusNext(null);
  }, [busy, focusNext, e.state, secret]);

  /** What the last action did, said politely (its region stays mounted; 4.1.3). */
  const [said, setSaid] = useState<string | null>(null);

  async function change(action: EnummerAction) {
    setConfirmClose(false);
    setSaid(null);
    setBusy(true);
    setError(null);
    try {
      const next = await api.changeEnummer({ id: e.id, action });
      if (next.state === 'closed') setSecret(null);
      onChanged(next);
      setSaid(t(`list.done.${next.state}`, { merchant: e.merchant }));
      setFocusNext(next.state === 'closed' ? 'title' : action === 'pause' || action === 'resume' ? 'toggle' : null);
    } catch (err) {
      setError(report(err));
    } finally {
      setBusy(false);
    }
  }

  async function reveal() {
    setBusy(true);
    setError(null);
    setReauth(false);
    setSaid(null);
    try {
      setSecret(await api.revealEnummer({ id: e.id }));
      setSaid(t('list.done.shown', { merchant: e.merchant }));
    } catch (err) {
      if (asFailure(err).code === 'REAUTH_REQUIRED') setReauth(true);
      else setError(report(err));
    } finally {
      setBusy(false);
    }
  }

  async function toggleTransactions() {
    if (showTx) {
      setShowTx(false);
      return;
    }
    setShowTx(true);
    setError(null);
    try {
      setTransactions(await api.transactions({ enummerId: e.id }));
    } catch (err) {
      setShowTx(false);
      setError(report(err));
    }
  }

  const left = e.state !== 'closed' ? daysLeftText(e.validUntil, t) : '';
  return (
    <li className={`item enummer state-${e.state}`} aria-labelledby={titleId}>
      <h3 id={titleId} ref={titleRef} tabIndex={-1}>
        {e.merchant || e.lockedTo?.descriptor || t('list.firstMerchant')}
        {e.nickname ? ` – ${e.nickname}` : ''} <span className="last4">{maskedLast4(e.last4)}</span>
      </h3>
      <dl className="facts">
        <div>
          <dt>{t('list.number')}</dt>
          <dd>{maskedLast4(e.last4)}</dd>
        </div>
        {e.cardLast4 && (
          <div>
            <dt>{t('list.card')}</dt>
            <dd>{maskedLast4(e.cardLast4)}</dd>
          </div>
        )}
        {e.lockedTo && (
          <div>
            <dt>{t('list.merchant')}</dt>
            <dd>{t('list.lockedTo', { merchant: e.lockedTo.descriptor, id: e.lockedTo.merchantId })}</dd>
          </div>
        )}
        <div>
          <dt>{t('list.validUntil')}</dt>
          <dd>
            {t('list.validThrough', { date: lastValidDay(e.validUntil, language) })}
            {left ? ` (${left})` : ''}
          </dd>
        </div>
        <div>
          <dt>{t('list.state')}</dt>
          <dd>
            <span className={`badge ${e.state}`}>{stateText(e, t)}</span>
            {e.lock && e.state !== 'closed' && <span className="badge locked">{t('list.locked')}</span>}
          </dd>
        </div>
        <div>
          <dt>{t('create.kind')}</dt>
          <dd>{e.kind === 'single' ? t('list.kindSingle') : t('list.kindRecurring', { n: e.months })}</dd>
        </div>
        {e.limit && (
          <div>
            <dt>{t('list.limit')}</dt>
            <dd>{e.limit.period === 'purchase' ? t('list.limitPurchase', { amount: formatKronor(e.limit.amount) }) : t('list.limitMonth', { amount: formatKronor(e.limit.amount) })}</dd>
          </div>
        )}
      </dl>
      {e.lock && e.state !== 'closed' && (
        <div role="status" className="message warning">
          <p>
            <strong>{t('list.locked')}.</strong> {t('list.lockedText')}
          </p>
          <button type="button" onClick={() => void change('unlock')} disabled={busy}>
            {t('list.unlock')}
          </button>
        </div>
      )}
      <div className="actions">
        {e.state !== 'closed' && !secret && (
          <button type="button" ref={showRef} onClick={() => void reveal()} disabled={busy}>
            {t('list.show')}
          </button>
        )}
        {e.state === 'open' && (
          <button type="button" ref={toggleRef} onClick={() => void change('pause')} disabled={busy}>
            {t('list.pause')}
          </button>
        )}
        {e.state === 'paused' && (
          <button type="button" ref={toggleRef} onClick={() => void change('resume')} disabled={busy}>
            {t('list.resume')}
          </button>
        )}
        {e.state !== 'closed' && (
          <button type="button" className="danger" onClick={() => setConfirmClose(true)} disabled={busy}>
            {t('list.close')}
          </button>
        )}
        <button type="button" onClick={() => void toggleTransactions()} aria-expanded={showTx}>
          {showTx ? t('list.hideTransactions') : t('list.transactions')}
        </button>
      </div>
      <ErrorMessage>{error}</ErrorMessage>
      {reauth && (
        <div role="alert" className="message error">
          <p>{t('list.reauth')}</p>
          <button type="button" onClick={onReauth}>
            {t('list.loginAgain')}
          </button>
        </div>
      )}
      {secret && (
        <SecretView
          secret={secret}
          merchant={e.merchant}
          onHide={() => {
            setSecret(null);
            setFocusNext('show');
            setSaid(t('list.done.hidden', { merchant: e.merchant }));
          }}
        />
      )}
      <StatusMessage className="sr-only">{said}</StatusMessage>
      {showTx && <TransactionList merchant={e.merchant} transactions={transactions} {...(onCardBlocked ? { onCardBlocked } : {})} />}
      {confirmClose && (
        <ConfirmDialog
          title={t('list.closeTitle', { merchant: e.merchant })}
          confirmLabel={t('list.closeConfirm')}
          cancelLabel={t('common.cancel')}
          danger
          onConfirm={() => void change('close')}
          onCancel={() => setConfirmClose(false)}
        >
          <p>{t('list.closeText')}</p>
        </ConfirmDialog>
      )}
    </li>
  );
}
