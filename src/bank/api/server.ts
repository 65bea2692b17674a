/**
 * The e-kort service over HTTP: JSON in and out (fastify), TLS when given a certificate.
 * Every request is checked at the edge against the zod schemas of the API contract; every
 * answer that is not a success is an `ApiError` ({code, message, issues?}) without a stack
 * trace; nothing is cached; neither bodies nor Authorization headers are logged.
 */
import { STATUS_CODES } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import * as z from '../../zod.ts';
import { escapeControlCharacters } from '../../text/index.ts';
import { NO_SCHEMA_COMPILERS } from '../../fastifySchemas.ts';
import { EkortError } from '../../errors.ts';
import { StorageError } from '../../files/index.ts';
import { isNetworkKey } from '../customers.ts';
import { BANK_ERROR_STATUS, BankError, bankError } from '../errors.ts';
import type { EkortService } from '../service.ts';
import type { ActiveSession } from '../sessions.ts';
import { StoreError } from '../store/sql.ts';
import { openApiDocument } from './openapi.ts';
import { type RouteDef, ROUTES } from './routes.ts';
import type { ApiError } from './schemas.ts';

export interface RateLimit {
  /** Requests per client address per window, per route. */
  max: number;
  timeWindowMs: number;
}

export interface ServerOptions {
  /** PEM; with both the service speaks HTTPS only. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** The login endpoints, per client address and route; false: no limit. Default 30 a minute. */
  loginRateLimit?: RateLimit | false;
  /** The card network's endpoint; false (the default): no limit. */
  networkRateLimit?: RateLimit | false;
  /** The largest request body in bytes; default 128 KiB (a card login's CMS is below 70 KiB). */
  bodyLimit?: number;
  /** Take the client address from X-Forwarded-For (behind a reverse proxy only). */
  trustProxy?: boolean;
  /** Where unexpected errors are logged (one line each, no bodies, no headers); default stderr. */
  log?: (line: string) => void;
}

export const DEFAULT_LOGIN_RATE_LIMIT: RateLimit = { max: 30, timeWindowMs: 60_000 };
const DEFAULT_BODY_LIMIT = 128 * 1024;
/** The longest request target taken (the API's own URLs are below 200 characters): 414 beyond. */
export const MAX_URL_LENGTH = 4 * 1024;
/** The request line and headers together (node's maxHeaderSize): 431 beyond, 414 for a URL alone. */
export const MAX_HEADER_SIZE = 16 * 1024;

const SECURITY_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

const INTERNAL: ApiError = { code: 'INTERNAL', message: 'Something went wrong in the service. Try again; if it persists, tell the bank.' };

/** Errors of the HTTP layer itself (fastify's codes) as ApiError codes. */
const FASTIFY_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'BODY_TOO_LARGE', message: 'The request body is too large.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send the request body as application/json.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'BAD_REQUEST', message: 'The Content-Length does not match the body.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'MALFORMED_JSON', message: 'The request body is empty.' },
  FST_ERR_BAD_URL: { status: 400, code: 'BAD_URL', message: 'The URL is not valid: it does not decode (a stray %).' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 400, code: 'BAD_URL', message: 'A part of the URL is too long.' },
};

/** Security headers every answer carries, errors included; HSTS with TLS. */
function securityHeaders(tls: boolean): Record<string, string> {
  return tls ? { ...SECURITY_HEADERS, 'strict-transport-security': 'max-age=31536000' } : SECURITY_HEADERS;
}

const URI_TOO_LONG: ApiError = { code: 'URI_TOO_LONG', message: `The URL is too long (at most ${MAX_URL_LENGTH} characters).` };

/**
 * What node's HTTP parser refused before fastify saw a request ('clientError'): the status and
 * ApiError. A header overflow whose request line has not ended within MAX_URL_LENGTH is the
 * URL's fault (414); otherwise the headers' (431). The packet is what node read last, so an
 * overflow noticed in a later chunk counts as the headers'.
 */
export function clientErrorAnswer(error: Error & { code?: string; rawPacket?: unknown }): { status: number; body: ApiError } {
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    const head = Buffer.isBuffer(error.rawPacket) ? error.rawPacket.subarray(0, MAX_URL_LENGTH + 32).toString('latin1') : '';
    if (/^[A-Z]+ /.test(head) && !head.includes('\r\n')) return { status: 414, body: URI_TOO_LONG };
    return { status: 431, body: { code: 'HEADERS_TOO_LARGE', message: `The request headers are too large (at most ${MAX_HEADER_SIZE} bytes with the request line).` } };
  }
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, body: { code: 'REQUEST_TIMEOUT', message: 'The request took too long to arrive.' } };
  return { status: 400, body: { code: 'BAD_REQUEST', message: 'The request is not valid HTTP.' } };
}

