import type { ReactNode } from 'react';
import { useApp } from '../context.ts';
import { formatDate, formatPersonnummer } from '../lib/format.ts';

/**
 * Whose credential this is, shown before any secret is asked for (several people may share
 * one computer): the name, the personnummer, how long it is valid, and what the screen adds.
 */
export function HolderSection(props: { id: string; heading: string; name: string; personnummer?: string | null; validUntil?: string | null; children?: ReactNode }) {
  const { t } = useApp();
  return (
    <section aria-labelledby={props.id} className="holder">
      <h2 id={props.id}>{props.heading}</h2>
      <p className="holder-name">
        {props.name}
        {props.personnummer ? ` (${formatPersonnummer(props.personnummer)})` : ''}
      </p>
      {props.validUntil && <p className="hint">{t('card.validUntil', { date: formatDate(props.validUntil) })}</p>}
      {props.children}
    </section>
  );
}
