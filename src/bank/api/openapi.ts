/**
 * The OpenAPI 3.1 document of the API, generated from the route table and the same zod
 * schemas that validate requests (z.toJSONSchema, JSON Schema 2020-12 as OpenAPI 3.1 uses).
 */
import * as z from '../../zod.ts';
import type { RouteDef } from './routes.ts';
import * as S from './schemas.ts';

type Json = Record<string, unknown>;

/** The name each schema of schemas.ts is exported under: components are named after them. */
const NAMES = new Map<unknown, string>(Object.entries(S).filter(([, v]) => v instanceof z.ZodMiniType).map(([k, v]) => [v, k]));

function jsonSchema(schema: z.ZodMiniType, io: 'input' | 'output'): Json {
  const out = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  delete out.$schema;
  return out;
}

const ERROR_RESPONSES: Record<string, string> = {
  '400': 'The request is not valid (INVALID_INPUT with issues, MALFORMED_JSON, or a refused login step).',
  '401': 'No valid credentials (UNAUTHENTICATED, SESSION_EXPIRED, LOGIN_FAILED, NETWORK_KEY_INVALID, …).',
  '403': 'Not allowed (REAUTH_REQUIRED, FORBIDDEN, CUSTOMER_UNKNOWN, DOSA_BLOCKED, …).',
  '404': 'No such resource or route (NOT_FOUND).',
  '409': 'The request conflicts with the current state (STATE_CONFLICT, ENUMMER_EXPIRED, CARD_BLOCKED, TERMS_OUTDATED, CHALLENGE_REPLAYED, …).',
  '413': 'The request body is too large (BODY_TOO_LARGE).',
  '415': 'The request body is not application/json (UNSUPPORTED_MEDIA_TYPE).',
  '429': 'Too many requests from this address (RATE_LIMITED), or a dosa code tried too soon after a wrong one (TRY_LATER); see Retry-After and retryAfter.',
  '500': 'An unexpected error (INTERNAL); no detail is given.',
  '503': 'The database is not reachable (STORE_UNAVAILABLE, STORE_BUSY) or its disk is read-only (STORAGE_READ_ONLY); nothing was saved.',
  '507': "The service's disk is full (STORAGE_FULL); nothing was saved.",
};

function errorCodesFor(def: RouteDef): string[] {
  const codes = ['500', '503', '507'];
  if (def.body || def.query || def.params) codes.push('400');
  if (def.body) codes.push('413', '415');
  if (def.auth !== 'none') codes.push('401');
  if (def.auth === 'session' || def.auth === 'fresh-session' || def.tag === 'login') codes.push('403');
  if (def.params) codes.push('404');
  if (def.method !== 'GET') codes.push('409');
  if (def.rateLimit === 'login') codes.push('429');
  return codes.sort();
}

export function openApiDocument(routes: readonly RouteDef[]): Json {
  const components: Record<string, Json> = {};
  const ref = (schema: z.ZodMiniType, io: 'input' | 'output'): Json => {
    if (schema instanceof z.ZodMiniArray) return { type: 'array', items: ref(schema.def.element as z.ZodMiniType, io) };
    const name = NAMES.get(schema);
    if (!name) return jsonSchema(schema, io);
    components[name] ??= jsonSchema(schema, io);
    return { $ref: `#/components/schemas/${name}` };
  };
  const errorRef = ref(S.ApiError, 'output');
  const parameters = (schema: z.ZodMiniType | undefined, where: 'path' | 'query'): Json[] => {
    if (!(schema instanceof z.ZodMiniObject)) return [];
    return Object.entries(schema.shape as Record<string, z.ZodMiniType>).map(([name, field]) => ({
      name,
      in: where,
      required: where === 'path' || !field.safeParse(undefined).success,
      schema: jsonSchema(field, 'input'),
    }));
  };

  const paths: Record<string, Record<string, Json>> = {};
  const add = (path: string, method: string, operation: Json) => ((paths[path] ??= {})[method] = operation);

  add('/v1/openapi.json', 'get', {
    operationId: 'openapi',
    summary: 'This document.',
    tags: ['service'],
    security: [],
    responses: { '200': { description: 'The OpenAPI 3.1 document.', content: { 'application/json': { schema: { type: 'object' } } } } },
  });

  for (const def of routes) {
    const responses: Record<string, Json> = {};
    responses[String(def.status)] = def.response
      ? {
          description: def.secret ? 'OK. The answer holds secrets: keep it out of logs and caches.' : 'OK.',
          content: { 'application/json': { schema: ref(def.response, 'output') } },
        }
      : { description: 'Done; no body.' };
    for (const code of errorCodesFor(def)) {
      responses[code] = { description: ERROR_RESPONSES[code], content: { 'application/json': { schema: errorRef } } };
    }
    const security = def.tag === 'phone' ? [{ ivrKey: [] }] : def.auth === 'network' ? [{ networkKey: [] }] : def.auth === 'none' ? [] : [{ session: [] }];
    add(def.path.replace(/:([A-Za-z]+)/g, '{$1}'), def.method.toLowerCase(), {
      operationId: def.operationId,
      summary: def.summary,
      tags: [def.tag],
      security,
      ...(def.auth === 'fresh-session' ? { description: 'The session must come from a login within the last 5 minutes; otherwise 403 REAUTH_REQUIRED.' } : {}),
      ...(def.rateLimit === 'login' ? { 'x-rate-limit': 'per client address and route (default 30 a minute)' } : {}),
      parameters: [...parameters(def.params, 'path'), ...parameters(def.query, 'query')],
      ...(def.body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(def.body, 'input') } } } } : {}),
      responses,
    });
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'e-kort service',
      version: '1',
      description:
        'The reference e-kort service: log in with BankID på kort or a säkerhetsdosa, connect payment cards, and create and manage e-nummer (per-merchant card numbers). JSON only; money in öre; times ISO 8601. Every error is an ApiError {code, message, issues?}. No answer may be cached.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags: [
      { name: 'service', description: 'Health, terms and this document.' },
      { name: 'login', description: 'Logins; rate limited per client address.' },
      { name: 'session', description: 'The current session.' },
      { name: 'cards', description: "The holder's payment cards." },
      { name: 'enummer', description: 'e-nummer and their purchases.' },
      { name: 'network', description: 'The card network (authorizations).' },
      { name: 'phone', description: "The telephone service's menu, for the bank's phone system (IVR key)." },
      { name: 'app', description: "The customer's approval app (app-approved login): enrol, look an order up, approve it." },
      { name: 'disputes', description: "Disputes of the holder's purchases (card terms §10-11) and the holder's notifications." },
    ],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        session: { type: 'http', scheme: 'bearer', description: 'The session token from a login (Authorization: Bearer <token>); it ends after 15 minutes without use.' },
        networkKey: { type: 'http', scheme: 'bearer', description: "The card network's key (Authorization: Bearer nk_…), issued by the bank." },
        ivrKey: { type: 'http', scheme: 'bearer', description: "The bank's phone system's key (Authorization: Bearer ivr_…), issued by the bank (ekort bank ivr-key)." },
      },
    },
  };
}
