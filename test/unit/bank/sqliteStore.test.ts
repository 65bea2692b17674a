/** The SQLite store's own mechanics: group commit with a savepoint per member, and one connection per file. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/bank/store/openDatabase.ts';
import type { SqlDatabase } from '../../../src/bank/store/sql.ts';
import { SqliteDatabase } from '../../../src/bank/store/sqlite.ts';

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
