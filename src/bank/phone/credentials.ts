/**
 * The web bank codes (webbankskoder) the telephone service checks: the user code
 * (användarkod, 6 to 8 digits), the password (lösenord, 4 to 6 digits) and, in codeTable.ts,
 * the code table. The bank's rules (seed 002):
 * - the first password is the birth date as ddmmyy and must be changed at the first web bank
 *   login (`password_initial`); the phone menu does not accept the first password: it is no
 *   secret (it is in the personnummer) and the customer has not chosen one yet;
 * - a password not used (no web bank login) within 3 months of activation locks by itself;
 * - wrong answers lock the codes: 3 wrong passwords in a row, or 3 wrong code-table / SMS
 *   codes in a row (PASSWORD_MAX_FAILURES, CODE_MAX_FAILURES; the bank's text gives no number);
 * - locked codes make every identification fail; new codes are had at a branch with a
 *   passport or ID card (`ekort bank set-phone-credentials` again).
 * Counters are conditional UPDATEs in the database, so two calls at once count both answers.
 * Passwords are kept as scrypt hashes; they are never logged.
 */
import { randomBytes, randomInt, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { WEAK_CODE_TEXT, weakCodeReason } from '../../identity/index.ts';
import { addMonths } from '../calendar.ts';
import { type BankContext, sha256Hex } from '../context.ts';
import { BankError, bankError } from '../errors.ts';
import { isUniqueViolation } from '../store/sql.ts';

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

export const PASSWORD_MAX_FAILURES = 3;
export const CODE_MAX_FAILURES = 3;
export const PASSWORD_UNUSED_MONTHS = 3;

export type LockReason = 'password' | 'codes' | 'unused';

export interface CredentialRow {
  customer_id: string;
  user_code: string;
  phone: string | null;
  password_hash: string;
  password_initial: number;
  activated_at: number;
  first_login_at: number | null;
  password_failures: number;
  code_failures: number;
  locked_at: number | null;
  lock_reason: LockReason | null;
}

export const USER_CODE = /^[0-9]{6,8}$/;
export const PASSWORD = /^[0-9]{4,6}$/;
export const PHONE_NUMBER = /^\+[1-9][0-9]{6,14}$/;

/** The first password: the birth date of the personnummer YYYYMMDDNNNN as ddmmyy (a samordningsnummer's day less 60). */
export function firstPassword(personnummer: string): string {
  const yy = personnummer.slice(2, 4);
  const mm = personnummer.slice(4, 6);
  const day = Number(personnummer.slice(6, 8));
  return `${String(day > 60 ? day - 60 : day).padStart(2, '0')}${mm}${yy}`;
}

async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  return `${salt.toString('base64')}$${(await scrypt(password, salt, 32)).toString('base64')}`;
}

async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const [salt, hash] = stored.split('$');
  const expected = Buffer.from(hash ?? '', 'base64');
  const actual = await scrypt(password, Buffer.from(salt ?? '', 'base64'), 32);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Some hash to compare against when the user code is unknown, so the answer takes as long. */
let dummyHash: Promise<string> | undefined;

/**
 * Sets a customer's user code, registered phone number and the first password (the birth
 * date), activated now; counters and locks start again (the branch hands out new codes).
 */
export async function setPhoneCredentials(ctx: BankContext, customerId: string, options: { userCode: string; phone?: string }): Promise<{ activatedAt: number }> {
  if (!USER_CODE.test(options.userCode)) throw bankError('INVALID_INPUT', 'A user code (användarkod) is 6 to 8 digits.');
  if (options.phone !== undefined && !PHONE_NUMBER.test(options.phone)) throw bankError('INVALID_INPUT', 'The phone number is given in international form, e.g. +46701234567.');
  const [customer] = await ctx.db.query<{ personnummer: string }>('SELECT personnummer FROM customers WHERE id = ?', [customerId]);
  if (!customer) throw bankError('CUSTOMER_UNKNOWN', 'There is no such customer.');
  const hash = await hashPassword(firstPassword(customer.personnummer));
  const now = ctx.config.now();
  try {
    await ctx.db.run(
      `INSERT INTO phone_credentials (customer_id, user_code, phone, password_hash, password_initial, activated_at, first_login_at, password_failures, code_failures, locked_at, lock_reason, updated_at)
       VALUES (?, ?, ?, ?, 1, ?, NULL, 0, 0, NULL, NULL, ?)
       ON CONFLICT (customer_id) DO UPDATE SET user_code = excluded.user_code, phone = COALESCE(excluded.phone, phone_credentials.phone),
         password_hash = excluded.password_hash, password_initial = 1, activated_at = excluded.activated_at, first_login_at = NULL,
         password_failures = 0, code_failures = 0, locked_at = NULL, lock_reason = NULL, updated_at = excluded.updated_at`,
      [customerId, options.userCode, options.phone ?? null, hash, now, now],
    );
  } catch (e) {
    if (isUniqueViolation(e)) throw bankError('STATE_CONFLICT', 'Another customer has this user code already.', { cause: e });
    throw e;
  }
  return { activatedAt: now };
}

