/**
 * Every error that leaves the agent becomes an ApiFailure: plain JSON with a stable `code`
 * and a message a person can act on. Errors this project raises on purpose (EkortError and
 * its kinds) keep their code and message, plus the tries left where there are any; anything
 * else is INTERNAL with a generic message: no stack, no cause, nothing from inside.
 */
import { EkortError } from '../errors.ts';
import type { ApiFailure } from './api.ts';

export const INTERNAL_FAILURE: ApiFailure = Object.freeze({
  code: 'INTERNAL',
  message: 'Something went wrong in the e-kort app. Try again; if it persists, restart the app.',
});

/** An error the agent raises itself (ENGINEER_MODE_OFF, CARD_REMOVED, ...). */
export class AgentError extends EkortError {
  readonly retriesLeft?: number;
  readonly triesLeft?: number;
  /** A PIN was on its way to the card when it went or stopped answering: a try may be spent. */
  readonly pinMayBeSpent?: boolean;

  constructor(code: string, message: string, details: { retriesLeft?: number; triesLeft?: number; pinMayBeSpent?: boolean; cause?: unknown } = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    if (details.retriesLeft !== undefined) this.retriesLeft = details.retriesLeft;
    if (details.triesLeft !== undefined) this.triesLeft = details.triesLeft;
    if (details.pinMayBeSpent) this.pinMayBeSpent = true;
  }
}

const CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

function isApiFailureShape(value: unknown): value is ApiFailure {
  const v = value as Partial<ApiFailure> | null;
  return typeof v === 'object' && v !== null && !(v instanceof Error) && typeof v.code === 'string' && typeof v.message === 'string';
}

const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined);

function issuesOf(v: unknown): ApiFailure['issues'] {
  if (!Array.isArray(v)) return undefined;
  const out = v
    .filter((i): i is { path: unknown; message: unknown } => typeof i === 'object' && i !== null)
    .map((i) => ({ path: String(i.path), message: String(i.message) }))
    .slice(0, 20);
  return out.length > 0 ? out : undefined;
}

/** Any thrown value as a plain ApiFailure (a fresh object, safe to send anywhere). */
export function toApiFailure(error: unknown): ApiFailure {
  let code: string;
  let message: string;
  let source: Record<string, unknown>;
  if (error instanceof EkortError) {
    code = error.code;
    message = error.message;
    source = error as unknown as Record<string, unknown>;
  } else if (isApiFailureShape(error)) {
    code = error.code;
    message = error.message;
    source = error as unknown as Record<string, unknown>;
  } else {
    return { ...INTERNAL_FAILURE };
  }
  if (!CODE.test(code) || code === 'INTERNAL') return { ...INTERNAL_FAILURE };
  const failure: ApiFailure = { code, message: message.slice(0, 500) };
  const retriesLeft = int(source.retriesLeft);
  if (retriesLeft !== undefined) failure.retriesLeft = retriesLeft;
  const triesLeft = int(source.triesLeft);
  if (triesLeft !== undefined) failure.triesLeft = triesLeft;
  const retryAfter = int(source.retryAfter ?? source.retryAfterSeconds);
  if (retryAfter !== undefined) failure.retryAfter = retryAfter;
  if (typeof source.reason === 'string' && /^[a-z_]{1,32}$/.test(source.reason)) failure.reason = source.reason;
  if (source.pinMayBeSpent === true || source.secretMayBeSpent === true) failure.pinMayBeSpent = true;
  if (typeof source.folder === 'string' && source.folder.length > 0) failure.folder = source.folder.slice(0, 1000);
  const issues = issuesOf(source.issues);
  if (issues) failure.issues = issues;
  return failure;
}

/** zod issues as the INVALID_INPUT failure the IPC table and the bridge answer. */
export function invalidInput(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): ApiFailure {
  const list = issues.slice(0, 20).map((i) => ({ path: ['input', ...i.path.map(String)].join('.'), message: i.message }));
  const first = list[0];
  return {
    code: 'INVALID_INPUT',
    message: first ? `The input is not valid: ${first.path}: ${first.message}.` : 'The input is not valid.',
    issues: list,
  };
}
