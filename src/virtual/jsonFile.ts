/** Reading a JSON state file (card image, dosa): each caller turns a failure into its own typed error. */
import { readFile } from 'node:fs/promises';

export type JsonReadFailure =
  | { kind: 'missing' }
  | { kind: 'unreadable'; errno: string; cause: unknown }
  | { kind: 'not-json' };

export async function readJsonFile(file: string, fail: (failure: JsonReadFailure) => Error): Promise<unknown> {
  let text: string;
  try {
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