/**
 * A forgotten web bank password: a new one-time password, sent by post as a letter (like the
 * code table), that must be changed at the first login (password_initial). Wrong-password
 * counts start again; locked codes stay locked (new codes are had at a branch, with ID).
 */
export async function issueOneTimePassword(ctx: BankContext, customerId: string): Promise<{ password: string; issuedAt: number }> {
  const [row] = await ctx.db.query<{ personnummer: string; phone: string | null; locked_at: number | null }>(
    'SELECT c.personnummer, p.phone, p.locked_at FROM phone_credentials p JOIN customers c ON c.id = p.customer_id WHERE p.customer_id = ?',
    [customerId],
  );
  if (!row) throw bankError('NOT_FOUND', 'The customer has no web bank codes; a branch hands them out.');
  if (row.locked_at !== null) throw new BankError('CODES_LOCKED', 'The web bank codes are locked. New codes are had at a branch, with a passport or ID card.', { status: 403 });
  let password: string;
  do password = String(randomInt(0, 1_000_000)).padStart(6, '0');
  while (weakCodeReason(password, { personnummer: row.personnummer, phone: row.phone ?? undefined }) !== undefined);
  const now = ctx.config.now();
  await ctx.db.run('UPDATE phone_credentials SET password_hash = ?, password_initial = 1, password_failures = 0, updated_at = ? WHERE customer_id = ? AND locked_at IS NULL', [
    await hashPassword(password),
    now,
    customerId,
  ]);
  return { password, issuedAt: now };
}

/** The letter the one-time password goes out in (Swedish, as the bank's letters are). */
export function oneTimePasswordLetter(password: string, customer: { name: string; personnummer: string }): string[] {
  return [
    customer.name,
    `Personnummer ${customer.personnummer}`,
    '',
    'Ditt nya lösenord för webbanken och telefontjänsten',
    '',
    `Engångslösenord: ${password}`,
    '',
    'Lösenordet gäller en gång. Vid första inloggningen på webbanken ber systemet dig byta det till ett',
    'lösenord som du själv väljer; det tidigare lösenordet gäller inte längre.',
    'Webbankskoderna är personliga. Låt ingen annan använda dem. Spara inte lösenordet på datorn,',
    'mobilen eller någon annan enhet du använder, och förstör brevet när du har bytt lösenordet.',
    'S-Banken ber dig aldrig uppge dina webbankskoder per sms, e-post eller telefon.',
  ];
}

export async function credentialsByUserCode(ctx: BankContext, userCode: string): Promise<CredentialRow | undefined> {
  const [row] = await ctx.db.query<CredentialRow>('SELECT * FROM phone_credentials WHERE user_code = ?', [userCode]);
  return row;
}

export async function credentialsOf(ctx: BankContext, customerId: string): Promise<CredentialRow | undefined> {
  const [row] = await ctx.db.query<CredentialRow>('SELECT * FROM phone_credentials WHERE customer_id = ?', [customerId]);
  return row;
}

/**
 * Whether the codes are locked now; a first password left unused 3 months after activation
 * locks here (once, by a conditional UPDATE).
 */
export async function isLocked(ctx: BankContext, row: CredentialRow): Promise<boolean> {
  if (row.locked_at !== null) return true;
  const now = ctx.config.now();
  if (row.first_login_at === null && now >= addMonths(Number(row.activated_at), PASSWORD_UNUSED_MONTHS)) {
    await ctx.db.run("UPDATE phone_credentials SET locked_at = ?, lock_reason = 'unused', updated_at = ? WHERE customer_id = ? AND locked_at IS NULL AND first_login_at IS NULL", [
      now,
      now,
      row.customer_id,
    ]);
    return true;
  }
  return false;
}

/** A wrong answer of `kind`; true when the codes are locked now (by this answer or before). */
async function countFailure(ctx: BankContext, customerId: string, kind: 'password' | 'codes'): Promise<boolean> {
  const column = kind === 'password' ? 'password_failures' : 'code_failures';
  const limit = kind === 'password' ? PASSWORD_MAX_FAILURES : CODE_MAX_FAILURES;
  const now = ctx.config.now();
  const [row] = await ctx.db.query<{ failures: number }>(
    `UPDATE phone_credentials SET ${column} = ${column} + 1,
       locked_at = CASE WHEN ${column} + 1 >= ? THEN ? ELSE locked_at END,
       lock_reason = CASE WHEN ${column} + 1 >= ? THEN ? ELSE lock_reason END,
       updated_at = ?
     WHERE customer_id = ? AND locked_at IS NULL RETURNING ${column} AS failures`,
    [limit, now, limit, kind, now, customerId],
  );
  return !row || Number(row.failures) >= limit;
}

