import { useEffect, useRef, useState } from 'react';
import type { SessionInfo } from '../../../src/client/api.ts';

export interface SecretStep {
  /** What is wrong with the typed secret, checked before anything is sent; null when fine. */
  check(secret: string): string | null;
  /** True holds the step (the secret kept, nothing sent): a confirmation is asked first. */
  hold?(): boolean;
  call(secret: string): Promise<SessionInfo>;
  /** What a failed call means on this screen (the field has focus again afterwards). */
  failed(e: unknown): void | Promise<void>;
}

/**
 * The form flow the card, dosa and file logins share: one secret (PIN, svarskod, password)
 * typed into one field, checked before it is sent, sent once and cleared from React state as
 * the call starts, never sent twice while a call runs.
 */
export function useSecretLogin(onLoggedIn: (session: SessionInfo) => void) {
  const [secret, setSecret] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  // Focus goes back to the field after the render that enables it again: a disabled input
  // takes no focus, and the keystrokes would go nowhere (WCAG 2.4.3).
  const [refocus, setRefocus] = useState(0);
  useEffect(() => {
    if (refocus > 0) inputRef.current?.focus();
  }, [refocus]);

  async function send(step: SecretStep): Promise<void> {
    if (busy) return;
    const problem = step.check(secret);
    setFieldError(problem);
    if (problem) {
      inputRef.current?.focus();
      return;
    }
    if (step.hold?.()) return;
    setError(null);
    const typed = secret;
    setSecret('');
    setBusy(true);
    try {
      onLoggedIn(await step.call(typed));
    } catch (e) {
      setBusy(false);
      await step.failed(e);
      setRefocus((n) => n + 1);
    }
  }

  return { secret, setSecret, fieldError, setFieldError, error, setError, busy, setBusy, inputRef, send };
}

export type SecretLogin = ReturnType<typeof useSecretLogin>;
