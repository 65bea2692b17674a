/**
 * The PIV card in a reader, as the agent uses it: open a traced session (with the reader's
 * PIN pad, if it has one), read who holds it, sign a login challenge. The PIN is used for one
 * VERIFY right before the card signs and never kept, retried or logged (the trace masks it).
 */
import { ResponseInterruptedError } from '../iso7816/index.ts';
import { type CardTransport, PcscError, type ReaderEvent } from '../pcsc/index.ts';
import { PinPad, PivSession, pinGuardedSigner } from '../piv/index.ts';
import type { BankClient } from '../bank/index.ts';
import type { Session } from '../bank/api/schemas.ts';
import type { CardHolder } from './api.ts';
import type { ApduLog } from './apduLog.ts';
import { AgentError } from './failure.ts';
import { cardRemoved, IN_APP_READER, isCardGone, type Readers } from './readers.ts';

const DAY_MS = 86_400_000;
/** expiresInDays is set from this many days before the end of validity. */
export const EXPIRY_WARNING_DAYS = 30;

export interface CardContext {
  readers: Readers;
  trace: ApduLog;
  now?: () => number;
}

interface OpenCard {
  session: PivSession;
  /** The traced transport the session runs on. */
  transport: CardTransport;
  pinPad: boolean;
  close(): Promise<void>;
}

async function openPiv(ctx: CardContext, reader: string, connect: () => Promise<CardTransport> = () => ctx.readers.connect(reader)): Promise<OpenCard> {
  const raw = await connect();
  try {
    let pad: PinPad | undefined;
    try {
      pad = await PinPad.detect(raw);
    } catch (error) {
      if (!(error instanceof PcscError) || isCardGone(error)) throw error;
      pad = undefined;
    }
    ctx.readers.setPinPad(reader, pad !== undefined);
    const transport = ctx.trace.wrap(raw);
    const session = await PivSession.open(transport, pad ? { pinPad: pad } : {});
    return { session, transport, pinPad: pad !== undefined, close: () => raw.close() };
  } catch (error) {
    await raw.close().catch(() => undefined);
    throw error;
  }
}

/**
 * The holder of the card in `reader`: from the 9A certificate, plus the PIN's state. `connect`:
 * how to connect (ctx.readers.connect by default). It reads public data only, so a read whose
 * answer another program's command cut off (RESPONSE_INTERRUPTED) is made again, once, on a new
 * connection.
 */
export async function readCardHolder(ctx: CardContext, reader: string, connect?: () => Promise<CardTransport>): Promise<CardHolder> {
  try {
    return await readHolderOnce(ctx, reader, connect);
  } catch (error) {
    if (!(error instanceof ResponseInterruptedError)) throw error;
    // After a random 20-100 ms: two programs that read the card as it came in would otherwise
    // read it again in step and cut each other off again (seen with two bridges on one pcscd).
    await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80));
    return readHolderOnce(ctx, reader, connect);
  }
}

async function readHolderOnce(ctx: CardContext, reader: string, connect?: () => Promise<CardTransport>): Promise<CardHolder> {
  const card = await openPiv(ctx, reader, connect);
  try {
    const der = await card.session.readCertificate('9a');
    if (!der) throw new AgentError('NO_CERTIFICATE', 'The card has no login certificate (PIV slot 9A): it cannot be used to log in.');
    // The PKI code (pkijs) comes with the first card read, not with the agent.
    const { parseCertificate } = await import('../pki/index.ts');
    const cert = parseCertificate(der);
    const pin = await card.session.pinStatus();
    const now = ctx.now?.() ?? Date.now();
    const daysLeft = Math.ceil((cert.notAfter.getTime() - now) / DAY_MS);
    return {
      reader,
      name: cert.subject.commonName ?? ([cert.subject.givenName, cert.subject.surname].filter(Boolean).join(' ') || cert.subject.dn),
      personnummer: cert.subject.personnummer ?? null,
      pinTriesLeft: pin.retriesLeft ?? null,
      pinBlocked: pin.blocked,
      pinPad: card.pinPad,
      validUntil: cert.notAfter.toISOString(),
      expiresInDays: daysLeft <= EXPIRY_WARNING_DAYS ? Math.max(0, daysLeft) : null,
    };
  } finally {
    // The holder does not wait for pcscd to confirm the disconnect: the next connection to this
    // reader waits for it instead (PcscCardConnection's `after`).
    void card.close().catch(() => undefined);
  }
}

/**
 * An early read serves a holder call that comes while it runs or within this long after it
 * ended; a later call reads the card again (another program may have used it meanwhile, or
 * it may have been pulled out and pcscd not yet have noticed).
 */
export const EARLY_HOLDER_FRESH_MS = 2000;

interface EarlyRead {
  holder: Promise<CardHolder>;
  /** The reader's useCount() when it started: any other use of the card since makes it stale. */
  uses: number;
  endedAt?: number;
}

