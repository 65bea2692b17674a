import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { Dispute, DisputeKind, PaymentCard, Transaction } from '../../../src/client/api.ts';
import { Modal } from '../components/Modal.tsx';
import { ErrorMessage, StatusMessage } from '../components/Messages.tsx';
import { SubmitButton } from '../components/SubmitButton.tsx';
import { useApp } from '../context.ts';
import type { Translate } from '../i18n/index.ts';
import { formatDateTime, formatKronor } from '../lib/format.ts';
import { cardLabel } from './PaymentCards.tsx';

const KINDS: DisputeKind[] = ['unauthorised', 'incorrect', 'goods'];

/** What the card terms say the holder risks for this claim (§10.2–10.6, §11.1–11.2). */
export function liabilityText(d: Dispute, t: Translate): string {
  const l = d.liability;
  switch (l.reason) {
    case 'self_risk':
      // A purchase of 400 kr or less: the whole amount is all the holder can risk, negligent or not.
      if (l.grossNegligenceMaxOre !== undefined && l.grossNegligenceMaxOre <= l.maxSelfRiskOre) return t('dispute.liability.self_risk_whole', { amount: formatKronor(l.maxSelfRiskOre) });
      return l.grossNegligenceMaxOre === undefined
        ? t('dispute.liability.self_risk_noGross', { amount: formatKronor(l.maxSelfRiskOre) })
        : t('dispute.liability.self_risk', { amount: formatKronor(l.maxSelfRiskOre), gross: formatKronor(l.grossNegligenceMaxOre) });
    case 'goods_merchant_first':
      return t('dispute.liability.goods_merchant_first', { merchant: d.merchant });
    default:
      return t(`dispute.liability.${l.reason}`);
  }
}

export function disputeStateText(d: Dispute, t: Translate): string {
  const state = t(`dispute.state.${d.state}`);
  return d.state === 'resolved' && d.resolution ? `${state}: ${t(`dispute.resolution.${d.resolution}`)}` : state;
}

/**
 * "Reklamera" on a transaction: the kind (unauthorised / incorrect / goods — goods points to
 * the merchant first), an optional description, then the claim's state and what the holder
 * risks; for a purchase that was not the holder's, "Spärra kortet nu" (with a confirmation)
 * in the same dialog.
 */
