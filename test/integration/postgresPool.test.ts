/**
 * The PostgreSQL store's connection pool (issue 20): sized to the machine when not given
 * (twice its cores, 2 to 20), the given size otherwise, and never more backends than that
 * however many queries wait (counted by the server itself, pg_backend_pid); a query that waits
 * for a connection longer than the connect timeout gets STORE_UNAVAILABLE (503), not a hang.
 * On the real PostgreSQL: without it the file fails, naming what to run (never skips).
 */
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPoolSize, PostgresDatabase } from '../../src/bank/store/postgres.ts';
import { StoreError } from '../../src/bank/store/sql.ts';
import { freshSchema, requirePostgres, type TestSchema } from '../support/postgres.ts';

await requirePostgres();

/** The distinct backends that served `queries` queries sent at once, each holding its connection 50 ms. */
async function backendsFor(db: PostgresDatabase, queries: number): Promise<number> {
  const rows = await Promise.all(Array.from({ length: queries }, () => db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_sleep(0.05)')));
  return new Set(rows.map(([row]) => row!.pid)).size;
}

describe('PostgreSQL connection pool', () => {
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await freshSchema('pool');
  });
  afterAll(async () => {
    await schema?.drop();
  });

  it('defaults to twice the cores, at least 2 and at most 20', () => {
    expect([1, 2, 3, 8, 10, 11, 64].map((cores) => defaultPoolSize(cores))).toEqual([2, 4, 6, 16, 20, 20, 20]);
    // Without an argument: this machine's cores.
    expect(defaultPoolSize()).toBe(defaultPoolSize(os.availableParallelism()));
  });

  it('opens at most the default size of connections when none is given', async () => {
    const db = new PostgresDatabase(schema.url);
    try {
      expect(await backendsFor(db, defaultPoolSize() + 6)).toBe(defaultPoolSize());
    } finally {
      await db.close();
    }
  });

  it('opens at most the given size, and every waiting query is still answered', async () => {
    const db = new PostgresDatabase(schema.url, { maxConnections: 3 });
    try {
      expect(await backendsFor(db, 12)).toBe(3);
    } finally {
      await db.close();
    }
  });

  it('answers a query that finds every connection taken for longer than the timeout STORE_UNAVAILABLE, and serves it once one is free', async () => {
    const db = new PostgresDatabase(schema.url, { maxConnections: 1, connectTimeoutMs: 200 });
    try {
      let holdingDone = false;
      const holding = db.transaction((tx) => tx.query('SELECT pg_sleep(1)')).finally(() => (holdingDone = true));
      const waited = await db.query('SELECT 1 AS one').then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(waited).toBeInstanceOf(StoreError);
      expect((waited as StoreError).code).toBe('STORE_UNAVAILABLE');
      // Answered by the timeout, not by the connection coming free.
      expect(holdingDone).toBe(false);
      await holding;
      expect(await db.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
  });
});
