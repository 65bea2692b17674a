import type { InputHTMLAttributes, Ref } from 'react';
import type { SecretLogin } from '../lib/useSecretLogin.ts';
import { ErrorMessage } from './Messages.tsx';

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'value' | 'onChange' | 'aria-describedby' | 'aria-invalid'>;

/**
 * One labelled text input: its hint (`ID-hint`) and its error (`ID-error`, announced at once)
 * described by the input, which is marked invalid while the error shows. `describedBy` adds
 * ids of the screen's own (the PIN's tries left).
 */
type FieldProps = InputProps & { id: string; label: string; hint?: string; error?: string | null; value: string; onValue(value: string): void; inputRef?: Ref<HTMLInputElement>; describedBy?: string };

export function Field(props: FieldProps) {
  const { id, label, hint, error, value, onValue, inputRef, describedBy, ...input } = props;
  const described = [hint ? `${id}-hint` : null, describedBy ?? null, error ? `${id}-error` : null].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint && (
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
      <input
        id={id}
        ref={inputRef}
        type="text"
        autoComplete="off"
        {...input}
        value={value}
        onChange={(e) => onValue(e.target.value)}
        aria-describedby={described || undefined}
        aria-invalid={error ? true : undefined}
      />
      <ErrorMessage id={`${id}-error`}>{error}</ErrorMessage>
    </div>
  );
}

/** The secret's field of a login step: its value, error and focus are the step's; `clean` filters what is typed. */
export function SecretField(props: Omit<FieldProps, 'value' | 'onValue' | 'error' | 'inputRef'> & { login: SecretLogin; clean?(typed: string): string }) {
  const { login, clean, ...field } = props;
  return <Field {...field} inputRef={login.inputRef} value={login.secret} onValue={(v) => login.setSecret(clean ? clean(v) : v)} error={login.fieldError} />;
}
