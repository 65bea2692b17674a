/** What the bridge refuses and how it says so: the refusals as ApiFailures with their status, the token check, the headers every answer carries. */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyError } from 'fastify';
import { EkortError } from '../../errors.ts';

export const BASE_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
};

export function tokenMatches(expected: Buffer, given: unknown): boolean {
  if (typeof given !== 'string' || given.length > 200) return false;
  const candidate = Buffer.from(given, 'utf8');
  // Same length for timingSafeEqual; the length check's timing tells only the (public) length.
  const padded = Buffer.alloc(expected.length);
  candidate.copy(padded, 0, 0, Math.min(candidate.length, expected.length));
  return timingSafeEqual(padded, expected) && candidate.length === expected.length;
}

/** A request the bridge will not serve: the HTTP status, and the methods the path takes (405). */
export class BridgeRefusal extends EkortError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    readonly allow?: string,
  ) {
    super(code, message);
  }
}

export const refuse = (status: number, code: string, message: string, allow?: string): BridgeRefusal => new BridgeRefusal(status, code, message, allow);
export const badToken = (): BridgeRefusal => refuse(401, 'BRIDGE_TOKEN_INVALID', 'The bridge token is missing or wrong. Open the URL the bridge printed.');
export const forbiddenPath = (): BridgeRefusal => refuse(403, 'FORBIDDEN_PATH', 'That path is not served.');
export const notFound = (): BridgeRefusal => refuse(404, 'NOT_FOUND', 'There is no such page.');

/** What a path answers to a method no route of it takes: 405 with the one it does, 404 under /api/. */
export function unrouted(pathname: string): BridgeRefusal {
  if (/^\/api\/call\/[^/]+$/.test(pathname)) return refuse(405, 'METHOD_NOT_ALLOWED', 'Use POST for API calls.', 'POST');
  if (pathname === '/api/events') return refuse(405, 'METHOD_NOT_ALLOWED', 'Use GET for events.', 'GET');
  if (pathname.startsWith('/api/')) return refuse(404, 'NOT_FOUND', 'There is no such API route.');
  return refuse(405, 'METHOD_NOT_ALLOWED', 'Only GET is served here.', 'GET');
}

/** fastify's own refusals (body limit, content type, a body shorter than declared) as ApiFailures. */
export function toRefusal(error: unknown): BridgeRefusal | undefined {
  if (error instanceof BridgeRefusal) return error;
  switch ((error as Partial<FastifyError> | undefined)?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return refuse(413, 'BODY_TOO_LARGE', 'The request body is too large.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return refuse(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the input as application/json.');
    case 'FST_ERR_BAD_URL':
      return refuse(400, 'BAD_REQUEST', 'The URL is not valid.');
  }
  const status = (error as Partial<FastifyError> | undefined)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? refuse(400, 'BAD_REQUEST', 'The request body could not be read.') : undefined;
}