/** Writes the answer to a request node's parser refused straight to the socket, then closes it. */
function answerClientError(socket: Socket, error: Error & { code?: string; rawPacket?: unknown }, tls: boolean): void {
  // A reset connection has no one to answer (as in node's and fastify's own handlers).
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const { status, body } = clientErrorAnswer(error);
  const json = JSON.stringify(body);
  const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(json)), ...securityHeaders(tls), connection: 'close' };
  const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
  socket.end(`${head}\r\n\r\n${json}`);
}

/** What the client is told for `error`, and whether it was unexpected (to be logged). */
export function toApiError(error: unknown): { status: number; body: ApiError; unexpected: boolean } {
  if (error instanceof BankError) {
    const body: ApiError = { code: error.code, message: error.message };
    const details = error as unknown as { issues?: unknown; triesLeft?: unknown; retryAfterSeconds?: unknown };
    if (Array.isArray(details.issues)) body.issues = details.issues as ApiError['issues'];
    if (typeof details.triesLeft === 'number') body.triesLeft = details.triesLeft;
    if (typeof details.retryAfterSeconds === 'number') body.retryAfter = details.retryAfterSeconds;
    return { status: error.status, body, unexpected: error.status >= 500 && !(error.code in BANK_ERROR_STATUS) };
  }
  if (error instanceof StorageError) {
    // The service's own folder stays on the service: a remote client has no use for it (the app
    // names its own data folder for the embedded service, src/client/agent.ts).
    const full = error.code === 'STORAGE_FULL';
    const message = full ? "The service's disk is full: nothing was saved. Try again later." : "The service's storage cannot be written to: nothing was saved. Try again later.";
    return { status: full ? 507 : 503, body: { code: error.code, message }, unexpected: true };
  }
  if (error instanceof StoreError) {
    if (error.code === 'STORE_BUSY') {
      // Another process holds the database's write lock: answered at once, retried in a second.
      return { status: 503, body: { code: error.code, message: 'The database is busy with another process. Retry in a second.', retryAfter: 1 }, unexpected: false };
    }
    if (error.code === 'STORE_UNAVAILABLE') {
      return { status: 503, body: { code: error.code, message: 'The database is not reachable at the moment. Retry in a moment.' }, unexpected: true };
    }
    return { status: 500, body: INTERNAL, unexpected: true };
  }
  if (error instanceof EkortError) {
    const status = (BANK_ERROR_STATUS as Record<string, number>)[error.code];
    if (status !== undefined) return { status, body: { code: error.code, message: error.message }, unexpected: status >= 500 };
    return { status: 500, body: INTERNAL, unexpected: true };
  }
  const fastifyError = error as Partial<FastifyError> | undefined;
  const known = fastifyError?.code === undefined ? undefined : FASTIFY_ERRORS[fastifyError.code];
  if (known) return { status: known.status, body: { code: known.code, message: known.message }, unexpected: false };
  if (error instanceof SyntaxError || fastifyError?.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return { status: 400, body: { code: 'MALFORMED_JSON', message: 'The request body is not valid JSON.' }, unexpected: false };
  }
  const status = fastifyError?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, body: { code: 'BAD_REQUEST', message: 'The request cannot be handled as sent.' }, unexpected: false };
  }
  return { status: 500, body: INTERNAL, unexpected: true };
}

/** The `Authorization: Bearer …` credential, or undefined. */
export function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match?.[1];
}

/** zod issues of one part of the request as INVALID_INPUT with `issues`. */
function parsePart<T extends z.ZodMiniType>(schema: T, value: unknown, part: 'body' | 'query' | 'params'): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: [part, ...i.path.map(String)].join('.'), message: i.message }));
  const first = issues[0]!;
  const what = part === 'body' && value === undefined ? 'The request needs a JSON body.' : `The request is not valid: ${first.path}: ${first.message}.`;
  throw bankError('INVALID_INPUT', what, { issues });
}

function handlerFor(service: EkortService, def: RouteDef) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    let session: ActiveSession | undefined;
    let token: string | undefined;
    if (def.auth === 'session' || def.auth === 'fresh-session') {
      session = await service.session(bearer(request), { fresh: def.auth === 'fresh-session' });
    } else if (def.auth === 'token') {
      token = bearer(request);
      if (token === undefined) throw bankError('UNAUTHENTICATED', 'Give the session token (Authorization: Bearer …).');
    } else if (def.auth === 'network') {
      if (!(await isNetworkKey(service.ctx, bearer(request)))) throw bankError('NETWORK_KEY_INVALID', 'The network key is missing or not valid.');
    }
    const input = {
      service,
      session: session as ActiveSession,
      token: token as string,
      body: def.body ? parsePart(def.body, request.body, 'body') : undefined,
      query: def.query ? parsePart(def.query, request.query, 'query') : undefined,
      params: def.params ? parsePart(def.params, request.params, 'params') : undefined,
      // The end user's address, which an app-approval provider (BankID) must be told.
      ip: request.ip,
    };
    const result = await def.handler(input);
    reply.code(def.status);
    if (!def.response) return reply.send();
    // The answer goes out as its schema says, and nothing else (no stray fields).
    return def.response.parse(result);
  };
}

