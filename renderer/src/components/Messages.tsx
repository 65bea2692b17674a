import type { ReactNode } from 'react';

/** An error a person must notice: announced at once (role=alert). */
export function ErrorMessage({ children, id }: { children: ReactNode; id?: string }) {
  if (!children) return null;
  return (
    <p role="alert" className="message error" id={id}>
      {children}
    </p>
  );
}

/** Progress and results: announced politely (role=status). The region stays in the DOM. */
export function StatusMessage({ children, className }: { children?: ReactNode; className?: string }) {
  return (
    <p role="status" className={`message status ${className ?? ''}`.trim()}>
      {children}
    </p>
  );
}
