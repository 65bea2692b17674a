/**
 * Customers, their payment cards (bankkort) and dosas: the bank-side records e-kort works on.
 * Enrolment (`ekort bank ...`) runs these directly against the store; holders reach the card
 * operations through the API after logging in.
 */
import { isValidPersonnummer } from '../identity/index.ts';
import { type DosaBankRecord, dosaSuite, HID_HMAC_SUITE } from '../token/index.ts';
import { isUniqueViolation } from './store/sql.ts';
import type { PaymentCard } from './api/schemas.ts';
import { addMonths, endOfStockholmMonth, isoOrNull } from './calendar.ts';
import { drawPan, last4 } from './cardNumbers.ts';
import { type BankContext, newId, sha256Hex } from './context.ts';
import { bankError } from './errors.ts';
import { sendMessage } from './notifications.ts';
import { termsAt } from './terms.ts';
import { randomBytes } from 'node:crypto';

/** The bank's own card range for the demo's payment cards (not the e-nummer range). */
export const PAYMENT_CARD_PREFIX = '455699';
export const DEFAULT_LIMIT_PER_PURCHASE = 30_000_00;
export const DEFAULT_LIMIT_PER_MONTH = 50_000_00;

export async function createCustomer(ctx: BankContext, personnummer: string, name: string): Promise<{ id: string }> {
  if (!isValidPersonnummer(personnummer)) throw bankError('INVALID_INPUT', 'A personnummer is 12 digits YYYYMMDDNNNN with a valid date and check digit.');
  const id = newId();
  try {
    await ctx.db.run('INSERT INTO customers (id, personnummer, name, created_at) VALUES (?, ?, ?, ?)', [id, personnummer, name, ctx.config.now()]);
  } catch (e) {
    if (isUniqueViolation(e)) throw bankError('STATE_CONFLICT', 'A customer with this personnummer exists already.', { cause: e });
    throw e;
  }
  return { id };
}

/** A new card is valid this many months: to the end of the month printed on it (card terms §12). */
export const CARD_VALIDITY_MONTHS = 48;

export async function addPaymentCard(
  ctx: BankContext,
  customerId: string,
  options: { product?: string; pan?: string; limitPerPurchase?: number; limitPerMonth?: number; expiresAt?: number } = {},
): Promise<{ id: string; pan: string; expiresAt: number }> {
  const id = newId();
  const pan = options.pan ?? drawPan(PAYMENT_CARD_PREFIX);
  const now = ctx.config.now();
  const expiresAt = options.expiresAt ?? endOfStockholmMonth(addMonths(now, CARD_VALIDITY_MONTHS));
  await ctx.db.run(
    'INSERT INTO payment_cards (id, customer_id, pan, last4, product, state, limit_per_purchase, limit_per_month, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [id, customerId, pan, last4(pan), options.product ?? 'Bankkort Visa', 'active', options.limitPerPurchase ?? DEFAULT_LIMIT_PER_PURCHASE, options.limitPerMonth ?? DEFAULT_LIMIT_PER_MONTH, expiresAt, now],
  );
  return { id, pan, expiresAt };
}

/**
 * An exchange card (before the old one expires) or a replacement card (§12): a new number, the
 * same product and limits, connected to e-kort as the old one was; the old card's open and
 * paused e-nummer move to it, so subscriptions go on. The old card stays usable until the new
 * one is first used (authorize.ts blocks it then). The holder gets a message.
 */
