/**
 * The browser bridge: the same API as the Electron preload, over loopback HTTP, so the
 * renderer runs in a normal browser (development, end-to-end tests, machines without the
 * Electron binary). Off unless started (`npm run web`).
 *
 *   GET  /, /assets/...                   the built renderer (staticDir), no listings
 *   POST /api/call/:method                X-Ekort-Token, JSON body (the input; empty for none)
 *                                         → 200 {"ok":true,"result"} | {"ok":false,"error"}
 *   GET  /api/events?token=TOKEN          text/event-stream: `data: <AgentEvent>` per event,
 *                                         a comment ping every 15 s
 *
 * Security: 127.0.0.1 only; a random 32-byte token (base64url), compared in constant time,
 * handed over once in the printed URL; the Host header must name this port on 127.0.0.1 or
 * localhost (DNS rebinding); a POST's Origin must be the bridge's own (or the configured Vite
 * dev server's, the only origin that ever gets CORS headers); bodies up to 64 KiB of JSON;
 * no caching; the renderer's CSP on HTML; protocol errors are JSON ApiFailures.
 *
 * On fastify, as the e-kort service (src/bank/api/server.ts): the checks are onRequest hooks,
 * so a call's body is read only once its Origin, token and method passed; the body limit and
 * the JSON-only rule are fastify's content-type parsers; every refusal is one error handler's.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { EkortError } from '../../errors.ts';
import type { AgentEvent, ApiFailure } from '../api.ts';
import { isApiMethod } from '../apiSchemas.ts';
import { RENDERER_CSP } from '../csp.ts';
import { type AgentHandlers, dispatch, unknownMethod } from '../dispatch.ts';

export const BRIDGE_BODY_LIMIT = 64 * 1024;
export const BRIDGE_PING_MS = 15_000;
export const TOKEN_HEADER = 'x-ekort-token';

export interface BridgeAgent extends AgentHandlers {
  subscribe(listener: (event: AgentEvent) => void): () => void;
}

export interface BridgeOptions {
  /** Default 0: a free port. */
  port?: number;
  /** The built renderer (out/renderer); without it only the API is served. */
  staticDir?: string;
  /** The Vite dev server's origin (e.g. http://localhost:5173), allowed to call with CORS. */
  devOrigin?: string;
  /** The token; random unless given (tests). */
  token?: string;
  pingMs?: number;
  log?: (line: string) => void;
}

export interface Bridge {
  port: number;
  /** http://127.0.0.1:PORT */
  origin: string;
  token: string;
  /** The URL to open: http://127.0.0.1:PORT/?token=TOKEN */
  url: string;
  close(): Promise<void>;
}

const BASE_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

function tokenMatches(expected: Buffer, given: unknown): boolean {
  if (typeof given !== 'string' || given.length > 200) return false;
  const candidate = Buffer.from(given, 'utf8');
  // Same length for timingSafeEqual; the length check's timing tells only the (public) length.
  const padded = Buffer.alloc(expected.length);
  candidate.copy(padded, 0, 0, Math.min(candidate.length, expected.length));
  return timingSafeEqual(padded, expected) && candidate.length === expected.length;
}

/** A request the bridge will not serve: the HTTP status, and the methods the path takes (405). */
class BridgeRefusal extends EkortError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    readonly allow?: string,
  ) {
    super(code, message);
  }
}

const refuse = (status: number, code: string, message: string, allow?: string): BridgeRefusal => new BridgeRefusal(status, code, message, allow);
const badToken = (): BridgeRefusal => refuse(401, 'BRIDGE_TOKEN_INVALID', 'The bridge token is missing or wrong. Open the URL the bridge printed.');
const forbiddenPath = (): BridgeRefusal => refuse(403, 'FORBIDDEN_PATH', 'That path is not served.');
const notFound = (): BridgeRefusal => refuse(404, 'NOT_FOUND', 'There is no such page.');

