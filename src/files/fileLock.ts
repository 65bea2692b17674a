/**
 * A lock between processes on one data folder: a lock file made with O_EXCL ('wx') holding the
 * owner's pid, removed when the work is done. A lock whose owner is gone (crashed, killed) is
 * taken over; one held longer than `timeoutMs` by a live process fails with LOCK_TIMEOUT rather
 * than waiting for ever.
 */
import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { EkortError } from '../errors.ts';
import { asStorageError } from './storageError.ts';

const RETRY_MS = 20;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs `fn` holding `lockFile`; waits (bounded) while another process holds it. */
export async function withFileLock<T>(lockFile: string, fn: () => Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockFile, 'wx', 0o600);
      try {
        await handle.writeFile(String(process.pid));
      } catch (e) {
        // A full disk takes the empty file but not the pid: leave no lock behind.
        await handle.close();
        await rm(lockFile, { force: true });
        throw e;
      }
      await handle.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw asStorageError(e, path.dirname(lockFile)) ?? e;
      const owner = Number.parseInt(await readFile(lockFile, 'utf8').catch(() => ''), 10);
      // An empty file is a lock being written this instant: wait for it like a held one.
      if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
        await rm(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new EkortError('LOCK_TIMEOUT', `Another e-kort window has held ${lockFile} for over ${timeoutMs / 1000} s. Close the other window and try again.`);
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockFile, { force: true });
  }
}