export async function issueReplacementCard(ctx: BankContext, oldCardId: string, options: { expiresAt?: number } = {}): Promise<{ id: string; pan: string; expiresAt: number; moved: number }> {
  const now = ctx.config.now();
  const id = newId();
  const pan = drawPan(PAYMENT_CARD_PREFIX);
  const expiresAt = options.expiresAt ?? endOfStockholmMonth(addMonths(now, CARD_VALIDITY_MONTHS));
  return ctx.db.transaction(async (tx) => {
    const [old] = await tx.query<{ customer_id: string; last4: string; product: string; limit_per_purchase: number; limit_per_month: number; terms_version: string | null; terms_accepted_at: number | null }>(
      'SELECT customer_id, last4, product, limit_per_purchase, limit_per_month, terms_version, terms_accepted_at FROM payment_cards WHERE id = ? FOR UPDATE',
      [oldCardId],
    );
    if (!old) throw bankError('NOT_FOUND', 'There is no such payment card.');
    const [taken] = await tx.query<{ id: string }>('SELECT id FROM payment_cards WHERE replaces = ?', [oldCardId]);
    if (taken) throw bankError('STATE_CONFLICT', `The card is already replaced (by ${taken.id}).`);
    await tx.run(
      `INSERT INTO payment_cards (id, customer_id, pan, last4, product, state, limit_per_purchase, limit_per_month, terms_version, terms_accepted_at, expires_at, replaces, created_at)
       VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?)`,
      [id, old.customer_id, pan, last4(pan), old.product, old.limit_per_purchase, old.limit_per_month, old.terms_version, old.terms_accepted_at, expiresAt, oldCardId, now],
    );
    const moved = await tx.run("UPDATE enummers SET card_id = ? WHERE card_id = ? AND state <> 'closed'", [id, oldCardId]);
    const newLast4 = last4(pan);
    await sendMessage(
      tx,
      {
        customerId: old.customer_id,
        kind: 'card_replaced',
        refId: id,
        title: { sv: `Ditt nya kort som slutar på ${newLast4} ersätter kortet som slutar på ${old.last4}`, en: `Your new card ending ${newLast4} replaces the card ending ${old.last4}` },
        text: {
          sv: `${moved > 0 ? `Dina ${moved} e-nummer drar nu från det nya kortet och fungerar som förut. ` : ''}Det gamla kortet spärras när du använder det nya kortet första gången (kortvillkor punkt 12).`,
          en: `${moved > 0 ? `Your ${moved} e-nummer now draw on the new card and work as before. ` : ''}The old card is blocked when you first use the new one (card terms §12).`,
        },
      },
      now,
    );
    return { id, pan, expiresAt, moved };
  });
}

interface CardRow {
  id: string;
  last4: string;
  product: string;
  state: 'active' | 'blocked';
  terms_version: string | null;
  terms_accepted_at: number | null;
  limit_per_purchase: number;
  limit_per_month: number;
  expires_at: number | null;
  replaces: string | null;
  replaces_last4: string | null;
}

const cardView = (r: CardRow, now: number): PaymentCard => ({
  id: r.id,
  last4: r.last4,
  product: r.product,
  state: r.state,
  // Connected under any version: a change of the terms binds a connected card from its day (§21).
  connected: r.terms_version !== null,
  termsVersion: r.terms_version,
  termsAcceptedAt: isoOrNull(r.terms_accepted_at),
  limitPerPurchase: Number(r.limit_per_purchase),
  limitPerMonth: Number(r.limit_per_month),
  expiresAt: isoOrNull(r.expires_at),
  expired: r.expires_at !== null && Number(r.expires_at) <= now,
  replaces: r.replaces !== null ? { id: r.replaces, last4: r.replaces_last4 ?? '' } : null,
});

const CARD_COLUMNS = `c.id, c.last4, c.product, c.state, c.terms_version, c.terms_accepted_at, c.limit_per_purchase, c.limit_per_month, c.expires_at, c.replaces,
  (SELECT o.last4 FROM payment_cards o WHERE o.id = c.replaces) AS replaces_last4`;

export async function listPaymentCards(ctx: BankContext, customerId: string): Promise<PaymentCard[]> {
  const rows = await ctx.db.query<CardRow>(`SELECT ${CARD_COLUMNS} FROM payment_cards c WHERE c.customer_id = ? ORDER BY c.created_at, c.id`, [customerId]);
  const now = ctx.config.now();
  return rows.map((r) => cardView(r, now));
}

async function ownCard(ctx: BankContext, customerId: string, cardId: string): Promise<PaymentCard> {
  const [row] = await ctx.db.query<CardRow>(`SELECT ${CARD_COLUMNS} FROM payment_cards c WHERE c.id = ? AND c.customer_id = ?`, [cardId, customerId]);
  if (!row) throw bankError('NOT_FOUND', 'There is no such payment card among yours.');
  return cardView(row, ctx.config.now());
}

/** Connects a card to e-kort: the holder accepted the current terms (kept with the time). */
export async function connectCard(ctx: BankContext, customerId: string, cardId: string, termsVersion: string): Promise<PaymentCard> {
  const terms = await termsAt(ctx);
  if (termsVersion !== terms.version) throw bankError('TERMS_OUTDATED', `The terms have changed (now version ${terms.version}). Read them again and accept.`);
  const card = await ownCard(ctx, customerId, cardId);
  if (card.state === 'blocked') throw bankError('CARD_BLOCKED', 'The card is blocked and cannot be connected to e-kort.');
  await ctx.db.run('UPDATE payment_cards SET terms_version = ?, terms_accepted_at = ? WHERE id = ? AND customer_id = ?', [terms.version, ctx.config.now(), cardId, customerId]);
  return ownCard(ctx, customerId, cardId);
}

