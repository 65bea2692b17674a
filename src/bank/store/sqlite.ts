/**
 * The embedded store: better-sqlite3 in WAL mode. better-sqlite3 is synchronous and one
 * connection serves the process, so transactions (whose callbacks await) are serialised by a
 * queue here: nothing else runs on the connection while one is open, and plain queries wait
 * for it. Several processes on one file (the app and `ekort` commands) meet at SQLite's own
 * lock: BEGIN IMMEDIATE with a busy timeout.
 *
 * The file holds dosa secrets and card numbers: its directory is made 0700, the file 0600
 * before SQLite opens it (SQLite would create it 0644), and SQLite then gives its -wal and
 * -shm the database file's mode; any of the three found readable by others is tightened with
 * a warning, before the open and again after it.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { asStorageError, ensurePrivateDirSync, type StorageError, preparePrivateFileSync, tightenPrivateFileSync, type Warn } from '../../files/index.ts';
import { type Row, type Sql, type SqlDatabase, type SqlExecutor, type SqlValue, sqlText, StoreError } from './sql.ts';
import { type CheckpointThreadOptions, WalCheckpointer } from './walCheckpointer.ts';
import { type Fsync, WalSync } from './walSync.ts';

export interface SqliteOptions {
  /**
   * 'full' (default): a transaction is answered only once its WAL frames are fsynced, so an
   * acknowledged purchase survives a power cut (the fsync runs off the main thread, walSync.ts);
   * 'normal' answers at COMMIT: it survives a killed process but not a power cut (SQLite docs,
   * WAL mode).
   */
  durability?: 'full' | 'normal';
  /** The fsync the WAL is made durable with; tests give one that lets them order events. */
  fsync?: Fsync;
  busyTimeoutMs?: number;
  /** Where the one line goes when a too-open database file is tightened; stderr by default. */
  warn?: Warn;
  /** When a busy store's checkpoints move to a thread of their own, and back (walCheckpointer.ts). */
  checkpointThread?: CheckpointThreadOptions;
}

const SIDE_FILES = ['-wal', '-shm'] as const;

type Statement = Database.Statement<unknown[], Row>;

interface Prepared {
  stmt: Statement;
  /** A statement that returns rows gives them as arrays (raw mode), made objects by this. */
  toRow: ((values: unknown[]) => Row) | undefined;
}

/**
 * Puts a reading statement in raw mode and returns what makes its value arrays into rows: a
 * function with the columns as one object literal, made once per statement. better-sqlite3's
 * own objects get their properties one by one, which took half of the hot authorization
 * read's time (22 columns: 6.4 µs a row, 3.3 µs this way). The names are SQLite's own column
 * names of our SQL, quoted by JSON.stringify; a "__proto__" column (which a literal would take
 * as the prototype) keeps better-sqlite3's objects.
 */
function rowMaker(stmt: Statement): ((values: unknown[]) => Row) | undefined {
  const names = stmt.columns().map((c) => c.name);
  if (names.includes('__proto__')) return undefined;
  stmt.raw(true);
  return new Function('v', `return { ${names.map((n, i) => `${JSON.stringify(n)}: v[${i}]`).join(', ')} };`) as (values: unknown[]) => Row;
}

interface GroupMember {
  fn: (tx: SqlExecutor) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Statements that change nothing run outside transactions; everything else commits. */
const READ_ONLY = /^\s*SELECT\b/i;
/** A bound on how long the last member of a group waits for the first ones. */
const MAX_GROUP = 64;

const bind = (params: readonly SqlValue[]): unknown[] => params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));

/** A full or read-only disk becomes StorageError with the database's folder (`folder`). */
function mapError(e: unknown, folder: string): unknown {
  const storage = asStorageError(e, folder);
  if (storage) return storage;
  const code = (e as { code?: unknown }).code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new StoreError('UNIQUE_VIOLATION', (e as Error).message, { cause: e });
  }
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new StoreError('STORE_BUSY', 'The database is locked by another process for too long. Retry.', { cause: e });
  }
  return e;
}

/**
 * A full or read-only disk behind a failed open. SQLite says only SQLITE_CANTOPEN when the folder
 * cannot be written (the -wal and -shm files of WAL mode): the folder is asked then.
 */
