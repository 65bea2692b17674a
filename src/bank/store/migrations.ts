/**
 * Versioned schema migrations, one list for both stores: the DDL uses only what SQLite and
 * PostgreSQL share (TEXT, INTEGER, BIGINT, partial indexes, ON CONFLICT), and a migration's
 * `postgres` statements what only PostgreSQL has (a function for a hot path). Applied in one
 * transaction; on PostgreSQL an advisory lock keeps instances starting together from racing.
 * Never edit a released migration: add the next version.
 *
 * Times are epoch milliseconds, money is öre (docs/design.md).
 */
import type { SqlDatabase } from './sql.ts';
import { StoreError } from './sql.ts';

interface Migration {
  version: number;
  name: string;
  statements: string[];
  /** Run on PostgreSQL only, after `statements`: what SQLite has no counterpart of (functions). */
  postgres?: string[];
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
  {
    version: 2,
    name: 'app-approved login: enrolled approval apps, enrolment codes, approval orders',
    statements: [
      // The customer's approval app: an EC P-256 public key (SPKI DER, base64) per device.
      `CREATE TABLE app_devices (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customers(id),
        public_key TEXT NOT NULL,
        name TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT)`,
      `CREATE INDEX app_devices_customer ON app_devices(customer_id)`,
      // One-time enrolment codes the bank hands the customer; only their SHA-256 is kept.
      `CREATE TABLE app_enrolment_codes (
        code_hash TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customers(id),
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT)`,
      // Orders of the built-in approval provider. The qr_start_secret never leaves the
      // service except inside the QR's HMAC; the auto-start token is kept as its SHA-256.
      `CREATE TABLE app_orders (
        order_ref TEXT PRIMARY KEY,
        auto_start_hash TEXT NOT NULL UNIQUE,
        qr_start_token TEXT NOT NULL UNIQUE,
        qr_start_secret TEXT NOT NULL,
        visible_text TEXT NOT NULL,
        end_user_ip TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'complete', 'failed')),
        hint_code TEXT NOT NULL,
        seen_hash TEXT,
        customer_id TEXT REFERENCES customers(id),
        device_id TEXT REFERENCES app_devices(id),
        signature TEXT,
        statement TEXT,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        started_at BIGINT,
        completed_at BIGINT,
        collected_at BIGINT)`,
      `CREATE INDEX app_orders_expiry ON app_orders(expires_at)`,
      // Orders at an external provider (BankID's RP API): the QR secret, kept here so any
      // service instance can draw the QR, and the one hand-over of the completion.
      `CREATE TABLE provider_orders (
        order_ref TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        qr_start_token TEXT NOT NULL,
        qr_start_secret TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        collected_at BIGINT)`,
      `CREATE INDEX provider_orders_expiry ON provider_orders(expires_at)`,
    ],
  },
  {
    version: 3,
    name: 'telephone service: web bank codes (user code, password, code table), calls, SMS outbox, app identification requests, IVR keys',
    statements: [
      // The web bank codes the phone menu checks. The password is kept as scrypt (salt$hash);
      // password_initial: still the first password (the birth date), to be changed at the
      // first web bank login (first_login_at). Failures count per kind; locked_at spärrar.
      `CREATE TABLE phone_credentials (
        customer_id TEXT PRIMARY KEY REFERENCES customers(id),
        user_code TEXT NOT NULL UNIQUE,
        phone TEXT,
        password_hash TEXT NOT NULL,
        password_initial INTEGER NOT NULL,
        activated_at BIGINT NOT NULL,
        first_login_at BIGINT,
        password_failures INTEGER NOT NULL DEFAULT 0,
        code_failures INTEGER NOT NULL DEFAULT 0,
        locked_at BIGINT,
        lock_reason TEXT,
        updated_at BIGINT NOT NULL)`,
      // A customer's code table (kodtabell); one active at a time. Cells keep a salted
      // SHA-256 of their one-time code and when (and by which call) it was used.
      `CREATE TABLE phone_code_tables (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customers(id),
        salt TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('active', 'replaced')),
        issued_at BIGINT NOT NULL)`,
      `CREATE UNIQUE INDEX phone_code_tables_active ON phone_code_tables(customer_id) WHERE state = 'active'`,
      `CREATE TABLE phone_code_cells (
        table_id TEXT NOT NULL REFERENCES phone_code_tables(id),
        cell TEXT NOT NULL,
        code_hash TEXT NOT NULL,
        used_at BIGINT,
        used_call_id TEXT,
        PRIMARY KEY (table_id, cell))`,
      // One row per call: the state machine's state (JSON) and a version for compare-and-set.
      `CREATE TABLE phone_calls (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        version INTEGER NOT NULL,
        customer_id TEXT REFERENCES customers(id),
        method TEXT,
        started_at BIGINT NOT NULL,
        last_activity_at BIGINT NOT NULL,
        identified_at BIGINT,
        ended_at BIGINT,
        end_reason TEXT)`,
      `CREATE INDEX phone_calls_customer ON phone_calls(customer_id)`,
      // The built-in SMS gateway's record of what it sent.
      `CREATE TABLE sms_outbox (
        id TEXT PRIMARY KEY,
        customer_id TEXT REFERENCES customers(id),
        to_number TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at BIGINT NOT NULL)`,
      `CREATE INDEX sms_outbox_created ON sms_outbox(created_at)`,
      // Identification requests the customer's app approves ("S-Bankens kundtjänst").
      `CREATE TABLE phone_app_identifications (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customers(id),
        requester TEXT NOT NULL,
        code TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'expired')),
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        decided_at BIGINT)`,
      `CREATE INDEX phone_app_identifications_customer ON phone_app_identifications(customer_id, state)`,
      // Keys of the bank's phone system (IVR) for the /v1/phone routes; only the hash is kept.
      `CREATE TABLE ivr_keys (
        key_hash TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at BIGINT NOT NULL)`,
    ],
  },
  {
    version: 4,
    name: 'disputes (reklamation, card terms §10-11), foreign-currency purchases (§17), holder notifications',
    statements: [
      // The card a purchase was made with, kept on the transaction: the e-nummer's link to
      // the card is erased at expiry, but a claim up to 13 months later needs the card.
      `ALTER TABLE transactions ADD COLUMN card_id TEXT`,
      // Strong customer authentication as the network reported it: 1 applied, 0 not, NULL not said.
      `ALTER TABLE transactions ADD COLUMN sca INTEGER`,
      // Purchases in another currency: the amount in its minor units, the currency, the
      // reference rate (SEK per unit, decimal text as given), its date and the markup fee
      // (öre). transactions.amount stays the SEK amount booked (converted + fee).
      `ALTER TABLE transactions ADD COLUMN original_amount BIGINT`,
      `ALTER TABLE transactions ADD COLUMN currency TEXT`,
      `ALTER TABLE transactions ADD COLUMN rate TEXT`,
      `ALTER TABLE transactions ADD COLUMN rate_date TEXT`,
      `ALTER TABLE transactions ADD COLUMN fee BIGINT`,
      // Claims. kind 'goods' is a referral to the merchant (§11.2), not binding: it does not
      // stop a claim of another kind, and at most one binding claim exists per transaction.
      `CREATE TABLE disputes (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customers(id),
        transaction_id TEXT NOT NULL REFERENCES transactions(id),
        card_id TEXT,
        kind TEXT NOT NULL CHECK (kind IN ('unauthorised', 'incorrect', 'goods')),
        state TEXT NOT NULL CHECK (state IN ('received', 'under_investigation', 'resolved', 'referred_to_merchant')),
        resolution TEXT CHECK (resolution IN ('refunded', 'rejected')),
        description TEXT,
        max_self_risk BIGINT NOT NULL,
        liability_reason TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL)`,
      `CREATE UNIQUE INDEX disputes_binding ON disputes(transaction_id) WHERE kind <> 'goods'`,
      `CREATE UNIQUE INDEX disputes_goods ON disputes(transaction_id) WHERE kind = 'goods'`,
      `CREATE INDEX disputes_customer ON disputes(customer_id, created_at)`,
      // Messages to the holder; the currency-conversion notice of §17 at most once per
      // customer, currency and Stockholm month (the unique key).
      `CREATE TABLE notifications (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customers(id),
        kind TEXT NOT NULL CHECK (kind IN ('currency_conversion')),
        currency TEXT NOT NULL,
        month TEXT NOT NULL,
        transaction_id TEXT,
        rate TEXT NOT NULL,
        rate_date TEXT NOT NULL,
        markup_percent TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        UNIQUE (customer_id, kind, currency, month))`,
      `CREATE INDEX notifications_customer ON notifications(customer_id, created_at)`,
    ],
  },
  {
    version: 5,
    name: 'counting what an attacker tries: e-nummer locked after wrong CVCs, a growing delay between wrong dosa codes',
    statements: [
      // Locked after 5 wrong CVCs or expiry dates in 24 hours (authorize.ts); the attempts are
      // the declined transactions themselves, counted from cvc_counted_from (the last unlock).
      `ALTER TABLE enummers ADD COLUMN locked_at BIGINT`,
      `ALTER TABLE enummers ADD COLUMN lock_reason TEXT`,
      `ALTER TABLE enummers ADD COLUMN cvc_counted_from BIGINT`,
      // Not before this time may the dosa's next code be tried (login.ts: the growing delay).
      `ALTER TABLE dosas ADD COLUMN next_try_at BIGINT`,
    ],
  },
  {
    version: 6,
    name: 'an e-nummer without a clear merchant belongs to the first merchant that uses it',
    statements: [
      // The card network's merchant id and descriptor of that first purchase (authorize.ts).
      `ALTER TABLE enummers ADD COLUMN merchant_id TEXT`,
      `ALTER TABLE enummers ADD COLUMN merchant_seen TEXT`,
    ],
  },
  {
    version: 7,
    name: "the bank's messages to the holder: a blocked card, a change of terms, a claim, a refund",
    statements: [
      // Written once in both languages, as a letter is; the currency notices keep their own
      // table (one per currency and month) and are listed with these.
      `CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customers(id),
        kind TEXT NOT NULL CHECK (kind IN ('card_blocked', 'card_replaced', 'terms_change', 'dispute', 'refund')),
        ref_id TEXT,
        title_sv TEXT NOT NULL,
        title_en TEXT NOT NULL,
        text_sv TEXT NOT NULL,
        text_en TEXT NOT NULL,
        created_at BIGINT NOT NULL)`,
      `CREATE INDEX messages_customer ON messages(customer_id, created_at)`,
    ],
  },
  {
    version: 8,
    name: 'a change of the e-kort terms is announced two months before it takes effect (card terms §21)',
    statements: [
      // Versions after the built-in one (terms.ts). Each takes effect at effective_at, at the
      // earliest two months after announced_at; a card connected under an older version goes
      // on under the new one from that moment (silence is acceptance).
      `CREATE TABLE terms_versions (
        version TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        text TEXT NOT NULL,
        announced_at BIGINT NOT NULL,
        effective_at BIGINT NOT NULL)`,
      `CREATE INDEX terms_versions_effective ON terms_versions(effective_at)`,
    ],
  },
  {
    version: 9,
    name: "a payment card's validity, and a replacement card that takes over its e-nummer (card terms §12)",
    statements: [
      // The end of the month printed on the card, Stockholm time (exclusive); NULL: not recorded.
      `ALTER TABLE payment_cards ADD COLUMN expires_at BIGINT`,
      // The card this one replaces (exchange or replacement card): blocked at this one's first use.
      `ALTER TABLE payment_cards ADD COLUMN replaces TEXT`,
    ],
  },
  {
    version: 10,
    name: 'a claim: the police report the bank may ask for (§10.4), an extended investigation (§10.7), the repayment duty (§10.8)',
    statements: [
      `ALTER TABLE disputes ADD COLUMN police_report_requested_at BIGINT`,
      `ALTER TABLE disputes ADD COLUMN police_report_ref TEXT`,
      `ALTER TABLE disputes ADD COLUMN police_report_at BIGINT`,
      `ALTER TABLE disputes ADD COLUMN extended_at BIGINT`,
      `ALTER TABLE disputes ADD COLUMN repayment_at BIGINT`,
    ],
  },
  {
    version: 11,
    name: 'the currency conversion message (§17): the holder may turn it off; the markup over the ECB rate',
    statements: [
      `ALTER TABLE customers ADD COLUMN currency_notices INTEGER NOT NULL DEFAULT 1`,
      // The ECB's reference rate the markup_percent was measured against; NULL: against the bank's own reference rate.
      `ALTER TABLE notifications ADD COLUMN ecb_rate TEXT`,
    ],
  },
  {
    version: 12,
    name: 'refund requests for a purchase whose exact amount was not given (card terms §20)',
    statements: [
      `CREATE TABLE refund_requests (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customers(id),
        transaction_id TEXT NOT NULL UNIQUE REFERENCES transactions(id),
        expected_amount BIGINT NOT NULL,
        reason TEXT,
        state TEXT NOT NULL CHECK (state IN ('received', 'refunded', 'refused')),
        answer_by BIGINT NOT NULL,
        answer_reason TEXT,
        created_at BIGINT NOT NULL,
        answered_at BIGINT)`,
      `CREATE INDEX refund_requests_customer ON refund_requests(customer_id, created_at)`,
    ],
  },
  {
    version: 13,
    name: 'PostgreSQL: approvals decided on a first look written in batches, one statement and one commit for many (issue 20)',
    statements: [],
    postgres: [
      // authorize.ts's approvals on a first look (approvalBatch.ts), many in one statement. An
      // item is written only if its card and e-nummer are still the row versions it was decided
      // on (their xmin; the lock rechecks the newest version after a wait) and the card's month
      // total, grown by it, stays within its monthly limit. The purchases' rows are inserted
      // first, before any lock is taken, so that work overlaps another batch's on the same
      // rows; the rows are then locked in one statement, card then e-nummer in id order (as
      // LOCK_AND_READ and blockCard lock: no deadlock), FOR NO KEY UPDATE, which excludes every
      // other writer of them but not the foreign-key checks of those inserts; each card's total
      // is read under its lock and the items decided in their order: a second purchase on a
      // single-purchase e-nummer is not written (the first closes it), nor one over what the
      // purchases before it left, and the rows of those not written are deleted again. One
      // write per table, so the statements' fixed costs (a CHECK constraint is parsed at each)
      // come once a batch. Returns the ids of the transactions written (with the function's
      // result, so none unless all are); an item not written is decided again by its caller,
      // under the locks.
      `CREATE FUNCTION authorize_approve_batch(p_items JSONB) RETURNS SETOF TEXT
      LANGUAGE plpgsql AS $fn$
      DECLARE
        v_item RECORD;
        v_current TEXT[];
        v_card TEXT;
        v_month TEXT;
        v_total BIGINT;
        v_cards TEXT[] := '{}';
        v_months TEXT[] := '{}';
        v_added BIGINT[] := '{}';
        v_closed TEXT[] := '{}';
        v_closed_at BIGINT[] := '{}';
        v_unwritten TEXT[] := '{}';
        v_count INTEGER;
      BEGIN
        INSERT INTO transactions (id, request_id, enummer_id, customer_id, last4, merchant, amount, decision, decline_code, created_at,
            card_id, sca, original_amount, currency, rate, rate_date, fee)
          SELECT r.id, r.request_id, r.enummer_id, r.customer_id, r.last4, r.merchant, r.amount, r.decision, r.decline_code, r.created_at,
            r.card_id, r.sca, r.original_amount, r.currency, r.rate, r.rate_date, r.fee
          FROM jsonb_array_elements(p_items) AS i(item), jsonb_populate_record(NULL::transactions, i.item->'tx') AS r;
        SELECT COALESCE(array_agg(locked.item), '{}') INTO v_current FROM (
          SELECT i.enummer_id || ' ' || i.card_version || ' ' || i.enummer_version AS item
          FROM payment_cards c JOIN enummers e ON e.card_id = c.id
          JOIN (SELECT DISTINCT x.enummer_id, x.card_version, x.enummer_version
                FROM jsonb_to_recordset(p_items) AS x(enummer_id TEXT, card_version TEXT, enummer_version TEXT)) i
            ON e.id = i.enummer_id AND c.xmin = i.card_version::xid AND e.xmin = i.enummer_version::xid
          ORDER BY c.id, e.id
          FOR NO KEY UPDATE OF c, e) locked;
        FOR v_item IN
          SELECT x.* FROM jsonb_to_recordset(p_items) AS x(n INTEGER, id TEXT, at BIGINT, card_id TEXT, enummer_id TEXT,
            card_version TEXT, enummer_version TEXT, month TEXT, amount BIGINT, limit_per_month BIGINT, single BOOLEAN)
          ORDER BY x.card_id, x.month, x.n
        LOOP
          IF (v_item.enummer_id || ' ' || v_item.card_version || ' ' || v_item.enummer_version) <> ALL (v_current)
              OR (v_item.single AND v_item.enummer_id = ANY (v_closed)) THEN
            v_unwritten := v_unwritten || v_item.id;
            CONTINUE;
          END IF;
          IF v_card IS DISTINCT FROM v_item.card_id OR v_month IS DISTINCT FROM v_item.month THEN
            v_card := v_item.card_id;
            v_month := v_item.month;
            SELECT COALESCE(max(s.amount), 0) INTO v_total FROM monthly_spend s WHERE s.owner_id = v_card AND s.month = v_month;
          END IF;
          IF v_total + v_item.amount > v_item.limit_per_month THEN
            v_unwritten := v_unwritten || v_item.id;
            CONTINUE;
          END IF;
          v_total := v_total + v_item.amount;
          IF v_cards[cardinality(v_cards)] IS DISTINCT FROM v_card OR v_months[cardinality(v_months)] IS DISTINCT FROM v_month THEN
            v_cards := v_cards || v_card;
            v_months := v_months || v_month;
            v_added := v_added || 0::BIGINT;
          END IF;
          v_added[cardinality(v_added)] := v_added[cardinality(v_added)] + v_item.amount;
          IF v_item.single THEN
            v_closed := v_closed || v_item.enummer_id;
            v_closed_at := v_closed_at || v_item.at;
          END IF;
          RETURN NEXT v_item.id;
        END LOOP;
        IF cardinality(v_unwritten) > 0 THEN DELETE FROM transactions WHERE id = ANY (v_unwritten); END IF;
        IF cardinality(v_cards) > 0 THEN
          INSERT INTO monthly_spend AS s (owner_id, month, amount)
            SELECT g.card, g.month, g.added FROM unnest(v_cards, v_months, v_added) AS g(card, month, added)
            ON CONFLICT (owner_id, month) DO UPDATE SET amount = s.amount + excluded.amount;
        END IF;
        IF cardinality(v_closed) > 0 THEN
          UPDATE enummers SET state = 'closed', close_reason = 'used', closed_at = x.at
            FROM unnest(v_closed, v_closed_at) AS x(id, at) WHERE enummers.id = x.id AND enummers.state = 'open';
          GET DIAGNOSTICS v_count = ROW_COUNT;
          -- Cannot happen: each was open in the version decided on, and that is still the current one.
          IF v_count <> cardinality(v_closed) THEN RAISE EXCEPTION 'authorize_approve_batch: a single-purchase e-nummer was not open'; END IF;
        END IF;
      END
      $fn$`,
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
        for (const statement of [...m.statements, ...(db.dialect === 'postgres' ? (m.postgres ?? []) : [])]) await tx.run(statement);
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
