/**
 * SQLite's checkpoints off the event loop. A checkpoint copies the WAL's pages into the
 * database file and fsyncs both; SQLite runs one inside the COMMIT that takes the WAL past 1 000
 * pages, which under load stalled the event loop 7-10 ms every tenth of a second or so, and with
 * it every answer waiting (the SQLite p99). A busy store hands them to a worker thread with a
 * connection of its own instead, which checkpoints PASSIVE: it never waits for the store's
 * writes, nor holds them up, while it copies the bulk.
 *
 * The WAL starts again from its beginning only when a write transaction begins while every frame
 * in it has been copied, and beside constant writes a checkpoint always leaves the newest few
 * behind: the WAL grew by 40-60 MB a second under load. So once the bulk is copied the worker asks
 * the store to hold its next group (pause): the store says so between two groups, the worker
 * copies the few frames left (well under a millisecond, two fsyncs), and the held group, the
 * requests that came meanwhile with it, begins on a WAL that starts again.
 *
 * A thread is a whole Node environment, some 10 MB: it runs only while the store is busy
 * (COMMITS_PER_CHECKPOINT commits within busyWithinMs), and ends when the store has been quiet
 * for idleExitMs, SQLite's own checkpoints taking over again. An `ekort` command, or the app's
 * store between a holder's few purchases a day, never starts one.
 */
import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';
import { type Warn, warnOnStderr } from '../../files/index.ts';

/** Commits between the worker's checkpoints: about 1 000 WAL pages at full load, as SQLite's own. */
export const COMMITS_PER_CHECKPOINT = 64;
/** How long the worker lets a few commits wait for a checkpoint when no more come. */
const IDLE_CHECKPOINT_MS = 1000;
/** How long either side waits for the other in the handshake of a pause before going on without it. */
const PAUSE_TIMEOUT_MS = 100;
/** How long close() waits for a checkpoint under way before leaving the worker to its end. */
const CLOSE_TIMEOUT_MS = 5000;

export interface CheckpointThreadOptions {
  /** A store is busy when it makes COMMITS_PER_CHECKPOINT commits within this; default 2 s. */
  busyWithinMs?: number;
  /** How long a quiet store keeps its thread; default 30 s. */
  idleExitMs?: number;
}

/**
 * The shared cells: commits so far; checkpoints asked for; the request to stop; and the pause:
 * 0 none, 1 the worker asks for one, 2 the store holds its writes until the worker sets 0.
 */
const COMMITS = 0;
const ASKED = 1;
const STOP = 2;
const PAUSE = 3;

interface WorkerInput {
  /** Where better-sqlite3 is, for the worker's require() (the bundles hold their own copy). */
  sqlite: string;
  file: string;
  cells: Int32Array;
  idleMs: number;
  idleExitMs: number;
  pauseTimeoutMs: number;
}

/**
 * The worker's program, run from its source text (WORKER_SOURCE), so the bundles need no file
 * beside them: it may use nothing but its arguments (the cells by number: COMMITS 0, ASKED 1,
 * STOP 2, PAUSE 3).
 */
function checkpointLoop({ sqlite, file, cells, idleMs, idleExitMs, pauseTimeoutMs }: WorkerInput, load: (id: string) => unknown): void {
  const Database = load(sqlite) as new (file: string) => { pragma(sql: string): unknown; close(): void };
  const db = new Database(file);
  /** Frames in the WAL not yet in the database file, after one PASSIVE checkpoint. */
  const checkpoint = (): number => {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number; checkpointed: number }>;
    return result && result.log > 0 ? result.log - result.checkpointed : 0;
  };
  let asked = 0;
  let seen = 0;
  let quietSince = Date.now();
  try {
    while (Atomics.load(cells, 2) === 0) {
      Atomics.wait(cells, 1, asked, Math.min(idleMs, idleExitMs));
      asked = Atomics.load(cells, 1);
      const commits = Atomics.load(cells, 0);
      if (Atomics.load(cells, 2) !== 0) break;
      if (commits === seen) {
        if (Date.now() - quietSince >= idleExitMs) break;
        continue;
      }
      quietSince = Date.now();
      seen = commits;
      let held = false;
      try {
        // The bulk beside the writes; each round is shorter than the one before.
        let left = checkpoint();
        for (let round = 0; round < 3 && left > 64; round++) left = checkpoint();
        // The rest with the writes held, even when nothing was left: a checkpoint (two fsyncs)
        // outlasts a group commit, so the next group has always begun before it ends. A store
        // that does not answer within the timeout writes nothing (no group under way): the
        // request is taken back and the rest copied all the same.
        Atomics.store(cells, 3, 1);
        Atomics.wait(cells, 3, 1, pauseTimeoutMs);
        held = Atomics.compareExchange(cells, 3, 1, 0) === 2;
        checkpoint();
      } catch {
        // A checkpoint that failed (a full disk) is tried again within idleMs, as SQLite tries
        // its own again: the pages stay in the WAL meanwhile, and the store's writes report the disk.
        seen = -1;
      } finally {
        if (held) {
          Atomics.store(cells, 3, 0);
          Atomics.notify(cells, 3);
        }
      }
    }
  } finally {
    db.close();
  }
}

