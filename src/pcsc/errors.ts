/**
 * Typed errors of the PC/SC layer. pcsclite reports failures as plain Errors whose message
 * ends in the PC/SC return code ("SCardTransmit error: Card was removed.(0x80100069)");
 * `fromPcscError` turns that code into one of these, at this one place.
 */
import { EkortError } from '../errors.ts';

export type PcscErrorCode =
  | 'PCSC_UNAVAILABLE'
  | 'READER_GONE'
  | 'READER_NOT_FOUND'
  | 'NO_CARD'
  | 'CARD_REMOVED'
  | 'CARD_RESET'
  | 'CARD_UNRESPONSIVE'
  | 'SHARING_VIOLATION'
  | 'CARD_BUSY'
  | 'TRANSPORT_CLOSED'
  | 'TRANSMIT_TIMEOUT'
  | 'UNSUPPORTED_FEATURE'
  | 'PCSC_ERROR';

export interface PcscErrorDetails {
  pcscCode?: number;
  reader?: string;
  cause?: unknown;
  commandSent?: boolean;
  secretMayBeSpent?: boolean;
}

export class PcscError extends EkortError {
  declare readonly code: PcscErrorCode;
  /** The PC/SC return code (SCARD_E_* / SCARD_W_*), when the error came from PC/SC. */
  readonly pcscCode?: number;
  readonly reader?: string;
  /**
   * The command had gone to the card when this happened and its answer was lost: the card may
   * have acted on it (a VERIFY may have spent a try). False when nothing was sent.
   */
  readonly commandSent?: boolean;
  /** The lost command carried a PIN or PUK (set by the PIV layer): one try may be spent. */
  readonly secretMayBeSpent?: boolean;

  constructor(code: PcscErrorCode, message: string, details: PcscErrorDetails = {}) {
    super(code, message, { cause: details.cause });
    if (details.pcscCode !== undefined) this.pcscCode = details.pcscCode;
    if (details.reader !== undefined) this.reader = details.reader;
    if (details.commandSent) this.commandSent = true;
    if (details.secretMayBeSpent) this.secretMayBeSpent = true;
  }

  private copy(extra: Pick<PcscErrorDetails, 'commandSent' | 'secretMayBeSpent'>): PcscError {
    const details: PcscErrorDetails = { cause: this, ...extra };
    if (this.pcscCode !== undefined) details.pcscCode = this.pcscCode;
    if (this.reader !== undefined) details.reader = this.reader;
    return new PcscError(this.code, this.message, details);
  }

  /** The same failure for a later call that was not sent (the connection is dead by then). */
  notSent(): PcscError {
    return this.copy({});
  }

  /** This failure, marked as one that struck after the command had gone to the card. */
  afterSending(): PcscError {
    return this.commandSent ? this : this.copy({ commandSent: true });
  }

  /**
   * For a lost command that carried a PIN or PUK: the same failure, saying a try may be spent.
   * A failure before sending stays as it is: no try was spent.
   */
  withSecretInFlight(): PcscError {
    return this.commandSent ? this.copy({ commandSent: true, secretMayBeSpent: true }) : this;
  }
}

/** pcsc-lite's pcsclite.h return codes that we tell apart. */
export const SCARD = {
  E_CANCELLED: 0x80100002,
  E_INVALID_HANDLE: 0x80100003,
  E_UNKNOWN_READER: 0x80100009,
  E_TIMEOUT: 0x8010000a,
  E_SHARING_VIOLATION: 0x8010000b,
  E_NO_SMARTCARD: 0x8010000c,
  E_PROTO_MISMATCH: 0x8010000f,
  E_NOT_TRANSACTED: 0x80100016,
  F_COMM_ERROR: 0x80100013,
  E_READER_UNAVAILABLE: 0x80100017,
  E_NO_SERVICE: 0x8010001d,
  E_SERVICE_STOPPED: 0x8010001e,
  E_UNSUPPORTED_FEATURE: 0x8010001f,
  E_NO_READERS_AVAILABLE: 0x8010002e,
  W_UNSUPPORTED_CARD: 0x80100065,
  W_UNRESPONSIVE_CARD: 0x80100066,
  W_UNPOWERED_CARD: 0x80100067,
  W_RESET_CARD: 0x80100068,
  W_REMOVED_CARD: 0x80100069,
} as const;

export function pcscCodeOf(error: unknown): number | undefined {
  const text = error instanceof Error ? error.message : String(error);
  const m = /\(0x([0-9a-fA-F]{8})\)\s*$/.exec(text);
  return m ? parseInt(m[1]!, 16) : undefined;
}

const where = (reader?: string) => (reader ? ` in "${reader}"` : '');

/** Maps a pcsclite failure to a PcscError with a message a person can act on. */
export function fromPcscError(error: unknown, reader?: string): PcscError {
  if (error instanceof PcscError) return error;
  const pcscCode = pcscCodeOf(error);
  const details = { pcscCode, reader, cause: error };
  switch (pcscCode) {
    case SCARD.E_NO_SERVICE:
    case SCARD.E_SERVICE_STOPPED:
    case SCARD.F_COMM_ERROR:
      return new PcscError('PCSC_UNAVAILABLE', 'The smart-card service (pcscd) is not running. Start it (sudo systemctl start pcscd) and try again.', details);
    case SCARD.E_UNKNOWN_READER:
    case SCARD.E_READER_UNAVAILABLE:
    case SCARD.E_NO_READERS_AVAILABLE:
      return new PcscError('READER_GONE', `The card reader${where(reader)} is no longer connected. Plug it in again.`, details);
    case SCARD.E_NO_SMARTCARD:
      return new PcscError('NO_CARD', `There is no card${where(reader)}. Insert your card.`, details);
    case SCARD.W_REMOVED_CARD:
      return new PcscError('CARD_REMOVED', `The card was removed${where(reader)}. Insert it again and start over.`, details);
    case SCARD.W_RESET_CARD:
      return new PcscError('CARD_RESET', `Another program reset the card${where(reader)}. Start over.`, details);
    case SCARD.W_UNRESPONSIVE_CARD:
    case SCARD.W_UNPOWERED_CARD:
    case SCARD.W_UNSUPPORTED_CARD:
    case SCARD.E_PROTO_MISMATCH:
      return new PcscError('CARD_UNRESPONSIVE', `The card${where(reader)} does not answer. Take it out, check which way it goes in, and insert it again.`, details);
    case SCARD.E_SHARING_VIOLATION:
      return new PcscError('SHARING_VIOLATION', `Another program holds the card${where(reader)} exclusively. Close that program and try again.`, details);
    case SCARD.E_UNSUPPORTED_FEATURE:
      return new PcscError('UNSUPPORTED_FEATURE', `The reader${where(reader)} does not support this request.`, details);
    case SCARD.E_TIMEOUT:
      return new PcscError('TRANSMIT_TIMEOUT', `The card${where(reader)} did not answer in time.`, details);
    default: {
      const text = error instanceof Error ? error.message : String(error);
      return new PcscError('PCSC_ERROR', `Smart-card error${where(reader)}: ${text}`, details);
    }
  }
}
