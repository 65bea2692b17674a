/**
 * The SQLite store's own mechanics: group commit with a savepoint per member, answers only
 * after the WAL's fsync, and one connection per file.
 */
import { fstatSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/bank/store/openDatabase.ts';
import type { SqlDatabase } from '../../../src/bank/store/sql.ts';
import { SqliteDatabase } from '../../../src/bank/store/sqlite.ts';
import type { Fsync } from '../../../src/bank/store/walSync.ts';
import Database from 'better-sqlite3';

let dir: string;
let db: SqliteDatabase;
beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ekort-sqlite-'));
  db = new SqliteDatabase(path.join(dir, 'g.db'));
  await db.run('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)');
});
afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SQLite group commit', () => {
  it('commits transactions that arrive together in one group, and a failing one rolls back alone', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        db.transaction(async (tx) => {
          await tx.run('INSERT INTO t (k, v) VALUES (?, ?)', [`k${i}`, i]);
          if (i === 4) throw new Error('member 4 fails after writing');
          await tx.run('UPDATE t SET v = v * 10 WHERE k = ?', [`k${i}`]);
          return i;
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    const rows = await db.query<{ k: string; v: number }>('SELECT k, v FROM t ORDER BY v');
    expect(rows.map((r) => r.k)).toEqual(['k0', 'k1', 'k2', 'k3', 'k5', 'k6', 'k7', 'k8', 'k9']);
    expect(rows.map((r) => r.v)).toEqual([0, 10, 20, 30, 50, 60, 70, 80, 90]);
  });

  it('fails every member when the group cannot commit, and none of its work is kept', async () => {
    await db.run('CREATE TABLE p (id INTEGER PRIMARY KEY)');
    await db.run('CREATE TABLE c (p INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED)');
    const results = await Promise.allSettled([
      db.transaction((tx) => tx.run('INSERT INTO t (k, v) VALUES (?, ?)', ['fine', 1])),
      // A deferred foreign key fails only at COMMIT: the whole group must fail with it.
      db.transaction((tx) => tx.run('INSERT INTO c (p) VALUES (?)', [42])),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await db.query('SELECT k FROM t')).toEqual([]);
  });

  it('runs a transaction that starts while a group is open in the next group, in order', async () => {
    const order: string[] = [];
    const first = db.transaction(async (tx) => {
      await tx.run('INSERT INTO t (k, v) VALUES (?, ?)', ['a', 1]);
      order.push('a');
      void db.transaction(async (inner) => {
        order.push('b');
        await inner.run('UPDATE t SET v = 2 WHERE k = ?', ['a']);
      });
    });
    await first;
    await db.transaction(async () => undefined);
    expect(order).toEqual(['a', 'b']);
    expect(await db.query('SELECT v FROM t')).toEqual([{ v: 2 }]);
  });
});

/** An fsync the test finishes by hand: each call waits in `calls` until `finish` is called; after `release`, none waits. */
function heldFsync(): { fsync: Fsync; calls: Array<{ fd: number; finish: (error?: NodeJS.ErrnoException) => void }>; release: () => void } {
  const calls: Array<{ fd: number; finish: (error?: NodeJS.ErrnoException) => void }> = [];
  let released = false;
  return {
    calls,
    fsync: (fd, done) => (released ? done(null) : calls.push({ fd, finish: (error) => done(error ?? null) })),
    release: () => {
      released = true;
      for (const call of calls) call.finish();
    },
  };
}

const settledYet = async (p: Promise<unknown>): Promise<boolean> => {
  let settled = false;
  void p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((r) => setTimeout(r, 20));
  return settled;
};

async function until(what: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(what()).toBe(true);
}

describe('SQLite rows', () => {
  it('gives each row as an object of its columns, whatever the names, as better-sqlite3 would', async () => {
    await db.run('INSERT INTO t (k, v) VALUES (?, ?)', ['a', 1]);
    const sql = `SELECT k, v, v + 1 AS "odd ""name"" \\ }", k AS "__proto__", v AS k FROM t`;
    const rows = await db.query<Record<string, unknown>>(sql);
    const plain = new Database(path.join(dir, 'g.db'), { readonly: true });
    try {
      expect(rows).toEqual(plain.prepare(sql).all());
    } finally {
      plain.close();
    }
    expect(rows).toEqual([{ k: 1, v: 1, 'odd "name" \\ }': 2 }]);
    expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype);
    // A statement that returns nothing is still only run; one that returns rows, read.
    expect(await db.query('SELECT k FROM t WHERE k = ?', ['none'])).toEqual([]);
    expect(await db.query<{ v: number }>('UPDATE t SET v = v + 1 RETURNING v')).toEqual([{ v: 2 }]);
  });
});

