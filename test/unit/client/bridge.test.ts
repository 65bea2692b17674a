/** The browser bridge against a real listening server and a fake agent. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bridge, startBridge } from '../../../src/client/bridge/server.ts';
import { RENDERER_CSP } from '../../../src/client/csp.ts';
import { fakeAgent, type FakeAgent } from './fakeAgent.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'ekort-bridge-'));
const staticDir = path.join(root, 'renderer');
mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>e-kort</title>');
writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log(1)');
writeFileSync(path.join(root, 'secret.txt'), 'not for the browser');

let bridge: Bridge;
let agent: FakeAgent;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw request (fetch would not let the test set Host or Origin freely). */
function request(method: string, urlPath: string, options: { headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: bridge.port, method, path: urlPath, headers: { host: `127.0.0.1:${bridge.port}`, ...options.headers }, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(options.body);
  });
}

const call = (method: string, body?: unknown, headers: Record<string, string> = {}) =>
  request('POST', `/api/call/${method}`, {
    headers: { origin: bridge.origin, 'x-ekort-token': bridge.token, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });

beforeAll(async () => {
  agent = fakeAgent();
  bridge = await startBridge(agent, { staticDir, devOrigin: 'http://localhost:5173' });
});
afterAll(async () => {
  await bridge?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('the browser bridge', () => {
  it('listens on 127.0.0.1 with a 32-byte base64url token in the URL to open', () => {
    expect(bridge.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(bridge.url).toBe(`http://127.0.0.1:${bridge.port}/?token=${bridge.token}`);
  });

  it('answers a call with {ok:true,result}, no-store, and no CORS headers for its own origin', async () => {
    const answer = await call('readers');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ ok: true, result: [{ name: 'Virtual PCD 00 00', state: 'card', pinPad: false, virtual: true, source: 'pcsc' }] });
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    const withInput = await call('cardHolder', { reader: 'Virtual PCD 00 00' });
    expect(JSON.parse(withInput.body)).toEqual({ ok: true, result: { method: 'cardHolder' } });
    expect(agent.cardHolder).toHaveBeenCalledWith({ reader: 'Virtual PCD 00 00' });
  });

  it('answers an ApiFailure with HTTP 200 and {ok:false,error}', async () => {
    const answer = await call('loginWithCard', { reader: 'Virtual PCD 00 00', pin: '000000' });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ ok: false, error: { code: 'PIN_INCORRECT', message: 'Wrong PIN. 2 tries left.', retriesLeft: 2 } });
    const internal = JSON.parse((await call('terms')).body);
    expect(internal).toEqual({ ok: false, error: { code: 'INTERNAL', message: expect.any(String) } });
    expect(JSON.stringify(internal)).not.toMatch(/boom|hunter2|stack/);
  });

  it('refuses a missing or wrong token (401)', async () => {
    const missing = await request('POST', '/api/call/readers', { headers: { origin: bridge.origin } });
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.body)).toMatchObject({ code: 'BRIDGE_TOKEN_INVALID' });
    // One character changed: always to another one (a token ending in "A" made this pass by chance 1 in 64).
    const last = bridge.token.slice(-1) === 'A' ? 'B' : 'A';
    expect((await call('readers', undefined, { 'x-ekort-token': `${bridge.token.slice(0, -1)}${last}` })).status).toBe(401);
    expect((await call('readers', undefined, { 'x-ekort-token': `${bridge.token}x` })).status).toBe(401);
    expect((await request('GET', '/api/events?token=wrong')).status).toBe(401);
  });

  it('refuses a foreign Host header (DNS rebinding) with 403', async () => {
    for (const host of ['evil.example', `evil.example:${bridge.port}`, `127.0.0.1:${bridge.port + 1}`, 'localhost.evil.example', '127.0.0.1']) {
      const answer = await call('readers', undefined, { host });
      expect(answer.status, host).toBe(403);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'FORBIDDEN_HOST' });
    }
    expect((await call('readers', undefined, { host: `localhost:${bridge.port}` })).status).toBe(200);
  });

  it('refuses a foreign or missing Origin on calls (403); the dev server gets CORS', async () => {
    for (const origin of ['https://evil.example', `http://localhost:${bridge.port}`, 'null']) {
      const answer = await call('readers', undefined, { origin });
      expect(answer.status, origin).toBe(403);
      expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    }
    const noOrigin = await request('POST', '/api/call/readers', { headers: { 'x-ekort-token': bridge.token } });
    expect(noOrigin.status).toBe(403);
    const dev = await call('readers', undefined, { origin: 'http://localhost:5173' });
    expect(dev.status).toBe(200);
    expect(dev.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    const preflight = await request('OPTIONS', '/api/call/readers', { headers: { origin: 'http://localhost:5173' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-headers']).toContain('x-ekort-token');
  });

  it('answers an unknown method with 404', async () => {
    for (const method of ['nope', '__proto__', 'subscribe']) {
      const answer = await call(method);
      expect(answer.status, method).toBe(404);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'UNKNOWN_METHOD' });
    }
  });

  it('validates the input: INVALID_INPUT, never reaching the agent', async () => {
    agent.loginWithCard.mockClear();
    const answer = await call('loginWithCard', { reader: 'Virtual PCD 00 00', pin: '12' });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', issues: [{ path: 'input.pin' }] } });
    expect(agent.loginWithCard).not.toHaveBeenCalled();
  });

  it('refuses bodies that are not JSON (415, 400) or too large (413)', async () => {
    expect((await call('cardHolder', '{"reader":"x"}', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await call('cardHolder', '{"reader":', {})).status).toBe(400);
    const big = JSON.stringify({ reader: 'x'.repeat(70 * 1024) });
    const answer = await call('cardHolder', big);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'BODY_TOO_LARGE' });
  });

  it('streams agent events over SSE with the token', async () => {
    const received = await new Promise<string>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: bridge.port, path: `/api/events?token=${bridge.token}`, headers: { host: `127.0.0.1:${bridge.port}` } }, (res) => {
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
          if (text.includes(': connected')) agent.emit({ type: 'token-touch', waiting: true });
          if (text.includes('data: ')) {
            req.destroy();
            resolve(text);
          }
        });
      });
      req.on('error', (e) => (e.message.includes('aborted') ? undefined : reject(e)));
      setTimeout(() => reject(new Error('no event within 5 s')), 5000).unref();
    });
    expect(received).toContain('data: {"type":"token-touch","waiting":true}\n\n');
    // The stream's subscription goes when the browser disconnects.
    const deadline = Date.now() + 2000;
    while (agent.listeners.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(agent.listeners.size).toBe(0);
  });

  it('serves the renderer with its CSP, and nothing outside it', async () => {
    const index = await request('GET', `/?token=${bridge.token}`);
    expect(index.status).toBe(200);
    expect(index.body).toContain('<title>e-kort</title>');
    expect(index.headers['content-security-policy']).toBe(RENDERER_CSP);
    expect(index.headers['cache-control']).toBe('no-store');
    const js = await request('GET', '/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect((await request('GET', '/assets/')).status).toBe(404); // no directory listing
    expect((await request('GET', '/missing.js')).status).toBe(404);
    const undecodable = await request('GET', '/%E0');
    expect(undecodable.status).toBe(400);
    expect(JSON.parse(undecodable.body)).toMatchObject({ code: 'BAD_REQUEST' });
    expect(undecodable.headers['cache-control']).toBe('no-store');
    for (const p of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e%2f%2e%2e%2fsecret.txt', '/..%5csecret.txt']) {
      const answer = await request('GET', p);
      expect([403, 404], p).toContain(answer.status);
      expect(answer.body, p).not.toContain('not for the browser');
    }
  });
});
