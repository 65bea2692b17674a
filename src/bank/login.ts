/**
 * The two ways into e-kort this service checks itself:
 * - BankID på kort: a single-use challenge, 2 minutes long, that names this service; the card
 *   signs it (CMS); the verifier of src/pki says who signed; the personnummer finds the customer.
 * - Säkerhetsdosa: an 8-digit kontrollnummer answered by the OCRA svarskod, or the
 *   response-only login code. Five wrong answers in a row block the dosa at the bank.
 * Single use is a conditional UPDATE in the database (the challenge, the HOTP counter, the
 * TOTP step), so it holds across service instances.
 */
import { randomBytes } from 'node:crypto';
import { LoginSignatureError, verifyLoginSignatureSync } from '../pki/cmsVerifier.ts';
import type { Organisation } from '../pki/organisation.ts';
import { HID_HMAC_SUITE, hidSvarskod, newKontrollnummer, svarskod } from '../token/dosaCodes.ts';
import { codesEqual, type OtpAlgorithm, verifyHotp, verifyTotp } from '../token/hotp.ts';
import { parseOcraSuite } from '../token/ocra.ts';
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

export async function dosaLogin(ctx: BankContext, challengeId: string, answer: string): Promise<Session> {
  const { value: kontrollnummer, dosa_serial: serial } = await consumeChallenge(ctx, challengeId, 'dosa');
  const dosa = await activeDosa(ctx, serial!);
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
  if (!ok) return wrongCode(ctx, dosa.serial);
  const reset = await ctx.db.run('UPDATE dosas SET failures = 0 WHERE serial = ? AND blocked_at IS NULL', [dosa.serial]);
  if (reset === 0) throw dosaBlocked();
  return loggedIn(ctx, dosa, 'dosa');
}

export async function dosaCodeLogin(ctx: BankContext, serial: string, code: string): Promise<Session> {
  const dosa = await activeDosa(ctx, serial);
  const secret = Buffer.from(dosa.secret, 'base64');
  const now = ctx.config.now();
  const common = { secret, code: digitsOnly(code), digits: 8 as const, algorithm: dosa.login_algorithm };
  let accepted: number;
  if (dosa.login_kind === 'hotp') {
    const result = verifyHotp({ ...common, counter: dosa.counter ?? 0, lookAhead: 10 });
    if (!result.ok) return wrongCode(ctx, serial);
    // Compare-and-set: a concurrent login with the same code moves the counter first.
    accepted = await ctx.db.run('UPDATE dosas SET counter = ?, failures = 0 WHERE serial = ? AND counter = ? AND blocked_at IS NULL', [
      Number(result.nextCounter),
      serial,
      dosa.counter ?? 0,
    ]);
  } else {
    const result = verifyTotp({ ...common, time: new Date(now), window: 1, lastAcceptedStep: dosa.last_step ?? undefined });
    if (!result.ok) return wrongCode(ctx, serial);
    accepted = await ctx.db.run('UPDATE dosas SET last_step = ?, failures = 0 WHERE serial = ? AND (last_step IS NULL OR last_step < ?) AND blocked_at IS NULL', [
      result.step,
      serial,
      result.step,
    ]);
  }
  if (accepted === 0) return wrongCode(ctx, serial);
  return loggedIn(ctx, dosa, 'dosa-code');
}

