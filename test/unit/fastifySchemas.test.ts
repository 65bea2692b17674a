/**
 * The service's and the bridge's fastify instances check with zod and take no route JSON
 * schemas: fastify's ajv and fast-json-stringify are never loaded (src/fastifySchemas.ts).
 */
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { NO_SCHEMA_COMPILERS } from '../../src/fastifySchemas.ts';

describe('fastify without its schema compilers', () => {
  it('a route that gives fastify a JSON schema fails loudly at ready()', async () => {
    const app = Fastify({ logger: false, schemaController: NO_SCHEMA_COMPILERS });
    app.post('/x', { schema: { body: { type: 'object' } } }, async () => ({}));
    await expect(app.ready()).rejects.toThrow(/checked with zod/);
    await app.close();
  });

  it('routes without schemas answer as before', async () => {
    const app = Fastify({ logger: false, schemaController: NO_SCHEMA_COMPILERS });
    app.post('/x', async (request) => ({ got: request.body }));
    expect((await app.inject({ method: 'POST', url: '/x', payload: { a: 1 } })).json()).toEqual({ got: { a: 1 } });
    await app.close();
  });
});