export function DisputeDialog(props: { transaction: Transaction; onClose(): void; onDisputed(d: Dispute): void; onCardBlocked?(card: PaymentCard): void }) {
  const { api, t, report } = useApp();
  const tx = props.transaction;
  const [kind, setKind] = useState<DisputeKind | null>(null);
  const [description, setDescription] = useState('');
  const [kindError, setKindError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [dispute, setDispute] = useState<Dispute | null>(null);
  const [card, setCard] = useState<PaymentCard | null>(null);
  const [confirmBlock, setConfirmBlock] = useState(false);
  const [blocked, setBlocked] = useState<PaymentCard | null>(null);
  const resultRef = useRef<HTMLDivElement>(null);
  const closeRef = useRef<HTMLButtonElement>(null);

  // The answer replaces the form: the focus goes to it (and after a block, to "Stäng").
  useEffect(() => {
    if (dispute) resultRef.current?.focus();
  }, [dispute]);
  useEffect(() => {
    if (blocked) closeRef.current?.focus();
  }, [blocked]);

  // The card the purchase was made with, to name it in the blocking question.
  const offerCardId = dispute?.offerCardBlock && dispute.cardId ? dispute.cardId : null;
  useEffect(() => {
    if (!offerCardId) return;
    let live = true;
    api.paymentCards().then(
      (cards) => live && setCard(cards.find((c) => c.id === offerCardId) ?? null),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api, offerCardId]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    if (!kind) {
      setKindError(t('dispute.chooseKind'));
      document.getElementById(`dispute-kind-${KINDS[0]}`)?.focus();
      return;
    }
    setKindError(null);
    setError(null);
    setBusy(true);
    try {
      const text = description.trim();
      const d = await api.disputeTransaction({ transactionId: tx.id, kind, ...(text ? { description: text } : {}) });
      setDispute(d);
      props.onDisputed(d);
    } catch (e) {
      setError(report(e));
    } finally {
      setBusy(false);
    }
  }

  async function block() {
    if (!dispute?.cardId) return;
    setBusy(true);
    setError(null);
    try {
      const b = await api.blockCard({ cardId: dispute.cardId });
      setConfirmBlock(false);
      setBlocked(b);
      props.onCardBlocked?.(b);
    } catch (e) {
      setError(report(e));
    } finally {
      setBusy(false);
    }
  }

  const title = t('dispute.title', { merchant: tx.merchant });
  const purchase = t('dispute.purchase', { merchant: tx.merchant, amount: formatKronor(tx.amount), time: formatDateTime(tx.createdAt) });

  if (!dispute) {
    return (
      <Modal title={title} onClose={props.onClose} testId="dispute-dialog">
        <p>{purchase}</p>
        <form onSubmit={(e) => void submit(e)} noValidate className="form">
          <fieldset aria-describedby={kindError ? 'dispute-kind-error' : undefined}>
            <legend>{t('dispute.kind')}</legend>
            {KINDS.map((k) => (
              <div key={k}>
                <label className="radio">
                  <input
                    type="radio"
                    id={`dispute-kind-${k}`}
                    name="dispute-kind"
                    checked={kind === k}
                    onChange={() => setKind(k)}
                    disabled={busy}
                    aria-describedby={`dispute-hint-${k}`}
                    data-autofocus={k === KINDS[0] ? '' : undefined}
                  />
                  {t(`dispute.kind.${k}`)}
                </label>
                <span className="hint" id={`dispute-hint-${k}`}>
                  {t(`dispute.kindHint.${k}`)}
                </span>
              </div>
            ))}
          </fieldset>
          <ErrorMessage id="dispute-kind-error">{kindError}</ErrorMessage>
          {kind === 'goods' && (
            <p className="message status merchant-first" role="note">
              {t('dispute.goodsMerchantFirst', { merchant: tx.merchant })}
            </p>
          )}
          <div className="field">
            <label htmlFor="dispute-description">{t('dispute.description')}</label>
            <span className="hint" id="dispute-description-hint">
              {t('dispute.descriptionHint')}
            </span>
            <textarea id="dispute-description" rows={3} maxLength={1000} value={description} onChange={(e) => setDescription(e.target.value)} disabled={busy} aria-describedby="dispute-description-hint" />
          </div>
          <ErrorMessage>{error}</ErrorMessage>
          <StatusMessage>{busy ? t('dispute.sending') : null}</StatusMessage>
          <div className="actions">
            <button type="button" onClick={props.onClose} disabled={busy}>
              {t('common.cancel')}
            </button>
            <SubmitButton busy={busy}>{t('dispute.submit')}</SubmitButton>
          </div>
        </form>
      </Modal>
    );
  }

  const label = card ? cardLabel(card) : null;
  return (
    <Modal title={title} onClose={props.onClose} testId="dispute-dialog">
      <p>{purchase}</p>
      <div role="status" className="message status dispute-result" ref={resultRef} tabIndex={-1}>
        <p>{dispute.state === 'referred_to_merchant' ? t('dispute.referred') : t('dispute.received')}</p>
        <p data-testid="dispute-state">{t('dispute.stateLabel', { state: disputeStateText(dispute, t) })}</p>
      </div>
      <section aria-labelledby="dispute-risk-heading" className="dispute-risk">
        <h3 id="dispute-risk-heading">{t('dispute.risk')}</h3>
        <p data-testid="dispute-liability">{liabilityText(dispute, t)}</p>
        {dispute.liability.reason === 'self_risk' && <p>{t('dispute.liability.afterBlockNote')}</p>}
      </section>
      {dispute.offerCardBlock && dispute.cardId && !blocked && !confirmBlock && (
        <div className="offer-block">
          <p>{t('dispute.offerBlock')}</p>
          <button type="button" className="danger" onClick={() => setConfirmBlock(true)} disabled={busy}>
            {t('dispute.blockNow')}
          </button>
        </div>
      )}
      {confirmBlock && !blocked && (
        <section aria-labelledby="dispute-block-heading" className="confirm-block">
          <h3 id="dispute-block-heading">{label ? t('dispute.blockTitle', { card: label }) : t('dispute.blockTitleUnknown')}</h3>
          <p>{t('cards.blockText')}</p>
          <div className="actions">
            <button type="button" onClick={() => setConfirmBlock(false)} disabled={busy} autoFocus>
              {t('common.cancel')}
            </button>
            <button type="button" className="danger" onClick={() => void block()} disabled={busy} aria-busy={busy}>
              {t('cards.blockConfirm')}
            </button>
          </div>
        </section>
      )}
      <StatusMessage>{blocked ? t('dispute.blocked', { card: cardLabel(blocked) }) : null}</StatusMessage>
      <ErrorMessage>{error}</ErrorMessage>
      <div className="actions">
        <button type="button" ref={closeRef} onClick={props.onClose} disabled={busy}>
          {t('common.close')}
        </button>
      </div>
    </Modal>
  );
}
