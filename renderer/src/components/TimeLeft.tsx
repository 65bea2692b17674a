import { useApp } from '../context.ts';
import { StatusMessage } from './Messages.tsx';

/** Announced once the time left falls to this: time to finish, or to know a new one comes. */
const ANNOUNCE_AT_S = 30;

/**
 * The time left in words ("1 minut och 30 sekunder"), in steps of ten seconds so the text does
 * not churn under a screen reader's cursor, and one polite announcement when 30 seconds are
 * left (`almostOut`). `what` names the thing: "Kontrollnumret", "QR-koden".
 */
export function TimeLeft(props: { seconds: number | null; what: string; almostOut: string }) {
  const { t } = useApp();
  const { seconds } = props;
  if (seconds === null) return <StatusMessage />;
  const shown = seconds > ANNOUNCE_AT_S ? Math.ceil(seconds / 10) * 10 : seconds;
  const minutes = Math.floor(shown / 60);
  const rest = shown % 60;
  const parts = [minutes > 0 ? t(minutes === 1 ? 'time.minute' : 'time.minutes', { n: minutes }) : null, rest > 0 || minutes === 0 ? t(rest === 1 ? 'time.second' : 'time.seconds', { n: rest }) : null].filter(Boolean);
  return (
    <>
      <p className="hint">{t('time.left', { what: props.what, time: parts.join(` ${t('time.and')} `) })}</p>
      <StatusMessage>{seconds > 0 && seconds <= ANNOUNCE_AT_S ? props.almostOut : null}</StatusMessage>
    </>
  );
}
