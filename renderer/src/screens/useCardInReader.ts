import { useEffect, useRef, useState } from 'react';
import type { CardHolder, PlatformNote, ReaderInfo } from '../../../src/client/api.ts';
import { useApp } from '../context.ts';
import { asFailure } from '../i18n/index.ts';

/**
 * The card the login uses: the readers to show, the one chosen (the chosen reader with a
 * card, or the first), its holder read from the card with the PIN's tries left and whether it
 * is blocked. The card pulled out (or the reader unplugged) once read calls `onAbort`.
 */
export function useCardInReader(onAbort: (message: string) => void) {
  const { api, t, readers, report } = useApp();
  const [chosen, setChosen] = useState<string | null>(null);
  const [holder, setHolder] = useState<CardHolder | null>(null);
  const [holderError, setHolderError] = useState<string | null>(null);
  const [triesLeft, setTriesLeft] = useState<number | null>(null);
  const [blocked, setBlocked] = useState(false);
  /** The reader whose card this login is using, once the card was read. */
  const usedReader = useRef<string | null>(null);
  const [stuckReader, setStuckReader] = useState<string | null>(null);
  const [noPcsc, setNoPcsc] = useState<PlatformNote['code'] | null>(null);
  // The latest callbacks, so the effects below run only when readers or the card change.
  const latest = useRef({ onAbort, report, t });
  useEffect(() => {
    latest.current = { onAbort, report, t };
  });

  // The app's own reader holds only the demo's virtual card: listed while it does.
  const shown = readers.filter((r) => r.source !== 'in-app' || r.state === 'card');
  const withCard = shown.filter((r) => r.state === 'card');
  // Once the card is read, the login stays with that reader (even if it reports itself busy
  // for a moment); until then, the chosen reader with a card, or the first.
  const reader: ReaderInfo | null = (stuckReader ? readers.find((r) => r.name === stuckReader && r.state !== 'empty') : undefined) ?? withCard.find((r) => r.name === chosen) ?? withCard[0] ?? null;
  const readerName = reader?.name ?? null;

  // Why no reader can show up on this machine, if that is so (PC/SC missing or not running).
  useEffect(() => {
    let live = true;
    api.platform().then(
      (notes) => live && setNoPcsc(notes.find((n) => n.code !== 'HID_NOT_INSTALLED')?.code ?? null),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api]);

  // The card pulled out (or the reader unplugged) mid-login: say so and return to the start.
  useEffect(() => {
    const used = usedReader.current;
    if (!used) return;
    const now = readers.find((r) => r.name === used);
    const { onAbort: abort, t: tr } = latest.current;
    if (!now) abort(tr('card.readerGone'));
    else if (now.state === 'empty') abort(tr('card.removed'));
  }, [readers]);

  // Read the holder from the card in the chosen reader.
  useEffect(() => {
    if (!readerName) return;
    let live = true;
    setHolder(null);
    setHolderError(null);
    api.cardHolder({ reader: readerName }).then(
      (h) => {
        if (!live) return;
        usedReader.current = h.reader || readerName;
        setStuckReader(usedReader.current);
        setHolder(h);
        setTriesLeft(h.pinTriesLeft);
        setBlocked(h.pinBlocked);
      },
      (e: unknown) => {
        if (!live) return;
        const f = asFailure(e);
        if (f.code === 'CARD_REMOVED' && usedReader.current) return latest.current.onAbort(latest.current.t('card.removed'));
        if (f.code === 'PIN_BLOCKED') {
          setBlocked(true);
          return;
        }
        setHolderError(latest.current.report(e));
      },
    );
    return () => {
      live = false;
    };
  }, [api, readerName]);


  return { shown, withCard, reader, setChosen, holder, holderError, triesLeft, setTriesLeft, blocked, setBlocked, noPcsc };
}
