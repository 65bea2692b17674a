/** What every part of the service shares: the database, the clock and the configuration. */
import { createHash, randomBytes } from 'node:crypto';
import type { TrustStore } from '../pki/index.ts';
import type { SqlDatabase } from './store/sql.ts';

export interface TrustConfig {
  trustAnchors: Uint8Array[];
  intermediates: Uint8Array[];
  crls: Uint8Array[];
  ocspResponses?: Uint8Array[];
}

export interface BankConfig {
  /** Named in every login challenge, so a signature made for another service is refused. */
  serviceId: string;
  /** The issuer range e-nummer are drawn from. */
  issuerPrefix: string;
  /** Trust for BankID på kort, read once; without it card login is refused. */
  trust?: TrustStore;
  /** Epoch milliseconds; tests move it. */
  now: () => number;
}

export interface BankContext {
  db: SqlDatabase;
  config: BankConfig;
}

const ID_BYTES = 12;
/** CSPRNG bytes drawn 4 KiB at a time (one call per 341 ids instead of one each); each byte serves one id only. */
let idPool = Buffer.alloc(0);
let idOffset = 0;

function randomHex(bytes: number): string {
  if (idOffset + bytes > idPool.length) {
    idPool = randomBytes(4096);
    idOffset = 0;
  }
  const hex = idPool.toString('hex', idOffset, idOffset + bytes);
  idOffset += bytes;
  return hex;
}

/**
 * 24 hex digits from 96 random bits. Hex, not base64url: an id is typed and passed on
 * command lines, where one starting with '-' would be taken for an option.
 */
export function newId(): string {
  return randomHex(ID_BYTES);
}

/**
 * 24 hex digits: the time `at` in milliseconds (48 bits), then 48 random bits. For rows
 * written at the card network's rate (transactions): a random key lands each insert on a
 * different leaf of the primary-key index, so a commit of 16 purchases wrote 16 of its pages
 * to the WAL (and the checkpoint copied them again); keys in time order share the last leaf.
 * Not for ids that stand for a secret: the time part is guessable.
 */
export function newTimeOrderedId(at: number): string {
  return Math.max(0, Math.floor(at)).toString(16).padStart(12, '0').slice(-12) + randomHex(ID_BYTES - 6);
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

export const SESSION_IDLE_MS = 15 * 60_000;
export const REVEAL_FRESH_MS = 5 * 60_000;
export const CHALLENGE_LIFE_MS = 2 * 60_000;
export const DOSA_MAX_FAILURES = 5;
