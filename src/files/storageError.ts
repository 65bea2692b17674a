/**
 * A disk that cannot take a write: full (ENOSPC, EDQUOT; SQLite's SQLITE_FULL) or not
 * writable (EROFS, EACCES, EPERM; SQLite's SQLITE_READONLY*), typed STORAGE_FULL and
 * STORAGE_READ_ONLY with the folder the write was for, so the user is told what to free or fix
 * and where instead of "an unexpected error". The atomic write (privateFiles.ts) leaves the old
 * file in place, so nothing is half-written when one of these is raised.
 */
import path from 'node:path';
import { EkortError } from '../errors.ts';

export type StorageErrorCode = 'STORAGE_FULL' | 'STORAGE_READ_ONLY';

const FULL = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);
const READ_ONLY = new Set(['EROFS', 'EACCES', 'EPERM']);

export class StorageError extends EkortError {
  declare readonly code: StorageErrorCode;
  /** The folder the write was for (absolute). */
  readonly folder: string;

  constructor(code: StorageErrorCode, folder: string, options?: { cause?: unknown }) {
    super(
      code,
      code === 'STORAGE_FULL'
        ? `The disk is full: nothing could be saved in ${folder}. Free some space and try again.`
        : `The folder ${folder} cannot be written to (a read-only disk or no permission). Make it writable and try again.`,
      options,
    );
    this.folder = folder;
  }
}

/** The storage code of an errno or SQLite code, or undefined when it is another fault. */
export function storageCodeOf(code: unknown): StorageErrorCode | undefined {
  if (typeof code !== 'string') return undefined;
  if (FULL.has(code)) return 'STORAGE_FULL';
  if (READ_ONLY.has(code) || code.startsWith('SQLITE_READONLY')) return 'STORAGE_READ_ONLY';
  return undefined;
}

/**
 * `error` as a StorageError when it is a full or read-only disk, else undefined. The folder is
 * `folder` when given, else the directory of the path the error names.
 */
export function asStorageError(error: unknown, folder?: string): StorageError | undefined {
  if (error instanceof StorageError) return error;
  const code = storageCodeOf((error as { code?: unknown } | null)?.code);
  if (!code) return undefined;
  const where = folder ?? (error as NodeJS.ErrnoException).path;
  if (where === undefined) return undefined;
  return new StorageError(code, path.resolve(folder ?? path.dirname(where)), { cause: error });
}
