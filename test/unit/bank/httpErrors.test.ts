/**
 * Every HTTP error of a started server, fastify's and node's own included (a bad URL, a URL or
 * headers too long, a request line that is not HTTP, bad JSON, a wrong content type, a body too
 * large, no such route), answers as an ApiError {code, message} with the security headers.
 * Raw sockets, so what node's HTTP parser refuses is sent as it is.
 */
import { connect } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/bank/api/schemas.ts';
import { startServer, type StartedServer } from '../../../src/bank/api/server.ts';
import { EkortService } from '../../../src/bank/service.ts';

let dir: string;
let service: EkortService;
let server: StartedServer;
let port: number;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-http-errors-'));
  service = await EkortService.open(path.join(dir, 'bank.db'), { sweepIntervalMs: 0 });
  server = await startServer(service, { port: 0, bodyLimit: 1024, log: () => undefined });
  port = Number(new URL(server.url).port);
});
afterAll(async () => {
  await server?.close();
  await service?.close();
  await rm(dir, { recursive: true, force: true });
});

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Writes `request` as it is and reads the first answer (the server may close after it). */
function raw(request: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer: ${Buffer.concat(chunks).toString('latin1').slice(0, 200)}`));
    }, 5_000);
    const finish = (): void => {
      const text = Buffer.concat(chunks).toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] ?? NaN);
      const body = text.slice(end + 4);
      if (!Number.isFinite(length) || Buffer.byteLength(body) < length) return;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, body: Buffer.from(body).subarray(0, length).toString('utf8') });
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      finish();
    });
    socket.on('error', () => undefined); // the server may reset after answering
    socket.on('close', () => {
      finish();
      clearTimeout(timer);
      reject(new Error(`closed without a full answer: ${Buffer.concat(chunks).toString('latin1').slice(0, 300)}`));
    });
    socket.write(request);
  });
}

const get = (target: string, extra = ''): string => `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Connection: close\r\n\r\n`;
const post = (target: string, type: string, body: string): string =>
  `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;

/** The answer is an ApiError with exactly {code, message} (issues allowed) and every security header. */
/** What every error answer must carry: no caching, no sniffing, no framing, nothing loaded. */
const SECURITY_HEADERS = [
  ['cache-control', 'no-store'],
  ['pragma', 'no-cache'],
  ['x-content-type-options', 'nosniff'],
  ['x-frame-options', 'DENY'],
  ['content-security-policy', "default-src 'none'; frame-ancestors 'none'"],
  ['referrer-policy', 'no-referrer'],
  ['cross-origin-resource-policy', 'same-origin'],
] as const;

function expectApiError(answer: RawAnswer, status: number, code: string): void {
  expect(answer.status, answer.body).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  const body = ApiError.parse(JSON.parse(answer.body));
  expect(body.code).toBe(code);
  expect(Object.keys(body).filter((k) => k !== 'issues').sort()).toEqual(['code', 'message']);
  for (const [header, value] of SECURITY_HEADERS) expect(answer.headers[header], header).toBe(value);
}

describe('HTTP errors of a started server', () => {
  it('a URL that does not decode: 400 BAD_URL', async () => {
    expectApiError(await raw(get('/v1/enummer/%E0%A4%A')), 400, 'BAD_URL');
    expectApiError(await raw(get('/v1/enummer/%zz/transactions')), 400, 'BAD_URL');
    expectApiError(await raw(get(`/v1/enummer/${'a'.repeat(300)}`)), 400, 'BAD_URL'); // a path parameter too long
  });

  it('a URL too long: 414 URI_TOO_LONG, below and above the header limit', async () => {
    expectApiError(await raw(get(`/v1/health?x=${'a'.repeat(9_000)}`)), 414, 'URI_TOO_LONG');
    expectApiError(await raw(get(`/v1/health?x=${'a'.repeat(40_000)}`)), 414, 'URI_TOO_LONG');
  });

  it('headers too large: 431 HEADERS_TOO_LARGE', async () => {
    expectApiError(await raw(get('/v1/health', `X-Big: ${'b'.repeat(40_000)}\r\n`)), 431, 'HEADERS_TOO_LARGE');
  });

  it('a request that is not HTTP: 400 BAD_REQUEST', async () => {
    expectApiError(await raw('HELLO THERE\r\n\r\n'), 400, 'BAD_REQUEST');
    expectApiError(await raw('GET /v1/health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'), 400, 'BAD_REQUEST');
  });

  it('bad JSON, a wrong content type, a body too large, an unknown route: each its code, all with the headers', async () => {
    expectApiError(await raw(post('/v1/login/dosa/challenge', 'application/json', '{"serial": ')), 400, 'MALFORMED_JSON');
    expectApiError(await raw(post('/v1/login/dosa/challenge', 'text/plain', 'serial=1')), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectApiError(await raw(post('/v1/login/dosa/challenge', 'application/json', JSON.stringify({ serial: '1'.repeat(2_000) }))), 413, 'BODY_TOO_LARGE');
    expectApiError(await raw(get('/nowhere')), 404, 'NOT_FOUND');
    expectApiError(await raw(post('/v1/login/dosa/challenge', 'application/json', '{"serial":"12"}')), 400, 'INVALID_INPUT');
  });

  it('still answers a good request afterwards', async () => {
    const health = await raw(get('/v1/health'));
    expect(health.status).toBe(200);
    expect(health.headers['x-frame-options']).toBe('DENY');
  });
});
