import { useCallback, useEffect, useRef, useState } from 'react';
import type { AppLoginPhase, AppLoginStart, SessionInfo } from '../../../src/client/api.ts';
import { ErrorMessage, StatusMessage } from '../components/Messages.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';
import { TimeLeft } from '../components/TimeLeft.tsx';
import { useApp } from '../context.ts';
import type { MessageKey } from '../i18n/index.ts';
import { QrSvg } from '../lib/qr/QrSvg.tsx';
import { useTimeLeft } from '../lib/useTimeLeft.ts';

/** The link looks like the primary button (styles.css has no link-button class). */
const LINK_BUTTON = {
  display: 'inline-flex',
  alignItems: 'center',
  minHeight: '2.75rem',
  padding: '0.5rem 1rem',
  border: '0.125rem solid var(--accent)',
  borderRadius: '0.375rem',
  background: 'var(--accent)',
  color: 'var(--accent-fg)',
  textDecoration: 'none',
} as const;
const QR_BOX = { display: 'flex', flexDirection: 'column', alignItems: 'flex-start', gap: '0.5rem', margin: '1rem 0' } as const;
const QR_SIDE = 240;

/** How long a BankID order waits to be scanned (the service's order lifetime). */
const ORDER_SECONDS = 180;

/** How often the status and the QR code are asked for (the QR code changes every second). */
export const APP_POLL_MS = 1000;

const OPEN: ReadonlySet<AppLoginPhase> = new Set(['waiting', 'signing']);

/** The same-device link of BankID's autostart (the app opens, then stays: redirect=null). */
export const autoStartHref = (autoStartToken: string): string => `bankid:///?autostarttoken=${encodeURIComponent(autoStartToken)}&redirect=null`;

/**
 * The status line in words, after BankID's recommended user messages (RFA codes), by phase
 * and hint code: waiting RFA1, signing RFA9, cancelled by the user RFA6 (by us RFA3), timed
 * out RFA8, failed RFA22 (certificateErr RFA16, startFailed RFA17).
 */
export function appStatusKey(phase: AppLoginPhase, hintCode: string | null): MessageKey {
  switch (phase) {
    case 'waiting':
      return 'mobile.status.waiting';
    case 'signing':
      return 'mobile.status.signing';
    case 'cancelled':
      return hintCode === 'cancelled' ? 'mobile.status.cancelledRetry' : 'mobile.status.cancelled';
    case 'timeout':
      return 'mobile.status.timeout';
    case 'done':
      return 'mobile.status.done';
    default:
      if (hintCode === 'certificateErr') return 'mobile.status.certificateErr';
      if (hintCode === 'startFailed') return 'mobile.status.startFailed';
      return 'mobile.status.failed';
  }
}

/**
 * Log in with Mobilt BankID: the animated QR code (redrawn from the content the agent gets
 * each second), "Öppna på den här enheten" (the autostart link), the status line in words and
 * "Avbryt". Leaving the screen cancels an open order.
 */
