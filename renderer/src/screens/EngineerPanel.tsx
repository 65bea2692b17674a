import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { AuthorizationResult } from '../../../src/client/api.ts';
import { ErrorMessage } from '../components/Messages.tsx';
import { useApp } from '../context.ts';
import { declineText } from '../i18n/index.ts';
import { isValidExpiry, parseKronor } from '../lib/format.ts';
import { Authenticator } from './Authenticator.tsx';
import { PinPadKeypad } from './PinPadKeypad.tsx';

export const TRACE_LINES_KEPT = 1000;

/**
 * The engineers' view (settings.engineerMode): readers with ATR and card kind, virtual card
 * and token controls, the APDU trace (PINs masked by the agent) and a simulated purchase.
 * Keyed by the session epoch in App, so a logout drops what was typed here.
 */
export function EngineerPanel() {
  const { api, t, readers, tokens, report } = useApp();
  const [trace, setTrace] = useState<string[]>([]);
  const [touch, setTouch] = useState(false);
  const [pcscTarget, setPcscTarget] = useState('');
  const [status, setStatus] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const traceRef = useRef<HTMLPreElement>(null);

  useEffect(() => {
    let live = true;
    api.apduTrace().then(
      (lines) => live && setTrace((now) => [...lines, ...now].slice(-TRACE_LINES_KEPT)),
      () => undefined,
    );
    const off = api.subscribe((event) => {
      if (event.type === 'apdu') setTrace((now) => [...now, event.line].slice(-TRACE_LINES_KEPT));
    });
    return () => {
      live = false;
      off();
    };
  }, [api]);

  useEffect(() => {
    const el = traceRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [trace]);

  async function run(what: string, action: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    setStatus('');
    try {
      await action();
      setStatus(t('eng.done', { what }));
    } catch (e) {
      setError(report(e));
    } finally {
      setBusy(false);
    }
  }

  async function refreshTrace() {
    try {
      setTrace((await api.apduTrace()).slice(-TRACE_LINES_KEPT));
    } catch (e) {
      setError(report(e));
    }
  }

  // Virtual readers through pcscd (ekort's own driver, its PIN pad included, and vsmartcard's
  // vpcd), where OpenSC and every PC/SC program see the card too.
  const pcscReaders = readers.filter((r) => r.virtual && r.source === 'pcsc' && r.state !== 'unavailable');
  const pcscReader = pcscReaders.find((r) => r.name === pcscTarget) ?? pcscReaders[0];

  return (
    <aside className="engineer" aria-labelledby="eng-heading">
      <h2 id="eng-heading">{t('eng.heading')}</h2>

      <section aria-labelledby="eng-readers">
        <h3 id="eng-readers">{t('eng.readers')}</h3>
        {readers.length === 0 ? (
          <p>{t('eng.noReaders')}</p>
        ) : (
          <ul className="eng-readers">
            {readers.map((r) => (
              <li key={r.name}>
                <strong>{r.name}</strong>
                {r.virtual ? ` (${t(r.source === 'in-app' ? 'card.readerInApp' : 'card.readerVirtual')})` : ''}: {r.state === 'card' ? t('card.readerCard') : r.state === 'empty' ? t('card.readerEmpty') : t('card.readerUnavailable')}
                {r.pinPad ? `, ${t('eng.pinPad')}` : ''}
                {r.atr && (
                  <>
                    <br />
                    {t('eng.atr')}: <code className="atr">{r.atr}</code>
                  </>
                )}
                {r.cardKind && (
                  <>
                    <br />
                    {t('eng.cardKind')}: {r.cardKind}
                  </>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="eng-virtual">
        <h3 id="eng-virtual">{t('eng.virtual')}</h3>
        <div className="actions">
          <button type="button" disabled={busy} onClick={() => void run(t('eng.insertCard'), () => api.insertVirtualCard({}))}>
            {t('eng.insertCard')}
          </button>
          {pcscReader && (
            <>
              <label>
                {t('eng.pcscReader')}{' '}
                <select value={pcscReader.name} disabled={busy} onChange={(e) => setPcscTarget(e.target.value)}>
                  {pcscReaders.map((r) => (
                    <option key={r.name} value={r.name}>
                      {r.name}
                    </option>
                  ))}
                </select>
              </label>
              <button type="button" disabled={busy} onClick={() => void run(t('eng.insertCardPcsc'), () => api.insertVirtualCard({ reader: pcscReader.name }))}>
                {t('eng.insertCardPcsc')}
              </button>
            </>
          )}
          <button type="button" disabled={busy} onClick={() => void run(t('eng.removeCard'), () => api.removeVirtualCard())}>
            {t('eng.removeCard')}
          </button>
        </div>
        <label className="checkbox">
          <input type="checkbox" checked={touch} onChange={(e) => setTouch(e.target.checked)} />
          {t('eng.touch')}
        </label>
        <div className="actions">
          <button type="button" disabled={busy} onClick={() => void run(t('eng.plugToken'), () => api.plugVirtualToken({ touch }))}>
            {t('eng.plugToken')}
          </button>
          <button type="button" disabled={busy} onClick={() => void run(t('eng.unplugToken'), () => api.unplugVirtualToken())}>
            {t('eng.unplugToken')}
          </button>
        </div>
        <p>{tokens.length ? t('eng.tokens', { list: tokens.map((x) => x.product + (x.serial ? ` (${x.serial})` : '')).join(', ') }) : t('eng.noTokens')}</p>
        <p role="status" className="message status">
          {status}
        </p>
        <ErrorMessage>{error}</ErrorMessage>
      </section>

      <section aria-labelledby="eng-trace">
        <h3 id="eng-trace">{t('eng.trace')}</h3>
        <pre ref={traceRef} className="trace" role="log" aria-label={t('eng.traceRegion')} tabIndex={0}>
          {trace.length ? trace.join('\n') : t('eng.traceEmpty')}
        </pre>
        <div className="actions">
          <button type="button" onClick={() => void refreshTrace()}>
            {t('eng.refreshTrace')}
          </button>
          <button type="button" onClick={() => setTrace([])}>
            {t('eng.clearTrace')}
          </button>
        </div>
      </section>

      <PinPadKeypad />
      <Authenticator />
      <SimulatePurchase />
    </aside>
  );
}

function SimulatePurchase() {
  const { api, t, report } = useApp();
  const [pan, setPan] = useState('');
  const [expiry, setExpiry] = useState('');
  const [cvc, setCvc] = useState('');
  const [merchant, setMerchant] = useState('');
  const [amount, setAmount] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<AuthorizationResult | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setResult(null);
    const digits = pan.replace(/[\s\u00a0]/g, '');
    const ore = parseKronor(amount);
    if (!/^[0-9]{12,19}$/.test(digits) || !isValidExpiry(expiry) || !/^[0-9]{3,4}$/.test(cvc.trim()) || !merchant.trim() || !ore.ok) {
      setError(t('eng.invalidPurchase'));
      return;
    }
    setError(null);
    setBusy(true);
    try {
      setResult(await api.authorizePurchase({ pan: digits, expiry: expiry.trim(), cvc: cvc.trim(), merchant: merchant.trim(), amount: ore.ore }));
    } catch (e) {
      setError(report(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="eng-purchase">
      <h3 id="eng-purchase">{t('eng.purchase')}</h3>
      <form onSubmit={(e) => void submit(e)} noValidate className="form compact">
        <TextField id="sim-pan" label={t('eng.pan')} inputMode="numeric" value={pan} onChange={setPan} />
        <TextField id="sim-expiry" label={t('eng.expiry')} inputMode="numeric" placeholder="MM/ÅÅ" value={expiry} onChange={setExpiry} />
        <TextField id="sim-cvc" label={t('eng.cvc')} inputMode="numeric" value={cvc} onChange={setCvc} />
        <TextField id="sim-merchant" label={t('eng.merchant')} value={merchant} onChange={setMerchant} />
        <TextField id="sim-amount" label={t('eng.amount')} inputMode="decimal" value={amount} onChange={setAmount} />
        <div className="actions">
          <button type="submit" disabled={busy}>
            {t('eng.simulate')}
          </button>
        </div>
      </form>
      <p role="status" className={`message status ${result ? (result.approved ? 'approved' : 'declined') : ''}`} data-testid="purchase-result">
        {result ? (result.approved ? t('eng.approved') : t('eng.declined', { code: result.declineCode ?? '', reason: declineText(result.declineCode, t) })) : ''}
      </p>
      <ErrorMessage>{error}</ErrorMessage>
    </section>
  );
}

/** One labelled text field of the simulated purchase (no autofill: test data only). */
function TextField(props: { id: string; label: string; value: string; onChange: (value: string) => void; inputMode?: 'numeric' | 'decimal'; placeholder?: string }) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <input id={props.id} type="text" inputMode={props.inputMode} autoComplete="off" placeholder={props.placeholder} value={props.value} onChange={(e) => props.onChange(e.target.value)} />
    </div>
  );
}
