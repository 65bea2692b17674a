/**
 * The two ways into e-kort this service checks itself:
 * - BankID på kort: a single-use challenge, 2 minutes long, that names this service; the card
 *   signs it (CMS); the verifier of src/pki says who signed; the personnummer finds the customer.
 * - Säkerhetsdosa: an 8-digit kontrollnummer answered by the OCRA svarskod, or the
 *   response-only login code. Five wrong answers in a row block the dosa at the bank.
 *   Between tries the wait grows (1 s, 2 s, 4 s, 8 s after 1 to 4 wrong ones): each try
 *   first claims the serial until then (a conditional UPDATE of next_try_at), so requests
 *   that come sooner, or at the same time, get TRY_LATER and are never checked or counted;
 *   knowing a serial is not enough to block someone's dosa with five quick requests. A right
 *   code sent again (a used kontrollnummer, a used login code) is CHALLENGE_REPLAYED, not wrong.
 * Single use is a conditional UPDATE in the database (the challenge, the HOTP counter, the
 * TOTP step), so it holds across service instances.
 */
import { randomBytes } from 'node:crypto';
import type { Organisation } from '../pki/index.ts';
import { codesEqual, HID_HMAC_SUITE, hidSvarskod, newKontrollnummer, type OtpAlgorithm, parseOcraSuite, svarskod, verifyHotp, verifyTotp } from '../token/index.ts';
import type { CardChallenge, DosaChallenge, LoginMethod, Session } from './api/schemas.ts';
import { iso } from './calendar.ts';
import { type BankContext, CHALLENGE_LIFE_MS, DOSA_MAX_FAILURES, newId } from './context.ts';
import { BankError, bankError } from './errors.ts';
import { createSession } from './sessions.ts';

interface CustomerRow {
  id: string;
  name: string;
  personnummer: string;
}

/** The bytes the card signs: readable, naming this service, with 256 random bits. */
function challengeBytes(serviceId: string, now: number): Buffer {
  return Buffer.from(`e-kort login\nservice: ${serviceId}\nnonce: ${randomBytes(32).toString('base64url')}\ntime: ${iso(now)}\n`, 'utf8');
}

export async function newCardChallenge(ctx: BankContext): Promise<CardChallenge> {
  if (!ctx.config.trust) throw bankError('FORBIDDEN', 'This service has no trust anchors for BankID på kort; log in with a säkerhetsdosa.');
  const now = ctx.config.now();
  const id = newId();
  const challenge = challengeBytes(ctx.config.serviceId, now).toString('base64');
  await ctx.db.run('INSERT INTO challenges (id, kind, value, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', [id, 'card', challenge, now, now + CHALLENGE_LIFE_MS]);
  return { challengeId: id, challenge, expiresAt: iso(now + CHALLENGE_LIFE_MS) };
}

/** Uses up challenge `id` of `kind`, or says why it cannot be used. */
async function consumeChallenge(ctx: BankContext, id: string, kind: 'card' | 'dosa'): Promise<{ value: string; dosa_serial: string | null }> {
  const now = ctx.config.now();
  const [row] = await ctx.db.query<{ value: string; dosa_serial: string | null }>(
    'UPDATE challenges SET used_at = ? WHERE id = ? AND kind = ? AND used_at IS NULL AND expires_at > ? RETURNING value, dosa_serial',
    [now, id, kind, now],
  );
  if (row) return row;
  const [known] = await ctx.db.query<{ used_at: number | null }>('SELECT used_at FROM challenges WHERE id = ? AND kind = ?', [id, kind]);
  if (!known) throw bankError('CHALLENGE_UNKNOWN', 'This login challenge is not known here. Start the login again.');
  if (known.used_at !== null) throw bankError('CHALLENGE_REPLAYED', 'This login challenge has already been used. Start the login again.');
  throw bankError('CHALLENGE_EXPIRED', 'The login took longer than 2 minutes. Start the login again.');
}

