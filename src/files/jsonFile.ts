/**
 * Reading a JSON state file (card image, dosa, token, app, session): each caller turns a
 * failure into its own typed error. These files hold secrets: one found readable by others is
 * made 0600 first, with a warning (src/files).
 */
import { readFile } from 'node:fs/promises';
import { tightenPrivateFile, type Warn } from './privateFiles.ts';

export type JsonReadFailure =
  | { kind: 'missing' }
  | { kind: 'unreadable'; errno: string; cause: unknown }
  | { kind: 'not-json' };

export async function readJsonFile(file: string, fail: (failure: JsonReadFailure) => Error, warn?: Warn): Promise<unknown> {
  let text: string;
  try {
    await tightenPrivateFile(file, warn);
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const errno = (cause as NodeJS.ErrnoException).code;
    throw fail(errno === 'ENOENT' ? { kind: 'missing' } : { kind: 'unreadable', errno: errno ?? 'error', cause });
  }
  try {
    return JSON.parse(text);
  } catch {
    throw fail({ kind: 'not-json' });
  }
}
