import { useState } from 'react';
import type { DemoInfo } from '../../../src/client/api.ts';
import { DemoInfoBox } from '../components/DemoInfoBox.tsx';
import { ErrorMessage } from '../components/Messages.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';
import { useApp } from '../context.ts';

/** Start: choose BankID på kort, säkerhetsdosa, Mobilt BankID or BankID på fil, or try the demo with a virtual card. */
/** The ways in, in the order the bank lists them. */
const METHODS = ['card', 'dosa', 'app', 'file'] as const;
export type LoginMethodChoice = (typeof METHODS)[number];

export function StartScreen(props: { demo: DemoInfo | null; onDemo(demo: DemoInfo): void; onChoose(method: LoginMethodChoice): void }) {
  const { api, t, report } = useApp();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  /** The demo was started here (not already running when the screen came): its box takes the focus. */
  const [started, setStarted] = useState(false);

  async function startDemo() {
    setBusy(true);
    setError(null);
    try {
      props.onDemo(await api.startDemo());
      setStarted(true);
    } catch (e) {
      setError(report(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="screen start">
      <ScreenHeading>{t('start.heading')}</ScreenHeading>
      <p>{t('start.intro')}</p>
      <h2>{t('start.chooseMethod')}</h2>
      <ul className="choices">
        {METHODS.map((method) => (
          <li key={method}>
            <button type="button" className="choice" aria-describedby={`hint-${method}`} onClick={() => props.onChoose(method)}>
              {t(`start.${method}`)}
            </button>
            <span id={`hint-${method}`} className="hint">
              {t(`start.${method}Hint`)}
            </span>
          </li>
        ))}
      </ul>
      <div className="demo-start">
        <button type="button" aria-describedby="hint-demo" onClick={() => void startDemo()} disabled={busy} aria-busy={busy}>
          {t('start.demo')}
        </button>
        <span id="hint-demo" className="hint">
          {t('start.demoHint')}
        </span>
      </div>
      <ErrorMessage>{error}</ErrorMessage>
      <section className="safety" aria-labelledby="safety-heading">
        <h2 id="safety-heading">{t('start.safetyHeading')}</h2>
        <ul>
          <li>{t('start.safetyAsked')}</li>
          <li>{t('start.safetyCrime')}</li>
          <li>{t('start.safetyLost')}</li>
        </ul>
      </section>
      {props.demo && <DemoInfoBox demo={props.demo} focus={started} />}
    </div>
  );
}