export function AppLogin(props: { onLoggedIn(session: SessionInfo): void; onBack(): void; pollMs?: number }) {
  const { api, t, report } = useApp();
  const [order, setOrder] = useState<AppLoginStart | null>(null);
  const [qr, setQr] = useState('');
  const [phase, setPhase] = useState<AppLoginPhase | null>(null);
  const [hint, setHint] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const openRef = useRef<string | null>(null);
  /** The phase before the current one: a timeout straight from 'waiting' was never scanned. */
  const lastPhase = useRef<AppLoginPhase | null>(null);
  const { onLoggedIn } = props;
  const pollMs = props.pollMs ?? APP_POLL_MS;

  // One order per attempt: started on mount (and on "Försök igen"), polled every second.
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setError(null);
    setPhase(null);
    setHint(null);
    setQr('');
    setOrder(null);

    async function poll(orderRef: string) {
      if (stopped) return;
      try {
        const status = await api.appLoginStatus({ orderRef });
        if (stopped) return;
        setPhase(status.phase);
        setHint(status.hintCode);
        setQr(status.qr);
        if (status.phase === 'done' && status.session) {
          openRef.current = null;
          onLoggedIn(status.session);
          return;
        }
        if (!OPEN.has(status.phase)) {
          openRef.current = null;
          return;
        }
      } catch (e) {
        if (stopped) return;
        openRef.current = null;
        setError(report(e));
        setPhase('failed');
        setQr('');
        return;
      }
      timer = setTimeout(() => void poll(orderRef), pollMs);
    }

    api.startAppLogin().then(
      (started) => {
        if (stopped) {
          void api.cancelAppLogin({ orderRef: started.orderRef }).catch(() => undefined);
          return;
        }
        openRef.current = started.orderRef;
        setOrder(started);
        setQr(started.qr);
        setPhase('waiting');
        timer = setTimeout(() => void poll(started.orderRef), pollMs);
      },
      (e: unknown) => {
        if (!stopped) setError(report(e));
      },
    );
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      const open = openRef.current;
      openRef.current = null;
      if (open) void api.cancelAppLogin({ orderRef: open }).catch(() => undefined);
    };
  }, [api, attempt, onLoggedIn, pollMs, report]);

  const cancel = useCallback(async () => {
    const open = openRef.current;
    openRef.current = null;
    if (!open) return;
    setPhase('cancelled');
    setHint('cancelled');
    setQr('');
    try {
      await api.cancelAppLogin({ orderRef: open });
    } catch (e) {
      setError(report(e));
    }
  }, [api, report]);

  // The order's three minutes are the security itself: the time left in words while the QR
  // code waits to be scanned, and when it ran out unscanned a new order in place, said aloud.
  const [renewed, setRenewed] = useState<string | null>(null);
  const waiting = phase === 'waiting';
  // The service ends the order itself (phase 'timeout', below): nothing to do at zero here.
  const secondsLeft = useTimeLeft(order ? order.expiresAt : null, ORDER_SECONDS);
  useEffect(() => {
    if (phase === 'timeout' && lastPhase.current === 'waiting') {
      setRenewed(t('mobile.expiredNewShown'));
      setAttempt((n) => n + 1);
    }
    if (phase !== null) lastPhase.current = phase;
  }, [phase, t]);

  const isOpen = phase !== null && OPEN.has(phase);

  // "Avbryt" and the link vanish when the order ends (cancelled, timed out, failed), and "Försök
  // igen" when a new order starts (by it, or in place of one run out): the focus, when it was on
  // them and is lost, goes to what replaced them (2.4.3).
  const retryRef = useRef<HTMLButtonElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const actionsRef = useRef<HTMLDivElement>(null);
  const focusWasInActions = useRef(false);
  useEffect(() => {
    const note = () => {
      const active = document.activeElement;
      focusWasInActions.current = !!active && !!actionsRef.current?.contains(active);
    };
    document.addEventListener('focusin', note);
    return () => document.removeEventListener('focusin', note);
  }, []);
  useEffect(() => {
    if (phase === null || phase === 'done') return;
    const active = document.activeElement;
    if (focusWasInActions.current && (!active || active === document.body)) (isOpen ? cancelRef : retryRef).current?.focus();
  }, [isOpen, phase]);
  const statusLine = phase === null ? (error ? '' : t('mobile.starting')) : t(appStatusKey(phase, hint));

  return (
    <div className="screen app-login">
      <ScreenHeading>{t('mobile.heading')}</ScreenHeading>
      <p id="app-instructions">{t('mobile.instructions')}</p>
      <div className="qr-box" style={QR_BOX}>
        {isOpen && qr ? <QrSvg content={qr} label={t('mobile.qrLabel')} size={QR_SIDE} /> : <div className="qr-placeholder" style={{ width: QR_SIDE, height: QR_SIDE }} aria-hidden="true" />}
        {isOpen && <p className="hint">{t('mobile.qrRefresh')}</p>}
      </div>
      <StatusMessage className="app-status">{statusLine}</StatusMessage>
      <TimeLeft seconds={waiting ? secondsLeft : null} what={t('mobile.qrWhat')} almostOut={t('mobile.almostOut')} />
      <StatusMessage>{renewed}</StatusMessage>
      <ErrorMessage>{error}</ErrorMessage>
      <div className="actions" ref={actionsRef}>
        {isOpen && order && (
          <a className="button primary" style={LINK_BUTTON} href={autoStartHref(order.autoStartToken)}>
            {t('mobile.openOnThisDevice')}
          </a>
        )}
        {isOpen && (
          <button type="button" ref={cancelRef} onClick={() => void cancel()}>
            {t('mobile.cancel')}
          </button>
        )}
        {!isOpen && (phase !== null || error) && phase !== 'done' && (
          <button type="button" ref={retryRef} onClick={() => setAttempt((n) => n + 1)}>
            {t('mobile.retry')}
          </button>
        )}
        <button type="button" onClick={props.onBack}>
          {t('common.back')}
        </button>
      </div>
    </div>
  );
}
