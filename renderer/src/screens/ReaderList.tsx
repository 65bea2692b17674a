import type { PlatformNote, ReaderInfo } from '../../../src/client/api.ts';
import { useApp } from '../context.ts';

/**
 * The card readers, live: each with its state (card, empty, in use), virtual and PIN-pad
 * readers marked; a choice when more than one holds a card; why none can show when PC/SC is
 * missing or not running.
 */
export function ReaderList(props: { shown: ReaderInfo[]; withCard: ReaderInfo[]; chosen: string | null; onChoose(name: string): void; noPcsc: PlatformNote['code'] | null; busy: boolean }) {
  const { t } = useApp();
  const { shown, withCard, noPcsc } = props;
  const readerState = (r: ReaderInfo) => (r.state === 'card' ? t('card.readerCard') : r.state === 'empty' ? t('card.readerEmpty') : t('card.readerUnavailable'));
  return (
    <section aria-labelledby="readers-heading">
      <h2 id="readers-heading">{t('card.readers')}</h2>
      {noPcsc && <p className="message warning">{t(`platform.${noPcsc}`)}</p>}
      {shown.length === 0 ? (
        !noPcsc && <p>{t('card.noReaders')}</p>
      ) : (
        <ul className="readers" aria-labelledby="readers-heading">
          {shown.map((r) => (
            <li key={r.name}>
              <span className="reader-name">{r.name}</span>
              {r.virtual ? ` (${t(r.source === 'in-app' ? 'card.readerInApp' : 'card.readerVirtual')})` : ''}: {readerState(r)}
              {r.pinPad ? `, ${t('card.readerPinPad')}` : ''}
            </li>
          ))}
        </ul>
      )}
      {withCard.length > 1 && (
        <fieldset>
          <legend>{t('card.chooseReader')}</legend>
          {withCard.map((r) => (
            <label key={r.name} className="radio">
              <input type="radio" name="reader" value={r.name} checked={props.chosen === r.name} onChange={() => props.onChoose(r.name)} disabled={props.busy} />
              {r.name}
            </label>
          ))}
        </fieldset>
      )}
    </section>
  );
}
