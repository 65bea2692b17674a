/**
 * The HTTP API through fastify's inject, on a SQLite temp-file service with a test clock:
 * every route's happy path, its main refusals, the hostile-input edge and the OpenAPI document.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ROUTES } from '../../../src/bank/api/routes.ts';
import { ApiError, AppEnrolRequest, DisputeRequest } from '../../../src/bank/api/schemas.ts';
import { buildServer, type ServerOptions } from '../../../src/bank/api/server.ts';
import { REVEAL_FRESH_MS } from '../../../src/bank/context.ts';
import { addPaymentCard, createCustomer, createNetworkKey, enrolDosa } from '../../../src/bank/customers.ts';
import { EkortService } from '../../../src/bank/service.ts';
import { TERMS } from '../../../src/bank/terms.ts';
import { Rates } from '../../../src/bank/currency.ts';
import { InProcessTransport } from '../../../src/pcsc/inProcessTransport.ts';
import { PivSession } from '../../../src/piv/pivSession.ts';
import { pivSigner } from '../../../src/piv/pivSigner.ts';
import { signChallenge } from '../../../src/pki/loginSignature.ts';
import { initTestPki, issuerFor, loadTestPki } from '../../../src/pki/testPki.ts';
import { svarskod } from '../../../src/token/dosaCodes.ts';
import { loginCode } from '../../../src/token/dosaCodes.ts';
import { createCardImage, type CardImage } from '../../../src/virtual/cardImage.ts';
import type { DosaBankRecord } from '../../../src/token/index.ts';
import { createDosa } from '../../../src/virtual/dosa.ts';
import { VirtualPivCard } from '../../../src/virtual/pivCard.ts';

const PERSONNUMMER = '199001012385';
let pkiDir: string;
let cardImage: CardImage;
let dir: string;
let clock: { t: number };
let service: EkortService;
let app: FastifyInstance;
let logs: string[];
let cardId: string;
let networkKey: string;
const dosa = createDosa({ serial: '12345678' });
const record: DosaBankRecord = { serial: dosa.serial, suite: dosa.suite, secret: dosa.secret, kind: 'hotp', counter: 0, digits: 8, algorithm: 'sha1' };

beforeAll(async () => {
  pkiDir = await mkdtemp(path.join(os.tmpdir(), 'ekort-api-pki-'));
  await initTestPki(pkiDir);
  cardImage = await createCardImage({ name: 'Anna Andersson', personnummer: PERSONNUMMER, keyType: 'p256', issue: issuerFor(pkiDir) });
});
afterAll(async () => {
  await rm(pkiDir, { recursive: true, force: true });
});

async function newService(): Promise<EkortService> {
  const pki = await loadTestPki(pkiDir);
  return EkortService.open(path.join(dir, 'bank.db'), {
    now: () => clock.t,
    sweepIntervalMs: 0,
    trust: { trustAnchors: [pki.root], intermediates: pki.intermediates, crls: pki.crls },
  });
}

function newApp(options: ServerOptions = {}): FastifyInstance {
  return buildServer(service, { log: (line) => logs.push(line), ...options });
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-api-'));
  clock = { t: Date.now() };
  logs = [];
  service = await newService();
  const customer = await createCustomer(service.ctx, PERSONNUMMER, 'Anna Andersson');
  cardId = (await addPaymentCard(service.ctx, customer.id)).id;
  await enrolDosa(service.ctx, customer.id, record);
  networkKey = await createNetworkKey(service.ctx, 'test network');
  app = newApp();
});
afterEach(async () => {
  await app?.close();
  await service?.close();
  await rm(dir, { recursive: true, force: true });
});

type Call = { method: 'GET' | 'POST' | 'DELETE'; url: string; token?: string; body?: unknown; headers?: Record<string, string> };

async function call(c: Call, on: FastifyInstance = app): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...(c.token ? { authorization: `Bearer ${c.token}` } : {}), ...c.headers };
  return on.inject({ method: c.method, url: c.url, headers, ...(c.body === undefined ? {} : { payload: c.body as object }) });
}

/** The ApiError of a refusal, checked to be one. */
function apiError(res: LightMyRequestResponse, status: number): ApiError {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = ApiError.parse(res.json());
  expect(res.body).not.toMatch(/\bat \S+ \(|node_modules|\.ts:\d+/); // no stack traces
  return body;
}

async function dosaLogin(on: FastifyInstance = app): Promise<string> {
  const challenge = await call({ method: 'POST', url: '/v1/login/dosa/challenge', body: { serial: dosa.serial } }, on);
  expect(challenge.statusCode, challenge.body).toBe(200);
  const { challengeId, kontrollnummer } = challenge.json();
  const answer = svarskod({ key: Buffer.from(dosa.secret, 'base64'), suite: dosa.suite, kontrollnummer });
  const login = await call({ method: 'POST', url: '/v1/login/dosa', body: { challengeId, svarskod: answer } }, on);
  expect(login.statusCode, login.body).toBe(200);
  return login.json().token;
}

async function connectedCardAndEnummer(token: string): Promise<{ enummerId: string; pan: string; expiry: string; cvc: string }> {
  expect((await call({ method: 'POST', url: `/v1/cards/${cardId}/connect`, token, body: { termsVersion: TERMS.version, accepted: true } })).statusCode).toBe(200);
  const created = await call({ method: 'POST', url: '/v1/enummer', token, body: { cardId, merchant: 'Webbutiken AB', recurring: true, months: 3 } });
  expect(created.statusCode, created.body).toBe(201);
  const { secret } = created.json();
  return { enummerId: secret.id, pan: secret.pan, expiry: secret.expiry, cvc: secret.cvc };
}

describe('service routes', () => {
  it('health names the rates in use and whether they are older than the last banking day', async () => {
    clock.t = Date.UTC(2026, 10, 24, 9, 0); // Tuesday 24 November 2026
    const rated = await EkortService.open(path.join(dir, 'rated.db'), { now: () => clock.t, sweepIntervalMs: 0, rates: Rates.from({ date: '2026-11-20', rates: { EUR: 11.2345 } }) });
    const rateApp = buildServer(rated, { log: () => undefined });
    try {
      expect((await rateApp.inject({ method: 'GET', url: '/v1/health' })).json()).toMatchObject({ rates: { date: '2026-11-20', stale: true } });
      clock.t = Date.UTC(2026, 10, 23, 9, 0); // the Monday after: Friday's rates are the newest
      expect((await rateApp.inject({ method: 'GET', url: '/v1/health' })).json()).toMatchObject({ rates: { date: '2026-11-20', stale: false } });
    } finally {
      await rateApp.close();
      await rated.close();
    }
  });

  it('answers health and terms, with no-store and the security headers on every answer', async () => {
    const health = await call({ method: 'GET', url: '/v1/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: 'ok', serviceId: 'ekort-reference', time: new Date(clock.t).toISOString() });
    expect(health.json()).not.toHaveProperty('rates');
    const terms = await call({ method: 'GET', url: '/v1/terms' });
    expect(terms.json()).toEqual({ ...TERMS, effectiveFrom: null, upcoming: null });
    const missing = await call({ method: 'GET', url: '/v1/nothing-here' });
    for (const res of [health, terms, missing]) {
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
    expect(health.headers['strict-transport-security']).toBeUndefined(); // plain HTTP here
  });
});

describe('login', () => {
  it('logs in with the dosa (kontrollnummer + svarskod); the token opens the session; logout ends it', async () => {
    const token = await dosaLogin();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const info = await call({ method: 'GET', url: '/v1/session', token });
    expect(info.statusCode).toBe(200);
    expect(info.json()).toEqual({ customer: { name: 'Anna Andersson', personnummer: PERSONNUMMER }, method: 'dosa', authenticatedAt: new Date(clock.t).toISOString(), idleTimeoutSeconds: 900 });
    expect(info.body).not.toContain(token);

    const out = await call({ method: 'DELETE', url: '/v1/session', token });
    expect(out.statusCode).toBe(204);
    expect(out.body).toBe('');
    expect(apiError(await call({ method: 'GET', url: '/v1/session', token }), 401).code).toBe('SESSION_EXPIRED');
    expect((await call({ method: 'DELETE', url: '/v1/session', token })).statusCode).toBe(204); // idempotent
    expect(apiError(await call({ method: 'DELETE', url: '/v1/session' }), 401).code).toBe('UNAUTHENTICATED');
  });

  it('refuses a wrong svarskod with the tries left, and a used challenge', async () => {
    const { challengeId } = (await call({ method: 'POST', url: '/v1/login/dosa/challenge', body: { serial: dosa.serial } })).json();
    const wrong = apiError(await call({ method: 'POST', url: '/v1/login/dosa', body: { challengeId, svarskod: '0000 0000' } }), 401);
    expect(wrong).toMatchObject({ code: 'DOSA_CODE_WRONG', triesLeft: 4 });
    const again = apiError(await call({ method: 'POST', url: '/v1/login/dosa', body: { challengeId, svarskod: '00000000' } }), 409);
    expect(again.code).toBe('CHALLENGE_REPLAYED');
    expect(apiError(await call({ method: 'POST', url: '/v1/login/dosa/challenge', body: { serial: '999999' } }), 403).code).toBe('DOSA_UNKNOWN');
  });

  it('logs in with the dosa login code once; the same code again is refused', async () => {
    const code = loginCode({ kind: 'hotp', secret: Buffer.from(dosa.secret, 'base64'), counter: 0 });
    const login = await call({ method: 'POST', url: '/v1/login/dosa/code', body: { serial: dosa.serial, code } });
    expect(login.statusCode, login.body).toBe(200);
    expect(login.json()).toMatchObject({ method: 'dosa-code', customer: { personnummer: PERSONNUMMER } });
    expect(apiError(await call({ method: 'POST', url: '/v1/login/dosa/code', body: { serial: dosa.serial, code } }), 409).code).toBe('CHALLENGE_REPLAYED');
  });

  it('logs in with BankID på kort: the card signs the challenge, the CMS goes up as base64', async () => {
    const res = await call({ method: 'POST', url: '/v1/login/card/challenge' });
    expect(res.statusCode, res.body).toBe(200);
    const { challengeId, challenge } = res.json();
    const piv = await PivSession.open(new InProcessTransport(new VirtualPivCard(structuredClone(cardImage))));
    await piv.verifyPin('123456');
    const cms = await signChallenge(new Uint8Array(Buffer.from(challenge, 'base64')), await pivSigner(piv, '9a'));
    const body = { challengeId, cms: Buffer.from(cms).toString('base64') };
    const login = await call({ method: 'POST', url: '/v1/login/card', body });
    expect(login.statusCode, login.body).toBe(200);
    expect(login.json()).toMatchObject({ method: 'card', customer: { name: 'Anna Andersson' } });
    const info = await call({ method: 'GET', url: '/v1/session', token: login.json().token });
    expect(info.json().method).toBe('card');
    expect(apiError(await call({ method: 'POST', url: '/v1/login/card', body }), 409).code).toBe('CHALLENGE_REPLAYED');

    // A signature over other bytes is refused with the verifier's reason.
    const other = (await call({ method: 'POST', url: '/v1/login/card/challenge' })).json();
    const refused = apiError(await call({ method: 'POST', url: '/v1/login/card', body: { challengeId: other.challengeId, cms: body.cms } }), 401);
    expect(refused.code).toBe('WRONG_CHALLENGE');
  });

  it('refuses calls without a valid session token with 401 UNAUTHENTICATED', async () => {
    for (const url of ['/v1/session', '/v1/cards', '/v1/enummer', '/v1/transactions', '/v1/enummer/abcdefgh12345678']) {
      expect(apiError(await call({ method: 'GET', url }), 401).code).toBe('UNAUTHENTICATED');
      expect(apiError(await call({ method: 'GET', url, token: 'A'.repeat(43) }), 401).code).toBe('UNAUTHENTICATED');
      expect(apiError(await call({ method: 'GET', url, headers: { authorization: 'Basic Zm9vOmJhcg==' } }), 401).code).toBe('UNAUTHENTICATED');
    }
  });
});

describe('cards and e-nummer', () => {
  it('lists, connects (after the terms) and blocks a card', async () => {
    const token = await dosaLogin();
    const cards = await call({ method: 'GET', url: '/v1/cards', token });
    expect(cards.json()).toEqual([expect.objectContaining({ id: cardId, connected: false, state: 'active' })]);
    expect(cards.body).not.toMatch(/455699\d{10}/); // never the full card number

    const outdated = apiError(await call({ method: 'POST', url: `/v1/cards/${cardId}/connect`, token, body: { termsVersion: '1999-01', accepted: true } }), 409);
    expect(outdated.code).toBe('TERMS_OUTDATED');
    const notAccepted = apiError(await call({ method: 'POST', url: `/v1/cards/${cardId}/connect`, token, body: { termsVersion: TERMS.version, accepted: false } }), 400);
    expect(notAccepted.code).toBe('INVALID_INPUT');
    expect(notAccepted.issues).toEqual([expect.objectContaining({ path: 'body.accepted' })]);

    const connected = await call({ method: 'POST', url: `/v1/cards/${cardId}/connect`, token, body: { termsVersion: TERMS.version, accepted: true } });
    expect(connected.json()).toMatchObject({ id: cardId, connected: true, termsVersion: TERMS.version });
    const blocked = await call({ method: 'POST', url: `/v1/cards/${cardId}/block`, token });
    expect(blocked.statusCode).toBe(200);
    expect(blocked.json()).toMatchObject({ state: 'blocked' });
    expect(apiError(await call({ method: 'POST', url: '/v1/cards/abcdefgh12345678/block', token }), 404).code).toBe('NOT_FOUND');
  });

  it('creates, lists, shows, reveals, pauses, resumes and closes an e-nummer', async () => {
    const token = await dosaLogin();
    const { enummerId, pan } = await connectedCardAndEnummer(token);
    expect(pan).toMatch(/^\d{16}$/);

    const list = await call({ method: 'GET', url: '/v1/enummer', token });
    expect(list.json()).toEqual([expect.objectContaining({ id: enummerId, last4: pan.slice(-4), merchant: 'Webbutiken AB', state: 'open', kind: 'recurring', months: 3 })]);
    expect(list.body).not.toContain(pan);
    const one = await call({ method: 'GET', url: `/v1/enummer/${enummerId}`, token });
    expect(one.json()).toMatchObject({ id: enummerId, state: 'open' });
    expect(one.body).not.toContain(pan);

    const reveal = await call({ method: 'POST', url: `/v1/enummer/${enummerId}/reveal`, token });
    expect(reveal.statusCode).toBe(200);
    expect(reveal.json()).toMatchObject({ id: enummerId, pan });

    const paused = await call({ method: 'POST', url: `/v1/enummer/${enummerId}/pause`, token });
    expect(paused.json().state).toBe('paused');
    expect((await call({ method: 'GET', url: '/v1/enummer?state=paused', token })).json()).toHaveLength(1);
    expect((await call({ method: 'GET', url: '/v1/enummer?state=open', token })).json()).toHaveLength(0);
    expect(apiError(await call({ method: 'POST', url: `/v1/enummer/${enummerId}/pause`, token }), 409).code).toBe('STATE_CONFLICT');
    expect((await call({ method: 'POST', url: `/v1/enummer/${enummerId}/resume`, token })).json().state).toBe('open');
    const closed = await call({ method: 'POST', url: `/v1/enummer/${enummerId}/close`, token });
    expect(closed.json()).toMatchObject({ state: 'closed', closeReason: 'closed_by_holder' });
    expect(apiError(await call({ method: 'POST', url: `/v1/enummer/${enummerId}/resume`, token }), 409).code).toBe('STATE_CONFLICT');

    expect(apiError(await call({ method: 'GET', url: '/v1/enummer/abcdefgh12345678', token }), 404).code).toBe('NOT_FOUND');
    const badId = apiError(await call({ method: 'GET', url: '/v1/enummer/x!', token }), 400);
    expect(badId.issues).toEqual([expect.objectContaining({ path: 'params.id' })]);
    const badState = apiError(await call({ method: 'GET', url: '/v1/enummer?state=lost', token }), 400);
    expect(badState.issues).toEqual([expect.objectContaining({ path: 'query.state' })]);
    expect(apiError(await call({ method: 'POST', url: `/v1/enummer/${enummerId}/explode`, token }), 404).code).toBe('NOT_FOUND');
  });

  it('refuses a create body that breaks the contract, naming each field', async () => {
    const token = await dosaLogin();
    const res = apiError(await call({ method: 'POST', url: '/v1/enummer', token, body: { cardId: 'short', merchant: 'x'.repeat(101), months: 99, colour: 'red' } }), 400);
    expect(res.code).toBe('INVALID_INPUT');
    const paths = res.issues!.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['body.cardId', 'body.merchant', 'body.months']));
    expect(res.issues!.some((i) => /colour/.test(i.message))).toBe(true);
    const single = apiError(await call({ method: 'POST', url: '/v1/enummer', token, body: { cardId, merchant: 'Shop', months: 3 } }), 400);
    expect(single.issues).toEqual([expect.objectContaining({ path: 'body.months' })]);
    const noBody = apiError(await call({ method: 'POST', url: '/v1/enummer', token }), 400);
    expect(noBody.message).toMatch(/JSON body/);
  });

  it('reveals only within 5 minutes of the login: 403 REAUTH_REQUIRED after 6', async () => {
    const token = await dosaLogin();
    const { enummerId } = await connectedCardAndEnummer(token);
    clock.t += REVEAL_FRESH_MS - 1000;
    expect((await call({ method: 'POST', url: `/v1/enummer/${enummerId}/reveal`, token })).statusCode).toBe(200);
    clock.t += 61_000; // 6 minutes after the login; the session itself is still alive
    const refused = apiError(await call({ method: 'POST', url: `/v1/enummer/${enummerId}/reveal`, token }), 403);
    expect(refused.code).toBe('REAUTH_REQUIRED');
    expect(refused.message).not.toMatch(/\d{16}/);
    expect((await call({ method: 'GET', url: `/v1/enummer/${enummerId}`, token })).statusCode).toBe(200);
    // A new login makes it possible again.
    const again = await dosaLogin();
    expect((await call({ method: 'POST', url: `/v1/enummer/${enummerId}/reveal`, token: again })).statusCode).toBe(200);
  });

  it('never sends fields the response schema does not name', async () => {
    const token = await dosaLogin();
    const { enummerId } = await connectedCardAndEnummer(token);
    const real = service.enummer.bind(service);
    vi.spyOn(service, 'enummer').mockImplementation(async (s, id) => ({ ...(await real(s, id)), pan: '4571000000000001', cvc: '123' }) as never);
    const res = await call({ method: 'GET', url: `/v1/enummer/${enummerId}`, token });
    expect(res.statusCode).toBe(200);
    expect(res.json().id).toBe(enummerId);
    expect(res.body).not.toContain('4571000000000001');
    expect(res.json()).not.toHaveProperty('cvc');
  });
});

describe('the card network', () => {
  it('authorizes with the network key; the holder sees the transaction', async () => {
    const token = await dosaLogin();
    const { enummerId, pan, expiry, cvc } = await connectedCardAndEnummer(token);
    const request = { pan, expiry, cvc, merchant: 'Webbutiken AB', amount: 129_00, requestId: 'net-1' };
    const ok = await call({ method: 'POST', url: '/v1/network/authorizations', token: networkKey, body: request });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ approved: true, declineCode: null });
    expect(ok.headers['x-ratelimit-limit']).toBeUndefined(); // not rate limited
    const declined = await call({ method: 'POST', url: '/v1/network/authorizations', token: networkKey, body: { ...request, cvc: cvc === '000' ? '001' : '000', requestId: 'net-2' } });
    expect(declined.json()).toMatchObject({ approved: false, declineCode: 'CVC_MISMATCH' });

    const mine = await call({ method: 'GET', url: `/v1/enummer/${enummerId}/transactions`, token });
    expect(mine.json().items.map((t: { decision: string }) => t.decision).sort()).toEqual(['approved', 'declined']);
    expect(mine.json().nextCursor).toBeNull();
    expect(mine.body).not.toContain(pan);
    expect((await call({ method: 'GET', url: '/v1/transactions', token })).json().items).toHaveLength(2);
    const first = (await call({ method: 'GET', url: '/v1/transactions?limit=1', token })).json();
    expect(first.items).toHaveLength(1);
    const second = (await call({ method: 'GET', url: `/v1/transactions?limit=1&cursor=${first.nextCursor}`, token })).json();
    expect(second).toEqual({ items: [expect.any(Object)], nextCursor: null });
    expect([first.items[0].decision, second.items[0].decision].sort()).toEqual(['approved', 'declined']);
    for (const query of ['limit=0', 'limit=1001', 'limit=x', 'cursor=bm9wZQ', 'cursor=%2F%2F']) {
      const bad = apiError(await call({ method: 'GET', url: `/v1/transactions?${query}`, token }), 400);
      expect(bad.code).toBe('INVALID_INPUT');
      expect(bad.issues![0]!.path).toMatch(/^query\.(limit|cursor)$/);
    }
  });

  it('refuses a missing or wrong network key, and a session token in its place, with 401 NETWORK_KEY_INVALID', async () => {
    const token = await dosaLogin();
    const body = { pan: '4571000000000001', expiry: '12/30', cvc: '123', merchant: 'X', amount: 100 };
    for (const key of [undefined, 'nk_wrong', token]) {
      const res = apiError(await call({ method: 'POST', url: '/v1/network/authorizations', ...(key ? { token: key } : {}), body }), 401);
      expect(res.code).toBe('NETWORK_KEY_INVALID');
    }
    // The network key is no session token either.
    expect(apiError(await call({ method: 'GET', url: '/v1/cards', token: networkKey }), 401).code).toBe('UNAUTHENTICATED');
  });
});

