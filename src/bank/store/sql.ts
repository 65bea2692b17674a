/**
 * The one SQL interface both stores implement (docs/design.md: better-sqlite3 embedded, PostgreSQL
 * at scale). The service's queries are written once against it:
 * - `?` placeholders (the PostgreSQL driver numbers them);
 * - integers and epoch milliseconds as BIGINT, read back as JS numbers on both;
 * - a trailing ` FOR UPDATE` (or ` FOR UPDATE OF a, b`) takes row locks on PostgreSQL; SQLite
 *   drops it, because its transactions are already serial (BEGIN IMMEDIATE, one writer);
 * - a statement given as `named(name, text)` is prepared once per PostgreSQL connection and
 *   then only bound and run (SQLite caches every statement's preparation anyway).
 * Every rule that must hold across service instances is a constraint or a conditional
 * UPDATE in the database, never a check in process memory.
 */
import { CodedError } from '../../errors.ts';

export type SqlValue = string | number | bigint | null | boolean;
export type Row = Record<string, unknown>;

/**
 * A hot statement, prepared under its name on each PostgreSQL connection. For statements run
 * on every request only, and with their columns named, never `*`: a prepared statement's
 * result columns are fixed, so a migration that added a column would break it.
 */
export interface NamedSql {
  readonly name: string;
  readonly text: string;
}

/** One name, one text: PostgreSQL refuses a name prepared again with another text. */
const names = new Map<string, string>();

export function named(name: string, text: string): NamedSql {
  if (names.has(name) && names.get(name) !== text) throw new Error(`two statements named ${name}`);
  names.set(name, text);
  return { name, text };
}

export type Sql = string | NamedSql;

export const sqlText = (sql: Sql): string => (typeof sql === 'string' ? sql : sql.text);

export interface SqlExecutor {
  /** Rows of a SELECT (or of `... RETURNING`). */
  query<T = Row>(sql: Sql, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a statement; the number of rows it changed. */
  run(sql: Sql, params?: readonly SqlValue[]): Promise<number>;
}

export interface SqlDatabase extends SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export type StoreErrorCode = 'UNIQUE_VIOLATION' | 'STORE_UNAVAILABLE' | 'STORE_BUSY' | 'MIGRATION_FAILED';

export class StoreError extends CodedError<StoreErrorCode> {}

export const isUniqueViolation = (e: unknown): boolean => e instanceof StoreError && e.code === 'UNIQUE_VIOLATION';

/** PostgreSQL's serialization_failure and deadlock_detected: the work wrote nothing and can run again. */
const LOST_RACE = new Set(['40001', '40P01']);
export const isLostRace = (e: unknown): boolean => {
  const code = (e as { code?: unknown })?.code ?? (e as { cause?: { code?: unknown } })?.cause?.code;
  return typeof code === 'string' && LOST_RACE.has(code);
};
