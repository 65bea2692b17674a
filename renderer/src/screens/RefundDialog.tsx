import { type FormEvent, useState } from 'react';
import type { RefundRequest, Transaction } from '../../../src/client/api.ts';
import { Field } from '../components/Field.tsx';
import { ErrorMessage } from '../components/Messages.tsx';
import { Modal } from '../components/Modal.tsx';
import { SubmitButton } from '../components/SubmitButton.tsx';
import { useApp } from '../context.ts';
import { formatDateTime, formatKronor, lastValidDay } from '../lib/format.ts';
import { formatMinorUnits, parseMinorUnits } from '../lib/money.ts';

/**
 * "Begär återbetalning" (card terms §20): for a purchase whose exact amount was not given when
 * it was approved (a hotel, a car rental) and came out higher than could be expected. The
 * holder confirms the first, gives what they expected (in the purchase's currency) and why;
 * the answer names the day by which the bank answers.
 */
export function RefundDialog(props: { transaction: Transaction; onClose(): void; onRequested?(request: RefundRequest): void }) {
  const { api, t, report, language } = useApp();
  const tx = props.transaction;
  const currency = tx.currency ?? 'SEK';
  const [expected, setExpected] = useState('');
  const [reason, setReason] = useState('');
  const [notGiven, setNotGiven] = useState(false);
  const [expectedError, setExpectedError] = useState<string | null>(null);
  const [notGivenError, setNotGivenError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<RefundRequest | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    const amount = parseMinorUnits(expected, currency);
    setExpectedError(amount === null ? t('refund.expectedInvalid') : null);
    setNotGivenError(notGiven ? null : t('refund.notGivenRequired'));
    if (amount === null || !notGiven) return;
    setBusy(true);
    setError(null);
    try {
      const request = await api.requestRefund({ transactionId: tx.id, expectedAmount: amount, ...(reason.trim() ? { reason: reason.trim() } : {}) });
      setDone(request);
      props.onRequested?.(request);
    } catch (e) {
      setError(report(e));
    } finally {
      setBusy(false);
    }
  }

  const title = t('refund.title', { merchant: tx.merchant });
  return (
    <Modal title={title} onClose={props.onClose} testId="refund-dialog">
      <p>{t('dispute.purchase', { merchant: tx.merchant, amount: formatKronor(tx.amount), time: formatDateTime(tx.createdAt) })}</p>
      {done ? (
        <>
          <p role="status" className="message status">
            {t('refund.received', { date: lastValidDay(done.answerBy, language) })}
          </p>
          <div className="actions">
            <button type="button" className="primary" onClick={props.onClose}>
              {t('common.close')}
            </button>
          </div>
        </>
      ) : (
        <form onSubmit={(e) => void submit(e)} noValidate className="form">
          <p className="hint">{t('refund.rule')}</p>
          <label className="checkbox">
            <input type="checkbox" checked={notGiven} onChange={(e) => {
                setNotGiven(e.target.checked);
                if (e.target.checked) setNotGivenError(null);
              }} disabled={busy} aria-invalid={notGivenError ? true : undefined} aria-describedby={notGivenError ? 'refund-notgiven-error' : undefined} />
            {t('refund.notGiven')}
          </label>
          <ErrorMessage id="refund-notgiven-error">{notGivenError}</ErrorMessage>
          <Field
            id="refund-expected"
            label={t('refund.expected', { currency })}
            hint={t('refund.expectedHint', { amount: tx.currency && tx.originalAmount !== undefined ? formatMinorUnits(tx.originalAmount, tx.currency) : formatKronor(tx.amount) })}
            inputMode="decimal"
            value={expected}
            onValue={setExpected}
            error={expectedError}
            disabled={busy}
          />
          <div className="field">
            <label htmlFor="refund-reason">{t('refund.reason')}</label>
            <textarea id="refund-reason" rows={3} maxLength={1000} value={reason} onChange={(e) => setReason(e.target.value)} disabled={busy} />
          </div>
          <ErrorMessage>{error}</ErrorMessage>
          <div className="actions">
            <button type="button" onClick={props.onClose} disabled={busy}>
              {t('common.cancel')}
            </button>
            <SubmitButton busy={busy}>{t('refund.submit')}</SubmitButton>
          </div>
        </form>
      )}
    </Modal>
  );
}
