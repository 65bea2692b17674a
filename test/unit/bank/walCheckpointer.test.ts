/**
 * The SQLite store's checkpoints on a worker thread (walCheckpointer.ts): a busy store's event
 * loop runs none, the WAL still starts again from its beginning under constant writes, and the
 * store's connection is the last to close. Real files, a real worker, real SQLite.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteDatabase } from '../../../src/bank/store/sqlite.ts';
import { COMMITS_PER_CHECKPOINT } from '../../../src/bank/store/walCheckpointer.ts';

const PAGE = 4096;
const WAL_HEADER = 32;
const FRAME = 24 + PAGE;

let dir: string;
let file: string;
let db: SqliteDatabase;
let nextId: number;
beforeEach(async () => {
  nextId = 0;
  dir = mkdtempSync(path.join(os.tmpdir(), 'ekort-checkpoint-'));
  file = path.join(dir, 'c.db');
  db = new SqliteDatabase(file);
  // Rows in key order, as the service's: every commit rewrites the same last leaf pages.
  await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL, v BLOB NOT NULL); CREATE INDEX t_k ON t (k)');
});
afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The WAL header's checkpoint sequence number: how often the WAL started again from its beginning. */
function restarts(): number {
  const fd = openSync(`${file}-wal`, 'r');
  try {
    const header = Buffer.alloc(WAL_HEADER);
    readSync(fd, header, 0, WAL_HEADER, 0);
    return header.readUInt32BE(12);
  } finally {
    closeSync(fd);
  }
}

/** This process's threads: the checkpoints' worker is one. */
const threads = (): number => readdirSync('/proc/self/task').length;

const autocheckpoint = async (): Promise<number> => (await db.query<{ wal_autocheckpoint: number }>('PRAGMA wal_autocheckpoint'))[0]!.wal_autocheckpoint;

/** `writers` clients each committing `each` transactions one after another, as the service's requests do. */
async function write(writers: number, each: number): Promise<void> {
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let i = 0; i < each; i++) {
        const id = nextId++;
        await db.transaction((tx) => tx.run('INSERT INTO t (id, k, v) VALUES (?, ?, randomblob(300))', [id, `k${String(id).padStart(8, '0')}`]));
      }
    }),
  );
}

describe('SQLite checkpoints on a worker thread', () => {
  it('leaves a store that commits seldom to SQLite itself: no thread for an ekort command', async () => {
    await write(1, COMMITS_PER_CHECKPOINT - 10);
    expect(await autocheckpoint()).toBe(1000);
  });

  it('takes the checkpoints off the event loop of a busy store, and the WAL still starts again from its beginning', async () => {
    const before = statSync(file).size;
    // One writer: a group commit each, so the commits are counted exactly.
    await write(1, COMMITS_PER_CHECKPOINT * 2);
    // The store's own connection runs no checkpoint from then on.
    expect(await autocheckpoint()).toBe(0);

    // Constant writes from 16 clients: without a new beginning the WAL would hold every frame.
    await write(16, 1000);
    const rows = await db.query<{ n: number }>('SELECT count(*) AS n FROM t');
    expect(rows[0]!.n).toBe(COMMITS_PER_CHECKPOINT * 2 + 16 * 1000);
    // The WAL header counts its new beginnings (its checkpoint sequence number): about one a
    // checkpoint. The file stays the size of the most frames between two (some 300 here; 6 000
    // frames, 24 MB, when it never began again).
    expect(restarts()).toBeGreaterThanOrEqual(5);
    expect((statSync(`${file}-wal`).size - WAL_HEADER) / FRAME).toBeLessThan(2000);
    // The worker copied the pages into the database file itself.
    expect(statSync(file).size).toBeGreaterThan(before + 100 * PAGE);
  });

  it('starts no thread for a store that commits at a trickle, however long it runs', async () => {
    await db.close();
    const before = threads();
    db = new SqliteDatabase(file, { checkpointThread: { busyWithinMs: 50 } });
    // 128 commits, none within 50 ms of the 64th before it.
    for (let i = 0; i < COMMITS_PER_CHECKPOINT * 2; i++) {
      await db.run('INSERT INTO t (id, k, v) VALUES (?, ?, x\'00\')', [i, `k${i}`]);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(await autocheckpoint()).toBe(1000);
    expect(threads()).toBe(before);
  });

  it('ends the thread of a store that went quiet, SQLite checkpointing again, and starts another when it is busy again', async () => {
    await db.close();
    const before = threads();
    db = new SqliteDatabase(file, { checkpointThread: { idleExitMs: 300 } });
    await write(1, COMMITS_PER_CHECKPOINT * 2);
    expect(await autocheckpoint()).toBe(0);
    expect(threads()).toBe(before + 1);
    for (let waited = 0; threads() > before && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(threads()).toBe(before);
    expect(await autocheckpoint()).toBe(1000);
    await write(1, COMMITS_PER_CHECKPOINT * 2);
    expect(await autocheckpoint()).toBe(0);
    expect(threads()).toBe(before + 1);
  });

  it('starts its worker alike when the store runs from the TypeScript sources through tsx (a checkout without a fresh bundle)', () => {
    // tsx rewrites named functions to call a helper of its own: the worker's source must run without it.
    const script = path.join(dir, 'busy.mjs');
    writeFileSync(
      script,
      `const { SqliteDatabase } = await import(${JSON.stringify(fileURLToPath(new URL('../../../src/bank/store/sqlite.ts', import.meta.url)))});
const warnings = [];
const db = new SqliteDatabase(${JSON.stringify(path.join(dir, 'tsx.db'))}, { warn: (line) => warnings.push(line) });
await db.exec('CREATE TABLE t (v)');
for (let i = 0; i < ${COMMITS_PER_CHECKPOINT * 2}; i++) await db.run('INSERT INTO t VALUES (?)', [i]);
await new Promise((resolve) => setTimeout(resolve, 200));
const [row] = await db.query('PRAGMA wal_autocheckpoint');
await db.close();
process.stdout.write(JSON.stringify({ autocheckpoint: row.wal_autocheckpoint, warnings }));
`,
    );
    const out = execFileSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 30_000 });
    expect(JSON.parse(out)).toEqual({ autocheckpoint: 0, warnings: [] });
  });

  it('ends the worker thread before the store has closed, and the close removes the WAL as the last connection', async () => {
    const before = threads();
    await write(4, COMMITS_PER_CHECKPOINT);
    expect(await autocheckpoint()).toBe(0);
    expect(threads()).toBe(before + 1);
    expect(existsSync(`${file}-wal`)).toBe(true);
    await db.close();
    expect(threads()).toBe(before);
    expect(existsSync(`${file}-wal`)).toBe(false);
    db = new SqliteDatabase(file);
    expect((await db.query<{ n: number }>('SELECT count(*) AS n FROM t'))[0]!.n).toBe(4 * COMMITS_PER_CHECKPOINT);
  });
});
