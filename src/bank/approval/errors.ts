/** The refusals of app-approved login, each with its HTTP status (BankError carries it). */
import { BankError } from '../errors.ts';

const STATUS = {
  APPROVAL_CODE_INVALID: 400,
  APPROVAL_CODE_STALE: 400,
  APPROVAL_SIGNATURE_INVALID: 401,
  APPROVAL_SIGNATURE_REQUIRED: 401,
  APP_DEVICE_UNKNOWN: 403,
  ENROLMENT_CODE_INVALID: 403,
  ORDER_EXPIRED: 409,
  ORDER_CANCELLED: 409,
  ORDER_FAILED: 409,
  APPROVAL_REPLAYED: 409,
  APPROVAL_ALREADY_IN_PROGRESS: 409,
  APPROVAL_NOT_SUPPORTED: 403,
  APPROVAL_PROVIDER_REJECTED: 502,
  APPROVAL_PROVIDER_UNAVAILABLE: 503,
} as const;

export type ApprovalErrorCode = keyof typeof STATUS;

export const approvalError = (code: ApprovalErrorCode, message: string, details: { cause?: unknown; [k: string]: unknown } = {}): BankError =>
  new BankError(code, message, { ...details, status: STATUS[code] });

export const noSuchOrder = (): BankError => new BankError('NOT_FOUND', 'There is no such order (it is finished, cancelled or unknown here). Start the login again.', { status: 404 });
