/**
 * BankID på fil: a PKCS #12 file on the computer, protected by a password. Several people on
 * one computer each have their own file, so the holder is shown before the password is asked:
 * from the file's unencrypted certificate (files made by `ekort pki issue --p12` have one);
 * where the certificates are encrypted too (OpenSSL's default), only the file name.
 *
 * Discovery: *.p12 and *.pfx in the user's BankID folders (not their subfolders): on Linux
 * `$EKORT_BANKID_DIR` (one or more folders, separated by ':') or else `~/.bankid`, plus
 * files the user picks. BankID's own Security Application keeps its files in an undocumented
 * format, so they are not looked for.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseCertificate, type CertificateInfo } from './certificate.ts';
import { FileCredentialError, type PasswordAttempts } from './fileAttempts.ts';
import type { Organisation } from './organisation.ts';
import { parsePfx, Pkcs12Error, type ParsedPfx, type SafeBag } from './pkcs12.ts';

/** Larger files are not BankID på fil; they are not read at all. */
export const MAX_CREDENTIAL_BYTES = 256 * 1024;
export const CREDENTIAL_EXTENSIONS = ['.p12', '.pfx'] as const;

export interface FileCredentialHolder {
  name: string;
  personnummer?: string;
  organisation?: Organisation;
  /** ISO 8601. */
  validUntil: string;
}

export interface FileCredentialInfo {
  /** SHA-256 of the file's bytes, hex: the same file wherever it lies. */
  id: string;
  path: string;
  fileName: string;
  /** null: the file encrypts its certificate too; the holder shows after the password. */
  holder: FileCredentialHolder | null;
  /** Set when the listing was given the wrong-password counter. */
  locked?: boolean;
}