/**
 * tsx (the sources run without a fresh bundle) keeps function names by wrapping each named
 * function in a call of its helper __name, which the worker would not have: one that does nothing.
 */
const WORKER_SOURCE = `const __name = (f) => f;\n(${checkpointLoop.toString()})(require('node:worker_threads').workerData, require);`;

export class WalCheckpointer {
  private readonly cells = new Int32Array(new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT));
  private worker: Worker | undefined;
  private exited: Promise<void> | undefined;
  /** When the last COMMITS_PER_CHECKPOINT commits began: at the open, then at each multiple. */
  private batchStart = performance.now();
  /** A worker failed (and said why): SQLite's own checkpoints for the rest of the store's life. */
  private failed = false;
  private readonly busyWithinMs: number;
  private readonly idleExitMs: number;

  /**
   * `automatic(false)` is called when a worker starts, for the store to turn SQLite's own
   * checkpoints off, and `automatic(true)` when it ends (a quiet store, or a failure, said to
   * `warn`).
   */
  constructor(
    private readonly file: string,
    private readonly automatic: (on: boolean) => void,
    private readonly warn: Warn = warnOnStderr,
    options: CheckpointThreadOptions = {},
  ) {
    this.busyWithinMs = options.busyWithinMs ?? 2000;
    this.idleExitMs = options.idleExitMs ?? 30_000;
  }

  /** Counts a commit; every COMMITS_PER_CHECKPOINT-th wakes the worker, or starts one on a busy store. */
  committed(): void {
    const commits = Atomics.add(this.cells, COMMITS, 1) + 1;
    if (commits % COMMITS_PER_CHECKPOINT !== 0) return;
    const now = performance.now();
    const busy = now - this.batchStart <= this.busyWithinMs;
    this.batchStart = now;
    if (!this.worker) {
      if (!busy || this.failed) return;
      this.start();
    }
    Atomics.add(this.cells, ASKED, 1);
    Atomics.notify(this.cells, ASKED);
  }

  /**
   * Called by the store between two groups, with no transaction open: when the worker asks for a
   * pause, a promise that settles once it has copied the rest (or after PAUSE_TIMEOUT_MS); else
   * undefined, and the group begins at once.
   */
  pause(): Promise<void> | undefined {
    if (Atomics.compareExchange(this.cells, PAUSE, 1, 2) !== 1) return undefined;
    Atomics.notify(this.cells, PAUSE);
    const { async, value } = Atomics.waitAsync(this.cells, PAUSE, 2, PAUSE_TIMEOUT_MS);
    if (!async) return undefined;
    // The wait holds nothing of the event loop's, nor does the (unref'd) worker: a timer keeps
    // the process alive until the wait ends.
    const alive = setTimeout(() => undefined, PAUSE_TIMEOUT_MS);
    return value.then(() => clearTimeout(alive));
  }

  private start(): void {
    const require = createRequire(import.meta.url);
    const sqlite = require.resolve('better-sqlite3');
    const workerData: WorkerInput = { sqlite, file: this.file, cells: this.cells, idleMs: IDLE_CHECKPOINT_MS, idleExitMs: this.idleExitMs, pauseTimeoutMs: PAUSE_TIMEOUT_MS };
    // Loaded here, not at the top: a store that never gets busy (every command, a server's
    // start) does without Node's worker modules (some 0.3 MB).
    const { Worker: WorkerThread } = require('node:worker_threads') as typeof import('node:worker_threads');
    const worker: Worker = new WorkerThread(WORKER_SOURCE, { eval: true, workerData });
    // A worker that fails (its connection could not open) would leave the WAL growing without
    // checkpoints: SQLite's own come back on, for the rest of the store's life.
    worker.once('error', (error) => {
      this.failed = true;
      this.warn(`SQLite's checkpoints of ${this.file} run on the main thread again: their worker failed (${error.message})`);
    });
    this.exited = new Promise((resolve) =>
      worker.once('exit', () => {
        // Quiet (or failed): SQLite checkpoints again, until the store is busy once more.
        if (this.worker === worker) {
          this.worker = undefined;
          if (Atomics.load(this.cells, STOP) === 0) this.automatic(true);
        }
        resolve();
      }),
    );
    worker.unref();
    this.worker = worker;
    this.automatic(false);
  }

  /** Stops the worker after the checkpoint under way, so the store's connection closes last. */
  async close(): Promise<void> {
    Atomics.store(this.cells, STOP, 1);
    if (!this.worker) return;
    Atomics.notify(this.cells, ASKED);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)));
    await Promise.race([this.exited, late]);
    clearTimeout(timer);
  }
}