export async function cardLogin(ctx: BankContext, challengeId: string, cms: Uint8Array): Promise<Session> {
  const trust = ctx.config.trust;
  if (!trust) throw bankError('FORBIDDEN', 'This service has no trust anchors for BankID på kort; log in with a säkerhetsdosa.');
  const { value } = await consumeChallenge(ctx, challengeId, 'card');
  // The verifier (pkijs) comes with the first card login, not with the service (service.ts).
  const { LoginSignatureError, verifyLoginSignatureSync } = await import('../pki/index.ts');
  let personnummer: string | undefined;
  let organisation: Organisation | undefined;
  try {
    const verified = verifyLoginSignatureSync({ cms, challenge: Buffer.from(value, 'base64'), trust, now: new Date(ctx.config.now()) });
    personnummer = verified.signer.subject.personnummer;
    organisation = verified.signer.subject.organisation;
  } catch (e) {
    if (e instanceof LoginSignatureError) throw new BankError(e.code, e.message, { status: 401, cause: e });
    throw e;
  }
  if (!personnummer && organisation) {
    // An e-tjänstelegitimation speaks for its organisation, never for a private customer.
    throw bankError(
      'ORGANISATION_EID',
      'This is an e-tjänstelegitimation for an organisation. e-kort is a service for private persons: log in with your personal e-legitimation (BankID).',
      { organisation: organisation.number },
    );
  }
  if (!personnummer) throw bankError('CUSTOMER_UNKNOWN', 'The e-legitimation has no personnummer.');
  const [customer] = await ctx.db.query<CustomerRow>('SELECT id, name, personnummer FROM customers WHERE personnummer = ?', [personnummer]);
  if (!customer) throw bankError('CUSTOMER_UNKNOWN', 'There is no e-kort customer with this e-legitimation.');
  return createSession(ctx, customer, 'card');
}

interface DosaRow {
  serial: string;
  customer_id: string;
  suite: string;
  secret: string;
  login_kind: 'hotp' | 'totp';
  login_algorithm: OtpAlgorithm;
  counter: number | null;
  last_step: number | null;
  failures: number;
  blocked_at: number | null;
}

async function activeDosa(ctx: BankContext, serial: string): Promise<DosaRow> {
  const [dosa] = await ctx.db.query<DosaRow>('SELECT * FROM dosas WHERE serial = ?', [serial]);
  if (!dosa) throw bankError('DOSA_UNKNOWN', 'This säkerhetsdosa is not registered for e-kort. Check the serial on its back.');
  if (dosa.blocked_at !== null) throw dosaBlocked();
  return dosa;
}

const dosaBlocked = (): BankError =>
  bankError('DOSA_BLOCKED', 'The säkerhetsdosa is blocked after five wrong codes. Call the bank to have it unblocked.', { triesLeft: 0 });

export async function newDosaChallenge(ctx: BankContext, serial: string): Promise<DosaChallenge> {
  await activeDosa(ctx, serial);
  const now = ctx.config.now();
  const id = newId();
  const kontrollnummer = newKontrollnummer();
  await ctx.db.run('INSERT INTO challenges (id, kind, value, dosa_serial, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)', [
    id,
    'dosa',
    kontrollnummer,
    serial,
    now,
    now + CHALLENGE_LIFE_MS,
  ]);
  return { challengeId: id, kontrollnummer, expiresAt: iso(now + CHALLENGE_LIFE_MS) };
}

/** The wait after the n-th wrong code in a row (n >= 1): doubling from 1 s, at most 5 minutes. */
export const DOSA_DELAY_BASE_MS = 1000;
export const DOSA_DELAY_MAX_MS = 5 * 60_000;
export const dosaDelayMs = (failures: number): number => Math.min(DOSA_DELAY_BASE_MS * 2 ** Math.max(0, failures - 1), DOSA_DELAY_MAX_MS);

/** SQL: the wait a wrong answer earns, by the failures before it (our constants, inlined). */
const WAIT_BY_FAILURES = `CASE failures ${Array.from({ length: DOSA_MAX_FAILURES }, (_, n) => `WHEN ${n} THEN ${dosaDelayMs(n + 1)}`).join(' ')} ELSE ${DOSA_DELAY_MAX_MS} END`;

/** HOTP login codes this many counters behind the next expected one are known as used. */
const HOTP_LOOK_BEHIND = 10;

const tryLater = (until: number, now: number): BankError => {
  const seconds = Math.max(1, Math.ceil((until - now) / 1000));
  return bankError('TRY_LATER', `A wrong code was given for this säkerhetsdosa moments ago. Wait ${seconds} s and try again.`, { retryAfterSeconds: seconds });
};

