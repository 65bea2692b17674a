import { useEffect, useRef, useState } from 'react';

/** Further than this from the nominal validity, the service's clock is not ours. */
const SKEW_TOLERANCE_MS = 10_000;

/**
 * Whole seconds left until `expiresAt` (null without one), updated every second; `onExpired`
 * runs once per `expiresAt` when the time is up. For limits that are the security itself (a
 * kontrollnummer, a BankID order): shown in words, and a new one started in place when they end
 * (WCAG 2.2.1). The end is counted from receipt: `expiresAt` when this machine's clock agrees
 * with the service's, else `nominalSeconds` from now (a skewed clock must neither end it at once,
 * which would ask for a new one every second, nor never).
 */
export function useTimeLeft(expiresAt: string | null, nominalSeconds: number, onExpired?: () => void): number | null {
  const [seconds, setSeconds] = useState<number | null>(null);
  const expired = useRef(onExpired);
  useEffect(() => {
    expired.current = onExpired;
  });
  useEffect(() => {
    const stated = expiresAt ? Date.parse(expiresAt) : NaN;
    if (Number.isNaN(stated)) {
      setSeconds(null);
      return;
    }
    const received = Date.now();
    const nominal = nominalSeconds * 1000;
    const end = Math.abs(stated - received - nominal) <= SKEW_TOLERANCE_MS ? stated : received + nominal;
    let fired = false;
    const tick = () => {
      const s = Math.max(0, Math.ceil((end - Date.now()) / 1000));
      setSeconds(s);
      if (s === 0 && !fired) {
        fired = true;
        expired.current?.();
      }
    };
    tick();
    const timer = setInterval(tick, 1000);
    return () => clearInterval(timer);
  }, [expiresAt, nominalSeconds]);
  return seconds;
}
