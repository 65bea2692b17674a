/**
 * A full and a read-only disk, for real (a small tmpfs, test/support/smallDisk.ts): every write
 * the app and the service make is refused as STORAGE_FULL / STORAGE_READ_ONLY naming the folder,
 * never INTERNAL; the file that was there stays whole, no temp file is left, and once the disk
 * has room (or is writable) again the same calls work.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteDatabase } from '../../src/bank/store/sqlite.ts';
import { COMMITS_PER_CHECKPOINT } from '../../src/bank/store/walCheckpointer.ts';
import { toApiError } from '../../src/bank/api/server.ts';
import { type Agent, createAgent } from '../../src/client/agent.ts';
import { StorageError, writePrivateJson } from '../../src/files/index.ts';
import { failureOf, thrown } from '../support/failures.ts';
import { canMountSmallDisk, mountSmallDisk, type SmallDisk } from '../support/smallDisk.ts';

const available = canMountSmallDisk();

describe.skipIf(!available)('a full or read-only disk (tmpfs)', () => {
  let disk: SmallDisk;
  beforeAll(() => {
    disk = mountSmallDisk(512);
  });
  afterAll(() => disk?.unmount());

  it('an atomic write to a full disk is STORAGE_FULL with the folder; the old file stays whole, no temp file left', async () => {
    const file = path.join(disk.dir, 'settings.json');
    await writePrivateJson(file, { language: 'sv' });
    disk.fill();
    try {
      const error = await thrown(() => writePrivateJson(file, { language: 'en', padding: 'x'.repeat(8192) }));
      expect(error).toBeInstanceOf(StorageError);
      expect(error).toMatchObject({ code: 'STORAGE_FULL', folder: disk.dir });
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ language: 'sv' });
      expect(readdirSync(disk.dir).sort()).toEqual(['filler', 'settings.json']);
    } finally {
      disk.free();
    }
    await writePrivateJson(file, { language: 'en' });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ language: 'en' });
  });

  it('a write to a read-only disk is STORAGE_READ_ONLY with the folder', async () => {
    const file = path.join(disk.dir, 'ro.json');
    await writePrivateJson(file, { a: 1 });
    disk.readOnly();
    try {
      expect(await thrown(() => writePrivateJson(file, { a: 2 }))).toMatchObject({ code: 'STORAGE_READ_ONLY', folder: disk.dir });
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ a: 1 });
    } finally {
      disk.writable();
    }
  });

  it('the SQLite store on a full disk: STORAGE_FULL with its folder, answered 507 by the service; rows written before are kept', async () => {
    const db = new SqliteDatabase(path.join(disk.dir, 'full.db'));
    try {
      await db.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
      await db.run('INSERT INTO t (v) VALUES (?)', ['kept']);
      disk.fill();
      let error: unknown;
      for (let i = 0; i < 2000 && error === undefined; i++) {
        error = await thrown(() => db.run('INSERT INTO t (v) VALUES (?)', ['x'.repeat(4096) + String(i)])).catch(() => undefined);
      }
      expect(error).toBeInstanceOf(StorageError);
      expect(error).toMatchObject({ code: 'STORAGE_FULL', folder: disk.dir });
      const api = toApiError(error);
      expect(api.status).toBe(507);
      expect(api.body.code).toBe('STORAGE_FULL');
      expect(JSON.stringify(api.body)).not.toContain(disk.dir);
      disk.free();
      expect(await db.query<{ v: unknown }>('SELECT v FROM t WHERE id = 1')).toEqual([{ v: 'kept' }]);
      await db.run('INSERT INTO t (v) VALUES (?)', ['after']);
    } finally {
      disk.free();
      await db.close();
    }
  });

  it("a busy store's checkpoints on their thread fail on the full disk and go on once it has room again", async () => {
    const own = mountSmallDisk(4096);
    const warnings: string[] = [];
    const file = path.join(own.dir, 'busy.db');
    const db = new SqliteDatabase(file, { warn: (line) => warnings.push(line) });
    const autocheckpoint = async (): Promise<number> => (await db.query<{ wal_autocheckpoint: number }>('PRAGMA wal_autocheckpoint'))[0]!.wal_autocheckpoint;
    const insert = (n: number): Promise<unknown> => Array.from({ length: n }).reduce<Promise<unknown>>((done) => done.then(() => db.run('INSERT INTO t (v) VALUES (randomblob(500))')), Promise.resolve());
    try {
      await db.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
      await insert(COMMITS_PER_CHECKPOINT * 2);
      expect(await autocheckpoint()).toBe(0);
      // New pages in the WAL that the database file must grow to take, and no room for them.
      await insert(COMMITS_PER_CHECKPOINT / 2);
      own.fill();
      // Measured once the disk is full: a checkpoint the worker made while it was being filled
      // (its idle second can end there) has grown the file for the last time.
      const pages = statSync(file).size;
      // The worker's next checkpoint, within its idle second, fails: the file stays as it was.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(statSync(file).size).toBe(pages);
      own.free();
      await insert(COMMITS_PER_CHECKPOINT * 2);
      // Still the worker's: SQLite's own checkpoints stayed off, and nothing was said.
      expect(await autocheckpoint()).toBe(0);
      expect(warnings).toEqual([]);
      expect(statSync(file).size).toBeGreaterThan(pages);
      expect((await db.query<{ n: number }>('SELECT count(*) AS n FROM t'))[0]!.n).toBe(COMMITS_PER_CHECKPOINT * 4 + COMMITS_PER_CHECKPOINT / 2);
    } finally {
      own.free();
      await db.close();
      own.unmount();
    }
  });

  it('opening the store on a read-only disk is STORAGE_READ_ONLY, not STORE_UNAVAILABLE', async () => {
    disk.readOnly();
    try {
      expect(await thrown(() => new SqliteDatabase(path.join(disk.dir, 'new.db')))).toMatchObject({ code: 'STORAGE_READ_ONLY', folder: disk.dir });
    } finally {
      disk.writable();
    }
  });
});

describe.skipIf(!available)('the app on a full or read-only data folder', () => {
  let disk: SmallDisk;
  let agent: Agent;
  beforeAll(async () => {
    disk = mountSmallDisk(2048);
    agent = await createAgent({ dataDir: disk.dir, hid: false, log: () => undefined });
  }, 60_000);
  afterAll(async () => {
    await agent?.close();
    disk?.unmount();
  });

  it('a language choice on a full disk fails as STORAGE_FULL naming the data folder; the saved settings are unchanged', async () => {
    const before = await agent.updateSettings({ engineerMode: false });
    const saved = readFileSync(path.join(disk.dir, 'settings.json'), 'utf8');
    disk.fill();
    try {
      const failure = await failureOf(agent.updateSettings({ language: before.language === 'sv' ? 'en' : 'sv' }));
      expect(failure).toMatchObject({ code: 'STORAGE_FULL', folder: disk.dir });
    } finally {
      disk.free();
    }
    expect((await agent.settings()).language).toBe(before.language);
    expect(readFileSync(path.join(disk.dir, 'settings.json'), 'utf8')).toBe(saved);
  });

  it("the embedded service's full disk is the app's data folder: STORAGE_FULL with that folder; with room again it works", async () => {
    disk.fill();
    let failure: Awaited<ReturnType<typeof failureOf>> | undefined;
    try {
      for (let i = 0; i < 500 && failure === undefined; i++) {
        failure = await failureOf(agent.startAppLogin()).catch(() => undefined);
      }
    } finally {
      disk.free();
    }
    expect(failure).toMatchObject({ code: 'STORAGE_FULL', folder: disk.dir });
    await expect(agent.startAppLogin()).resolves.toMatchObject({ orderRef: expect.any(String) });
  }, 60_000);

  it('the app started on a read-only data folder says STORAGE_READ_ONLY with the folder', async () => {
    await agent.close();
    disk.readOnly();
    try {
      const error = await thrown(() => createAgent({ dataDir: disk.dir, hid: false, log: () => undefined }));
      expect(error).toMatchObject({ code: 'STORAGE_READ_ONLY', folder: disk.dir });
    } finally {
      disk.writable();
    }
  }, 60_000);
});
