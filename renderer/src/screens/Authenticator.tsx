import { useEffect, useState } from 'react';
import type { OathAccount } from '../../../src/client/api.ts';
import { ErrorMessage } from '../components/Messages.tsx';
import { useApp } from '../context.ts';

/**
 * The authenticator: the OATH accounts of a YubiKey (or the virtual one) in a reader, TOTP codes
 * with the seconds they have left (read again when they run out), HOTP and touch accounts one
 * at a time, with the touch prompt while the key waits.
 */
export function Authenticator() {
  const { api, t, readers, report } = useApp();
  const withCard = readers.filter((r) => r.state === 'card');
  const [reader, setReader] = useState('');
  const chosen = withCard.find((r) => r.name === reader) ?? withCard[0];
  const [accounts, setAccounts] = useState<OathAccount[] | null>(null);
  const [now, setNow] = useState(() => Date.now() / 1000);
  const [waiting, setWaiting] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const [error, setError] = useState<string | null>(null);

  async function load(name: string) {
    setError(null);
    try {
      const list = await api.oathCodes({ reader: name });
      setAccounts(list);
      setStatus(t('auth.loaded', { count: String(list.length) }));
    } catch (e) {
      setAccounts(null);
      setError(report(e));
    }
  }

  async function one(account: OathAccount) {
    if (!chosen) return;
    setError(null);
    setWaiting(account.id);
    setStatus(account.touch ? t('auth.touch') : t('auth.reading'));
    try {
      const fresh = await api.oathCode({ reader: chosen.name, id: account.id });
      setAccounts((list) => list?.map((a) => (a.id === fresh.id ? fresh : a)) ?? null);
      setStatus(t('auth.codeShown', { name: fresh.issuer ? `${fresh.issuer}: ${fresh.name}` : fresh.name }));
    } catch (e) {
      setError(report(e));
    } finally {
      setWaiting(null);
    }
  }

  // The countdown: a tick a second while codes are shown; expired TOTP codes are read again.
  useEffect(() => {
    if (!accounts?.some((a) => a.validTo !== undefined)) return;
    const timer = setInterval(() => setNow(Date.now() / 1000), 1000);
    return () => clearInterval(timer);
  }, [accounts]);
  const expired = accounts?.some((a) => a.type === 'totp' && a.validTo !== undefined && a.validTo <= now) ?? false;
  const chosenName = chosen?.name;
  useEffect(() => {
    if (expired && chosenName) void load(chosenName);
  }, [expired, chosenName]); // load: the same function each render, reading only current state

  return (
    <section aria-labelledby="eng-auth">
      <h3 id="eng-auth">{t('auth.heading')}</h3>
      {chosen ? (
        <div className="actions">
          <label>
            {t('auth.reader')}{' '}
            <select value={chosen.name} onChange={(e) => setReader(e.target.value)}>
              {withCard.map((r) => (
                <option key={r.name} value={r.name}>
                  {r.name}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={() => void load(chosen.name)}>
            {t('auth.show')}
          </button>
        </div>
      ) : (
        <p>{t('auth.noKey')}</p>
      )}
      {accounts && (
        <ul className="oath-accounts">
          {accounts.map((a) => {
            const left = a.validTo === undefined ? undefined : Math.max(0, Math.ceil(a.validTo - now));
            const label = a.issuer ? `${a.issuer}: ${a.name}` : a.name;
            return (
              <li key={a.id}>
                <span className="oath-name">{label}</span>{' '}
                {a.code ? (
                  <>
                    <code aria-label={t('auth.codeFor', { name: label })}>{a.code}</code>
                    {left !== undefined && <span className="oath-left">{t('auth.secondsLeft', { seconds: String(left) })}</span>}
                  </>
                ) : null}
                {(a.type === 'hotp' || a.touch) && (
                  <button type="button" disabled={waiting !== null} onClick={() => void one(a)}>
                    {waiting === a.id && a.touch ? t('auth.touch') : t('auth.getCode')}
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <p role="status" className="message status">
        {status}
      </p>
      <ErrorMessage>{error}</ErrorMessage>
    </section>
  );
}
