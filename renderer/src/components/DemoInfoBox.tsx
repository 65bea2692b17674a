import { useEffect, useRef } from 'react';
import type { DemoInfo } from '../../../src/client/api.ts';
import { useApp } from '../context.ts';
import { formatPersonnummer } from '../lib/format.ts';

/**
 * The demo customer's codes, shown after "Prova med virtuellt kort". `focus`: the heading takes
 * the focus as the box appears (the button that started the demo was busy and lost it; 2.4.3).
 */
export function DemoInfoBox({ demo, focus = false }: { demo: DemoInfo; focus?: boolean }) {
  const { t } = useApp();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (focus) heading.current?.focus();
  }, [focus]);
  return (
    <section className="demo" aria-labelledby="demo-heading">
      <h2 id="demo-heading" ref={heading} tabIndex={-1}>
        {t('demo.heading')}
      </h2>
      <ul>
        <li>{t('demo.customer', { name: demo.customer.name, personnummer: formatPersonnummer(demo.customer.personnummer) })}</li>
        <li>{t('demo.cardPin', { pin: demo.cardPin })}</li>
        <li>{t('demo.cardPuk', { puk: demo.cardPuk })}</li>
        <li>{t('demo.reader', { reader: demo.reader })}</li>
        <li>{t('demo.dosaSerial', { serial: demo.dosaSerial })}</li>
        <li>{t('demo.dosaPin', { pin: demo.dosaPin })}</li>
      </ul>
    </section>
  );
}
