import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultSessionPath, deleteSession, loadSession, saveSession, SessionFileError, type StoredSession } from '../../../src/cli/sessionFile.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-session-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const session: StoredSession = {
  server: 'http://127.0.0.1:8080',
  token: 'A'.repeat(43),
  customer: { name: 'Anna Andersson', personnummer: '199001012385' },
  method: 'dosa',
  authenticatedAt: '2025-01-01T10:00:00.000Z',
};

async function failure(file: string): Promise<SessionFileError> {
  const error = await loadSession(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SessionFileError);
  return error as SessionFileError;
}

describe('the session file', () => {
  it('is written mode 0600 (in a new directory, 0700) and read back', async () => {
    const file = path.join(dir, 'config', 'ekort', 'session.json');
    await saveSession(file, { ...session, extra: 'not kept' } as StoredSession);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect(await loadSession(file)).toEqual(session);
    expect(Object.keys(JSON.parse(await readFile(file, 'utf8'))).sort()).toEqual(['authenticatedAt', 'customer', 'method', 'server', 'token']);
  });

  it('replaces an older, looser file with a 0600 one', async () => {
    const file = path.join(dir, 'session.json');
    await writeFile(file, '{}', { mode: 0o644 });
    await saveSession(file, session);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('missing: NOT_LOGGED_IN, saying how to log in', async () => {
    const error = await failure(path.join(dir, 'none.json'));
    expect(error.code).toBe('NOT_LOGGED_IN');
    expect(error.message).toContain('ekort login --server URL');
    expect(error.toJSON()).toMatchObject({ code: 'NOT_LOGGED_IN', file: path.join(dir, 'none.json') });
  });

  it('not JSON or not a session: SESSION_FILE_INVALID', async () => {
    const file = path.join(dir, 'session.json');
    await writeFile(file, 'not json');
    expect((await failure(file)).code).toBe('SESSION_FILE_INVALID');
    await writeFile(file, JSON.stringify({ server: 'x' }));
    expect((await failure(file)).code).toBe('SESSION_FILE_INVALID');
  });

  it('is deleted, twice without complaint', async () => {
    const file = path.join(dir, 'session.json');
    await saveSession(file, session);
    await deleteSession(file);
    await deleteSession(file);
    expect((await failure(file)).code).toBe('NOT_LOGGED_IN');
  });

  it('lives in $XDG_CONFIG_HOME/ekort, else ~/.config/ekort', () => {
    expect(defaultSessionPath({ XDG_CONFIG_HOME: '/xdg' })).toBe('/xdg/ekort/session.json');
    expect(defaultSessionPath({})).toBe(path.join(os.homedir(), '.config', 'ekort', 'session.json'));
    expect(defaultSessionPath({ XDG_CONFIG_HOME: 'relative' })).toBe(path.join(os.homedir(), '.config', 'ekort', 'session.json'));
  });
});