describe('SQLite durability', () => {
  it('answers a commit only once the WAL is fsynced; the event loop goes on meanwhile, and the next group waits for it', async () => {
    const held = heldFsync();
    const file = path.join(dir, 'held.db');
    const store = new SqliteDatabase(file, { fsync: held.fsync });
    try {
      const created = store.exec('CREATE TABLE t (k TEXT PRIMARY KEY)');
      await until(() => held.calls.length === 1);
      held.calls[0]!.finish();
      await created;
      const a = store.run('INSERT INTO t (k) VALUES (?)', ['a']);
      await until(() => held.calls.length === 2);
      // The fsync is of the WAL, and starts after COMMIT: another connection sees the row.
      expect(statSync(`${file}-wal`).ino).toBe(fstatSync(held.calls[1]!.fd).ino);
      const peer = new Database(file, { readonly: true });
      expect(peer.prepare('SELECT k FROM t').all()).toEqual([{ k: 'a' }]);
      peer.close();
      // Timers run (settledYet waits on one) while the fsync is out: the event loop is free.
      expect(await settledYet(a)).toBe(false);

      // The next group, and a read, wait for the connection until a is on disk.
      let bRan = false;
      const b = store.transaction(async (tx) => {
        await tx.run('INSERT INTO t (k) VALUES (?)', ['b']);
        bRan = true;
      });
      const read = store.query<{ k: string }>('SELECT k FROM t ORDER BY k');
      expect(await settledYet(b)).toBe(false);
      expect(await settledYet(read)).toBe(false);
      expect(bRan).toBe(false);

      held.calls[1]!.finish();
      await a;
      // The read was queued before b's group formed: it sees a alone.
      expect(await read).toEqual([{ k: 'a' }]);
      await until(() => held.calls.length === 3);
      expect(bRan).toBe(true);
      expect(await settledYet(b)).toBe(false);
      held.calls[2]!.finish();
      await b;
      expect(await store.query('SELECT k FROM t ORDER BY k')).toEqual([{ k: 'a' }, { k: 'b' }]);
    } finally {
      held.release();
      await store.close();
    }
  });

  it('fails a commit whose fsync failed, and every later one: the disk may have dropped what it could not write', async () => {
    const held = heldFsync();
    const store = new SqliteDatabase(path.join(dir, 'eio.db'), { fsync: held.fsync });
    try {
      const created = store.exec('CREATE TABLE t (k TEXT PRIMARY KEY)');
      await until(() => held.calls.length === 1);
      held.calls[0]!.finish(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
      await expect(created).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      await expect(store.run('CREATE TABLE u (k TEXT)')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      expect(held.calls).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it("answers at COMMIT with durability 'normal', and never fsyncs", async () => {
    const held = heldFsync();
    const store = new SqliteDatabase(path.join(dir, 'normal.db'), { fsync: held.fsync, durability: 'normal' });
    try {
      await store.exec('CREATE TABLE t (k TEXT PRIMARY KEY)');
      await store.run('INSERT INTO t (k) VALUES (?)', ['a']);
      expect(held.calls).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe('openDatabase on SQLite', () => {
  it('shares one connection per file in a process, closed with the last handle', async () => {
    const file = path.join(dir, 'shared.db');
    const a: SqlDatabase = await openDatabase(file);
    const b: SqlDatabase = await openDatabase(file);
    // Two handles writing concurrently would deadlock on separate connections.
    await Promise.all([
      a.transaction(async (tx) => tx.run("INSERT INTO network_keys (key_hash, name, created_at) VALUES ('x', 'a', 1)")),
      b.transaction(async (tx) => tx.run("INSERT INTO network_keys (key_hash, name, created_at) VALUES ('y', 'b', 1)")),
    ]);
    await a.close();
    expect(await b.query('SELECT name FROM network_keys ORDER BY name')).toEqual([{ name: 'a' }, { name: 'b' }]);
    await b.close();
    await expect(b.query('SELECT 1')).rejects.toThrow();
  });
});