/**
 * Spärranmälan: the card is blocked and every e-nummer on it closes, in one transaction, so
 * no authorization after the commit can approve a purchase on it.
 */
export async function blockCard(ctx: BankContext, customerId: string, cardId: string): Promise<PaymentCard> {
  const now = ctx.config.now();
  await ctx.db.transaction(async (tx) => {
    const [row] = await tx.query<{ state: string }>('SELECT state FROM payment_cards WHERE id = ? AND customer_id = ? FOR UPDATE', [cardId, customerId]);
    if (!row) throw bankError('NOT_FOUND', 'There is no such payment card among yours.');
    if (row.state !== 'blocked') await tx.run("UPDATE payment_cards SET state = 'blocked', blocked_at = ? WHERE id = ?", [now, cardId]);
    await tx.run("UPDATE enummers SET state = 'closed', close_reason = 'card_blocked', closed_at = ? WHERE card_id = ? AND state <> 'closed'", [now, cardId]);
  });
  return ownCard(ctx, customerId, cardId);
}

/** Enrols a dosa from its bank record (`ekort dosa export-for-bank`). */
export async function enrolDosa(ctx: BankContext, customerId: string, record: DosaBankRecord): Promise<void> {
  if (record.suite === HID_HMAC_SUITE) {
    // A HID security token (HMAC-SHA1 challenge-response): a 1 to 20-byte key, nothing else to check.
    const key = Buffer.from(record.secret, 'base64');
    if (key.length < 1 || key.length > 20) throw bankError('INVALID_INPUT', 'A HID token key is 1 to 20 bytes.');
  } else {
    const suite = dosaSuite(record.suite);
    if (suite.password !== undefined) throw bankError('INVALID_INPUT', 'The bank cannot check svarskoder of a suite with the dosa PIN (P) in it.');
  }
  try {
    await ctx.db.run(
      'INSERT INTO dosas (serial, customer_id, suite, secret, login_kind, login_algorithm, counter, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [record.serial, customerId, record.suite, record.secret, record.kind, record.algorithm, record.kind === 'hotp' ? (record.counter ?? 0) : null, ctx.config.now()],
    );
  } catch (e) {
    if (isUniqueViolation(e)) throw bankError('STATE_CONFLICT', `A dosa with serial ${record.serial} is already registered.`, { cause: e });
    throw e;
  }
}

/** The bank's customer service lifts a dosa block. */
export async function unblockDosa(ctx: BankContext, serial: string): Promise<void> {
  const n = await ctx.db.run('UPDATE dosas SET failures = 0, blocked_at = NULL, next_try_at = NULL WHERE serial = ?', [serial]);
  if (n === 0) throw bankError('DOSA_UNKNOWN', `No dosa with serial ${serial} is registered.`);
}

/** A new key for the card network's authorization endpoint; only its hash is stored. */
export async function createNetworkKey(ctx: BankContext, name: string): Promise<string> {
  const key = `nk_${randomBytes(24).toString('base64url')}`;
  await ctx.db.run('INSERT INTO network_keys (key_hash, name, created_at) VALUES (?, ?, ?)', [sha256Hex(key), name, ctx.config.now()]);
  return key;
}

/**
 * How long a network key found in the database is taken without asking again: every
 * authorization carries one, and keys are never removed by the service (a row deleted by hand
 * stops working within this time). A key not found is asked for every time.
 */
export const NETWORK_KEY_CACHE_MS = 5_000;
const NETWORK_KEY_CACHE_SIZE = 64;
/** Per database: when each key was last found there (performance.now(), not the bank's clock, which tests move). */
const foundKeys = new WeakMap<object, Map<string, number>>();

export async function isNetworkKey(ctx: BankContext, key: string | undefined): Promise<boolean> {
  if (!key || key.length > 200) return false;
  let found = foundKeys.get(ctx.db);
  const seen = found?.get(key);
  if (seen !== undefined && performance.now() - seen < NETWORK_KEY_CACHE_MS) return true;
  if ((await ctx.db.query('SELECT 1 AS one FROM network_keys WHERE key_hash = ?', [sha256Hex(key)])).length !== 1) return false;
  if (!found) foundKeys.set(ctx.db, (found = new Map()));
  if (found.size >= NETWORK_KEY_CACHE_SIZE) found.clear();
  found.set(key, performance.now());
  return true;
}
