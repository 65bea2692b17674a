/**
 * The holder's login session between `ekort` runs: one JSON file (mode 0600, written
 * atomically) with the service's address, the bearer token and who logged in. Default
 * $XDG_CONFIG_HOME/ekort/session.json, else ~/.config/ekort/session.json; `--session FILE`
 * picks another. The token is a secret: it is never printed.
 */
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as z from '../zod.ts';
import { EkortError } from '../errors.ts';
import { ensurePrivateDir, readJsonFile, writePrivateJson } from '../files/index.ts';

export const StoredSession = z.object({
  server: z.string().check(z.minLength(1)),
  token: z.string().check(z.minLength(1)),
  customer: z.object({ name: z.string(), personnummer: z.string() }),
  method: z.string(),
  authenticatedAt: z.string(),
});
export type StoredSession = z.infer<typeof StoredSession>;

export const LOGIN_HINT = 'ekort login --server URL (--card | --dosa FILE | --dosa-serial N | --app)';

export class SessionFileError extends EkortError {
  readonly file: string;

  constructor(code: 'NOT_LOGGED_IN' | 'SESSION_FILE_INVALID' | 'SESSION_FILE_UNREADABLE', message: string, file: string, cause?: unknown) {
    super(code, message, cause === undefined ? undefined : { cause });
    this.file = file;
  }
}

export function defaultSessionPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(os.homedir(), '.config');
  return path.join(base, 'ekort', 'session.json');
}

/** The session in `file`; NOT_LOGGED_IN when there is none, SESSION_FILE_INVALID / _UNREADABLE otherwise. */
export async function loadSession(file: string): Promise<StoredSession> {
  const json = await readJsonFile(file, (failure) => {
    if (failure.kind === 'missing') return new SessionFileError('NOT_LOGGED_IN', `Not logged in (no session in ${file}). Log in: ${LOGIN_HINT}.`, file);
    if (failure.kind === 'unreadable') return new SessionFileError('SESSION_FILE_UNREADABLE', `Cannot read the session file ${file} (${failure.errno}).`, file, failure.cause);
    return new SessionFileError('SESSION_FILE_INVALID', `The session file ${file} is not JSON. Log in again: ${LOGIN_HINT}.`, file);
  });
  const parsed = StoredSession.safeParse(json);
  if (!parsed.success) throw new SessionFileError('SESSION_FILE_INVALID', `The session file ${file} is not an ekort session. Log in again: ${LOGIN_HINT}.`, file);
  return parsed.data;
}

/** Writes the session (its directory made 0700 if missing), mode 0600, atomically. */
export async function saveSession(file: string, session: StoredSession): Promise<void> {
  await ensurePrivateDir(path.dirname(file));
  const { server, token, customer, method, authenticatedAt } = session;
  await writePrivateJson(file, { server, token, customer, method, authenticatedAt });
}

/** Removes the session file; no error when it is already gone. */
export async function deleteSession(file: string): Promise<void> {
  await rm(file, { force: true });
}
