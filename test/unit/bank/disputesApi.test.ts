/**
 * The dispute, notification and foreign-currency routes through fastify's inject, on a SQLite
 * temp-file service with reference rates: shapes, refusals, the holder's own only, OpenAPI.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as z from '../../../src/zod.ts';
import { ApiError, Dispute, Notification, Transaction } from '../../../src/bank/api/schemas.ts';
import { buildServer } from '../../../src/bank/api/server.ts';
import { Rates } from '../../../src/bank/currency.ts';
import { addPaymentCard, createCustomer, createNetworkKey, enrolDosa } from '../../../src/bank/customers.ts';
import { EkortService } from '../../../src/bank/service.ts';
import { TERMS } from '../../../src/bank/terms.ts';
import { svarskod } from '../../../src/token/dosaCodes.ts';
import type { DosaBankRecord } from '../../../src/token/index.ts';
import { createDosa } from '../../../src/virtual/dosa.ts';

let dir: string;
let service: EkortService;
let app: FastifyInstance;
let cardId: string;
let networkKey: string;
let token: string;
const dosas = [createDosa({ serial: '12345678' }), createDosa({ serial: '87654321' })];
const record = (d: (typeof dosas)[number]): DosaBankRecord => ({ serial: d.serial, suite: d.suite, secret: d.secret, kind: 'hotp', counter: 0, digits: 8, algorithm: 'sha1' });

type Call = { method: 'GET' | 'POST'; url: string; token?: string; body?: unknown };
const call = (c: Call): Promise<LightMyRequestResponse> =>
  app.inject({ method: c.method, url: c.url, headers: c.token ? { authorization: `Bearer ${c.token}` } : {}, ...(c.body === undefined ? {} : { payload: c.body as object }) });

function apiError(res: LightMyRequestResponse, status: number): ApiError {
  expect(res.statusCode, res.body).toBe(status);
  return ApiError.parse(res.json());
}

async function login(d: (typeof dosas)[number]): Promise<string> {
  const { challengeId, kontrollnummer } = (await call({ method: 'POST', url: '/v1/login/dosa/challenge', body: { serial: d.serial } })).json();
  const res = await call({ method: 'POST', url: '/v1/login/dosa', body: { challengeId, svarskod: svarskod({ key: Buffer.from(d.secret, 'base64'), suite: d.suite, kontrollnummer }) } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().token;
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-disputes-api-'));
  service = await EkortService.open(path.join(dir, 'bank.db'), {
    sweepIntervalMs: 0,
    rates: Rates.from({ date: '2026-11-20', base: 'SEK', rates: { EUR: 11.2345 } }),
  });
  const anna = await createCustomer(service.ctx, '199001012385', 'Anna Andersson');
  const sven = await createCustomer(service.ctx, '198507153990', 'Sven Svensson');
  cardId = (await addPaymentCard(service.ctx, anna.id)).id;
  await enrolDosa(service.ctx, anna.id, record(dosas[0]!));
  await enrolDosa(service.ctx, sven.id, record(dosas[1]!));
  networkKey = await createNetworkKey(service.ctx, 'test network');
  app = buildServer(service, { log: () => undefined });
  token = await login(dosas[0]!);
});
afterEach(async () => {
  await app.close();
  await service.close();
  await rm(dir, { recursive: true, force: true });
});

async function purchase(body: Record<string, unknown>): Promise<{ approved: boolean; transactionId: string; declineCode: string | null }> {
  expect((await call({ method: 'POST', url: `/v1/cards/${cardId}/connect`, token, body: { termsVersion: TERMS.version, accepted: true } })).statusCode).toBe(200);
  const created = await call({ method: 'POST', url: '/v1/enummer', token, body: { cardId, merchant: 'Webbutiken AB', recurring: true, months: 3 } });
  const { secret } = created.json();
  const res = await call({ method: 'POST', url: '/v1/network/authorizations', token: networkKey, body: { pan: secret.pan, expiry: secret.expiry, cvc: secret.cvc, merchant: 'Webbutiken AB', ...body } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

describe('POST /v1/transactions/:id/dispute, GET /v1/disputes[/:id]', () => {
  it('records an unauthorised claim: 201, the terms’ figures, the card block offered', async () => {
    const { transactionId } = await purchase({ amount: 2_000_00, sca: true });
    const res = await call({ method: 'POST', url: `/v1/transactions/${transactionId}/dispute`, token, body: { kind: 'unauthorised', description: 'Inte jag' } });
    expect(res.statusCode, res.body).toBe(201);
    const d = Dispute.parse(res.json());
    expect(d).toMatchObject({ transactionId, kind: 'unauthorised', state: 'received', liability: { maxSelfRiskOre: 400_00, reason: 'self_risk', grossNegligenceMaxOre: 2_000_00 }, offerCardBlock: true, cardId });
    const list = await call({ method: 'GET', url: '/v1/disputes', token });
    expect(list.json()).toEqual([res.json()]);
    expect((await call({ method: 'GET', url: `/v1/disputes/${d.id}`, token })).json()).toEqual(res.json());
    // The same flow blocks the card with the id it was given.
    expect((await call({ method: 'POST', url: `/v1/cards/${d.cardId}/block`, token })).json()).toMatchObject({ state: 'blocked' });
    expect((await call({ method: 'GET', url: `/v1/disputes/${d.id}`, token })).json()).not.toHaveProperty('offerCardBlock');
    expect(apiError(await call({ method: 'POST', url: `/v1/transactions/${transactionId}/dispute`, token, body: { kind: 'incorrect' } }), 409).code).toBe('ALREADY_DISPUTED');
  });

  it('refuses bad input, declined purchases, and what is not the holder’s', async () => {
    const declined = await purchase({ amount: 100_00, merchant: 'Other Shop' });
    expect(declined.approved).toBe(false);
    expect(apiError(await call({ method: 'POST', url: `/v1/transactions/${declined.transactionId}/dispute`, token, body: { kind: 'unauthorised' } }), 409).code).toBe('TRANSACTION_DECLINED');
    expect(apiError(await call({ method: 'POST', url: `/v1/transactions/${declined.transactionId}/dispute`, token, body: { kind: 'stolen' } }), 400).code).toBe('INVALID_INPUT');
    expect(apiError(await call({ method: 'POST', url: `/v1/transactions/${declined.transactionId}/dispute`, token, body: { kind: 'goods', extra: 1 } }), 400).code).toBe('INVALID_INPUT');
    expect(apiError(await call({ method: 'POST', url: `/v1/transactions/${declined.transactionId}/dispute`, body: { kind: 'goods' } }), 401).code).toBe('UNAUTHENTICATED');
    const ok = await purchase({ amount: 100_00 });
    const mine = Dispute.parse((await call({ method: 'POST', url: `/v1/transactions/${ok.transactionId}/dispute`, token, body: { kind: 'goods' } })).json());
    expect(mine.state).toBe('referred_to_merchant');
    const sven = await login(dosas[1]!);
    expect(apiError(await call({ method: 'POST', url: `/v1/transactions/${ok.transactionId}/dispute`, token: sven, body: { kind: 'unauthorised' } }), 404).code).toBe('NOT_FOUND');
    expect(apiError(await call({ method: 'GET', url: `/v1/disputes/${mine.id}`, token: sven }), 404).code).toBe('NOT_FOUND');
    expect((await call({ method: 'GET', url: '/v1/disputes', token: sven })).json()).toEqual([]);
  });
});

describe('foreign currency over the API', () => {
  it('the network sends EUR; the transaction shows both amounts and the fee; the holder gets one notice', async () => {
    const r = await purchase({ amount: 12_50, currency: 'EUR' });
    expect(r.approved).toBe(true);
    const [t] = z.array(Transaction).parse((await call({ method: 'GET', url: '/v1/transactions', token })).json().items);
    expect(t).toMatchObject({ amount: 142_75, originalAmount: 12_50, currency: 'EUR', rate: 11.2345, fee: 2_32 });
    const notices = z.array(Notification).parse((await call({ method: 'GET', url: '/v1/notifications', token })).json());
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ currency: 'EUR', markupPercent: '1.65', transactionId: r.transactionId });
    const gbp = await purchase({ amount: 12_50, currency: 'GBP' });
    expect(gbp).toMatchObject({ approved: false, declineCode: 'CURRENCY_NOT_SUPPORTED' });
    expect(apiError(await call({ method: 'POST', url: '/v1/network/authorizations', token: networkKey, body: { pan: '4556991234567890', expiry: '12/30', cvc: '123', merchant: 'X', amount: 1, currency: 'eur' } }), 400).code).toBe('INVALID_INPUT');
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await call({ method: 'GET', url: '/v1/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/transactions/{id}/dispute', '/v1/disputes', '/v1/disputes/{id}', '/v1/notifications']));
    expect(JSON.stringify(doc.components.schemas.AuthorizationResult)).toContain('CURRENCY_NOT_SUPPORTED');
    expect(doc.components.schemas.AuthorizationRequest.properties).toHaveProperty('currency');
    expect(doc.components.schemas.TransactionPage.properties.items.items.properties).toHaveProperty('fee');
  });
});
