/**
 * Versioned schema migrations, one list for both stores: the DDL uses only what SQLite and
 * PostgreSQL share (TEXT, INTEGER, BIGINT, partial indexes, ON CONFLICT). Applied in one
 * transaction; on PostgreSQL an advisory lock keeps instances starting together from racing.
 * Never edit a released migration: add the next version.
 *
 * Times are epoch milliseconds, money is öre (DESIGN.md).
 */
import type { SqlDatabase } from './sql.ts';
import { StoreError } from './sql.ts';

interface Migration {
  version: number;
  name: string;
  statements: string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'e-kort: customers, payment cards, dosas, logins, e-nummer, transactions',
    statements: [
      `CREATE TABLE customers (
        id TEXT PRIMARY KEY,
        personnummer TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        created_at BIGINT NOT NULL)`,
      `CREATE TABLE payment_cards (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customers(id),
        pan TEXT NOT NULL UNIQUE,
        last4 TEXT NOT NULL,
        product TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('active', 'blocked')),
        blocked_at BIGINT,
        limit_per_purchase BIGINT NOT NULL,
        limit_per_month BIGINT NOT NULL,
        terms_version TEXT,
        terms_accepted_at BIGINT,
        created_at BIGINT NOT NULL)`,
      `CREATE INDEX payment_cards_customer ON payment_cards(customer_id)`,
      `CREATE TABLE dosas (
        serial TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customers(id),
        suite TEXT NOT NULL,
        secret TEXT NOT NULL,
        login_kind TEXT NOT NULL CHECK (login_kind IN ('hotp', 'totp')),
        login_algorithm TEXT NOT NULL,
        counter BIGINT,
        last_step BIGINT,
        failures INTEGER NOT NULL DEFAULT 0,
        blocked_at BIGINT,
        created_at BIGINT NOT NULL)`,
      `CREATE TABLE challenges (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('card', 'dosa')),
        value TEXT NOT NULL,
        dosa_serial TEXT,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT)`,
      `CREATE INDEX challenges_expiry ON challenges(expires_at)`,
      `CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customers(id),
        method TEXT NOT NULL,
        authenticated_at BIGINT NOT NULL,
        last_used_at BIGINT NOT NULL,
        ended_at BIGINT)`,
      // Every number ever issued, kept after the e-nummer's link to the card is erased.
      `CREATE TABLE issued_numbers (
        pan TEXT PRIMARY KEY,
        issued_at BIGINT NOT NULL)`,
      `CREATE TABLE enummers (
        id TEXT PRIMARY KEY,
        pan TEXT UNIQUE,
        last4 TEXT NOT NULL,
        customer_id TEXT REFERENCES customers(id),
        card_id TEXT REFERENCES payment_cards(id),
        merchant TEXT NOT NULL,
        merchant_key TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('single', 'recurring')),
        months INTEGER NOT NULL,
        exp_month INTEGER NOT NULL,
        exp_year INTEGER NOT NULL,
        cvc TEXT,
        valid_until BIGINT NOT NULL,
        nickname TEXT,
        limit_amount BIGINT,
        limit_period TEXT CHECK (limit_period IN ('purchase', 'month')),
        state TEXT NOT NULL CHECK (state IN ('open', 'paused', 'closed')),
        close_reason TEXT,
        created_at BIGINT NOT NULL,
        closed_at BIGINT,
        erased_at BIGINT)`,
      `CREATE INDEX enummers_customer ON enummers(customer_id, created_at)`,
      `CREATE INDEX enummers_card ON enummers(card_id)`,
      `CREATE INDEX enummers_due ON enummers(valid_until) WHERE erased_at IS NULL`,
      `CREATE TABLE transactions (
        id TEXT PRIMARY KEY,
        request_id TEXT UNIQUE,
        enummer_id TEXT REFERENCES enummers(id),
        customer_id TEXT,
        last4 TEXT NOT NULL,
        merchant TEXT NOT NULL,
        amount BIGINT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('approved', 'declined')),
        decline_code TEXT,
        created_at BIGINT NOT NULL)`,
      `CREATE INDEX transactions_enummer ON transactions(enummer_id, created_at)`,
      `CREATE INDEX transactions_customer ON transactions(customer_id, created_at)`,
      // Approved amounts per month, for the per-month limits of cards and e-nummer.
      `CREATE TABLE monthly_spend (
        owner_id TEXT NOT NULL,
        month TEXT NOT NULL,
        amount BIGINT NOT NULL,
        PRIMARY KEY (owner_id, month))`,
      `CREATE TABLE network_keys (
        key_hash TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at BIGINT NOT NULL)`,
    ],
  },
];

/** Brings the schema to the newest version; returns the versions it applied. */
export async function migrate(db: SqlDatabase, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  try {
    return await db.transaction(async (tx) => {
      // 0x656b6f7274 = 'ekort': one lock id for every instance of this service.
      if (db.dialect === 'postgres') await tx.query('SELECT pg_advisory_xact_lock(435493745268)');
      await tx.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
      const done = new Set((await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version)));
      const newest = Math.max(0, ...done);
      const known = Math.max(0, ...migrations.map((m) => m.version));
      if (newest > known) {
        throw new StoreError('MIGRATION_FAILED', `The database has schema version ${newest}, newer than this program knows (${known}). Update ekort.`);
      }
      const applied: number[] = [];
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        for (const statement of m.statements) await tx.run(statement);
        await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
        applied.push(m.version);
      }
      return applied;
    });
  } catch (e) {
    if (e instanceof StoreError) throw e;
    throw new StoreError('MIGRATION_FAILED', `The database schema could not be brought up to date: ${(e as Error).message}`, { cause: e });
  }
}