function openStorageError(e: unknown, folder: string): StorageError | undefined {
  const storage = asStorageError(e, folder);
  if (storage || (e as { code?: unknown }).code !== 'SQLITE_CANTOPEN') return storage;
  try {
    accessSync(folder, constants.W_OK);
    return undefined;
  } catch (access) {
    return asStorageError(access, folder);
  }
}

export class SqliteDatabase implements SqlDatabase {
  readonly dialect = 'sqlite';
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Prepared>();
  /** Work waiting for, or holding, the connection; 0 means a query may run at once. */
  private pending = 0;
  private tail: Promise<unknown> = Promise.resolve();
  /** The group of transactions not yet started, which new ones join. */
  private waiting: GroupMember[] | undefined;
  private readonly direct: SqlExecutor;
  /** The database's folder, named in STORAGE_FULL / STORAGE_READ_ONLY. */
  private readonly folder: string;
  /** Makes commits durable before they are answered; none for 'normal' and in memory. */
  private readonly wal: WalSync | undefined;
  /** Takes SQLite's checkpoints off the event loop once the store is busy; none in memory. */
  private readonly checkpointer: WalCheckpointer | undefined;

  constructor(file: string, options: SqliteOptions = {}) {
    const onDisk = file !== ':memory:' && file !== '';
    this.folder = onDisk ? path.dirname(path.resolve(file)) : '(memory)';
    try {
      if (onDisk) {
        ensurePrivateDirSync(path.dirname(path.resolve(file)));
        preparePrivateFileSync(file, options.warn);
        for (const side of SIDE_FILES) tightenPrivateFileSync(`${file}${side}`, options.warn);
      }
      this.db = new Database(file, { timeout: options.busyTimeoutMs ?? 5000 });
      this.db.pragma('journal_mode = WAL');
      // NORMAL for both: 'full' gets its fsync from this.wal, after COMMIT and off the main thread.
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      if (onDisk) for (const side of SIDE_FILES) tightenPrivateFileSync(`${file}${side}`, options.warn);
      this.wal = onDisk && options.durability !== 'normal' ? new WalSync(`${path.resolve(file)}-wal`, options.fsync) : undefined;
      this.checkpointer = onDisk
        ? new WalCheckpointer(path.resolve(file), (on) => {
            if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${on ? 1000 : 0}`);
          }, options.warn, options.checkpointThread)
        : undefined;
    } catch (e) {
      throw openStorageError(e, this.folder) ?? new StoreError('STORE_UNAVAILABLE', `Cannot open the database ${file}: ${(e as Error).message}`, { cause: e });
    }
    this.direct = {
      query: async <T>(sql: Sql, params: readonly SqlValue[] = []) => this.all(sqlText(sql), params) as T[],
      run: async (sql: Sql, params: readonly SqlValue[] = []) => this.change(sqlText(sql), params),
    };
  }

  /** The prepared statement of `sql` as given, so the text is looked at only the first time. */
  private statement(sql: string): Prepared {
    let s = this.statements.get(sql);
    if (!s) {
      const stmt = this.db.prepare(sql.replace(/\s+FOR UPDATE(\s+OF\s+\w+(\s*,\s*\w+)*)?\s*$/i, '')) as Statement;
      s = { stmt, toRow: stmt.reader ? rowMaker(stmt) : undefined };
      this.statements.set(sql, s);
    }
    return s;
  }

  private all(sql: string, params: readonly SqlValue[]): Row[] {
    try {
      const { stmt, toRow } = this.statement(sql);
      const rows = stmt.all(...bind(params)) as unknown[];
      return toRow ? (rows as unknown[][]).map(toRow) : (rows as Row[]);
    } catch (e) {
      throw mapError(e, this.folder);
    }
  }

  private change(sql: string, params: readonly SqlValue[]): number {
    try {
      return this.statement(sql).stmt.run(...bind(params)).changes;
    } catch (e) {
      throw mapError(e, this.folder);
    }
  }

  /** Runs `fn` when the connection is free, holding it until `fn` settles. */
  private exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    this.pending++;
    const run = this.tail.then(fn).finally(() => this.pending--);
    this.tail = run.catch(() => undefined);
    return run;
  }

  query<T = Row>(sql: Sql, params: readonly SqlValue[] = []): Promise<T[]> {
    const text = sqlText(sql);
    if (!READ_ONLY.test(text)) return this.transaction((tx) => tx.query<T>(text, params));
    // A commit holds the connection until it is on disk, so a read never sees one that is not.
    if (this.pending === 0) return this.direct.query<T>(text, params);
    return this.exclusive(() => this.all(text, params) as T[]);
  }

  run(sql: Sql, params: readonly SqlValue[] = []): Promise<number> {
    return this.transaction((tx) => tx.run(sql, params));
  }

  /**
   * Group commit: transactions that arrive while the connection is busy wait in one group,
   * and the group runs as one SQLite transaction with a SAVEPOINT per member, so one member's
   * failure rolls back only its own work. Nobody hears "done" before the group's COMMIT is on
   * disk, so durability is the same as one commit each, at one fsync per group (about 0.15 ms
   * on the machines here), which runs off the event loop (walSync.ts).
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const member = { fn: fn as (tx: SqlExecutor) => Promise<unknown>, resolve: resolve as (v: unknown) => void, reject };
      if (this.waiting && this.waiting.length < MAX_GROUP) {
        this.waiting.push(member);
        return;
      }
      const group = [member];
      this.waiting = group;
      // Start after the I/O callbacks of this loop turn, so requests that arrived together
      // join one group (and one fsync) instead of committing one by one.
      setImmediate(() => void this.exclusive(() => this.runGroup(group)));
    });
  }

  /**
   * Runs a group on the connection and answers its members once the commit is on disk. The
   * connection is held until then (the next group waits, and grows meanwhile: measured under
   * wrk, 8 members a group instead of 5.6 when the next group started at COMMIT, and some 10 %
   * less CPU per request at the same p99).
   */
  private async runGroup(group: GroupMember[]): Promise<void> {
    // The checkpointer may ask to copy the WAL's last frames first (walCheckpointer.ts); the
    // group stays open to newcomers meanwhile.
    const paused = this.checkpointer?.pause();
    if (paused) await paused;
    if (this.waiting === group) this.waiting = undefined;
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    // One member needs no savepoint: its failure rolls back the whole transaction.
    const alone = group.length === 1;
    try {
      this.change('BEGIN IMMEDIATE', []);
      for (const member of group) {
        if (!alone) this.change('SAVEPOINT member', []);
        try {
          outcomes.push({ ok: true, value: await member.fn(this.direct) });
          if (!alone) this.change('RELEASE member', []);
        } catch (error) {
          if (alone) throw error;
          this.db.exec('ROLLBACK TO member; RELEASE member');
          outcomes.push({ ok: false, error });
        }
      }
      this.change('COMMIT', []);
      this.checkpointer?.committed();
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      for (const member of group) member.reject(error);
      return;
    }
    try {
      await this.wal?.sync();
    } catch (error) {
      for (const member of group) member.reject(error);
      return;
    }
    group.forEach((member, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) member.resolve(outcome.value);
      else member.reject(outcome.error);
    });
  }

  /** Runs DDL of several statements (migrations). */
  exec(sql: string): Promise<void> {
    return this.exclusive(async () => {
      this.db.exec(sql);
      await this.wal?.sync();
    });
  }

  async close(): Promise<void> {
    await this.tail;
    await this.checkpointer?.close();
    this.wal?.close();
    if (this.db.open) this.db.close();
  }
}

/**
 * One connection per database file in a process. Two better-sqlite3 connections on one file
 * in one process would deadlock: the second BEGIN IMMEDIATE waits synchronously (the busy
 * timeout blocks the event loop) for a transaction that needs the event loop to finish.
 * Each opener gets a handle; the connection closes with the last one.
 */
const shared = new Map<string, { db: SqliteDatabase; users: number }>();

export function openSharedSqlite(file: string, options: SqliteOptions = {}): SqlDatabase {
  if (file === ':memory:') return new SqliteDatabase(file, options);
  const key = path.resolve(file);
  let entry = shared.get(key);
  if (!entry) {
    entry = { db: new SqliteDatabase(key, options), users: 0 };
    shared.set(key, entry);
  }
  entry.users++;
  const { db } = entry;
  let closed = false;
  return {
    dialect: 'sqlite',
    query: (sql, params) => db.query(sql, params),
    run: (sql, params) => db.run(sql, params),
    transaction: (fn) => db.transaction(fn),
    async close() {
      if (closed) return;
      closed = true;
      if (--entry.users === 0) {
        shared.delete(key);
        await db.close();
      }
    },
  };
}
