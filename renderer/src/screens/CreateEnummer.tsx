import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { CreateEnummerRequest, Enummer, EnummerSecret, PaymentCard } from '../../../src/client/api.ts';
import { BackActions } from '../components/BackActions.tsx';
import { SubmitButton } from '../components/SubmitButton.tsx';
import { Field } from '../components/Field.tsx';
import { ErrorMessage, StatusMessage } from '../components/Messages.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';
import { SecretView } from '../components/SecretView.tsx';
import { useApp } from '../context.ts';
import type { MessageKey } from '../i18n/index.ts';
import { parseKronor } from '../lib/format.ts';
import { cardLabel } from './PaymentCards.tsx';

export const MONTH_CHOICES = Array.from({ length: 24 }, (_, i) => i + 1);

/**
 * "Skapa e-nummer": card, merchant, single purchase or recurring (1–24 months), optional
 * amount limit (per purchase or per month) and nickname. The result shows the full number,
 * expiry and CVC until it hides itself after a minute.
 */
export function CreateEnummer(props: { cards: PaymentCard[]; onCreated(enummer: Enummer): void; onBack(): void }) {
  const { api, t, report } = useApp();
  const usable = props.cards.filter((c) => c.connected && c.state === 'active');
  const [cardId, setCardId] = useState(usable[0]?.id ?? '');
  const [merchant, setMerchant] = useState('');
  const [recurring, setRecurring] = useState(false);
  const [months, setMonths] = useState(12);
  const [limit, setLimit] = useState('');
  const [period, setPeriod] = useState<'purchase' | 'month'>('purchase');
  const [nickname, setNickname] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [merchantError, setMerchantError] = useState<string | null>(null);
  const [limitError, setLimitError] = useState<string | null>(null);
  const [created, setCreated] = useState<Enummer | null>(null);
  /** The full number, expiry and CVC: only while shown. */
  const [secret, setSecret] = useState<EnummerSecret | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    let ok = true;
    if (!merchant.trim()) {
      setMerchantError(t('create.merchantRequired'));
      ok = false;
    } else setMerchantError(null);
    let limitOre: number | null = null;
    if (limit.trim()) {
      const parsed = parseKronor(limit);
      if (parsed.ok) {
        limitOre = parsed.ore;
        setLimitError(null);
      } else {
        setLimitError(t(`money.${parsed.reason}` as MessageKey));
        ok = false;
      }
    } else setLimitError(null);
    if (!ok || !cardId) return;
    const request: CreateEnummerRequest = { cardId, merchant: merchant.trim(), recurring };
    if (recurring) request.months = months;
    if (limitOre !== null) request.limit = { amount: limitOre, period };
    if (nickname.trim()) request.nickname = nickname.trim();
    setBusy(true);
    setError(null);
    try {
      const result = await api.createEnummer(request);
      setCreated(result.enummer);
      setSecret(result.secret);
      props.onCreated(result.enummer);
    } catch (e) {
      setError(report(e));
    } finally {
      setBusy(false);
    }
  }

  // When the details hide (by themselves or by "Dölj") with the focus in them, it goes to the
  // note that replaces them, not to the page's start.
  const secretBox = useRef<HTMLDivElement>(null);
  const hiddenNote = useRef<HTMLParagraphElement>(null);
  const [focusNote, setFocusNote] = useState(false);
  useEffect(() => {
    if (focusNote && !secret) hiddenNote.current?.focus();
  }, [focusNote, secret]);
  function hideSecret() {
    const active = document.activeElement;
    setFocusNote(!!active && (active === document.body || !!secretBox.current?.contains(active)));
    setSecret(null);
  }

  function another() {
    setFocusNote(false);
    setCreated(null);
    setSecret(null);
    setMerchant('');
    setLimit('');
    setNickname('');
  }

  if (usable.length === 0) {
    return (
      <div className="screen create">
        <ScreenHeading>{t('create.heading')}</ScreenHeading>
        <p>{t('create.noCards')}</p>
        <BackActions onBack={props.onBack} />
      </div>
    );
  }

  if (created) {
    // The heading (focused as the result appears) says it is created: read first, not a live
    // region added with the content, which screen readers often skip (4.1.3, 2.4.3).
    return (
      <div key="created" className="screen create created">
        <ScreenHeading>{t('create.doneHeading', { merchant: created.merchant })}</ScreenHeading>
        {secret ? (
          <div ref={secretBox}>
            <SecretView secret={secret} merchant={created.merchant} onHide={hideSecret} />
          </div>
        ) : (
          <p ref={hiddenNote} tabIndex={-1}>
            {t('secret.hidden')}
          </p>
        )}
        <BackActions onBack={props.onBack}>
          <button type="button" onClick={another}>
            {t('create.another')}
          </button>
        </BackActions>
      </div>
    );
  }

  return (
    <div className="screen create">
      <ScreenHeading>{t('create.heading')}</ScreenHeading>
      <form onSubmit={(e) => void submit(e)} noValidate className="form">
        <div className="field">
          <label htmlFor="create-card">{t('create.card')}</label>
          <select id="create-card" value={cardId} onChange={(e) => setCardId(e.target.value)} disabled={busy}>
            {usable.map((c) => (
              <option key={c.id} value={c.id}>
                {cardLabel(c)}
              </option>
            ))}
          </select>
        </div>
        <Field id="create-merchant" label={t('create.merchant')} hint={t('create.merchantHint')} maxLength={100} value={merchant} onValue={setMerchant} error={merchantError} aria-required="true" disabled={busy} />
        <fieldset>
          <legend>{t('create.kind')}</legend>
          <label className="radio">
            <input type="radio" name="kind" checked={!recurring} onChange={() => setRecurring(false)} disabled={busy} aria-describedby="kind-single-hint" />
            {t('create.single')}
          </label>
          <span className="hint" id="kind-single-hint">
            {t('create.singleHint')}
          </span>
          <label className="radio">
            <input type="radio" name="kind" checked={recurring} onChange={() => setRecurring(true)} disabled={busy} aria-describedby="kind-recurring-hint" />
            {t('create.recurring')}
          </label>
          <span className="hint" id="kind-recurring-hint">
            {t('create.recurringHint')}
          </span>
        </fieldset>
        {recurring && (
          <div className="field">
            <label htmlFor="create-months">{t('create.months')}</label>
            <select id="create-months" value={months} onChange={(e) => setMonths(Number(e.target.value))} disabled={busy}>
              {MONTH_CHOICES.map((n) => (
                <option key={n} value={n}>
                  {n === 1 ? t('create.monthsOptionOne') : t('create.monthsOption', { n })}
                </option>
              ))}
            </select>
          </div>
        )}
        <Field id="create-limit" label={t('create.limit')} hint={t('create.limitHint')} inputMode="decimal" value={limit} onValue={setLimit} error={limitError} disabled={busy} />
        <fieldset>
          <legend>{t('create.limitPeriod')}</legend>
          <label className="radio">
            <input type="radio" name="period" checked={period === 'purchase'} onChange={() => setPeriod('purchase')} disabled={busy} />
            {t('create.perPurchase')}
          </label>
          <label className="radio">
            <input type="radio" name="period" checked={period === 'month'} onChange={() => setPeriod('month')} disabled={busy} />
            {t('create.perMonth')}
          </label>
        </fieldset>
        <div className="field">
          <label htmlFor="create-nickname">{t('create.nickname')}</label>
          <input id="create-nickname" type="text" autoComplete="off" maxLength={60} value={nickname} onChange={(e) => setNickname(e.target.value)} disabled={busy} />
        </div>
        <ErrorMessage>{error}</ErrorMessage>
        <StatusMessage>{busy ? t('create.creating') : null}</StatusMessage>
        <BackActions onBack={props.onBack} busy={busy}>
          <SubmitButton busy={busy}>{t('create.submit')}</SubmitButton>
        </BackActions>
      </form>
    </div>
  );
}