export const passwordFailure = (ctx: BankContext, customerId: string): Promise<boolean> => countFailure(ctx, customerId, 'password');
export const codeFailure = (ctx: BankContext, customerId: string): Promise<boolean> => countFailure(ctx, customerId, 'codes');

/** A right answer: the counter of `kind` starts again; false when the codes are locked meanwhile. */
export async function resetFailures(ctx: BankContext, customerId: string, kind: 'password' | 'codes'): Promise<boolean> {
  const column = kind === 'password' ? 'password_failures' : 'code_failures';
  return (await ctx.db.run(`UPDATE phone_credentials SET ${column} = 0 WHERE customer_id = ? AND locked_at IS NULL`, [customerId])) === 1;
}

export type PasswordCheck = { result: 'ok'; row: CredentialRow } | { result: 'unknown' | 'wrong' | 'locked' | 'initial' };

/** The user code and password of the phone menu (or the web bank). Counts a wrong password. */
export async function checkPassword(ctx: BankContext, userCode: string, password: string): Promise<PasswordCheck> {
  const row = await credentialsByUserCode(ctx, userCode);
  if (!row) {
    await passwordMatches(password, await (dummyHash ??= hashPassword('000000')));
    return { result: 'unknown' };
  }
  if (await isLocked(ctx, row)) return { result: 'locked' };
  if (!(await passwordMatches(password, row.password_hash))) return { result: (await passwordFailure(ctx, row.customer_id)) ? 'locked' : 'wrong' };
  if (!(await resetFailures(ctx, row.customer_id, 'password'))) return { result: 'locked' };
  if (Number(row.password_initial) === 1) return { result: 'initial' };
  return { result: 'ok', row };
}

/**
 * The first web bank login: the first password (or the current one) and a new one the
 * customer chooses. After it the phone menu accepts the password.
 */
export async function changePassword(ctx: BankContext, userCode: string, oldPassword: string, newPassword: string): Promise<void> {
  if (!PASSWORD.test(newPassword)) throw bankError('INVALID_INPUT', 'The new password is 4 to 6 digits you choose.');
  const check = await checkPassword(ctx, userCode, oldPassword);
  if (check.result === 'locked') throw new BankError('CODES_LOCKED', 'The web bank codes are locked. New codes are had at a branch, with a passport or ID card.', { status: 403 });
  if (check.result === 'unknown' || check.result === 'wrong') throw bankError('LOGIN_FAILED', 'The user code or the password is wrong.');
  const row = await credentialsByUserCode(ctx, userCode);
  const [customer] = await ctx.db.query<{ personnummer: string }>('SELECT personnummer FROM customers WHERE id = ?', [row!.customer_id]);
  const weak = newPassword === firstPassword(customer!.personnummer) ? 'birth_date' : weakCodeReason(newPassword, { personnummer: customer!.personnummer, phone: row!.phone ?? undefined });
  if (weak) throw bankError('CODE_TOO_EASY', `Choose a password that is harder to guess: ${WEAK_CODE_TEXT[weak]}.`, { reason: weak });
  const now = ctx.config.now();
  const changed = await ctx.db.run(
    'UPDATE phone_credentials SET password_hash = ?, password_initial = 0, first_login_at = COALESCE(first_login_at, ?), updated_at = ? WHERE customer_id = ? AND locked_at IS NULL',
    [await hashPassword(newPassword), now, now, row!.customer_id],
  );
  if (changed === 0) throw new BankError('CODES_LOCKED', 'The web bank codes are locked. New codes are had at a branch, with a passport or ID card.', { status: 403 });
}

/** A new key for the bank's phone system (the /v1/phone routes); only its hash is stored. */
export async function createIvrKey(ctx: BankContext, name: string): Promise<string> {
  const key = `ivr_${randomBytes(24).toString('base64url')}`;
  await ctx.db.run('INSERT INTO ivr_keys (key_hash, name, created_at) VALUES (?, ?, ?)', [sha256Hex(key), name, ctx.config.now()]);
  return key;
}

export async function isIvrKey(ctx: BankContext, key: string | undefined): Promise<boolean> {
  if (!key || key.length > 200) return false;
  return (await ctx.db.query('SELECT 1 AS one FROM ivr_keys WHERE key_hash = ?', [sha256Hex(key)])).length === 1;
}
