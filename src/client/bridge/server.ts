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
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
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

const failure = (code: string, message: string): ApiFailure => ({ code, message });

export async function startBridge(agent: BridgeAgent, options: BridgeOptions = {}): Promise<Bridge> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const expected = Buffer.from(token, 'utf8');
  const staticRoot = options.staticDir ? await realpath(path.resolve(options.staticDir)).catch(() => path.resolve(options.staticDir!)) : undefined;
  const devOrigin = options.devOrigin ? new URL(options.devOrigin).origin : undefined;
  const pingMs = options.pingMs ?? BRIDGE_PING_MS;
  const streams = new Set<http.ServerResponse>();
  let port = 0;
  const own = (): string => `http://127.0.0.1:${port}`;

  const send = (res: http.ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { ...BASE_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...extra });
    res.end(text);
  };

  const cors = (origin: string | undefined): Record<string, string> =>
    devOrigin !== undefined && origin === devOrigin ? { 'access-control-allow-origin': devOrigin, vary: 'Origin' } : {};

  const hostOk = (host: string | undefined): boolean => host === `127.0.0.1:${port}` || host === `localhost:${port}`;

  const readBody = (req: http.IncomingMessage): Promise<string | ApiFailure> =>
    new Promise((resolve) => {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > BRIDGE_BODY_LIMIT) {
        resolve(failure('BODY_TOO_LARGE', 'The request body is too large.'));
        req.resume();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > BRIDGE_BODY_LIMIT) over = true;
        else chunks.push(chunk);
      });
      req.on('end', () => resolve(over ? failure('BODY_TOO_LARGE', 'The request body is too large.') : Buffer.concat(chunks).toString('utf8')));
      req.on('error', () => resolve(failure('BAD_REQUEST', 'The request body could not be read.')));
    });

  async function call(req: http.IncomingMessage, res: http.ServerResponse, method: string): Promise<void> {
    const origin = req.headers.origin;
    if (origin !== own() && (devOrigin === undefined || origin !== devOrigin)) {
      send(res, 403, failure('FORBIDDEN_ORIGIN', 'Calls are accepted from the e-kort page only.'));
      return;
    }
    const headers = cors(origin);
    if (!tokenMatches(expected, req.headers[TOKEN_HEADER])) {
      send(res, 401, failure('BRIDGE_TOKEN_INVALID', 'The bridge token is missing or wrong. Open the URL the bridge printed.'), headers);
      return;
    }
    if (!isApiMethod(method)) {
      send(res, 404, unknownMethod(method), headers);
      return;
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const body = await readBody(req);
    if (typeof body !== 'string') {
      send(res, body.code === 'BODY_TOO_LARGE' ? 413 : 400, body, headers);
      return;
    }
    let input: unknown;
    if (body.trim() !== '') {
      if (type !== 'application/json') {
        send(res, 415, failure('UNSUPPORTED_MEDIA_TYPE', 'Send the input as application/json.'), headers);
        return;
      }
      try {
        input = JSON.parse(body);
      } catch {
        send(res, 400, failure('MALFORMED_JSON', 'The request body is not valid JSON.'), headers);
        return;
      }
    }
    const result = await dispatch(agent, method, input, (name, error) => options.log?.(`ekort bridge: unexpected error in ${name}: ${(error as Error)?.name ?? 'error'}`));
    send(res, 200, result, headers);
  }

  function events(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== own() && origin !== devOrigin) {
      send(res, 403, failure('FORBIDDEN_ORIGIN', 'Events are served to the e-kort page only.'));
      return;
    }
    const headers = cors(origin);
    if (!tokenMatches(expected, url.searchParams.get('token'))) {
      send(res, 401, failure('BRIDGE_TOKEN_INVALID', 'The bridge token is missing or wrong. Open the URL the bridge printed.'), headers);
      return;
    }
    res.writeHead(200, { ...BASE_HEADERS, ...headers, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', 'x-accel-buffering': 'no' });
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
    req.on('close', done);
    res.on('close', done);
  }

  async function staticFile(res: http.ServerResponse, url: URL): Promise<void> {
    const notFound = (): void => send(res, 404, failure('NOT_FOUND', 'There is no such page.'));
    if (!staticRoot) return notFound();
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      return send(res, 400, failure('BAD_REQUEST', 'The URL is not valid.'));
    }
    if (rel.includes('\0') || rel.includes('\\') || rel.split('/').some((seg) => seg === '..')) {
      return send(res, 403, failure('FORBIDDEN_PATH', 'That path is not served.'));
    }
    if (rel === '/' || rel === '') rel = '/index.html';
    const file = path.resolve(staticRoot, `.${rel}`);
    if (!file.startsWith(staticRoot + path.sep)) return send(res, 403, failure('FORBIDDEN_PATH', 'That path is not served.'));
    let real: string;
    try {
      real = await realpath(file);
      if (!real.startsWith(staticRoot + path.sep) || !(await stat(real)).isFile()) return notFound();
    } catch {
      return notFound();
    }
    const ext = path.extname(real).toLowerCase();
    const headers: Record<string, string> = { ...BASE_HEADERS, 'content-type': TYPES[ext] ?? 'application/octet-stream' };
    if (ext === '.html') headers['content-security-policy'] = RENDERER_CSP;
    res.writeHead(200, headers);
    createReadStream(real)
      .on('error', () => res.destroy())
      .pipe(res);
  }

  const server = http.createServer((req, res) => {
    void (async () => {
      if (!hostOk(req.headers.host)) {
        send(res, 403, failure('FORBIDDEN_HOST', 'The bridge answers to 127.0.0.1 and localhost only.'));
        return;
      }
      const url = new URL(req.url ?? '/', own());
      const callMatch = /^\/api\/call\/([^/]+)$/.exec(url.pathname);
      if (callMatch) {
        if (req.method === 'OPTIONS' && devOrigin !== undefined && req.headers.origin === devOrigin) {
          res.writeHead(204, {
            ...BASE_HEADERS,
            ...cors(devOrigin),
            'access-control-allow-methods': 'POST',
            'access-control-allow-headers': `content-type, ${TOKEN_HEADER}`,
            'access-control-max-age': '600',
          });
          res.end();
          return;
        }
        if (req.method !== 'POST') return send(res, 405, failure('METHOD_NOT_ALLOWED', 'Use POST for API calls.'), { allow: 'POST' });
        let method: string;
        try {
          method = decodeURIComponent(callMatch[1]!);
        } catch {
          method = '';
        }
        return call(req, res, method);
      }
      if (url.pathname === '/api/events') {
        if (req.method !== 'GET') return send(res, 405, failure('METHOD_NOT_ALLOWED', 'Use GET for events.'), { allow: 'GET' });
        return events(req, res, url);
      }
      if (url.pathname.startsWith('/api/')) return send(res, 404, failure('NOT_FOUND', 'There is no such API route.'));
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, failure('METHOD_NOT_ALLOWED', 'Only GET is served here.'), { allow: 'GET' });
      return staticFile(res, url);
    })().catch(() => {
      if (!res.headersSent) send(res, 500, failure('INTERNAL', 'Something went wrong in the bridge.'));
      else res.destroy();
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    port,
    origin: own(),
    token,
    url: `${own()}/?token=${token}`,
    close: async () => {
      for (const res of streams) res.end();
      streams.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
