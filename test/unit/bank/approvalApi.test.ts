/**
 * The app-login routes over HTTP (fastify inject): the desktop's start / qr / collect /
 * cancel, the app's enrol / lookup / approve, input checks, the login rate limit and the
 * OpenAPI document.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../../src/bank/api/server.ts';
import { approvalStatement, enrolmentProof, newAppKeyPair } from '../../../src/bank/approval/appWallet.ts';
import { issueEnrolmentCode } from '../../../src/bank/approval/enrolment.ts';
import { signStatement } from '../../../src/bank/approval/statement.ts';
import { createCustomer } from '../../../src/bank/customers.ts';
import { EkortService } from '../../../src/bank/service.ts';

let dir: string;
let service: EkortService;
let app: FastifyInstance;
let customerId: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-approval-api-'));
  service = await EkortService.open(path.join(dir, 'bank.db'), { sweepIntervalMs: 0 });
  customerId = (await createCustomer(service.ctx, '199001012385', 'Anna Andersson')).id;
  app = buildServer(service, { log: () => undefined });
});
afterEach(async () => {
  await app.close();
  await service.close();
  await rm(dir, { recursive: true, force: true });
});

const post = (url: string, body?: unknown) =>
  app.inject({ method: 'POST', url, ...(body === undefined ? {} : { payload: body as Record<string, unknown> }) });

describe('the app-login routes', () => {
  it('enrol, start, qr, lookup, approve, collect: a session once', async () => {
    const { code } = await issueEnrolmentCode(service.ctx, customerId);
    const keys = newAppKeyPair();
    const enrol = await post('/v1/app/enrol', { code, publicKey: keys.publicKey, proof: enrolmentProof(code, keys.publicKey, keys.privateKey), name: 'Annas telefon' });
    expect(enrol.statusCode, enrol.body).toBe(201);
    const { deviceId } = enrol.json();

    const start = await post('/v1/login/app');
    expect(start.statusCode, start.body).toBe(200);
    expect(start.headers['x-ratelimit-limit']).toBeDefined();
    const started = start.json();
    expect(Object.keys(started).sort()).toEqual(['autoStartLink', 'autoStartToken', 'expiresAt', 'orderRef', 'qr', 'qrStartToken']);
    const qr = await app.inject({ method: 'GET', url: `/v1/login/app/${started.orderRef}/qr` });
    expect(qr.json()).toEqual({ orderRef: started.orderRef, qr: expect.stringMatching(/^bankid\./) });

    const lookup = await post('/v1/app/orders/lookup', { qr: qr.json().qr });
    expect(lookup.statusCode, lookup.body).toBe(200);
    const order = lookup.json();
    const seen = { kind: 'qr' as const, value: qr.json().qr as string };
    const statement = approvalStatement({ orderRef: order.orderRef, relyingParty: order.relyingParty, visibleText: order.visibleText, seen, deviceId, time: new Date() });
    const approve = await post(`/v1/app/orders/${order.orderRef}/approve`, { deviceId, seen, time: statement.time, signature: signStatement(statement, keys.privateKey) });
    expect(approve.statusCode, approve.body).toBe(200);
    expect(approve.json()).toEqual({ orderRef: started.orderRef, status: 'complete' });

    const collect = await post(`/v1/login/app/${started.orderRef}/collect`);
    expect(collect.statusCode).toBe(200);
    expect(collect.json()).toMatchObject({ status: 'complete', phase: 'done', session: { method: 'app', token: expect.any(String) } });
    const token = collect.json().session.token;
    expect((await app.inject({ method: 'GET', url: '/v1/session', headers: { authorization: `Bearer ${token}` } })).json()).toMatchObject({ method: 'app' });
    const gone = await post(`/v1/login/app/${started.orderRef}/collect`);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().code).toBe('NOT_FOUND');
    const replay = await post(`/v1/app/orders/${order.orderRef}/approve`, { deviceId, seen, time: statement.time, signature: signStatement(statement, keys.privateKey) });
    expect(replay.statusCode).toBe(404);
  });

  it('cancels with 204; checks input; refuses a stale or foreign code', async () => {
    const started = (await post('/v1/login/app')).json();
    expect((await post(`/v1/login/app/${started.orderRef}/cancel`)).statusCode).toBe(204);
    expect((await post(`/v1/login/app/${started.orderRef}/collect`)).json()).toMatchObject({ status: 'failed', hintCode: 'cancelled', phase: 'cancelled' });
    const bad = await post('/v1/app/orders/lookup', { qr: 'x'.repeat(300) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('INVALID_INPUT');
    expect((await post('/v1/app/orders/lookup', { qr: 'bankid.a.b.c', autoStartToken: 'y'.repeat(10) })).statusCode).toBe(400);
    const unknown = await post('/v1/app/orders/lookup', { autoStartToken: '11111111-2222-3333-4444-555555555555' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().code).toBe('APPROVAL_CODE_INVALID');
    expect((await post('/v1/app/enrol', { code: 'AAAA-BBBB-CCCC-DDDD', publicKey: 'AAAA', proof: 'AAAA' })).json().code).toBe('ENROLMENT_CODE_INVALID');
  });

  it('rate limits the login routes per address', async () => {
    const tight = buildServer(service, { log: () => undefined, loginRateLimit: { max: 2, timeWindowMs: 60_000 } });
    try {
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push((await tight.inject({ method: 'POST', url: '/v1/login/app' })).statusCode);
      expect(codes).toEqual([200, 200, 429]);
    } finally {
      await tight.close();
    }
  });

  it('is in the OpenAPI document, the collect answer marked secret', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    for (const [p, m] of [
      ['/v1/login/app', 'post'],
      ['/v1/login/app/{id}/qr', 'get'],
      ['/v1/login/app/{id}/collect', 'post'],
      ['/v1/login/app/{id}/cancel', 'post'],
      ['/v1/app/enrol', 'post'],
      ['/v1/app/orders/lookup', 'post'],
      ['/v1/app/orders/{id}/approve', 'post'],
    ] as const) {
      expect(doc.paths[p]?.[m], `${m} ${p}`).toBeDefined();
    }
    expect(doc.paths['/v1/login/app/{id}/collect'].post.responses['200'].description).toContain('secrets');
    expect(doc.paths['/v1/login/app'].post.responses['429']).toBeDefined();
    expect(doc.components.schemas.Session.properties.method.enum).toContain('app');
  });
});
