import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { PinPadPrompt } from '../../../src/client/api.ts';
import { ErrorMessage } from '../components/Messages.tsx';
import { useApp } from '../context.ts';

/**
 * ekort's PIN-pad reader asks for a PIN: the engineer types it here, "on the reader" (the app's
 * own login never sees it). The field is emptied as soon as it is sent.
 */
export function PinPadKeypad() {
  const { api, t, report } = useApp();
  const [prompt, setPrompt] = useState<PinPadPrompt | null>(null);
  const [pin, setPin] = useState('');
  const [error, setError] = useState<string | null>(null);
  const field = useRef<HTMLInputElement>(null);

  useEffect(
    () =>
      api.subscribe((event) => {
        if (event.type !== 'pin-pad') return;
        setPrompt(event.prompt);
        setPin('');
        setError(null);
      }),
    [api],
  );
  useEffect(() => {
    if (prompt) field.current?.focus();
  }, [prompt]);

  async function send(input: { pin: string } | { cancel: true }) {
    setPin('');
    try {
      await api.pinPadEntry(input);
    } catch (e) {
      setError(report(e));
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (prompt && /^[0-9]+$/.test(pin)) void send({ pin });
  }

  return (
    <section aria-labelledby="eng-pinpad">
      <h3 id="eng-pinpad">{t('pinpad.heading')}</h3>
      <p role="status" className="message status">
        {prompt ? t('pinpad.asking', { reader: prompt.reader, min: String(prompt.minDigits), max: String(prompt.maxDigits), seconds: String(prompt.timeoutSeconds) }) : t('pinpad.idle')}
      </p>
      {prompt && (
        <form onSubmit={submit} noValidate className="form compact">
          <div className="field">
            <label htmlFor="pinpad-pin">{t('pinpad.pin')}</label>
            <input ref={field} id="pinpad-pin" type="password" inputMode="numeric" autoComplete="off" value={pin} onChange={(e) => setPin(e.target.value.replace(/\D/g, ''))} maxLength={prompt.maxDigits} />
          </div>
          <div className="actions">
            <button type="submit">{t('pinpad.type')}</button>
            <button type="button" onClick={() => void send({ cancel: true })}>
              {t('pinpad.cancel')}
            </button>
          </div>
        </form>
      )}
      <ErrorMessage>{error}</ErrorMessage>
    </section>
  );
}
