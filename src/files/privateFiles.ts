/**
 * Files that hold secrets (the store with its -wal and -shm, settings, sessions, card and token
 * images, keys, password-attempt counts) and the directories they live in: files 0600,
 * directories made here 0700, whatever the process umask. The mode is set explicitly after
 * creation (chmod), because a mode given to open/mkdir is only ever reduced by the umask and a
 * strange umask (0o177, 0o400) would leave a file unreadable or wrong.
 *
 * Writing is atomic: a fresh temp file in the same directory ('wx', so never someone else's),
 * its mode set, written, fsynced, renamed over the target, the directory fsynced so the rename
 * survives a power cut. On failure the temp file is removed and the old file stays as it was; a
 * full or read-only disk is raised as StorageError (STORAGE_FULL / STORAGE_READ_ONLY, with the
 * folder; storageError.ts), any other error passed on with its errno for the caller to type.
 *
 * Directories that already exist are left as they are: `--db /tmp/x.db` must not chmod /tmp.
 * An existing file that group or others can read is tightened to 0600 with one warning line
 * through the caller's `warn` (the path and the old mode only, never the content).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, constants, fchmodSync, mkdirSync, openSync, statSync } from 'node:fs';
import { chmod, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { asStorageError } from './storageError.ts';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** Where a warning line goes; the default is stderr. */
export type Warn = (message: string) => void;
export const warnOnStderr: Warn = (message) => process.stderr.write(`ekort: ${message}\n`);

/** The directories `mkdir -p dir` would create, outermost first. */
function missingDirs(dir: string, exists: (p: string) => boolean): string[] {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !exists(d); d = path.dirname(d)) {
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  return missing;
}

const existsSync = (p: string): boolean => {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
};

/** Makes `dir` and its missing parents, each created one 0700; existing ones are not changed. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  const created = missingDirs(dir, existsSync);
  try {
    await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    for (const d of created) await chmod(d, PRIVATE_DIR_MODE);
  } catch (e) {
    throw asStorageError(e) ?? e;
  }
}

/** ensurePrivateDir, for the synchronous openers (the SQLite store). */
export function ensurePrivateDirSync(dir: string): void {
  const created = missingDirs(dir, existsSync);
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  for (const d of created) chmodSync(d, PRIVATE_DIR_MODE);
}

/**
 * The one atomic write (see above). `mode` is PRIVATE_FILE_MODE unless the content is public
 * (a certificate, a CRL); it is set exactly, not through the umask.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode: number = PRIVATE_FILE_MODE): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'wx', mode & PRIVATE_FILE_MODE);
    try {
      await handle.chmod(mode);
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
    const dirHandle = await open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw asStorageError(e, dir) ?? e;
  }
}

/** Writes a secret: 0600, atomically. */
export const writePrivateFile = (file: string, data: string | Uint8Array): Promise<void> => writeFileAtomic(file, data, PRIVATE_FILE_MODE);

/** Writes `value` as indented JSON with a final newline: 0600, atomically. */
export const writePrivateJson = (file: string, value: unknown): Promise<void> => writePrivateFile(file, `${JSON.stringify(value, null, 2)}\n`);

const octal = (mode: number): string => (mode & 0o777).toString(8).padStart(4, '0');
const tightenMessage = (file: string, mode: number): string => `${file} was readable by others (mode ${octal(mode)}); it holds secrets, so it is now 0600`;
const cannotTighten = (file: string, mode: number, error: unknown): string =>
  `${file} is readable by others (mode ${octal(mode)}) and could not be made 0600 (${(error as NodeJS.ErrnoException).code ?? 'error'}); it holds secrets: fix its mode`;

/**
 * An existing file that group or others may read or write becomes 0600, with one warning (also
 * when it cannot be changed, e.g. someone else's file). True when it was changed.
 */
export async function tightenPrivateFile(file: string, warn: Warn = warnOnStderr): Promise<boolean> {
  let mode: number;
  try {
    mode = (await stat(file)).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  if ((mode & 0o077) === 0) return false;
  try {
    await chmod(file, PRIVATE_FILE_MODE);
  } catch (error) {
    warn(cannotTighten(file, mode, error));
    return false;
  }
  warn(tightenMessage(file, mode));
  return true;
}

/** tightenPrivateFile, for the synchronous openers. */
export function tightenPrivateFileSync(file: string, warn: Warn = warnOnStderr): boolean {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  if ((mode & 0o077) === 0) return false;
  try {
    chmodSync(file, PRIVATE_FILE_MODE);
  } catch (error) {
    warn(cannotTighten(file, mode, error));
    return false;
  }
  warn(tightenMessage(file, mode));
  return true;
}

/**
 * Makes sure `file` exists and is private before another library opens it (SQLite creates its
 * database 0644): created empty 0600 when missing, tightened with a warning when too open.
 */
export function preparePrivateFileSync(file: string, warn: Warn = warnOnStderr): void {
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    tightenPrivateFileSync(file, warn);
    return;
  }
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
  } finally {
    closeSync(fd);
  }
}
