/**
 * The one SQL interface both stores implement (docs/design.md: better-sqlite3 embedded, PostgreSQL
 * at scale). The service's queries are written once against it:
 * - `?` placeholders (the PostgreSQL driver numbers them);
 * - integers and epoch milliseconds as BIGINT, read back as JS numbers on both;
 * - a trailing ` FOR UPDATE` takes a row lock on PostgreSQL; SQLite drops it, because its
 *   transactions are already serial (BEGIN IMMEDIATE, one writer).
 * Every rule that must hold across service instances is a constraint or a conditional
 * UPDATE in the database, never a check in process memory.
 */
import { CodedError } from '../../errors.ts';

export type SqlValue = string | number | bigint | null | boolean;
export type Row = Record<string, unknown>;

export interface SqlExecutor {
  /** Rows of a SELECT (or of `... RETURNING`). */
  query<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a statement; the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
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
