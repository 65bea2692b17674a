/**
 * The holder read as the card comes in (CardHolders), on the app's own reader with the virtual
 * PIV card: the card is read at insertion, before anything else talks to it; that read answers
 * the first holder call only, and only while the card was not used since; every other call
 * reads the card.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ApduLog } from '../../../src/client/apduLog.ts';
import { CardHolders, EARLY_HOLDER_FRESH_MS, readCardHolder } from '../../../src/client/cards.ts';
import { IN_APP_READER, Readers } from '../../../src/client/readers.ts';
import { fromHex } from '../../../src/iso7816/index.ts';
import type { CardTransport } from '../../../src/pcsc/index.ts';
import { PivSession } from '../../../src/piv/index.ts';
import { createCardImage } from '../../../src/virtual/cardImage.ts';
import { VirtualPivCard } from '../../../src/virtual/pivCard.ts';
import { failureOf } from '../../support/failures.ts';

const image = await createCardImage({ name: 'Tolvan Tolvansson', personnummer: '191212121212' });

/** Commands sent, from the trace (answers left out). */
const commands = (trace: ApduLog): string[] => trace.snapshot().filter((l) => l.startsWith('=>'));
const SELECT_PIV = '=> 00 a4 04 00';

/** The card's answer to the holder read's last command (the PIN's state) is in the trace. */
const readAtInsertionEnded = (trace: ApduLog): boolean => trace.snapshot().some((l, i, all) => i > 0 && all[i - 1]!.startsWith('=> 00 20 00 80') && l.startsWith('<='));

/** Waits (at most 5 s) until `done()`. */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe('CardHolders: the holder read as the card comes in', () => {
  let readers: Readers | undefined;
  let holders: CardHolders | undefined;

  afterEach(async () => {
    holders?.close();
    await readers?.close();
  });

  function setUp(now: () => number = Date.now) {
    // The pcscd monitor is never started: the app's own reader alone.
    readers = new Readers(() => undefined);
    const trace = new ApduLog();
    holders = new CardHolders({ readers, trace, now });
    return { readers, trace, holders };
  }

  it('reads the card as it comes in, and answers the first holder call with that read', async () => {
    const { readers, trace, holders } = setUp();
    readers.inApp.insert(new VirtualPivCard(structuredClone(image)));
    // Nobody asked yet: the card is being read already.
    await until(() => commands(trace).length > 0);
    expect(commands(trace)[0]).toMatch(new RegExp(`^${SELECT_PIV}`));
    const holder = await holders.read(IN_APP_READER);
    expect(holder).toMatchObject({ reader: IN_APP_READER, name: 'Tolvan Tolvansson', personnummer: '191212121212', pinTriesLeft: 3, pinBlocked: false });
    const afterFirst = commands(trace).length;
    // The read at insertion was the only one: SELECT, the 9A certificate, the PIN's state.
    expect(commands(trace).filter((c) => c.startsWith(SELECT_PIV))).toHaveLength(1);

    // The next call reads the card again.
    expect(await holders.read(IN_APP_READER)).toMatchObject({ name: 'Tolvan Tolvansson' });
    expect(commands(trace).length).toBeGreaterThan(afterFirst);
    expect(commands(trace).filter((c) => c.startsWith(SELECT_PIV))).toHaveLength(2);
  });

  it('does not answer with the read at insertion once the card was used since (a PIN try may be spent)', async () => {
    const { readers, trace, holders } = setUp();
    const card = new VirtualPivCard(structuredClone(image));
    readers.inApp.insert(card);
    // Another user of the card (not traced) waits for the read at insertion, then spends a PIN try.
    const other = await readers.connect(IN_APP_READER);
    expect(commands(trace).filter((c) => c.startsWith(SELECT_PIV))).toHaveLength(1);
    const session = await PivSession.open(other);
    await expect(session.verifyPin('111111')).rejects.toMatchObject({ code: 'PIN_INCORRECT', retriesLeft: 2 });
    await other.close();

    expect(await holders.read(IN_APP_READER)).toMatchObject({ name: 'Tolvan Tolvansson', pinTriesLeft: 2 });
    expect(commands(trace).filter((c) => c.startsWith(SELECT_PIV))).toHaveLength(2);
  });

  it('lets other connections to the card wait until the read at insertion is over', async () => {
    const { readers, trace } = setUp();
    readers.inApp.insert(new VirtualPivCard(structuredClone(image)));
    const other = await readers.connect(IN_APP_READER);
    // Connected only once the read at insertion had sent all its commands (the last: the PIN's state).
    expect(commands(trace).at(-1)).toMatch(/^=> 00 20 00 80/);
    await other.close();
  });

  it('reads the card again when the call comes long after the read at insertion', async () => {
    let clock = 1_000_000;
    const { readers, trace, holders } = setUp(() => clock);
    readers.inApp.insert(new VirtualPivCard(structuredClone(image)));
    // The read at insertion ends (its last answer, to the PIN's state, is in the trace).
    await until(() => readAtInsertionEnded(trace));
    await new Promise((r) => setImmediate(r));
    clock += EARLY_HOLDER_FRESH_MS + 1;
    expect(await holders.read(IN_APP_READER)).toMatchObject({ name: 'Tolvan Tolvansson' });
    expect(commands(trace).filter((c) => c.startsWith(SELECT_PIV))).toHaveLength(2);
  });

  it('does not answer for a card that has left: the call reads the reader, and finds it empty', async () => {
    const { readers, trace, holders } = setUp();
    readers.inApp.insert(new VirtualPivCard(structuredClone(image)));
    await until(() => readAtInsertionEnded(trace));
    await new Promise((r) => setImmediate(r));
    readers.inApp.remove();
    expect(await failureOf(holders.read(IN_APP_READER))).toMatchObject({ code: 'NO_CARD' });
  });
});

