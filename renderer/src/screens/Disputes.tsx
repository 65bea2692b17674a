import { useEffect, useState } from 'react';
import type { Dispute, Notification } from '../../../src/client/api.ts';
import { ErrorMessage } from '../components/Messages.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';
import { useApp } from '../context.ts';
import { formatDate, formatDateTime, formatKronor } from '../lib/format.ts';
import { disputeStateText, liabilityText } from './DisputeDialog.tsx';

/** A list the screen fetches once: null while loading. */
function useFetched<T>(load: () => Promise<T[]>): { items: T[] | null; error: string | null } {
  const { report } = useApp();
  const [items, setItems] = useState<T[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    load().then(
      (x) => live && setItems(x),
      (e: unknown) => live && setError(report(e)),
    );
    return () => {
      live = false;
    };
  }, []);
  return { items, error };
}

/** "Reklamationer": the holder's claims, their state and what the terms say the holder risks. */
export function Disputes(props: { onBack(): void; initial?: Dispute[] }) {
  const { api, t } = useApp();
  const fetched = useFetched(() => (props.initial ? Promise.resolve(props.initial) : api.disputes()));
  const items = props.initial ?? fetched.items;
  return (
    <div className="screen disputes">
      <ScreenHeading>{t('disputes.heading')}</ScreenHeading>
      <ErrorMessage>{fetched.error}</ErrorMessage>
      {items === null ? (
        fetched.error ? null : <p role="status">{t('disputes.loading')}</p>
      ) : items.length === 0 ? (
        <p>{t('disputes.none')}</p>
      ) : (
        <ul className="items" aria-label={t('disputes.heading')}>
          {items.map((d) => (
            <li key={d.id} className={`item dispute state-${d.state}`} aria-labelledby={`dsp-${d.id}`}>
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
              </dl>
              <p>{liabilityText(d, t)}</p>
            </li>
          ))}
        </ul>
      )}
      <div className="actions">
        <button type="button" onClick={props.onBack}>
          {t('common.back')}
        </button>
      </div>
    </div>
  );
}

/** "Meddelanden": messages to the holder, e.g. the currency conversion notice of card terms §17. */
export function Notifications(props: { onBack(): void; initial?: Notification[] }) {
  const { api, t, language } = useApp();
  const fetched = useFetched(() => (props.initial ? Promise.resolve(props.initial) : api.notifications()));
  const items = props.initial ?? fetched.items;
  return (
    <div className="screen notifications">
      <ScreenHeading>{t('notifications.heading')}</ScreenHeading>
      <ErrorMessage>{fetched.error}</ErrorMessage>
      {items === null ? (
        fetched.error ? null : <p role="status">{t('notifications.loading')}</p>
      ) : items.length === 0 ? (
        <p>{t('notifications.none')}</p>
      ) : (
        <ul className="items" aria-label={t('notifications.heading')}>
          {items.map((n) => (
            <li key={n.id} className="item notification" aria-labelledby={`ntf-${n.id}`}>
              <h2 id={`ntf-${n.id}`}>{t('notifications.currency', { currency: n.currency })}</h2>
              <p className="hint">{formatDate(n.createdAt)}</p>
              <p>{language === 'en' ? n.text.en : n.text.sv}</p>
            </li>
          ))}
        </ul>
      )}
      <div className="actions">
        <button type="button" onClick={props.onBack}>
          {t('common.back')}
        </button>
      </div>
    </div>
  );
}