/** What a path answers to a method no route of it takes: 405 with the one it does, 404 under /api/. */
function unrouted(pathname: string): BridgeRefusal {
  if (/^\/api\/call\/[^/]+$/.test(pathname)) return refuse(405, 'METHOD_NOT_ALLOWED', 'Use POST for API calls.', 'POST');
  if (pathname === '/api/events') return refuse(405, 'METHOD_NOT_ALLOWED', 'Use GET for events.', 'GET');
  if (pathname.startsWith('/api/')) return refuse(404, 'NOT_FOUND', 'There is no such API route.');
  return refuse(405, 'METHOD_NOT_ALLOWED', 'Only GET is served here.', 'GET');
}

/** fastify's own refusals (body limit, content type, a body shorter than declared) as ApiFailures. */
function toRefusal(error: unknown): BridgeRefusal | undefined {
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

export async function startBridge(agent: BridgeAgent, options: BridgeOptions = {}): Promise<Bridge> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const expected = Buffer.from(token, 'utf8');
  const staticRoot = options.staticDir ? await realpath(path.resolve(options.staticDir)).catch(() => path.resolve(options.staticDir!)) : undefined;
  const devOrigin = options.devOrigin ? new URL(options.devOrigin).origin : undefined;
  const pingMs = options.pingMs ?? BRIDGE_PING_MS;
  const streams = new Set<ServerResponse>();
  let port = 0;
  const own = (): string => `http://127.0.0.1:${port}`;
  const urlOf = (request: FastifyRequest): URL => new URL(request.url, own());

  const cors = (origin: string | undefined): Record<string, string> =>
    devOrigin !== undefined && origin === devOrigin ? { 'access-control-allow-origin': devOrigin, vary: 'Origin' } : {};

  const hostOk = (host: string | undefined): boolean => host === `127.0.0.1:${port}` || host === `localhost:${port}`;
  const forbiddenHost = (): BridgeRefusal => refuse(403, 'FORBIDDEN_HOST', 'The bridge answers to 127.0.0.1 and localhost only.');

  const answer = (reply: FastifyReply, error: unknown): FastifyReply => {
    const refusal = toRefusal(error);
    if (!refusal) options.log?.(`ekort bridge: unexpected error: ${(error as Error)?.name ?? 'error'}`);
    const failure: ApiFailure = refusal ? { code: refusal.code, message: refusal.message } : { code: 'INTERNAL', message: 'Something went wrong in the bridge.' };
    // Set here too: an answer from frameworkErrors does not pass the onSend hook.
    reply.headers(BASE_HEADERS);
    if (refusal?.allow) reply.header('allow', refusal.allow);
    return reply.code(refusal?.status ?? 500).type('application/json; charset=utf-8').send(failure);
  };

  const app = Fastify({
    logger: false,
    bodyLimit: BRIDGE_BODY_LIMIT,
    requestTimeout: 30_000,
    // node's own default, which the bridge had before fastify (fastify's is 72 s).
    keepAliveTimeout: 5_000,
    exposeHeadRoutes: false,
    // close() ends the event streams and drops every connection at once, idle or not.
    forceCloseConnections: true,
    return503OnClosing: false,
    // A URL that does not decode is refused before routing, so the Host check comes first here.
    frameworkErrors: (error, request, reply) => answer(reply, hostOk(request.headers.host) ? error : forbiddenHost()),
  });
  app.server.headersTimeout = 10_000;
  // What node's HTTP parser refuses gets node's own bare answer (400, 408, 431), as before fastify.
  app.server.removeAllListeners('clientError');

  // JSON input only; an empty (or blank) body is no input, whatever its type says.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    try {
      return done(null, JSON.parse(text) as unknown);
    } catch {
      return done(refuse(400, 'MALFORMED_JSON', 'The request body is not valid JSON.'), undefined);
    }
  });
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    if ((body as string).trim() === '') return done(null, undefined);
    return done(refuse(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the input as application/json.'), undefined);
  });

  app.setErrorHandler((error, _request, reply) => answer(reply, error));
  app.setNotFoundHandler((request) => {
    throw unrouted(urlOf(request).pathname);
  });

  // DNS rebinding: every request, before anything else.
  app.addHook('onRequest', async (request) => {
    if (!hostOk(request.headers.host)) throw forbiddenHost();
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(BASE_HEADERS);
    return payload;
  });

  app.options('/api/call/:method', async (request, reply) => {
    if (devOrigin === undefined || request.headers.origin !== devOrigin) throw unrouted(urlOf(request).pathname);
    return reply
      .code(204)
      .headers({ ...cors(devOrigin), 'access-control-allow-methods': 'POST', 'access-control-allow-headers': `content-type, ${TOKEN_HEADER}`, 'access-control-max-age': '600' })
      .send();
  });

  app.post<{ Params: { method: string } }>('/api/call/:method', {
    // Origin, token and method before the body is read.
    onRequest: async (request, reply) => {
      const origin = request.headers.origin;
      if (origin !== own() && (devOrigin === undefined || origin !== devOrigin)) throw refuse(403, 'FORBIDDEN_ORIGIN', 'Calls are accepted from the e-kort page only.');
      reply.headers(cors(origin));
      if (!tokenMatches(expected, request.headers[TOKEN_HEADER])) throw badToken();
      const method = request.params.method;
      if (!isApiMethod(method)) {
        const failure = unknownMethod(method);
        throw refuse(404, failure.code, failure.message);
      }
    },
    handler: async (request) =>
      dispatch(agent, request.params.method, request.body, (name, error) => options.log?.(`ekort bridge: unexpected error in ${name}: ${(error as Error)?.name ?? 'error'}`)),
  });

  app.get('/api/events', (request, reply) => {
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== own() && origin !== devOrigin) throw refuse(403, 'FORBIDDEN_ORIGIN', 'Events are served to the e-kort page only.');
    reply.headers(cors(origin));
    if (!tokenMatches(expected, urlOf(request).searchParams.get('token'))) throw badToken();
    // The stream is written by hand from here on; fastify's reply is done with.
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { ...BASE_HEADERS, ...cors(origin), 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': connected\n\n');
    streams.add(res);
    const unsubscribe = agent.subscribe((event) => {
      if (!res.writableEnded) res.write(`data: ${JSON.stringify(event)}\n\n`);
    });
    const ping = setInterval(() => {
      if (!res.writableEnded) res.write(': ping\n\n');
    }, pingMs);
    ping.unref();
    const done = (): void => {
      clearInterval(ping);
      unsubscribe();
      streams.delete(res);
    };
    request.raw.on('close', done);
    res.on('close', done);
  });

  app.route({
    method: ['GET', 'HEAD'],
    url: '/*',
    handler: async (request, reply) => {
      const url = urlOf(request);
      if (url.pathname.startsWith('/api/')) throw unrouted(url.pathname);
      if (!staticRoot) throw notFound();
      let rel: string;
      try {
        rel = decodeURIComponent(url.pathname);
      } catch {
        throw refuse(400, 'BAD_REQUEST', 'The URL is not valid.');
      }
      if (rel.includes('\0') || rel.includes('\\') || rel.split('/').some((seg) => seg === '..')) throw forbiddenPath();
      if (rel === '/' || rel === '') rel = '/index.html';
      const file = path.resolve(staticRoot, `.${rel}`);
      if (!file.startsWith(staticRoot + path.sep)) throw forbiddenPath();
      const real = await realpath(file).catch(() => undefined);
      if (real === undefined || !real.startsWith(staticRoot + path.sep) || !(await stat(real).then((s) => s.isFile(), () => false))) throw notFound();
      const ext = path.extname(real).toLowerCase();
      if (ext === '.html') reply.header('content-security-policy', RENDERER_CSP);
      return reply.type(TYPES[ext] ?? 'application/octet-stream').send(createReadStream(real));
    },
  });

  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  port = (app.server.address() as AddressInfo).port;

  return {
    port,
    origin: own(),
    token,
    url: `${own()}/?token=${token}`,
    close: async () => {
      for (const res of streams) res.end();
      streams.clear();
      await app.close();
    },
  };
}
