import { type FormEvent, Fragment, type ReactNode, useEffect, useState } from 'react';
import type { Dispute, Notification } from '../../../src/client/api.ts';
import { BackActions } from '../components/BackActions.tsx';
import { SubmitButton } from '../components/SubmitButton.tsx';
import { Field } from '../components/Field.tsx';
import { ErrorMessage } from '../components/Messages.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';
import { useApp } from '../context.ts';
import { formatDate, formatDateTime, formatKronor } from '../lib/format.ts';
import { disputeStateText, liabilityText } from './DisputeDialog.tsx';

/**
 * A screen with a list fetched once (or given, for tests): the heading, the loading and empty
 * texts, the items as `renderItem` draws them, and "Tillbaka".
 */
function FetchedListScreen<T extends { id: string }>(props: {
  name: 'disputes' | 'notifications';
  load(): Promise<T[]>;
  initial?: T[];
  onBack(): void;
  renderItem(item: T): ReactNode;
  /** Shown under the heading, before the list. */
  top?: ReactNode;
}) {
  const { report, t } = useApp();
  const [fetched, setFetched] = useState<T[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (props.initial) return;
    let live = true;
    props.load().then(
      (x) => live && setFetched(x),
      (e: unknown) => live && setError(report(e)),
    );
    return () => {
      live = false;
    };
  }, []);
  const items = props.initial ?? fetched;
  const heading = t(`${props.name}.heading`);
  return (
    <div className={`screen ${props.name}`}>
      <ScreenHeading>{heading}</ScreenHeading>
      {props.top}
      <ErrorMessage>{error}</ErrorMessage>
      {items === null ? (
        error ? null : <p role="status">{t(`${props.name}.loading`)}</p>
      ) : items.length === 0 ? (
        <p>{t(`${props.name}.none`)}</p>
      ) : (
        <ul className="items" aria-label={heading}>
          {items.map((item) => (
            <Fragment key={item.id}>{props.renderItem(item)}</Fragment>
          ))}
        </ul>
      )}
      <BackActions onBack={props.onBack} />
    </div>
  );
}

/** "Reklamationer": the holder's claims, their state and what the terms say the holder risks. */
export function Disputes(props: { onBack(): void; initial?: Dispute[] }) {
  const { api } = useApp();
  return (
    <FetchedListScreen name="disputes" load={() => api.disputes()} {...(props.initial ? { initial: props.initial } : {})} onBack={props.onBack} renderItem={(d) => <DisputeItem dispute={d} />} />
  );
}

/**
 * One claim: its facts, what the bank asked or decided along the way (a police report,
 * §10.4, with the field for its number; an extended investigation, §10.7; a repayment, §10.8)
 * and what the holder risks.
 */
function DisputeItem(props: { dispute: Dispute }) {
  const { api, t, report } = useApp();
  const [d, setD] = useState(props.dispute);
  const [reference, setReference] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const asked = d.policeReport && !d.policeReport.reference && d.state !== 'resolved';

  async function sendReport(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    const typed = reference.trim();
    if (!/^[0-9A-Za-z][0-9A-Za-z ./-]{2,39}$/.test(typed)) {
      setFieldError(t('disputes.policeReportInvalid'));
      return;
    }
    setBusy(true);
    setFieldError(null);
    try {
      setD(await api.submitPoliceReport({ id: d.id, reference: typed }));
    } catch (e) {
      setFieldError(report(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <li className={`item dispute state-${d.state}`} aria-labelledby={`dsp-${d.id}`}>
      <h2 id={`dsp-${d.id}`}>{t('disputes.item', { merchant: d.merchant, amount: formatKronor(d.amount) })}</h2>
      <dl className="facts">
        <div>
          <dt>{t('disputes.kind')}</dt>
          <dd>{t(`dispute.kind.${d.kind}`)}</dd>
        </div>
        <div>
          <dt>{t('disputes.state')}</dt>
          <dd>
            <span className={`badge ${d.state}`}>{disputeStateText(d, t)}</span>
          </dd>
        </div>
        <div>
          <dt>{t('disputes.created')}</dt>
          <dd>{formatDateTime(d.createdAt)}</dd>
        </div>
        {d.description && (
          <div>
            <dt>{t('disputes.description')}</dt>
            <dd>{d.description}</dd>
          </div>
        )}
        {d.policeReport?.reference && (
          <div>
            <dt>{t('disputes.policeReport')}</dt>
            <dd>{d.policeReport.reference}</dd>
          </div>
        )}
      </dl>
      <p>{liabilityText(d, t)}</p>
      {d.extendedAt && <p className="message warning">{t('disputes.extended', { date: formatDate(d.extendedAt) })}</p>}
      {d.repaymentRequiredAt && <p className="message warning">{t('disputes.repayment', { amount: formatKronor(d.amount) })}</p>}
      {asked && (
        <form onSubmit={(e) => void sendReport(e)} noValidate className="form">
          <p className="message warning">{t('disputes.policeReportAsked')}</p>
          <Field id={`police-${d.id}`} label={t('disputes.policeReportNumber')} hint={t('disputes.policeReportHint')} maxLength={40} value={reference} onValue={setReference} error={fieldError} disabled={busy} />
          <div className="actions">
            <SubmitButton busy={busy}>{t('disputes.policeReportSend')}</SubmitButton>
          </div>
        </form>
      )}
    </li>
  );
}

/** Card terms §17: the holder may turn the currency conversion message off (and on again). */
function CurrencyNoticeChoice() {
  const { api, t, report } = useApp();
  const [on, setOn] = useState<boolean | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api.preferences().then(
      (p) => live && setOn(p.currencyNotices),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api]);
  async function change(next: boolean) {
    setBusy(true);
    setError(null);
    try {
      setOn((await api.setPreferences({ currencyNotices: next })).currencyNotices);
    } catch (e) {
      setError(report(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="field">
      <label className="checkbox">
        <input type="checkbox" checked={on ?? true} onChange={(e) => void change(e.target.checked)} disabled={busy || on === null} aria-describedby="currency-notices-hint" />
        {t('notifications.currencyChoice')}
      </label>
      <span className="hint" id="currency-notices-hint">
        {t('notifications.currencyChoiceHint')}
      </span>
      <ErrorMessage>{error}</ErrorMessage>
    </div>
  );
}

/** "Meddelanden": the bank's messages to the holder (a blocked card, a change of terms, a claim) and the currency conversion notices of card terms §17. */
export function Notifications(props: { onBack(): void; initial?: Notification[] }) {
  const { api, language } = useApp();
  return (
    <FetchedListScreen
      name="notifications"
      load={() => api.notifications()}
      {...(props.initial ? { initial: props.initial } : {})}
      onBack={props.onBack}
      top={<CurrencyNoticeChoice />}
      renderItem={(n) => (
        <li className="item notification" aria-labelledby={`ntf-${n.id}`}>
          <h2 id={`ntf-${n.id}`}>{language === 'en' ? n.title.en : n.title.sv}</h2>
          <p className="hint">{formatDate(n.createdAt)}</p>
          <p>{language === 'en' ? n.text.en : n.text.sv}</p>
        </li>
      )}
    />
  );
}
