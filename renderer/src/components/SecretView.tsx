import { useEffect, useId, useRef, useState } from 'react';
import type { EnummerSecret } from '../../../src/client/api.ts';
import { useApp } from '../context.ts';
import { copyAndClearLater } from '../lib/clipboard.ts';
import { formatCardNumber } from '../lib/format.ts';

export const SECRET_VISIBLE_MS = 60_000;
/** The warning before the details hide, with a way to keep them a minute more (WCAG 2.2.1: 20 s). */
export const SECRET_WARN_SECONDS = 20;

/**
 * The reveal view: full e-nummer, expiry and CVC with copy buttons. Calls onHide after a
 * minute and on "Dölj uppgifterna", so the owner drops the secret from its state; the owner
 * keeps the secret in its own state, so it also goes when the owner unmounts. Twenty seconds
 * before the minute ends it says so (a live region) and offers "Visa en minut till".
 */
export function SecretView({ secret, merchant, onHide }: { secret: EnummerSecret; merchant: string; onHide(): void }) {
  const { t } = useApp();
  const [secondsLeft, setSecondsLeft] = useState(Math.round(SECRET_VISIBLE_MS / 1000));
  const [copyStatus, setCopyStatus] = useState('');
  const headingId = useId();
  const onHideRef = useRef(onHide);
  useEffect(() => {
    onHideRef.current = onHide;
  });

  const started = useRef(Date.now());
  useEffect(() => {
    started.current = Date.now();
    const tick = setInterval(() => {
      const left = Math.max(0, Math.ceil((SECRET_VISIBLE_MS - (Date.now() - started.current)) / 1000));
      setSecondsLeft(left);
      if (left === 0) onHideRef.current();
    }, 1000);
    // No onHide on unmount: the owner's state goes with the owner (and StrictMode's trial
    // unmount in development would hide the details at once).
    return () => clearInterval(tick);
  }, [secret.id, secret.pan]);

  async function copy(text: string) {
    const ok = await copyAndClearLater(text, typeof navigator !== 'undefined' ? navigator.clipboard : undefined);
    setCopyStatus(ok ? t('secret.copied') : t('secret.copyFailed'));
  }

  const number = formatCardNumber(secret.pan);
  return (
    <section className="secret" aria-labelledby={headingId}>
      <h3 id={headingId}>{t('secret.heading', { merchant })}</h3>
      <dl className="secret-fields">
        <div>
          <dt>{t('secret.number')}</dt>
          <dd className="secret-value" data-testid="secret-pan">
            {number}
          </dd>
          <dd>
            <button type="button" onClick={() => void copy(secret.pan)}>
              {t('secret.copyNumber')}
            </button>
          </dd>
        </div>
        <div>
          <dt>{t('secret.expiry')}</dt>
          <dd className="secret-value" data-testid="secret-expiry">
            {secret.expiry}
          </dd>
          <dd>
            <button type="button" onClick={() => void copy(secret.expiry)}>
              {t('secret.copyExpiry')}
            </button>
          </dd>
        </div>
        <div>
          <dt>{t('secret.cvc')}</dt>
          <dd className="secret-value" data-testid="secret-cvc">
            {secret.cvc}
          </dd>
          <dd>
            <button type="button" onClick={() => void copy(secret.cvc)}>
              {t('secret.copyCvc')}
            </button>
          </dd>
        </div>
      </dl>
      <p className="hint">{t('secret.hidesIn', { seconds: secondsLeft })}</p>
      <p role="status" className="message status">
        {copyStatus}
      </p>
      <p role="status" className="message warning">
        {secondsLeft <= SECRET_WARN_SECONDS ? t('secret.hidingSoon', { seconds: SECRET_WARN_SECONDS }) : null}
      </p>
      {secondsLeft <= SECRET_WARN_SECONDS && (
        <button
          type="button"
          onClick={() => {
            started.current = Date.now();
            setSecondsLeft(Math.round(SECRET_VISIBLE_MS / 1000));
          }}
        >
          {t('secret.keep')}
        </button>
      )}
      <button type="button" onClick={() => onHideRef.current()}>
        {t('secret.hide')}
      </button>
    </section>
  );
}