describe('hostile input', () => {
  it('answers an oversized body with 413 BODY_TOO_LARGE', async () => {
    const res = await call({ method: 'POST', url: '/v1/login/dosa', body: JSON.stringify({ challengeId: 'x'.repeat(200_000), svarskod: '1' }), headers: { 'content-type': 'application/json' } });
    expect(apiError(res, 413).code).toBe('BODY_TOO_LARGE');
    const small = newApp({ bodyLimit: 64 });
    try {
      expect(apiError(await call({ method: 'POST', url: '/v1/login/dosa/challenge', body: { serial: '1'.repeat(100) } }, small), 413).code).toBe('BODY_TOO_LARGE');
    } finally {
      await small.close();
    }
  });

  it('answers a body that is not JSON with 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
      const res = await call({ method: 'POST', url: '/v1/login/dosa/challenge', body: 'serial=12345678', headers: { 'content-type': type } });
      expect(apiError(res, 415).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('answers malformed JSON with 400 MALFORMED_JSON, and prototype poisoning too', async () => {
    for (const payload of ['{"serial": "1234', '{serial: 1}', '[1,]', '{"__proto__": {"admin": true}, "serial": "12345678"}']) {
      const res = await call({ method: 'POST', url: '/v1/login/dosa/challenge', body: payload, headers: { 'content-type': 'application/json' } });
      const error = apiError(res, 400);
      expect(error.code).toBe('MALFORMED_JSON');
    }
    // JSON that is not an object is a contract error with issues.
    const notObject = apiError(await call({ method: 'POST', url: '/v1/login/dosa/challenge', body: '"12345678"', headers: { 'content-type': 'application/json' } }), 400);
    expect(notObject).toMatchObject({ code: 'INVALID_INPUT', issues: [expect.objectContaining({ path: 'body' })] });
  });

  it('answers unknown routes and methods with a JSON 404', async () => {
    for (const [method, url] of [
      ['GET', '/'],
      ['GET', '/v2/health'],
      ['DELETE', '/v1/cards'],
      ['GET', '/v1/login/card'],
    ] as const) {
      expect(apiError(await call({ method, url }), 404).code).toBe('NOT_FOUND');
    }
  });

  it('refuses control characters in free text with INVALID_INPUT, one issue per field', async () => {
    const token = await dosaLogin();
    await connectedCardAndEnummer(token);
    for (const bad of ['Shop\u0000', 'Shop\u001b[2J', 'Sh\top', 'Shop\nX', 'Shop\u007f', 'Shop\u009b31m', 'Shop\u202egnp.exe', 'Shop\u2066', 'Shop\u200f', 'Shop\u061c']) {
      const res = apiError(await call({ method: 'POST', url: '/v1/enummer', token, body: { cardId, merchant: bad, nickname: `My ${bad}` } }), 400);
      expect(res.code).toBe('INVALID_INPUT');
      expect(res.issues!.map((i) => i.path).sort()).toEqual(['body.merchant', 'body.nickname']);
      expect(res.issues![0]!.message).toMatch(/control character \(\\(x|u)[0-9a-f]+\)/);
    }
    const network = { pan: '4571000000000001', expiry: '12/30', cvc: '123', merchant: 'Evil\u001b]0;pwned\u0007', amount: 100, requestId: 'r\u0000' };
    const refused = apiError(await call({ method: 'POST', url: '/v1/network/authorizations', token: networkKey, body: network }), 400);
    expect(refused.issues!.map((i) => i.path).sort()).toEqual(['body.merchant', 'body.requestId']);
    // A lone surrogate is no character: refused, in a request id too (stored, it would turn into U+FFFD).
    const lone = apiError(await call({ method: 'POST', url: '/v1/network/authorizations', token: networkKey, body: { ...network, merchant: 'Shop\ud800', requestId: 'r\udc00x' } }), 400);
    expect(lone.issues!.map((i) => i.path).sort()).toEqual(['body.merchant', 'body.requestId']);
    expect(lone.issues![0]!.message).toMatch(/lone UTF-16 surrogate \(\\u(d800|dc00)\)/);
    // Text without controls (letters of any script, emoji) still goes through.
    const fine = await call({ method: 'POST', url: '/v1/enummer', token, body: { cardId, merchant: 'Åhléns – Café 北京 😀', nickname: 'Mat' } });
    expect(fine.statusCode, fine.body).toBe(201);
  });

  it('takes line breaks, and no other control, in a dispute description only', () => {
    expect(DisputeRequest.safeParse({ kind: 'goods', description: 'Line one\nline two' }).success).toBe(true);
    for (const bad of ['a\tb', 'a\r\nb', 'a\u001bb', 'a\u202eb', 'a\u0085b']) {
      const result = DisputeRequest.safeParse({ kind: 'goods', description: bad });
      expect(result.success).toBe(false);
      expect(result.error!.issues.map((i) => i.path.join('.'))).toEqual(['description']);
    }
    expect(AppEnrolRequest.shape.name.safeParse('Phone\nSecond line').success).toBe(false);
  });

  it('escapes control characters in its log lines', async () => {
    const token = await dosaLogin();
    vi.spyOn(service, 'paymentCards').mockRejectedValue(new TypeError('bad name \u001b[2J\u202e\nfake line'));
    apiError(await call({ method: 'GET', url: '/v1/cards', token }), 500);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain('bad name \\x1b[2J\\u202e\\x0afake line');
    // eslint-disable-next-line no-control-regex -- looking for raw controls
    expect(logs[0]).not.toMatch(/[\u0000-\u001f\u202e]/);
  });

  it('answers an unexpected failure with 500 INTERNAL and no detail, logged without secrets', async () => {
    const token = await dosaLogin();
    vi.spyOn(service, 'paymentCards').mockRejectedValue(new TypeError('cannot read pan 4571000000000001 of undefined'));
    const res = await call({ method: 'GET', url: '/v1/cards', token });
    const error = apiError(res, 500);
    expect(error).toEqual({ code: 'INTERNAL', message: expect.any(String) });
    expect(res.body).not.toContain('4571');
    expect(res.body).not.toContain('TypeError');
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain('INTERNAL 500 on GET /v1/cards: TypeError');
    expect(logs[0]).not.toContain(token);
    // An expected refusal is not logged.
    await call({ method: 'GET', url: '/v1/cards' });
    expect(logs).toHaveLength(1);
  });
});

describe('rate limits', () => {
  it('limits each login route per address (default 30 a minute) with 429 RATE_LIMITED', async () => {
    for (let i = 0; i < 30; i++) {
      const res = await call({ method: 'POST', url: '/v1/login/dosa/challenge', body: { serial: dosa.serial } });
      expect(res.statusCode).toBe(200);
    }
    const limited = await call({ method: 'POST', url: '/v1/login/dosa/challenge', body: { serial: dosa.serial } });
    const error = apiError(limited, 429);
    expect(error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Per route: another login route still answers; another address too.
    expect((await call({ method: 'POST', url: '/v1/login/card/challenge' })).statusCode).toBe(200);
    const elsewhere = await app.inject({ method: 'POST', url: '/v1/login/dosa/challenge', payload: { serial: dosa.serial }, remoteAddress: '10.1.2.3' });
    expect(elsewhere.statusCode).toBe(200);
  });

  it('takes a configured limit, and none when turned off', async () => {
    const strict = newApp({ loginRateLimit: { max: 2, timeWindowMs: 60_000 } });
    const open = newApp({ loginRateLimit: false });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 3; i++) codes.push((await call({ method: 'POST', url: '/v1/login/dosa/code', body: { serial: '999999', code: '12345678' } }, strict)).statusCode);
      expect(codes).toEqual([403, 403, 429]);
      for (let i = 0; i < 40; i++) expect((await call({ method: 'POST', url: '/v1/login/card/challenge' }, open)).statusCode).toBe(200);
    } finally {
      await strict.close();
      await open.close();
    }
  });

  it('does not limit the network endpoint by default', async () => {
    const tight = newApp({ loginRateLimit: { max: 1, timeWindowMs: 60_000 } });
    try {
      const body = { pan: '4571000000000001', expiry: '12/30', cvc: '123', merchant: 'X', amount: 100 };
      for (let i = 0; i < 50; i++) {
        const res = await call({ method: 'POST', url: '/v1/network/authorizations', token: networkKey, body }, tight);
        expect(res.json()).toMatchObject({ approved: false, declineCode: 'UNKNOWN_NUMBER' });
      }
    } finally {
      await tight.close();
    }
  });
});

describe('OpenAPI', () => {
  it('serves an OpenAPI 3.1 document listing every route with its schemas and auth', async () => {
    const res = await call({ method: 'GET', url: '/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = JSON.parse(res.body);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes).toMatchObject({ session: { type: 'http', scheme: 'bearer' }, networkKey: { type: 'http', scheme: 'bearer' } });
    const operations = Object.values(doc.paths as Record<string, Record<string, unknown>>).flatMap((p) => Object.keys(p));
    expect(operations).toHaveLength(ROUTES.length + 1); // + the document itself

    for (const route of ROUTES) {
      const op = doc.paths[route.path.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()];
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      expect(op.operationId).toBe(route.operationId);
      expect(op.security).toEqual(route.tag === 'phone' ? [{ ivrKey: [] }] : route.auth === 'none' ? [] : route.auth === 'network' ? [{ networkKey: [] }] : [{ session: [] }]);
      expect(op.responses[String(route.status)]).toBeDefined();
      expect(op.responses['500'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ApiError' });
      if (route.body) expect(op.requestBody.content['application/json'].schema).toBeDefined();
      if (route.params) expect(op.parameters.filter((p: { in: string }) => p.in === 'path')).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
    }
    // Every $ref resolves.
    const refs = [...res.body.matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) expect(doc.components.schemas[ref], ref).toBeDefined();

    // The schemas are the zod ones: e.g. the create request and the login answer.
    const create = doc.components.schemas.CreateEnummerRequest;
    expect(create.required).toEqual(['cardId']); // no merchant: the first one that uses it owns it
    expect(create.properties.merchant.default).toBe('');
    expect(create.required).not.toContain('recurring'); // it has a default
    expect(create.additionalProperties).toBe(false);
    expect(create.properties.months).toMatchObject({ type: 'integer', minimum: 1, maximum: 24 });
    expect(doc.components.schemas.Session.required).toContain('token');
    expect(doc.paths['/v1/enummer'].get.parameters).toEqual([expect.objectContaining({ name: 'state', in: 'query', required: false })]);
    expect(doc.paths['/v1/transactions'].get.parameters).toEqual([
      expect.objectContaining({ name: 'limit', in: 'query', required: false, schema: expect.objectContaining({ maximum: 1000, default: 100 }) }),
      expect.objectContaining({ name: 'cursor', in: 'query', required: false }),
    ]);
    expect(doc.paths['/v1/login/dosa'].post.responses['429']).toBeDefined();
    expect(doc.paths['/v1/network/authorizations'].post.responses['429']).toBeUndefined();
  });
});
