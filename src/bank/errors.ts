/**
 * The service's errors: a stable `code`, an English message a person can act on, and the
 * HTTP status the API answers with. The UI and the CLI key on `code`.
 */
import { EkortError } from '../errors.ts';

export const BANK_ERROR_STATUS = {
  INVALID_INPUT: 400,
  /** A code the customer chose is easy to guess (card terms §7b); `reason` says why. */
  CODE_TOO_EASY: 400,
  UNAUTHENTICATED: 401,
  SESSION_EXPIRED: 401,
  REAUTH_REQUIRED: 403,
  NETWORK_KEY_INVALID: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CUSTOMER_UNKNOWN: 403,
  /** An e-tjänstelegitimation (organisation e-ID): e-kort is a private service. */
  ORGANISATION_EID: 403,
  CHALLENGE_UNKNOWN: 400,
  CHALLENGE_EXPIRED: 400,
  CHALLENGE_REPLAYED: 409,
  LOGIN_FAILED: 401,
  DOSA_UNKNOWN: 403,
  DOSA_BLOCKED: 403,
  DOSA_CODE_WRONG: 401,
  TERMS_NOT_ACCEPTED: 409,
  TERMS_OUTDATED: 409,
  CARD_NOT_CONNECTED: 409,
  CARD_BLOCKED: 409,
  CARD_EXPIRED: 409,
  REFUND_TOO_LATE: 409,
  REFUND_NOT_DUE: 409,
  ALREADY_REQUESTED: 409,
  STATE_CONFLICT: 409,
  /** The e-nummer's validity has ended (checked at every use, before the sweep erases it). */
  ENUMMER_EXPIRED: 409,
  /** Disputes (card terms §10.4, §11): the 13 months from the booking have passed. */
  DISPUTE_TOO_LATE: 409,
  /** The transaction has a claim already. */
  ALREADY_DISPUTED: 409,
  /** A declined purchase was never charged: nothing to dispute. */
  TRANSACTION_DECLINED: 409,
  RATE_LIMITED: 429,
  /** A wrong dosa code was given moments ago: the next may be tried after `retryAfterSeconds`. */
  TRY_LATER: 429,
  STORE_UNAVAILABLE: 503,
  NUMBER_SPACE_EXHAUSTED: 503,
} as const;

export type BankErrorCode = keyof typeof BANK_ERROR_STATUS;

export class BankError extends EkortError {
  /** The HTTP status the API answers with. */
  readonly status: number;

  constructor(code: string, message: string, options?: { cause?: unknown; status?: number; [detail: string]: unknown }) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = options?.status ?? (BANK_ERROR_STATUS as Record<string, number>)[code] ?? 500;
    for (const [k, v] of Object.entries(options ?? {})) {
      if (k !== 'cause' && k !== 'status') (this as Record<string, unknown>)[k] = v;
    }
  }
}

export const bankError = (code: BankErrorCode, message: string, details?: { cause?: unknown; [detail: string]: unknown }): BankError =>
  new BankError(code, message, details);
