/**
 * BankID på fil in the agent: the files in the user's BankID folders (and those the user
 * picked, remembered in memory while the agent runs), each with its holder shown before the
 * password; the login signs the service's challenge with the file's key (src/pki/fileSigner.ts).
 * The password passes through one call; wrong ones are counted in the data folder
 * (`file-credentials.json`, keyed by the file's SHA-256), five in a row lock the file.
 */
import path from 'node:path';
import type { BankClient } from '../bank/index.ts';
import type { Session } from '../bank/api/schemas.ts';
import type { FileCredentialInfo, PasswordAttempts } from '../pki/index.ts';
import type { FileCredential } from './api.ts';
import { AgentError } from './failure.ts';

export const ATTEMPTS_FILE = 'file-credentials.json';
const MAX_PICKED = 50;

function toApi(info: FileCredentialInfo): FileCredential {
  const h = info.holder;
  return {
    id: info.id,
    path: info.path,
    fileName: info.fileName,
    holder: h
      ? {
          name: h.name,
          personnummer: h.personnummer ?? null,
          organisation: h.organisation ? { number: h.organisation.number, name: h.organisation.name ?? null, personId: h.organisation.personId } : null,
          validUntil: h.validUntil,
        }
      : null,
    locked: info.locked === true,
  };
}

/** The PKI code (pkijs) comes with the first listing or login, not with the agent. */
const pki = () => import('../pki/index.ts');

export class FileLogins {
  private counted: Promise<PasswordAttempts> | undefined;
  /** Files the user picked, in the order picked. */
  private readonly picked: string[] = [];
  /** id → path, from the last listing. */
  private readonly known = new Map<string, string>();

  /** `bankIdDirs`: the folders searched; the user's BankID folders when not given. */
  constructor(
    private readonly dataDir: string,
    private readonly bankIdDirs?: string[],
  ) {}

  /** The wrong passwords counted in the data folder. */
  private attempts(): Promise<PasswordAttempts> {
    this.counted ??= pki().then(({ PasswordAttempts }) => new PasswordAttempts(path.join(this.dataDir, ATTEMPTS_FILE)));
    return this.counted;
  }

  async list(paths: string[] = []): Promise<FileCredential[]> {
    for (const p of paths) {
      const absolute = path.resolve(p);
      if (!this.picked.includes(absolute)) this.picked.push(absolute);
    }
    this.picked.splice(0, Math.max(0, this.picked.length - MAX_PICKED));
    const { defaultBankIdDirs, listFileCredentials } = await pki();
    const found = await listFileCredentials(this.bankIdDirs ?? defaultBankIdDirs(), { files: this.picked, attempts: await this.attempts() });
    this.known.clear();
    for (const f of found) this.known.set(f.id, f.path);
    return found.map(toApi);
  }

  /** Signs the service's challenge with the file's key after the password; then the service's login. */
  async login(bank: BankClient, input: { id?: string | undefined; path?: string | undefined; password: string }): Promise<Session> {
    let file = input.path;
    if (file === undefined && input.id !== undefined) {
      if (!this.known.has(input.id)) await this.list();
      file = this.known.get(input.id);
      if (file === undefined) throw new AgentError('FILE_CREDENTIAL_UNKNOWN', 'This BankID på fil is no longer there. Choose the file again.');
    }
    if (file === undefined) throw new AgentError('INVALID_INPUT', 'Give the BankID på fil: its id or its path.');
    const { openFileSigner, signChallenge } = await pki();
    const signer = await openFileSigner({ file, password: input.password, attempts: await this.attempts() });
    const challenge = await bank.cardChallenge();
    const cms = await signChallenge(Buffer.from(challenge.challenge, 'base64'), signer);
    return bank.cardLogin(challenge.challengeId, cms);
  }
}
