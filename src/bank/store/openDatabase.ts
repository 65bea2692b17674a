/** One place that turns `--db FILE|postgres://...` into a migrated database. */
import os from 'node:os';
import path from 'node:path';
import { migrate } from './migrations.ts';
import type { PostgresOptions } from './postgres.ts';
import type { SqlDatabase } from './sql.ts';
import { openSharedSqlite, type SqliteOptions } from './sqlite.ts';

/**
 * Where `--db` points when it is not given: $XDG_DATA_HOME/ekort/ekort.db, else
 * ~/.local/share/ekort/ekort.db (XDG Base Directory: a relative XDG_DATA_HOME is ignored).
 */
export function defaultDatabasePath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_DATA_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'ekort', 'ekort.db');
}

export const isPostgresUrl = (target: string): boolean => /^postgres(ql)?:\/\//i.test(target);

export async function openDatabase(target: string, options: SqliteOptions & PostgresOptions = {}): Promise<SqlDatabase> {
  let db: SqlDatabase;
  // pg only when asked for: loading it costs a SQLite service (and the app) some 40 ms at start.
  if (isPostgresUrl(target)) db = new (await import('./postgres.ts')).PostgresDatabase(target, options);
  else db = openSharedSqlite(target, options); // which makes the directory 0700 and the file 0600
  try {
    await migrate(db);
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
  return db;
}
