/**
 * Customers, their payment cards (bankkort) and dosas: the bank-side records e-kort works on.
 * Enrolment (`ekort bank ...`) runs these directly against the store; holders reach the card
 * operations through the API after logging in.
 */
import { isValidPersonnummer } from '../identity/index.ts';
import { type DosaBankRecord, dosaSuite, HID_HMAC_SUITE } from '../token/index.ts';
import { isUniqueViolation } from './store/sql.ts';
import type { PaymentCard } from './api/schemas.ts';
import { isoOrNull } from './calendar.ts';
import { drawPan, last4 } from './cardNumbers.ts';
import { type BankContext, newId, sha256Hex } from './context.ts';
import { bankError } from './errors.ts';
import { TERMS } from './terms.ts';
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

export async function addPaymentCard(
  ctx: BankContext,
  customerId: string,
  options: { product?: string; pan?: string; limitPerPurchase?: number; limitPerMonth?: number } = {},
): Promise<{ id: string; pan: string }> {
  const id = newId();
  const pan = options.pan ?? drawPan(PAYMENT_CARD_PREFIX);
  await ctx.db.run(
    'INSERT INTO payment_cards (id, customer_id, pan, last4, product, state, limit_per_purchase, limit_per_month, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [id, customerId, pan, last4(pan), options.product ?? 'Bankkort Visa', 'active', options.limitPerPurchase ?? DEFAULT_LIMIT_PER_PURCHASE, options.limitPerMonth ?? DEFAULT_LIMIT_PER_MONTH, ctx.config.now()],
  );
  return { id, pan };
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
}

const cardView = (r: CardRow): PaymentCard => ({
  id: r.id,
  last4: r.last4,
  product: r.product,
  state: r.state,
  connected: r.terms_version === TERMS.version,
  termsVersion: r.terms_version,
  termsAcceptedAt: isoOrNull(r.terms_accepted_at),
  limitPerPurchase: Number(r.limit_per_purchase),
  limitPerMonth: Number(r.limit_per_month),
});

const CARD_COLUMNS = 'id, last4, product, state, terms_version, terms_accepted_at, limit_per_purchase, limit_per_month';

export async function listPaymentCards(ctx: BankContext, customerId: string): Promise<PaymentCard[]> {
  const rows = await ctx.db.query<CardRow>(`SELECT ${CARD_COLUMNS} FROM payment_cards WHERE customer_id = ? ORDER BY created_at, id`, [customerId]);
  return rows.map(cardView);
}

async function ownCard(ctx: BankContext, customerId: string, cardId: string): Promise<PaymentCard> {
  const [row] = await ctx.db.query<CardRow>(`SELECT ${CARD_COLUMNS} FROM payment_cards WHERE id = ? AND customer_id = ?`, [cardId, customerId]);
  if (!row) throw bankError('NOT_FOUND', 'There is no such payment card among yours.');
  return cardView(row);
}

/** Connects a card to e-kort: the holder accepted the current terms (kept with the time). */
export async function connectCard(ctx: BankContext, customerId: string, cardId: string, termsVersion: string): Promise<PaymentCard> {
  if (termsVersion !== TERMS.version) throw bankError('TERMS_OUTDATED', `The terms have changed (now version ${TERMS.version}). Read them again and accept.`);
  const card = await ownCard(ctx, customerId, cardId);
  if (card.state === 'blocked') throw bankError('CARD_BLOCKED', 'The card is blocked and cannot be connected to e-kort.');
  await ctx.db.run('UPDATE payment_cards SET terms_version = ?, terms_accepted_at = ? WHERE id = ? AND customer_id = ?', [TERMS.version, ctx.config.now(), cardId, customerId]);
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

export async function isNetworkKey(ctx: BankContext, key: string | undefined): Promise<boolean> {
  if (!key || key.length > 200) return false;
  return (await ctx.db.query('SELECT 1 AS one FROM network_keys WHERE key_hash = ?', [sha256Hex(key)])).length === 1;
}
