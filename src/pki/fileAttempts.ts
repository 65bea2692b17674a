/**
 * Wrong passwords for BankID på fil, counted outside the file (the file is never rewritten):
 * one small JSON state file, keyed by the SHA-256 of each credential file's bytes, so a copy
 * of the same file shares its count. Five wrong passwords in a row lock the credential; a
 * right one sets the count back to zero.
 *
 * Where the state lives (decided by the caller): the desktop agent keeps it in its data folder
 * (`<dataDir>/file-credentials.json`); the `ekort` command in `$XDG_STATE_HOME/ekort/
 * file-credentials.json` (else `~/.local/state/ekort/file-credentials.json`). The count is
 * the app's own guard, not the issuer's: whoever can copy the file can try passwords
 * elsewhere, which is why the PBKDF2/MAC work per try is what protects a stolen file.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EkortError } from '../errors.ts';
import { ensurePrivateDir, tightenPrivateFile, writePrivateJson } from '../files/index.ts';

export const FILE_PASSWORD_MAX_FAILURES = 5;

export type FileCredentialErrorCode =
  | 'PASSWORD_INCORRECT'
  | 'FILE_CREDENTIAL_LOCKED'
  | 'FILE_CREDENTIAL_INVALID'
  | 'FILE_CREDENTIAL_UNSUPPORTED'
  | 'FILE_CREDENTIAL_UNPROTECTED'
  | 'FILE_CREDENTIAL_LEGACY'
  | 'FILE_CREDENTIAL_ITERATIONS_TOO_HIGH'
  | 'FILE_CREDENTIAL_MISMATCH'
  | 'FILE_CREDENTIAL_STATE'
  | 'PASSWORD_REQUIRED';

export class FileCredentialError extends EkortError {
  declare readonly code: FileCredentialErrorCode;
  /** PASSWORD_INCORRECT: wrong passwords left before the credential locks. */
  readonly triesLeft?: number;

  constructor(code: FileCredentialErrorCode, message: string, options: { cause?: unknown; triesLeft?: number } = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.triesLeft !== undefined) this.triesLeft = options.triesLeft;
  }
}

export const lockedError = (): FileCredentialError =>
  new FileCredentialError(
    'FILE_CREDENTIAL_LOCKED',
    `This BankID på fil is locked after ${FILE_PASSWORD_MAX_FAILURES} wrong passwords in a row. The password cannot be reset: order a new BankID from your bank.`,
    { triesLeft: 0 },
  );

interface Entry {
  failures: number;
  lockedAt?: string;
}
interface State {
  version: 1;
  credentials: Record<string, Entry>;
}

/** `$XDG_STATE_HOME/ekort/file-credentials.json`, else `~/.local/state/ekort/file-credentials.json`. */
export function defaultAttemptsFile(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  const xdg = env.XDG_STATE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.local', 'state'), 'ekort', 'file-credentials.json');
}

export class PasswordAttempts {
  /** In-process writes one at a time (the agent may get calls side by side). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly stateFile: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async status(id: string): Promise<{ failures: number; locked: boolean }> {
    const entry = (await this.read()).credentials[id];
    return { failures: entry?.failures ?? 0, locked: entry?.lockedAt !== undefined };
  }

  /** Throws FILE_CREDENTIAL_LOCKED for a locked credential. */
  async assertUsable(id: string): Promise<void> {
    if ((await this.status(id)).locked) throw lockedError();
  }

  /** Counts one wrong password; the error to throw says how many are left, or that it is locked now. */
  failed(id: string): Promise<FileCredentialError> {
    return this.update((state) => {
      const entry = state.credentials[id] ?? { failures: 0 };
      if (entry.lockedAt === undefined) entry.failures += 1;
      if (entry.failures >= FILE_PASSWORD_MAX_FAILURES) entry.lockedAt ??= this.now().toISOString();
      state.credentials[id] = entry;
      if (entry.lockedAt !== undefined) return lockedError();
      const triesLeft = FILE_PASSWORD_MAX_FAILURES - entry.failures;
      return new FileCredentialError('PASSWORD_INCORRECT', `The password is wrong. ${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left before this BankID på fil is locked.`, {
        triesLeft,
      });
    });
  }

  /** The right password: the count starts again (a locked credential stays locked). */
  async succeeded(id: string): Promise<void> {
    const current = (await this.read()).credentials[id];
    if (!current || current.failures === 0 || current.lockedAt !== undefined) return;
    await this.update((state) => {
      const entry = state.credentials[id];
      if (entry && entry.lockedAt === undefined) delete state.credentials[id];
    });
  }

  private async read(): Promise<State> {
    let text: string;
    try {
      await tightenPrivateFile(this.stateFile);
      text = await readFile(this.stateFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, credentials: {} };
      throw new FileCredentialError('FILE_CREDENTIAL_STATE', `Cannot read ${this.stateFile}`, { cause: error });
    }
    try {
      const state = JSON.parse(text) as State;
      if (state.version !== 1 || typeof state.credentials !== 'object' || state.credentials === null) throw new Error('unknown layout');
      return state;
    } catch (error) {
      // A state file we cannot read must not unlock anything: refuse rather than start from zero.
      throw new FileCredentialError('FILE_CREDENTIAL_STATE', `${this.stateFile} is damaged; remove it only if you know no BankID på fil is locked`, { cause: error });
    }
  }

  private update<T>(change: (state: State) => T): Promise<T> {
    const run = this.queue.then(async () => {
      const state = await this.read();
      const result = change(state);
      try {
        await ensurePrivateDir(path.dirname(this.stateFile));
        await writePrivateJson(this.stateFile, state);
      } catch (error) {
        throw new FileCredentialError('FILE_CREDENTIAL_STATE', `Cannot write ${this.stateFile}`, { cause: error });
      }
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
