import { useState } from 'react';
import type { DemoInfo } from '../../../src/client/api.ts';
import { DemoInfoBox } from '../components/DemoInfoBox.tsx';
import { ErrorMessage } from '../components/Messages.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';
import { useApp } from '../context.ts';

/** Start: choose BankID på kort, säkerhetsdosa, Mobilt BankID or BankID på fil, or try the demo with a virtual card. */
export function StartScreen(props: { demo: DemoInfo | null; onDemo(demo: DemoInfo): void; onChoose(method: 'card' | 'dosa' | 'app' | 'file'): void }) {
  const { api, t, report } = useApp();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function startDemo() {
    setBusy(true);
    setError(null);
    try {
      props.onDemo(await api.startDemo());
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
        <li>
          <button type="button" className="choice" aria-describedby="hint-card" onClick={() => props.onChoose('card')}>
            {t('start.card')}
          </button>
          <span id="hint-card" className="hint">
            {t('start.cardHint')}
          </span>
        </li>
        <li>
          <button type="button" className="choice" aria-describedby="hint-dosa" onClick={() => props.onChoose('dosa')}>
            {t('start.dosa')}
          </button>
          <span id="hint-dosa" className="hint">
            {t('start.dosaHint')}
          </span>
        </li>
        <li>
          <button type="button" className="choice" aria-describedby="hint-app" onClick={() => props.onChoose('app')}>
            {t('start.app')}
          </button>
          <span id="hint-app" className="hint">
            {t('start.appHint')}
          </span>
        </li>
        <li>
          <button type="button" className="choice" aria-describedby="hint-file" onClick={() => props.onChoose('file')}>
            {t('start.file')}
          </button>
          <span id="hint-file" className="hint">
            {t('start.fileHint')}
          </span>
        </li>
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
      {props.demo && <DemoInfoBox demo={props.demo} />}
    </div>
  );
}
