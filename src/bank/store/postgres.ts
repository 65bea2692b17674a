/**
 * The store at scale: PostgreSQL through a `pg` pool, for several stateless service instances
 * on one database. Transactions run at READ COMMITTED with row locks (`FOR UPDATE`) and
 * conditional UPDATEs; a deadlock or serialization failure (which the consistent lock order
 * should prevent) is retried a few times rather than surfaced.
 */
import os from 'node:os';
import pg from 'pg';
import { type Row, type Sql, type SqlDatabase, type SqlExecutor, type SqlValue, isLostRace, StoreError } from './sql.ts';

const INT8_OID = 20;
/** Amounts in öre and epoch milliseconds stay far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

const numbered = new Map<string, string>();
/** `?` placeholders to `$1..$n` (our SQL has no `?` inside literals). */
function toPg(sql: string): string {
  let text = numbered.get(sql);
  if (text === undefined) {
    let n = 0;
    text = sql.replace(/\?/g, () => `$${++n}`);
    numbered.set(sql, text);
  }
  return text;
}

const UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006']);

function mapError(e: unknown): unknown {
  const code = (e as { code?: unknown }).code;
  if (code === '23505') return new StoreError('UNIQUE_VIOLATION', (e as Error).message, { cause: e });
  if (typeof code === 'string' && UNAVAILABLE.has(code)) {
    return new StoreError('STORE_UNAVAILABLE', `The database is not reachable (${code}). Retry in a moment.`, { cause: e });
  }
  if (e instanceof Error && /Connection terminated|timeout exceeded when trying to connect/i.test(e.message)) {
    return new StoreError('STORE_UNAVAILABLE', `The database is not reachable (${e.message}). Retry in a moment.`, { cause: e });
  }
  return e;
}

/** pg's query config of `sql`: a named one is parsed once per connection, then only bound. */
function config(sql: Sql, params: readonly SqlValue[]): pg.QueryConfig {
  return typeof sql === 'string'
    ? { text: toPg(sql), values: params as unknown[], types }
    : { name: sql.name, text: toPg(sql.text), values: params as unknown[], types };
}

function executor(client: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    async query<T>(sql: Sql, params: readonly SqlValue[] = []): Promise<T[]> {
      try {
        return (await client.query(config(sql, params))).rows as T[];
      } catch (e) {
        throw mapError(e);
      }
    },
    async run(sql: Sql, params: readonly SqlValue[] = []): Promise<number> {
      try {
        return (await client.query(config(sql, params))).rowCount ?? 0;
      } catch (e) {
        throw mapError(e);
      }
    },
  };
}

/**
 * Connections per service instance when not given: twice this machine's cores (the usual rule
 * for a database server's useful concurrency: cores × 2, plus its disks), at least 2 and at most
 * 20. Measured on 2 cores with 16 concurrent authorizations, PostgreSQL on the same machine
 * (README, bench service-http): 4 connections did 13-15 % more than 20 on one e-nummer, whose
 * row lock the surplus backends only queue on, and 10 % more spread over 32 cards. The rule is
 * the database server's, so it fits where both run on one machine; elsewhere give --pg-pool
 * its 2 × cores, split over the instances that share it.
 */
export function defaultPoolSize(cores = os.availableParallelism()): number {
  return Math.min(20, Math.max(2, 2 * cores));
}

export interface PostgresOptions {
  /** The pool's size; defaultPoolSize() when not given (`ekort serve --pg-pool N`). */
  maxConnections?: number;
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
}

export class PostgresDatabase implements SqlDatabase {
  readonly dialect = 'postgres';
  private readonly pool: pg.Pool;
  private readonly direct: SqlExecutor;

  constructor(url: string, options: PostgresOptions = {}) {
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? defaultPoolSize(),
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      statement_timeout: options.statementTimeoutMs ?? 10_000,
      idle_in_transaction_session_timeout: 30_000,
    });
    // An idle client that loses its server must not crash the process; the next query says so.
    this.pool.on('error', () => undefined);
    this.direct = executor(this.pool);
  }

  query<T = Row>(sql: Sql, params?: readonly SqlValue[]): Promise<T[]> {
    return this.direct.query<T>(sql, params);
  }

  run(sql: Sql, params?: readonly SqlValue[]): Promise<number> {
    return this.direct.run(sql, params);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (e) {
        throw mapError(e);
      }
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await fn(executor(client));
        await client.query('COMMIT');
        return result;
      } catch (e) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        if (attempt < 4 && isLostRace(e)) continue;
        throw mapError(e);
      } finally {
        client.release(broken);
      }
    }
  }

  /** Runs DDL of several statements (migrations), in one transaction. */
  async exec(sql: string): Promise<void> {
    await this.transaction(async (tx) => {
      await tx.run(sql);
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