/**
 * Claims the next try of dosa `serial`: until the wait a wrong answer now would earn has
 * passed, no other try is taken. Refused (TRY_LATER) while an earlier claim runs. Returns
 * the claim, to be given back (releaseTry) when the try ends neither right nor wrong.
 */
async function claimTry(ctx: BankContext, serial: string): Promise<number> {
  const now = ctx.config.now();
  const [row] = await ctx.db.query<{ next_try_at: number }>(
    `UPDATE dosas SET next_try_at = CAST(? AS BIGINT) + ${WAIT_BY_FAILURES}
     WHERE serial = ? AND blocked_at IS NULL AND (next_try_at IS NULL OR next_try_at <= ?) RETURNING next_try_at`,
    [now, serial, now],
  );
  if (row) return Number(row.next_try_at);
  const [dosa] = await ctx.db.query<{ blocked_at: number | null; next_try_at: number | null }>('SELECT blocked_at, next_try_at FROM dosas WHERE serial = ?', [serial]);
  if (!dosa) throw bankError('DOSA_UNKNOWN', 'This säkerhetsdosa is not registered for e-kort. Check the serial on its back.');
  if (dosa.blocked_at !== null) throw dosaBlocked();
  throw tryLater(Number(dosa.next_try_at), now);
}

/** Gives a claim back: the try was neither right nor wrong (a replay, an expired challenge). */
async function releaseTry(ctx: BankContext, serial: string, claim: number): Promise<void> {
  await ctx.db.run('UPDATE dosas SET next_try_at = NULL WHERE serial = ? AND next_try_at = ?', [serial, claim]);
}

/** A right answer: the count of wrong ones and the wait start again. */
async function rightCode(ctx: BankContext, serial: string): Promise<void> {
  const reset = await ctx.db.run('UPDATE dosas SET failures = 0, next_try_at = NULL WHERE serial = ? AND blocked_at IS NULL', [serial]);
  if (reset === 0) throw dosaBlocked();
}

const codeReplayed = (): BankError =>
  bankError('CHALLENGE_REPLAYED', 'This code from the säkerhetsdosa has already been used. Press the button on the dosa for a new code.');

/** A wrong answer: one more failure, blocked at the fifth; the error says how many are left. */
async function wrongCode(ctx: BankContext, serial: string): Promise<never> {
  const [row] = await ctx.db.query<{ failures: number }>(
    `UPDATE dosas SET failures = failures + 1, blocked_at = CASE WHEN failures + 1 >= ? THEN ? ELSE blocked_at END
     WHERE serial = ? AND blocked_at IS NULL RETURNING failures`,
    [DOSA_MAX_FAILURES, ctx.config.now(), serial],
  );
  if (!row || row.failures >= DOSA_MAX_FAILURES) throw dosaBlocked();
  const triesLeft = DOSA_MAX_FAILURES - row.failures;
  throw bankError('DOSA_CODE_WRONG', `The code is wrong. ${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left before the dosa is blocked.`, { triesLeft });
}

async function loggedIn(ctx: BankContext, dosa: DosaRow, method: LoginMethod): Promise<Session> {
  const [customer] = await ctx.db.query<CustomerRow>('SELECT id, name, personnummer FROM customers WHERE id = ?', [dosa.customer_id]);
  return createSession(ctx, customer!, method);
}

const digitsOnly = (code: string): string => code.replace(/\s/g, '');

/** The dosa a challenge was made for, or why the challenge can no longer be answered. */
async function challengeSerial(ctx: BankContext, challengeId: string): Promise<string> {
  const [row] = await ctx.db.query<{ dosa_serial: string | null; used_at: number | null; expires_at: number }>(
    "SELECT dosa_serial, used_at, expires_at FROM challenges WHERE id = ? AND kind = 'dosa'",
    [challengeId],
  );
  if (!row || row.dosa_serial === null) throw bankError('CHALLENGE_UNKNOWN', 'This login challenge is not known here. Start the login again.');
  if (row.used_at !== null) throw bankError('CHALLENGE_REPLAYED', 'This login challenge has already been used. Start the login again.');
  if (Number(row.expires_at) <= ctx.config.now()) throw bankError('CHALLENGE_EXPIRED', 'The login took longer than 2 minutes. Start the login again.');
  return row.dosa_serial;
}

/**
 * One try of dosa `serial`: claimed first (TRY_LATER while the wait runs), then `check`
 * says right (true), wrong (false), or throws (neither: the claim is given back).
 */
