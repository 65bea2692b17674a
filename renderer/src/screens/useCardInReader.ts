import { useEffect, useRef, useState } from 'react';
import type { CardHolder, PlatformNote, ReaderInfo } from '../../../src/client/api.ts';
import { useApp } from '../context.ts';
import { asFailure } from '../i18n/index.ts';

/** Failures that mean the card (or its reader, or pcscd) went away or stopped answering, for now. */
export const CARD_AWAY: ReadonlySet<string> = new Set(['CARD_REMOVED', 'NO_CARD', 'READER_GONE', 'PCSC_UNAVAILABLE', 'TRANSMIT_TIMEOUT', 'CARD_UNRESPONSIVE', 'CARD_RESET', 'PCSC_ERROR']);
/** How often the card is read again while it is away (the login resumes within this of its return). */
const REREAD_MS = 1000;

/**
 * The card the login uses: the readers to show, the one chosen (the chosen reader with a
 * card, or the first), its holder read from the card with the PIN's tries left and whether it
 * is blocked. The card pulled out, the reader unplugged or pcscd restarted does not end the
 * login: `lost` says what is missing, and once the card is back it is read again (its tries
 * left too, which a lost answer to VERIFY may have changed) and the login goes on.
 */
export function useCardInReader() {
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
  /** What is missing while the card is away (null while it is there). */
  const [lost, setLostState] = useState<string | null>(null);
  const lostRef = useRef<string | null>(null);
  const setLost = (message: string | null) => {
    lostRef.current = message;
    setLostState(message);
  };
  /** Bumped to read the card again (after a failure that may have changed it). */
  const [readCount, setReadCount] = useState(0);
  // The latest callbacks, so the effects below run only when readers or the card change.
  const latest = useRef({ report, t });
  useEffect(() => {
    latest.current = { report, t };
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

  // The card pulled out, the reader unplugged or pcscd gone: say what is missing and wait.
  useEffect(() => {
    const used = usedReader.current;
    if (!used) return;
    const now = readers.find((r) => r.name === used);
    const { t: tr } = latest.current;
    // Gone from a list of unavailable readers: pcscd stopped, not the reader unplugged.
    if (!now) setLost(tr(readers.some((r) => r.state === 'unavailable') ? 'error.PCSC_UNAVAILABLE' : 'card.readerGoneWait'));
    else if (now.state === 'unavailable') setLost(tr('error.PCSC_UNAVAILABLE'));
    else if (now.state === 'empty') setLost(tr('card.removedWait'));
    // Back in the same reader (pcscd restarted, or the card returned unseen): read it again.
    else if (now.state === 'card' && lostRef.current) setReadCount((n) => n + 1);
  }, [readers]);

  /** The reader whose card another program keeps busy: its message stays up while that card is read again. */
  const busyReader = useRef<string | null>(null);

  // Read the holder from the card in the chosen reader; while it is away or busy, again every second.
  useEffect(() => {
    if (!readerName) return;
    let live = true;
    let retry: ReturnType<typeof setTimeout> | undefined;
    if (busyReader.current !== readerName) setHolderError(null);
    api.cardHolder({ reader: readerName }).then(
      (h) => {
        if (!live) return;
        busyReader.current = null;
        setHolderError(null);
        usedReader.current = h.reader || readerName;
        setStuckReader(usedReader.current);
        setHolder(h);
        setTriesLeft(h.pinTriesLeft);
        setBlocked(h.pinBlocked);
        setLost(null);
      },
      (e: unknown) => {
        if (!live) return;
        const f = asFailure(e);
        busyReader.current = f.code === 'CARD_BUSY' ? readerName : null;
        if (busyReader.current) {
          // The agent waited its card timeout already; the next read goes through the moment
          // the other program lets go (pcscd holds our connect until then).
          setHolderError(latest.current.report(e));
          retry = setTimeout(() => setReadCount((n) => n + 1), REREAD_MS);
          return;
        }
        if (f.code === 'PIN_BLOCKED') {
          setBlocked(true);
          return;
        }
        if (CARD_AWAY.has(f.code) && usedReader.current) {
          setLost(latest.current.report(e));
          retry = setTimeout(() => setReadCount((n) => n + 1), REREAD_MS);
          return;
        }
        setHolder(null);
        setHolderError(latest.current.report(e));
      },
    );
    return () => {
      live = false;
      if (retry) clearTimeout(retry);
    };
  }, [api, readerName, readCount]);

  /** Reads the card again: after a failure that may have changed it (a lost answer to VERIFY). */
  const reread = () => setReadCount((n) => n + 1);

  return { shown, withCard, reader, setChosen, holder, holderError, triesLeft, setTriesLeft, blocked, setBlocked, noPcsc, lost, reread };
}
