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
import { randomBytes } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { ApiFailure } from '../api.ts';
import { NO_SCHEMA_COMPILERS } from '../../fastifySchemas.ts';
import { isApiMethod } from '../apiSchemas.ts';
import { type AgentHandlers, dispatch, unknownMethod } from '../dispatch.ts';
import { type BridgeContext, bridgeContext } from './context.ts';
import { type EventSource, eventStreamRoute } from './eventStream.ts';
import { BASE_HEADERS, badToken, refuse, toRefusal, unrouted } from './refusals.ts';
import { staticFilesRoute } from './staticFiles.ts';

export const BRIDGE_BODY_LIMIT = 64 * 1024;
export const BRIDGE_PING_MS = 15_000;
export const TOKEN_HEADER = 'x-ekort-token';

export interface BridgeAgent extends AgentHandlers, EventSource {}

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

export async function startBridge(agent: BridgeAgent, options: BridgeOptions = {}): Promise<Bridge> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const staticRoot = options.staticDir ? await realpath(path.resolve(options.staticDir)).catch(() => path.resolve(options.staticDir!)) : undefined;
  let port = 0;
  const bridge = bridgeContext(token, options.devOrigin ? new URL(options.devOrigin).origin : undefined, () => port);
  const app = bridgeApp(bridge, () => port, options.log);
  callRoutes(app, agent, bridge, options.log);
  const streams = eventStreamRoute(app, agent, bridge, options.pingMs ?? BRIDGE_PING_MS);
  staticFilesRoute(app, staticRoot, bridge);

  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  port = (app.server.address() as AddressInfo).port;

  return {
    port,
    origin: bridge.own(),
    token,
    url: `${bridge.own()}/?token=${token}`,
    close: async () => {
      for (const res of streams) res.end();
      streams.clear();
      await app.close();
    },
  };
}

const forbiddenHost = () => refuse(403, 'FORBIDDEN_HOST', 'The bridge answers to 127.0.0.1 and localhost only.');

/** The server with what every request goes through: the Host check, JSON-only bodies, the headers, one error handler. */
function bridgeApp(bridge: BridgeContext, port: () => number, log: ((line: string) => void) | undefined): FastifyInstance {
  const hostOk = (host: string | undefined): boolean => host === `127.0.0.1:${port()}` || host === `localhost:${port()}`;
  const answer = (reply: FastifyReply, error: unknown): FastifyReply => {
    const refusal = toRefusal(error);
    if (!refusal) log?.(`ekort bridge: unexpected error: ${(error as Error)?.name ?? 'error'}`);
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
    schemaController: NO_SCHEMA_COMPILERS,
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
    throw unrouted(bridge.urlOf(request).pathname);
  });
  // DNS rebinding: every request, before anything else.
  app.addHook('onRequest', async (request) => {
    if (!hostOk(request.headers.host)) throw forbiddenHost();
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(BASE_HEADERS);
    return payload;
  });
  return app;
}

/** POST /api/call/:method (and its CORS preflight for the dev server): one agent call. */
function callRoutes(app: FastifyInstance, agent: AgentHandlers, bridge: BridgeContext, log: ((line: string) => void) | undefined): void {
  app.options('/api/call/:method', async (request, reply) => {
    if (bridge.devOrigin === undefined || request.headers.origin !== bridge.devOrigin) throw unrouted(bridge.urlOf(request).pathname);
    return reply
      .code(204)
      .headers({ ...bridge.cors(bridge.devOrigin), 'access-control-allow-methods': 'POST', 'access-control-allow-headers': `content-type, ${TOKEN_HEADER}`, 'access-control-max-age': '600' })
      .send();
  });

  app.post<{ Params: { method: string } }>('/api/call/:method', {
    // Origin, token and method before the body is read.
    onRequest: async (request, reply) => {
      const origin = request.headers.origin;
      if (origin !== bridge.own() && (bridge.devOrigin === undefined || origin !== bridge.devOrigin)) throw refuse(403, 'FORBIDDEN_ORIGIN', 'Calls are accepted from the e-kort page only.');
      reply.headers(bridge.cors(origin));
      if (!bridge.tokenOk(request.headers[TOKEN_HEADER])) throw badToken();
      const method = request.params.method;
      if (!isApiMethod(method)) {
        const failure = unknownMethod(method);
        throw refuse(404, failure.code, failure.message);
      }
    },
    handler: async (request) =>
      dispatch(agent, request.params.method, request.body, (name, error) => log?.(`ekort bridge: unexpected error in ${name}: ${(error as Error)?.name ?? 'error'}`)),
  });
}
