/**
 * A real small disk for the storage-fault tests: a tmpfs of a few hundred KiB mounted on a fresh
 * folder (root only), which can be filled to ENOSPC or remounted read-only (EROFS), as a user's
 * full or read-only disk is. Without mount rights the file skips; with CI=true it throws
 * instead: CI never skips.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface SmallDisk {
  readonly dir: string;
  /** Writes a filler file until the disk is full (ENOSPC). */
  fill(): void;
  /** Removes the filler: the disk has room again. */
  free(): void;
  readOnly(): void;
  writable(): void;
  unmount(): void;
}

const mount = (args: string[]): void => {
  execFileSync('mount', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
};

export function mountSmallDisk(sizeKiB = 512): SmallDisk {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ekort-disk-'));
  mount(['-t', 'tmpfs', '-o', `size=${sizeKiB}k,mode=0700`, 'tmpfs', dir]);
  const filler = path.join(dir, 'filler');
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      const block = Buffer.alloc(4096, 0x55);
      try {
        for (;;) writeSync(fd, block);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      } finally {
        closeSync(fd);
      }
    },
    free() {
      rmSync(filler, { force: true });
    },
    readOnly() {
      mount(['-o', 'remount,ro', dir]);
    },
    writable() {
      mount(['-o', 'remount,rw', dir]);
    },
    unmount() {
      try {
        execFileSync('umount', ['-l', dir], { stdio: 'ignore', timeout: 10_000 });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** True when this process may mount a tmpfs; with CI=true, throws when it may not. */
export function canMountSmallDisk(): boolean {
  try {
    mountSmallDisk(64).unmount();
    return true;
  } catch (e) {
    const message = `storage-fault tests need to mount a tmpfs (root): ${(e as Error).message.split('\n')[0]}`;
    if (process.env.CI === 'true') throw new Error(`${message} (CI=true: these tests must run, not skip)`, { cause: e });
    process.stderr.write(`skipping: ${message}\n`);
    return false;
  }
}
