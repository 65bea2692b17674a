/**
 * The PostgreSQL the store tests run against: EKORT_TEST_PG_URL, or the role and database
 * native/setup-postgres.sh makes. Each test file works in a schema of its own, dropped at the
 * end. Without a reachable server the tests fail with what to run (they never skip).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';

export const DEFAULT_TEST_PG_URL = 'postgres://ekort:ekort-test@127.0.0.1:5432/ekort_test';

export const postgresBaseUrl = (): string => process.env.EKORT_TEST_PG_URL ?? DEFAULT_TEST_PG_URL;

async function reachable(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The reason PostgreSQL cannot be used for tests, or undefined when it answers. */
export async function postgresProblem(): Promise<string | undefined> {
  const problem = await reachable(postgresBaseUrl());
  return problem === undefined ? undefined : `PostgreSQL at ${postgresBaseUrl().replace(/:[^:@/]*@/, ':***@')} is not reachable (${problem}); run native/setup-postgres.sh`;
}

/**
 * The store suites need PostgreSQL, locally as on CI: they never skip. Throws, naming what to
 * run, when it does not answer.
 */
export async function requirePostgres(): Promise<void> {
  const problem = await postgresProblem();
  if (problem !== undefined) throw new Error(problem);
}

export interface TestSchema {
  /** The base URL with search_path set to the new schema. */
  url: string;
  drop(): Promise<void>;
}

/** A new, empty schema; the URL makes every connection use it. */
export async function freshSchema(prefix = 'test'): Promise<TestSchema> {
  const base = postgresBaseUrl();
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base, connectionTimeoutMillis: 3000 });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base, connectionTimeoutMillis: 3000 });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

export interface StoreTarget {
  name: 'sqlite' | 'postgres';
  /** A fresh, empty database: its --db target and how to drop it. */
  open(): Promise<{ target: string; drop(): Promise<void> }>;
}

/** The two stores a service suite runs against: a new SQLite file in `tmpDir`, a new PostgreSQL schema. */
export function storeTargets(tmpDir: string, schemaPrefix: string): StoreTarget[] {
  return [
    { name: 'sqlite', open: async () => ({ target: path.join(tmpDir, `${randomBytes(4).toString('hex')}.db`), drop: async () => undefined }) },
    {
      name: 'postgres',
      open: async () => {
        const schema = await freshSchema(schemaPrefix);
        return { target: schema.url, drop: () => schema.drop() };
      },
    },
  ];
}