/** The service's HTTP API as a fastify instance (not listening; `inject` works at once). */
export function buildServer(service: EkortService, options: ServerOptions = {}): FastifyInstance {
  // One line each, whatever the error's text holds (a request's text can reach a message).
  const write = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const log = (line: string) => write(escapeControlCharacters(line));
  const tls = options.tls !== undefined;
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    trustProxy: options.trustProxy ?? false,
    requestTimeout: 30_000,
    connectionTimeout: 30_000,
    // Requests that reach a closing server are answered as usual (with Connection: close)
    // rather than with fastify's own non-ApiError 503.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    schemaController: NO_SCHEMA_COMPILERS,
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key, maxHeaderSize: MAX_HEADER_SIZE } } : { http: { maxHeaderSize: MAX_HEADER_SIZE } }),
    // Errors found before routing (a URL that does not decode, a path parameter too long)
    // answer as every other error does.
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      const { status, body } = toApiError(error);
      return reply.code(status).headers(securityHeaders(tls)).type('application/json; charset=utf-8').send(body);
    },
    // What node's HTTP parser refuses (bad request line, headers or URL too large, timeout).
    clientErrorHandler: (error: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void => answerClientError(socket, error, tls),
  }) as unknown as FastifyInstance;

  // JSON only: every other content type is 415. An empty JSON body is "no body".
  app.removeAllContentTypeParsers();
  const json = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined);
    return json(request, body as string, done);
  });

  // On close, the answers still in flight go out with Connection: close, so no keep-alive
  // connection holds the shutdown until its idle timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // The hooks below run on every request: callback hooks, which cost fastify no promise each.
  app.addHook('onResponse', (_request, _reply, done) => {
    if (closing) setImmediate(() => app.server.closeIdleConnections?.());
    done();
  });

  const headers = securityHeaders(tls);
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.headers(headers);
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });

  // A URL that node's header limit let through can still be longer than any of ours.
  app.addHook('onRequest', (request, _reply, done) => {
    if ((request.raw.url ?? '').length > MAX_URL_LENGTH) return done(new BankError(URI_TOO_LONG.code, URI_TOO_LONG.message, { status: 414 }));
    done();
  });

  app.setErrorHandler((error, request, reply) => {
    const { status, body, unexpected } = toApiError(error);
    if (unexpected) {
      const e = error as Error;
      const where = `${request.method} ${request.routeOptions.url ?? '(no route)'}`;
      const frame = e?.stack?.split('\n').find((l) => l.trim().startsWith('at '))?.trim() ?? '';
      log(`ekort service: ${body.code} ${status} on ${where}: ${e?.name ?? 'Error'}${e instanceof EkortError ? ` ${e.code}` : ''}: ${String(e?.message).slice(0, 300)} ${frame}`);
    }
    if ((status === 429 || status === 503) && typeof body.retryAfter === 'number') reply.header('retry-after', String(body.retryAfter));
    return reply.code(status).type('application/json; charset=utf-8').send(body);
  });

  app.setNotFoundHandler((_request, reply) => {
    return reply.code(404).send({ code: 'NOT_FOUND', message: 'There is no such route. The API is described at GET /v1/openapi.json.' } satisfies ApiError);
  });

  const limit = (setting: RateLimit | false | undefined, fallback: RateLimit | false): { max: number; timeWindow: number } | false => {
    const chosen = setting === undefined ? fallback : setting;
    return chosen === false ? false : { max: chosen.max, timeWindow: chosen.timeWindowMs };
  };
  const limits = { login: limit(options.loginRateLimit, DEFAULT_LOGIN_RATE_LIMIT), network: limit(options.networkRateLimit, false) };

  void app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new BankError('RATE_LIMITED', `Too many requests from this address; try again in ${context.after}.`, {
        retryAfterSeconds: Math.max(1, Math.ceil(context.ttl / 1000)),
      }),
  });

  let openapi: unknown;
  void app.register(async (api) => {
    api.get('/v1/openapi.json', async () => (openapi ??= openApiDocument(ROUTES)));
    for (const def of ROUTES) {
      const rate = def.rateLimit ? limits[def.rateLimit] : false;
      api.route({
        method: def.method,
        url: def.path,
        ...(rate ? { config: { rateLimit: rate } } : {}),
        handler: handlerFor(service, def),
      });
    }
  });
  return app;
}

export interface StartedServer {
  /** http(s)://host:port, the port the server really listens on. */
  url: string;
  app: FastifyInstance;
  /** Stops accepting, finishes the requests in flight, closes idle connections. */
  close(): Promise<void>;
}

/** buildServer, listening on `host` (127.0.0.1) and `port` (0: any free one). */
export async function startServer(service: EkortService, options: ServerOptions & { host?: string; port?: number } = {}): Promise<StartedServer> {
  const app = buildServer(service, options);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
  return {
    url: `${options.tls ? 'https' : 'http'}://${shownHost}:${address.port}`,
    app,
    close: () => app.close(),
  };
}
