/**
 * The holder's commands talk to the service through the typed BankClient with the session
 * from the session file (`--session FILE`), at the address it was made with unless `--server`
 * says otherwise (the same bank at another address: sessions live in the bank's database).
 * The service's "log in again" answers keep their code and say which command does that.
 */
import { BankClient, BankClientError } from '../bank/index.ts';
import { UsageError } from './cliContext.ts';
import { defaultSessionPath, LOGIN_HINT, loadSession, type StoredSession } from './sessionFile.ts';

export interface HolderValues {
  server?: string | undefined;
  session?: string | undefined;
}

export interface Holder {
  client: BankClient;
  server: string;
  file: string;
  stored: StoredSession;
}

/** An http(s) URL without a trailing slash, or a usage error. */
export function serverUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--server must be the service's URL (e.g. http://127.0.0.1:8080), not "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--server must be an http:// or https:// URL, not "${text}"`);
  return text.replace(/\/+$/, '');
}

export const sessionPath = (values: HolderValues): string => values.session ?? defaultSessionPath();

/** The logged-in holder's client; NOT_LOGGED_IN when there is no session file. */
export async function openHolder(values: HolderValues): Promise<Holder> {
  const file = sessionPath(values);
  const stored = await loadSession(file);
  const server = values.server === undefined ? stored.server : serverUrl(values.server);
  return { client: new BankClient({ baseUrl: server, token: stored.token }), server, file, stored };
}

const LOG_IN_AGAIN = new Set(['UNAUTHENTICATED', 'SESSION_EXPIRED', 'REAUTH_REQUIRED']);

/** The error, with "Log in again: ekort login --server URL ..." where the session is the problem. */
export function holderError(error: unknown, server: string): unknown {
  if (!(error instanceof BankClientError) || !LOG_IN_AGAIN.has(error.code)) return error;
  const what = error.message.replace(/\s*Log in (again|first)\.?\s*$/, '');
  const hint = LOGIN_HINT.replace('URL', server);
  return new BankClientError(error.code, `${what ? `${what} ` : ''}Log in again: ${hint}.`, { status: error.status, cause: error });
}

/** Opens the holder's client and runs `fn` with it, session errors explained. */
export async function withHolder<T>(values: HolderValues, fn: (holder: Holder) => Promise<T>): Promise<T> {
  const holder = await openHolder(values);
  try {
    return await fn(holder);
  } catch (error) {
    throw holderError(error, holder.server);
  }
}
