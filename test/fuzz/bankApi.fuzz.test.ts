/**
 * Every route of the HTTP API through a real in-process fastify instance (`app.inject`), with
 * hostile bodies: random JSON shaped like the route's schema, random JSON of any shape, random
 * bytes sent as JSON, random path parameters and query strings. Whatever comes in, the answer
 * is a success or a 4xx in the ApiError format: never a 500, never an unexpected-error log line.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import * as z from '../../src/zod.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RouteDef, ROUTES } from '../../src/bank/api/routes.ts';
import { ApiError } from '../../src/bank/api/schemas.ts';
import { buildServer } from '../../src/bank/api/server.ts';
import { addPaymentCard, createCustomer, createNetworkKey, enrolDosa } from '../../src/bank/customers.ts';
import { EkortService } from '../../src/bank/service.ts';
import { TERMS } from '../../src/bank/terms.ts';
import { svarskod } from '../../src/token/dosaCodes.ts';
import type { DosaBankRecord } from '../../src/token/index.ts';
import { createDosa } from '../../src/virtual/dosa.ts';
import { testPki } from '../unit/pki/pkiFixtures.ts';
import { params, TEST_TIMEOUT } from './fuzzing.ts';

const PERSONNUMMER = '199001012385';
const dosa = createDosa({ serial: '12345678' });
const record: DosaBankRecord = { serial: dosa.serial, suite: dosa.suite, secret: dosa.secret, kind: 'hotp', counter: 0, digits: 8, algorithm: 'sha1' };

let dir: string;
let service: EkortService;
let app: FastifyInstance;
let cardId: string;
let networkKey: string;
const logs: string[] = [];

beforeAll(async () => {
  const pki = await testPki();
  dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-fuzz-api-'));
  service = await EkortService.open(path.join(dir, 'bank.db'), {
    sweepIntervalMs: 0,
    trust: { trustAnchors: [pki.root.der], intermediates: [pki.intermediate.der], crls: [pki.crl] },
  });
  const customer = await createCustomer(service.ctx, PERSONNUMMER, 'Anna Andersson');
  cardId = (await addPaymentCard(service.ctx, customer.id)).id;
  await enrolDosa(service.ctx, customer.id, record);
  networkKey = await createNetworkKey(service.ctx, 'fuzz network');
  app = buildServer(service, { log: (line) => logs.push(line), loginRateLimit: false, networkRateLimit: false });
}, 60_000);

afterAll(async () => {
  await app?.close();
  await service?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A live session token, by the dosa login (a fresh one per route: logout may end it). */
async function login(): Promise<string> {
  const challenge = await app.inject({ method: 'POST', url: '/v1/login/dosa/challenge', payload: { serial: dosa.serial } });
  expect(challenge.statusCode, challenge.body).toBe(200);
  const { challengeId, kontrollnummer } = challenge.json();
  const answer = svarskod({ key: Buffer.from(dosa.secret, 'base64'), suite: dosa.suite, kontrollnummer });
  const res = await app.inject({ method: 'POST', url: '/v1/login/dosa', payload: { challengeId, svarskod: answer } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().token as string;
}

/** The field names of a zod object schema, to shape random bodies like real ones. */
function keysOf(schema: z.ZodMiniType | undefined): string[] {
  return schema instanceof z.ZodMiniObject ? Object.keys(schema.shape) : [];
}

/** Values real requests carry, so that random bodies get past the first checks now and then. */
function plausible(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom(cardId, dosa.serial, TERMS.version, PERSONNUMMER, 'Webbutiken AB', '12345678', 'AAAA', true, false, 0, 1, 3, -1, null, ''),
    fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b).toString('base64')),
    fc.stringMatching(/^[0-9]{1,12}$/),
    fc.uuid(),
    fc.jsonValue({ maxDepth: 2 }),
  );
}

function bodies(def: RouteDef): fc.Arbitrary<{ payload: string | Buffer; type: string }> {
  const keys = keysOf(def.body);
  const shaped =
    keys.length === 0
      ? fc.jsonValue({ maxDepth: 3 })
      : fc.dictionary(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 8 })), plausible(), { maxKeys: keys.length + 2 });
  return fc.oneof(
    shaped.map((v) => ({ payload: JSON.stringify(v), type: 'application/json' })),
    fc.jsonValue({ maxDepth: 4 }).map((v) => ({ payload: JSON.stringify(v) ?? 'null', type: 'application/json' })),
    fc.uint8Array({ maxLength: 300 }).map((b) => ({ payload: Buffer.from(b), type: 'application/json' })),
    fc.tuple(fc.string({ maxLength: 100 }), fc.constantFrom('application/json; charset=utf-8', 'text/plain', 'application/octet-stream', '')).map(([s, type]) => ({ payload: s, type })),
  );
}

/** The route's path with each `:param` replaced by a hostile or real value. */
function urls(def: RouteDef): fc.Arbitrary<string> {
  const names = [...def.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);
  const value = fc.oneof(fc.constantFrom(cardId, '..', '%00', '%ff', 'x'.repeat(300)), fc.string({ maxLength: 40 }).map(encodeURIComponent), fc.uuid());
  const query = fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 10 }), { maxKeys: 3 }), { nil: undefined });
  return fc.tuple(fc.array(value, { minLength: names.length, maxLength: names.length }), query).map(([values, q]) => {
    let url = def.path;
    names.forEach((n, i) => (url = url.replace(`:${n}`, values[i]!)));
    return q ? `${url}?${new URLSearchParams(q).toString()}` : url;
  });
}

describe('fuzz: every HTTP route answers hostile input with a 2xx or a 4xx ApiError', () => {
  for (const def of ROUTES) {
    it(`${def.method} ${def.path}`, { timeout: TEST_TIMEOUT }, async () => {
      const token = def.auth === 'network' ? networkKey : def.auth === 'none' ? undefined : await login();
      await fc.assert(
        fc.asyncProperty(fc.tuple(urls(def), bodies(def), fc.boolean()), async ([url, body, withAuth]) => {
          logs.length = 0;
          const headers: Record<string, string> = {};
          if (token && withAuth) headers.authorization = `Bearer ${token}`;
          const withBody = def.method !== 'GET';
          if (withBody && body.type) headers['content-type'] = body.type;
          const res = await app.inject({ method: def.method, url, headers, ...(withBody ? { payload: body.payload } : {}) });
          expect(res.statusCode, `${def.method} ${url} ${String(body.payload).slice(0, 200)} -> ${res.body}`).toBeLessThan(500);
          if (res.statusCode >= 400) {
            expect(ApiError.safeParse(res.json()).success, res.body).toBe(true);
            expect(res.body).not.toMatch(/\bat \S+ \(|node_modules|\.ts:\d+/);
          }
          expect(logs, 'no unexpected error was logged').toEqual([]);
        }),
        // 39 routes: 20 requests each by default keeps the file near 5 s; npm run fuzz does 10 000 each.
        params({ cost: 20 }),
      );
    });
  }
});
