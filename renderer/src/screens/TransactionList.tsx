import { useState } from 'react';
import type { PaymentCard, Transaction } from '../../../src/client/api.ts';
import { useApp } from '../context.ts';
import { declineText, type Translate } from '../i18n/index.ts';
import { formatDateTime, formatKronor } from '../lib/format.ts';
import { foreignParts } from '../lib/money.ts';
import { DisputeDialog } from './DisputeDialog.tsx';
import { RefundDialog } from './RefundDialog.tsx';

/** "12,50 EUR · kurs 11,2345 · avgift 2,32 kr" for a purchase in another currency; '' for SEK. */
export function foreignText(tx: Transaction, t: Translate): string {
  const parts = foreignParts(tx);
  return parts ? t('tx.foreign', parts) : '';
}

/**
 * An e-nummer's transactions: time, merchant, the SEK amount (and for another currency the
 * original amount, the rate and the fee), approved or declined with the reason; "Reklamera"
 * on approved ones opens the dispute dialog, "Begär återbetalning" the refund request (§20).
 */
export function TransactionList(props: { merchant: string; transactions: Transaction[] | null; onCardBlocked?(card: PaymentCard): void }) {
  const { t } = useApp();
  const [disputing, setDisputing] = useState<Transaction | null>(null);
  const [refunding, setRefunding] = useState<Transaction | null>(null);
  const [disputed, setDisputed] = useState<ReadonlySet<string>>(new Set());
  const { merchant, transactions } = props;
  return (
    <section className="transactions" aria-label={t('tx.heading', { merchant })}>
      <h4>{t('tx.heading', { merchant })}</h4>
      {transactions === null ? (
        <p role="status">{t('common.busy')}</p>
      ) : transactions.length === 0 ? (
        <p>{t('tx.none')}</p>
      ) : (
        <ul className="tx-list">
          {transactions.map((x) => {
            const foreign = foreignText(x, t);
            return (
              <li key={x.id} className={`tx ${x.decision}`}>
                <span className="tx-time">{formatDateTime(x.createdAt)}</span> <span className="tx-merchant">{x.merchant}</span>{' '}
                <span className="tx-amount">{formatKronor(x.amount)}</span>{' '}
                {foreign && (
                  <>
                    <span className="tx-foreign" data-testid="tx-foreign" title={t('tx.foreignLabel', { currency: x.currency ?? '' })}>
                      {`(${foreign})`}
                    </span>{' '}
                  </>
                )}
                <span className={`badge ${x.decision}`}>
                  {x.decision === 'approved' ? t('tx.approved') : x.declineCode ? t('tx.declinedBecause', { reason: declineText(x.declineCode, t) }) : t('tx.declined')}
                </span>
                {disputed.has(x.id) && (
                  <>
                    {' '}
                    <span className="badge disputed">{t('tx.disputed')}</span>
                  </>
                )}
                {x.decision === 'approved' && (
                  <>
                    {' '}
                    <button type="button" className="link tx-dispute" onClick={() => setDisputing(x)} aria-label={t('tx.disputeLabel', { merchant: x.merchant, amount: formatKronor(x.amount) })}>
                      {t('tx.dispute')}
                    </button>{' '}
                    <button type="button" className="link tx-refund" onClick={() => setRefunding(x)} aria-label={t('tx.refundLabel', { merchant: x.merchant, amount: formatKronor(x.amount) })}>
                      {t('tx.refund')}
                    </button>
                  </>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {refunding && <RefundDialog transaction={refunding} onClose={() => setRefunding(null)} />}
      {disputing && (
        <DisputeDialog
          transaction={disputing}
          onClose={() => setDisputing(null)}
          onDisputed={(d) => setDisputed((s) => new Set([...s, d.transactionId]))}
          {...(props.onCardBlocked ? { onCardBlocked: props.onCardBlocked } : {})}
        />
      )}
    </section>
  );
}
