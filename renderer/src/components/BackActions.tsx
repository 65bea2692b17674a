import type { ReactNode } from 'react';
import { useApp } from '../context.ts';

/** A screen's row of buttons: "Tillbaka" first, then the screen's own (the primary one last). */
export function BackActions(props: { onBack(): void; busy?: boolean; children?: ReactNode }) {
  const { t } = useApp();
  return (
    <div className="actions">
      <button type="button" onClick={props.onBack} disabled={props.busy}>
        {t('common.back')}
      </button>
      {props.children}
    </div>
  );
}
