/**
 * The service and the bridge check requests and answers with zod, never with fastify's JSON
 * schemas: fastify's own compilers for those (ajv and fast-json-stringify, some 0.6 MB bundled)
 * would only cost every start, for fastify builds them with every instance. These take their
 * place, and fail loudly if a route ever gives fastify a schema.
 */
import type { FastifyServerOptions } from 'fastify';

const noSchemas = (): never => {
  throw new Error('fastify route schemas are not used here: requests and answers are checked with zod');
};

export const NO_SCHEMA_COMPILERS: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: { buildValidator: () => noSchemas, buildSerializer: () => noSchemas },
};