/**
 * Another program on the same card in PC/SC's shared mode: its command between two of ours (no
 * SCardBeginTransaction in pcsclite's binding) makes the card drop the rest of a chained answer.
 * Here that program sends SELECT PIV straight to the card right after each of the first
 * `times` answers that end in 61xx.
 */
function interrupted(card: VirtualPivCard, inner: CardTransport, times: number): CardTransport {
  let left = times;
  const wrap = (transmit: (apdu: Uint8Array) => Promise<Uint8Array>) => async (apdu: Uint8Array) => {
    const response = await transmit(apdu);
    if (left > 0 && response.at(-2) === 0x61) {
      left--;
      await card.process(fromHex('00 a4 04 00 09 a0 00 00 03 08 00 00 10 00 00'));
    }
    return response;
  };
  return { atr: inner.atr, transmit: wrap((a) => inner.transmit(a)), transaction: (fn) => inner.transaction((t) => fn(wrap(t))), close: () => inner.close() };
}

describe('readCardHolder: an answer another program cut off', () => {
  let readers: Readers | undefined;
  afterEach(async () => {
    await readers?.close();
  });

  function setUp() {
    readers = new Readers(() => undefined);
    const card = new VirtualPivCard(structuredClone(image));
    readers.inApp.insert(card);
    const trace = new ApduLog();
    return { readers, card, trace };
  }

  it('reads the card once more, on a new connection, and gets the holder', async () => {
    const { readers, card, trace } = setUp();
    let connections = 0;
    const holder = await readCardHolder({ readers, trace }, IN_APP_READER, async () => interrupted(card, await readers.connect(IN_APP_READER), connections++ === 0 ? 1 : 0));
    expect(holder).toMatchObject({ name: 'Tolvan Tolvansson', pinTriesLeft: 3 });
    const lines = trace.snapshot();
    // The first read's GET RESPONSE found nothing left (6985), then the whole read again.
    expect(lines.some((l, i) => l.startsWith('<= 69 85') && lines[i - 1]!.startsWith('=> 00 c0 00 00'))).toBe(true);
    expect(commands(trace).filter((c) => c.startsWith(SELECT_PIV))).toHaveLength(2);
    expect(connections).toBe(2);
  });

  it('says so (RESPONSE_INTERRUPTED) when the second read is cut off too, and tries no third time', async () => {
    const { readers, card, trace } = setUp();
    let connections = 0;
    const failure = await failureOf(
      readCardHolder({ readers, trace }, IN_APP_READER, async () => {
        connections++;
        return interrupted(card, await readers.connect(IN_APP_READER), 1);
      }),
    );
    expect(failure).toMatchObject({ code: 'RESPONSE_INTERRUPTED' });
    expect(failure.message).toMatch(/another program may have used the card/);
    expect(connections).toBe(2);
  });
});