/**
 * The card holders, read as soon as a card comes in. The card login asks for the holder right
 * after the readers event that shows the card; reading the card from the moment the monitor sees
 * it, instead of after that event has reached the window, been rendered and called back, takes
 * that round trip off "card inserted → card ready". The early read runs before anything else
 * talks to the card (Readers.readFirst). It serves one holder call, the first, when that comes
 * while it runs or shortly after (EARLY_HOLDER_FRESH_MS) and the card was not used since (a
 * login may have spent a PIN try); every other call reads the card, as it did before. It fails
 * quietly: the call it serves then reads the card itself.
 */
export class CardHolders {
  private readonly early = new Map<string, EarlyRead>();
  private readonly unsubscribe: () => void;

  constructor(private readonly ctx: CardContext) {
    this.unsubscribe = ctx.readers.onEvent((event) => this.onEvent(event));
  }

  /** The holder of the card in `reader`: the early read's when it is still good, else read now. */
  read(reader: string): Promise<CardHolder> {
    const early = this.early.get(reader);
    this.early.delete(reader);
    const now = this.ctx.now?.() ?? Date.now();
    if (early && early.uses === this.ctx.readers.useCount(reader) && (early.endedAt === undefined || now - early.endedAt <= EARLY_HOLDER_FRESH_MS)) {
      return early.holder.catch(() => readCardHolder(this.ctx, reader));
    }
    return readCardHolder(this.ctx, reader);
  }

  close(): void {
    this.unsubscribe();
    this.early.clear();
  }

  private onEvent(event: ReaderEvent): void {
    switch (event.type) {
      case 'card-inserted': {
        const { reader } = event;
        const entry: EarlyRead = { holder: this.ctx.readers.readFirst(reader, (connect) => readCardHolder(this.ctx, reader, connect)), uses: this.ctx.readers.useCount(reader) };
        this.early.set(reader, entry);
        const ended = (): void => {
          entry.endedAt = this.ctx.now?.() ?? Date.now();
        };
        entry.holder.then(ended, ended);
        break;
      }
      case 'card-removed':
      case 'card-mute':
      case 'reader-removed':
        this.early.delete(event.reader);
        break;
      case 'pcsc-down':
        for (const reader of this.early.keys()) if (reader !== IN_APP_READER) this.early.delete(reader);
        break;
      default:
        break;
    }
  }
}

/** What `promise` fails with, if it fails within `ms`; undefined otherwise. */
function failureWithin(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise.then(() => undefined, (e: unknown) => e), late]).finally(() => clearTimeout(timer));
}

/**
 * BankID på kort: the bank's challenge, signed on the card after one VERIFY (the PIN given,
 * or typed on the reader's PIN pad when none is given), then the bank's card login. The card
 * leaving the reader at any point is CARD_REMOVED, and then nothing is sent to the bank.
 */
export async function loginWithCard(ctx: CardContext, bank: BankClient, input: { reader: string; pin?: string | undefined }): Promise<Session> {
  const { reader } = input;
  const hadCard = ctx.readers.hasCard(reader);
  const watch = ctx.readers.watchRemoval(reader);
  let aborted = false;
  const run = async (): Promise<Session> => {
    const card = await openPiv(ctx, reader);
    try {
      if (input.pin === undefined && !card.pinPad) throw new AgentError('PIN_REQUIRED', 'Enter the card PIN (6 to 8 digits).');
      const status = await card.session.pinStatus();
      if (status.blocked) throw new AgentError('PIN_BLOCKED', 'The PIN is blocked. Use the PUK to unblock it.', { retriesLeft: 0 });
      const signer = await pinGuardedSigner(card.session, '9a', input.pin);
      const challenge = await bank.cardChallenge();
      if (aborted) throw cardRemoved(reader);
      const { signChallenge } = await import('../pki/index.ts');
      const cms = await signChallenge(Buffer.from(challenge.challenge, 'base64'), signer);
      if (aborted || watch.isGone()) throw cardRemoved(reader);
      return await bank.cardLogin(challenge.challengeId, cms);
    } finally {
      // The PIN was for this one signature. Best effort: the card may be gone.
      await card.session.resetPinStatus().catch(() => undefined);
      await card.close().catch(() => undefined);
    }
  };
  const attempt = run();
  attempt.catch(() => undefined);
  try {
    return await Promise.race([attempt, watch.gone]);
  } catch (error) {
    aborted = true;
    // Whether the PIN was on its way when the card went: the login's own failure says (it comes
    // a moment after the monitor's when the card was pulled).
    const own = await failureWithin(attempt, 2000);
    const pinMayBeSpent = [error, own].some((e) => e instanceof PcscError && e.secretMayBeSpent === true);
    if (error instanceof AgentError && error.code === 'CARD_REMOVED') throw cardRemoved(reader, pinMayBeSpent);
    // A transport failure: if the card left (the monitor may say so a moment later), say that.
    if (hadCard && isCardGone(error) && (await ctx.readers.waitGone(reader, 1500))) throw cardRemoved(reader, pinMayBeSpent);
    throw error;
  } finally {
    watch.dispose();
  }
}
