/**
 * Writing a file so that a crash leaves either the old or the new content, never a torn file:
 * a temp file (given mode, 0600 by default) in the same directory, fsync, rename over the
 * target, fsync the directory so the rename itself survives a power cut. The temp file is
 * removed when anything fails; the error (errno code intact) is passed on to the caller, who
 * wraps it in its own typed error.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    // 'wx': a fresh file, created with `mode` (less the umask), never someone else's.
    const handle = await open(tmp, 'wx', mode);
    try {
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
    await rm(tmp, { force: true });
    throw e;
  }
}
