/** One place that turns `--db FILE|postgres://...` into a migrated database. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { migrate } from './migrations.ts';
import { PostgresDatabase, type PostgresOptions } from './postgres.ts';
import type { SqlDatabase } from './sql.ts';
import { SqliteDatabase, type SqliteOptions } from './sqlite.ts';

export const isPostgresUrl = (target: string): boolean => /^postgres(ql)?:\/\//i.test(target);

export async function openDatabase(target: string, options: SqliteOptions & PostgresOptions = {}): Promise<SqlDatabase> {
  let db: SqlDatabase;
  if (isPostgresUrl(target)) db = new PostgresDatabase(target, options);
  else {
    if (target !== ':memory:') mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
    db = new SqliteDatabase(target, options);
  }
  try {
    await migrate(db);
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
  return db;
}
