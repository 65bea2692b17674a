/**
 * Durability of SQLite's WAL without blocking the event loop. SQLite runs with
 * synchronous = NORMAL (a commit writes its WAL frames but does not fsync them) and the store
 * calls `sync()` after each COMMIT: an fsync of the -wal file on libuv's thread pool. The
 * store answers the committed transactions, and lets the next group at the connection, only
 * when it returns, so an answer is as durable as with synchronous = FULL; meanwhile the event
 * loop reads and parses the requests that arrive, and they make the next group larger.
 *
 * A failed fsync is final: the kernel may have dropped the dirty pages it could not write, so
 * a later fsync that succeeds proves nothing (PostgreSQL's "fsyncgate"). Every later sync
 * fails with the same error.
 */
import { closeSync, fsync, fsyncSync, openSync } from 'node:fs';
import path from 'node:path';
import { asStorageError } from '../../files/index.ts';
import { StoreError } from './sql.ts';

/** fsync(2) of `fd`, as node:fs gives it; the tests pass one that lets them order events. */
export type Fsync = (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => void;

export class WalSync {
  private fd: number | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly walFile: string,
    private readonly fsyncFd: Fsync = fsync,
  ) {}

  /** Resolves once everything written to the WAL before this call is on disk. */
  sync(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    let fd: number;
    try {
      fd = this.open();
    } catch (e) {
      return Promise.reject(this.fail(e));
    }
    return new Promise((resolve, reject) => {
      this.fsyncFd(fd, (error) => (error ? reject(this.fail(error)) : resolve()));
    });
  }

  /**
   * The WAL's descriptor, opened at the first sync (SQLite makes the file at the first write)
   * together with an fsync of its directory, as SQLite does when it creates a journal. The
   * file stays the same while the store's connection is open: SQLite deletes it only when the
   * last connection to the database closes.
   */
  private open(): number {
    if (this.fd !== undefined) return this.fd;
    const fd = openSync(this.walFile, 'r+');
    const dir = openSync(path.dirname(this.walFile), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    this.fd = fd;
    return fd;
  }

  private fail(e: unknown): Error {
    this.failure ??=
      asStorageError(e, path.dirname(this.walFile)) ??
      new StoreError('STORE_UNAVAILABLE', `Cannot make the database's log durable (${(e as Error).message}); restart the service.`, { cause: e });
    return this.failure;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
