/**
 * Login sessions, kept in the database so any service instance can serve any request. The
 * bearer token is 256 random bits; only its SHA-256 is stored. A session ends after 15
 * minutes without use; revealing a full e-nummer needs a login within the last 5 minutes.
 */
import { randomBytes } from 'node:crypto';
import type { LoginMethod, Session, SessionInfo } from './api/schemas.ts';
import { iso } from './calendar.ts';
import { type BankContext, REVEAL_FRESH_MS, SESSION_IDLE_MS, sha256Hex } from './context.ts';
import { bankError } from './errors.ts';

export interface ActiveSession {
  customerId: string;
  method: LoginMethod;
  authenticatedAt: number;
}

export async function createSession(ctx: BankContext, customer: { id: string; name: string; personnummer: string }, method: LoginMethod): Promise<Session> {
  const token = randomBytes(32).toString('base64url');
  const now = ctx.config.now();
  await ctx.db.run('INSERT INTO sessions (token_hash, customer_id, method, authenticated_at, last_used_at) VALUES (?, ?, ?, ?, ?)', [
    sha256Hex(token),
    customer.id,
    method,
    now,
    now,
  ]);
  return {
    token,
    customer: { name: customer.name, personnummer: customer.personnummer },
    method,
    authenticatedAt: iso(now),
    idleTimeoutSeconds: SESSION_IDLE_MS / 1000,
  };
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** The session of `token`, touched (its idle time starts again); UNAUTHENTICATED / SESSION_EXPIRED / REAUTH_REQUIRED. */
export async function requireSession(ctx: BankContext, token: string | undefined, options: { fresh?: boolean } = {}): Promise<ActiveSession> {
  if (token === undefined || !TOKEN.test(token)) throw bankError('UNAUTHENTICATED', 'Log in first.');
  const now = ctx.config.now();
  const hash = sha256Hex(token);
  const rows = await ctx.db.query<{ customer_id: string; method: LoginMethod; authenticated_at: number }>(
    'UPDATE sessions SET last_used_at = ? WHERE token_hash = ? AND ended_at IS NULL AND last_used_at >= ? RETURNING customer_id, method, authenticated_at',
    [now, hash, now - SESSION_IDLE_MS],
  );
  const row = rows[0];
  if (!row) {
    const known = await ctx.db.query('SELECT 1 AS one FROM sessions WHERE token_hash = ?', [hash]);
    if (known.length) throw bankError('SESSION_EXPIRED', 'The session has ended (15 minutes without use, or logged out). Log in again.');
    throw bankError('UNAUTHENTICATED', 'Log in first.');
  }
  const session = { customerId: row.customer_id, method: row.method, authenticatedAt: Number(row.authenticated_at) };
  if (options.fresh && now - session.authenticatedAt > REVEAL_FRESH_MS) {
    throw bankError('REAUTH_REQUIRED', 'Showing the full e-nummer needs a login within the last 5 minutes. Log in again.');
  }
  return session;
}

export async function sessionInfo(ctx: BankContext, session: ActiveSession): Promise<SessionInfo> {
  const [c] = await ctx.db.query<{ name: string; personnummer: string }>('SELECT name, personnummer FROM customers WHERE id = ?', [session.customerId]);
  return {
    customer: { name: c!.name, personnummer: c!.personnummer },
    method: session.method,
    authenticatedAt: iso(session.authenticatedAt),
    idleTimeoutSeconds: SESSION_IDLE_MS / 1000,
  };
}

export async function endSession(ctx: BankContext, token: string): Promise<void> {
  if (!TOKEN.test(token)) return;
  await ctx.db.run('UPDATE sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL', [ctx.config.now(), sha256Hex(token)]);
}