async function tryDosa(ctx: BankContext, serial: string, check: (dosa: DosaRow) => Promise<boolean>): Promise<DosaRow> {
  const claim = await claimTry(ctx, serial);
  let dosa: DosaRow;
  let right: boolean;
  try {
    // Read after the claim: the counter and time step as the last try left them.
    dosa = await activeDosa(ctx, serial);
    right = await check(dosa);
  } catch (e) {
    await releaseTry(ctx, serial, claim);
    throw e;
  }
  if (!right) return wrongCode(ctx, serial);
  await rightCode(ctx, serial);
  return dosa;
}

export async function dosaLogin(ctx: BankContext, challengeId: string, answer: string): Promise<Session> {
  const serial = await challengeSerial(ctx, challengeId);
  const dosa = await tryDosa(ctx, serial, async (dosa) => {
    const { value: kontrollnummer } = await consumeChallenge(ctx, challengeId, 'dosa');
    return svarskodRight(ctx, dosa, kontrollnummer, answer);
  });
  return loggedIn(ctx, dosa, 'dosa');
}

function svarskodRight(ctx: BankContext, dosa: DosaRow, kontrollnummer: string, answer: string): boolean {
  const key = Buffer.from(dosa.secret, 'base64');
  let ok = false;
  if (dosa.suite === HID_HMAC_SUITE) {
    // A HID security token: HMAC-SHA1 challenge-response, truncated (src/token/dosaCodes.ts).
    ok = codesEqual(hidSvarskod(key, kontrollnummer), digitsOnly(answer));
  } else {
    const suite = parseOcraSuite(dosa.suite);
    const now = ctx.config.now();
    // A time-based suite: the dosa's clock may be one step off either way.
    const times = suite.timeStep === undefined ? [undefined] : [0, -1, 1].map((d) => new Date(now + d * suite.timeStep! * 1000));
    for (const time of times) {
      if (codesEqual(svarskod({ key, suite: dosa.suite, kontrollnummer, time }), digitsOnly(answer))) ok = true;
    }
  }
  return ok;
}

export async function dosaCodeLogin(ctx: BankContext, serial: string, code: string): Promise<Session> {
  const dosa = await tryDosa(ctx, serial, (dosa) => loginCodeRight(ctx, dosa, digitsOnly(code)));
  return loggedIn(ctx, dosa, 'dosa-code');
}

/** Right: the code is taken (the counter or time step moves on); a used code throws CHALLENGE_REPLAYED. */
async function loginCodeRight(ctx: BankContext, dosa: DosaRow, code: string): Promise<boolean> {
  const secret = Buffer.from(dosa.secret, 'base64');
  const common = { secret, code, digits: 8 as const, algorithm: dosa.login_algorithm };
  const serial = dosa.serial;
  if (dosa.login_kind === 'hotp') {
    const next = Number(dosa.counter ?? 0);
    const result = verifyHotp({ ...common, counter: next, lookAhead: 10 });
    if (!result.ok) {
      const from = Math.max(0, next - HOTP_LOOK_BEHIND);
      if (next > from && verifyHotp({ ...common, counter: from, lookAhead: next - from - 1 }).ok) throw codeReplayed();
      return false;
    }
    // Compare-and-set: a concurrent login with the same code moves the counter first.
    const accepted = await ctx.db.run('UPDATE dosas SET counter = ? WHERE serial = ? AND counter = ? AND blocked_at IS NULL', [Number(result.nextCounter), serial, next]);
    if (accepted === 0) throw codeReplayed();
    return true;
  }
  const time = new Date(ctx.config.now());
  const result = verifyTotp({ ...common, time, window: 1, lastAcceptedStep: dosa.last_step ?? undefined });
  if (!result.ok) {
    const any = dosa.last_step === null ? { ok: false as const } : verifyTotp({ ...common, time, window: 1 });
    if (any.ok && dosa.last_step !== null && any.step <= Number(dosa.last_step)) throw codeReplayed();
    return false;
  }
  const accepted = await ctx.db.run('UPDATE dosas SET last_step = ? WHERE serial = ? AND (last_step IS NULL OR last_step < ?) AND blocked_at IS NULL', [
    result.step,
    serial,
    result.step,
  ]);
  if (accepted === 0) throw codeReplayed();
  return true;
}