/** The folders to look in: `$EKORT_BANKID_DIR` (':'-separated), else `~/.bankid`. */
export function defaultBankIdDirs(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string[] {
  const configured = (env.EKORT_BANKID_DIR ?? '').split(path.delimiter).filter((d) => d !== '' && path.isAbsolute(d));
  return configured.length > 0 ? configured : [path.join(home, '.bankid')];
}

export const credentialId = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export function holderOf(cert: CertificateInfo): FileCredentialHolder {
  const s = cert.subject;
  const name = s.commonName ?? ([s.givenName, s.surname].filter(Boolean).join(' ') || s.dn);
  return {
    name,
    ...(s.personnummer === undefined ? {} : { personnummer: s.personnummer }),
    ...(s.organisation === undefined ? {} : { organisation: s.organisation }),
    validUntil: cert.notAfter.toISOString(),
  };
}

/**
 * The holder's certificate among `bags`: the one whose localKeyId matches the key's, else the
 * only certificate that is not a CA. undefined when that cannot be told.
 */
export function endEntityCertificate(bags: SafeBag[]): CertificateInfo | undefined {
  const keyIds = new Set(bags.filter((b) => b.kind !== 'certificate' && b.localKeyId).map((b) => b.localKeyId));
  const certs = bags.filter((b) => b.kind === 'certificate');
  const byId = certs.find((b) => b.localKeyId !== undefined && keyIds.has(b.localKeyId));
  const parsed: CertificateInfo[] = [];
  for (const bag of byId ? [byId] : certs) {
    try {
      parsed.push(parseCertificate(bag.value));
    } catch {
      // Not a certificate we can read: it cannot be the holder's.
    }
  }
  if (byId) return parsed[0];
  const leaves = parsed.filter((c) => !c.isCa);
  return leaves.length === 1 ? leaves[0] : undefined;
}

/** Reads at most MAX_CREDENTIAL_BYTES of a file, as a FileCredentialError when it cannot. */
export async function readCredentialFile(file: string): Promise<Uint8Array> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a regular file');
    size = info.size;
  } catch (error) {
    throw new FileCredentialError('FILE_CREDENTIAL_INVALID', `Cannot read ${path.basename(file)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  if (size > MAX_CREDENTIAL_BYTES) throw new FileCredentialError('FILE_CREDENTIAL_INVALID', `${path.basename(file)} is too large to be a BankID på fil`);
  try {
    return new Uint8Array(await readFile(file));
  } catch (error) {
    throw new FileCredentialError('FILE_CREDENTIAL_INVALID', `Cannot read ${path.basename(file)}`, { cause: error });
  }
}

const REFUSALS: Partial<Record<Pkcs12Error['code'], FileCredentialError['code']>> = {
  PKCS12_UNSUPPORTED: 'FILE_CREDENTIAL_UNSUPPORTED',
  PKCS12_UNPROTECTED: 'FILE_CREDENTIAL_UNPROTECTED',
  PKCS12_LEGACY: 'FILE_CREDENTIAL_LEGACY',
  PKCS12_ITERATIONS_TOO_HIGH: 'FILE_CREDENTIAL_ITERATIONS_TOO_HIGH',
};

/** A Pkcs12Error as the FileCredentialError the UI shows; anything else: the file is not a BankID på fil. */
export function credentialError(error: unknown, file: string): FileCredentialError {
  const code = error instanceof Pkcs12Error ? REFUSALS[error.code] : undefined;
  if (code) return new FileCredentialError(code, `${path.basename(file)}: ${(error as Error).message}`, { cause: error });
  return new FileCredentialError('FILE_CREDENTIAL_INVALID', `${path.basename(file)} is not a BankID på fil (a PKCS #12 file)`, { cause: error });
}

/**
 * The file's structure, refused (before any password is tried or counted) when its key is not
 * encrypted, when it uses a legacy algorithm, or when it names too many iterations.
 */
export function parseCredential(bytes: Uint8Array, file: string): ParsedPfx {
  try {
    return parsePfx(bytes);
  } catch (error) {
    throw credentialError(error, file);
  }
}

/** Who a file's e-legitimation belongs to, without its password. */
export async function readFileCredential(file: string, attempts?: PasswordAttempts): Promise<FileCredentialInfo> {
  const absolute = path.resolve(file);
  const bytes = await readCredentialFile(absolute);
  const pfx = parseCredential(bytes, absolute);
  const cert = endEntityCertificate(pfx.plainBags);
  const id = credentialId(bytes);
  return {
    id,
    path: absolute,
    fileName: path.basename(absolute),
    holder: cert ? holderOf(cert) : null,
    ...(attempts ? { locked: (await attempts.status(id)).locked } : {}),
  };
}

const isCredentialName = (name: string): boolean => (CREDENTIAL_EXTENSIONS as readonly string[]).includes(path.extname(name).toLowerCase());

/**
 * The BankID på fil files in `dirs` (not recursing) and among `files` (picked by the user),
 * each once (by content), sorted by holder name then file name. Files that are not PKCS #12 are
 * left out; missing folders are not an error.
 */
export async function listFileCredentials(dirs: string[], options: { files?: string[]; attempts?: PasswordAttempts } = {}): Promise<FileCredentialInfo[]> {
  const candidates: string[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names.sort()) if (isCredentialName(name)) candidates.push(path.resolve(dir, name));
  }
  candidates.push(...(options.files ?? []).map((f) => path.resolve(f)));
  const found = new Map<string, FileCredentialInfo>();
  for (const file of candidates) {
    try {
      const info = await readFileCredential(file, options.attempts);
      if (!found.has(info.id)) found.set(info.id, info);
    } catch (error) {
      if (!(error instanceof FileCredentialError) || error.code === 'FILE_CREDENTIAL_STATE') throw error;
    }
  }
  return [...found.values()].sort((a, b) => (a.holder?.name ?? '\uffff').localeCompare(b.holder?.name ?? '\uffff', 'sv') || a.fileName.localeCompare(b.fileName, 'sv'));
}
