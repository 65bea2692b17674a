import type { ReactNode } from 'react';

/** A form's primary button: disabled while its call runs (or `disabled`), announced busy. */
export function SubmitButton(props: { busy: boolean; disabled?: boolean; children: ReactNode }) {
  return (
    <button type="submit" className="primary" disabled={props.disabled ?? props.busy} aria-busy={props.busy}>
      {props.children}
    </button>
  );
}
