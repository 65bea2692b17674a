/**
 * The virtual säkerhetsdosa (docs/protocols.md "Säkerhetsdosa"): an offline challenge/response
 * token as one JSON file. The holder opens it with a 4-digit PIN, keys in the bank's 8-digit
 * kontrollnummer and gets the 8-digit svarskod (OCRA, RFC 6287), or asks for a response-only
 * login code (HOTP/TOTP, "APPLI 1"). Three wrong PINs lock it for good; the PIN counter, the
 * lock and the HOTP counter live in the file and are written (atomically, 0600) before the
 * dosa answers, so neither a crash nor a restart undoes them.
 */
import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { EkortError } from '../errors.ts';
import {
  DEFAULT_DOSA_SUITE,
  DOSA_CODE_DIGITS,
  dosaSuite,
  loginCode,
  parseKontrollnummer,
  parseOcraSuite,
  svarskod,
  type DosaBankRecord,
  type DosaLoginKind,
  type OcraSuite,
  type OtpAlgorithm,
} from '../token/index.ts';
import { readJsonFile, writePrivateJson } from '../files/index.ts';

export const DOSA_FILE_VERSION = 1;
export const DEFAULT_DOSA_PIN = '1234';
export const DEFAULT_DOSA_TRIES = 3;
export interface DosaFile {
  version: 1;
  /** The serial printed on the back, digits. */
  serial: string;
  /** An OCRA suite with an 8-digit numeric challenge and an 8-digit response (QN08, HOTP-*-8). */
  suite: string;
  /** The token secret, base64: 20 bytes for SHA1 suites, 32 for SHA256, 64 for SHA512. */
  secret: string;
  /** 4 digits. */
  pin: string;
  pinTriesLeft: number;
  pinMaxTries: number;
  locked: boolean;
  /** The response-only login code; `counter` (HOTP only) is the next counter value to use. */
  login: { kind: DosaLoginKind; counter?: number };
}

export type DosaErrorCode =
  | 'DOSA_FILE_INVALID'
  | 'DOSA_NOT_FOUND'
  | 'DOSA_UNREADABLE'
  | 'DOSA_WRITE_FAILED'
  | 'DOSA_LOCKED'
  | 'DOSA_PIN_WRONG'
  | 'DOSA_PIN_FORMAT'
  | 'DOSA_NOT_UNLOCKED';

export class DosaError extends EkortError {
  readonly field?: string;
  readonly path?: string;
  /** PIN tries left, after a wrong PIN or when locked. */
  readonly triesLeft?: number;

  constructor(code: DosaErrorCode, message: string, options: { field?: string; path?: string; triesLeft?: number; cause?: unknown } = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.field !== undefined) this.field = options.field;
    if (options.path !== undefined) this.path = options.path;
    if (options.triesLeft !== undefined) this.triesLeft = options.triesLeft;
  }
}

const PIN_PATTERN = /^\d{4}$/;
const SERIAL_PATTERN = /^\d{6,20}$/;
const SECRET_BYTES: Record<OtpAlgorithm, number> = { sha1: 20, sha256: 32, sha512: 64 };
const MAX_TRIES = 10;
const FIELDS = ['version', 'serial', 'suite', 'secret', 'pin', 'pinTriesLeft', 'pinMaxTries', 'locked', 'login'];

function invalid(source: string, field: string, problem: string): never {
  throw new DosaError('DOSA_FILE_INVALID', `dosa ${source}: ${field} ${problem}`, { field });
}

/** Checks a parsed dosa file and returns it typed; `source` names it in messages (a path). */
export function validateDosa(value: unknown, source = '(in memory)'): DosaFile {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(source, 'the file', 'must be a JSON object');
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!FIELDS.includes(key)) invalid(source, key, 'is not a dosa field');
  if (o.version !== DOSA_FILE_VERSION) invalid(source, 'version', `must be ${DOSA_FILE_VERSION}`);
  if (typeof o.serial !== 'string' || !SERIAL_PATTERN.test(o.serial)) invalid(source, 'serial', 'must be 6 to 20 digits');
  if (typeof o.suite !== 'string') invalid(source, 'suite', 'must be a string');
  let suite: OcraSuite;
  try {
    suite = dosaSuite(o.suite);
  } catch (e) {
    invalid(source, 'suite', `is not usable: ${(e as Error).message}`);
  }
  const secretText = o.secret;
  if (typeof secretText !== 'string' || secretText.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(secretText)) {
    invalid(source, 'secret', 'must be base64');
  }
  const want = SECRET_BYTES[suite.hash];
  if (Buffer.from(secretText, 'base64').length !== want) invalid(source, 'secret', `must be ${want} bytes for ${suite.hash.toUpperCase()}`);
  // The PIN is not quoted in messages.
  if (typeof o.pin !== 'string' || !PIN_PATTERN.test(o.pin)) invalid(source, 'pin', 'must be 4 digits');
  const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
  if (!isInt(o.pinMaxTries, 1, MAX_TRIES)) invalid(source, 'pinMaxTries', `must be an integer from 1 to ${MAX_TRIES}`);
  if (!isInt(o.pinTriesLeft, 0, o.pinMaxTries)) invalid(source, 'pinTriesLeft', `must be an integer from 0 to ${o.pinMaxTries}`);
  if (typeof o.locked !== 'boolean') invalid(source, 'locked', 'must be true or false');
  if (o.pinTriesLeft === 0 && !o.locked) invalid(source, 'locked', 'must be true when pinTriesLeft is 0');
  const l = o.login;
  if (typeof l !== 'object' || l === null || Array.isArray(l)) invalid(source, 'login', 'must be an object');
  const login = l as Record<string, unknown>;
  for (const key of Object.keys(login)) if (key !== 'kind' && key !== 'counter') invalid(source, `login.${key}`, 'is not a dosa field');
  let loginValue: DosaFile['login'];
  if (login.kind === 'hotp') {
    if (!isInt(login.counter, 0, Number.MAX_SAFE_INTEGER)) invalid(source, 'login.counter', 'must be a non-negative integer for HOTP');
    loginValue = { kind: 'hotp', counter: login.counter };
  } else if (login.kind === 'totp') {
    if (login.counter !== undefined) invalid(source, 'login.counter', 'is only for HOTP');
    loginValue = { kind: 'totp' };
  } else {
    invalid(source, 'login.kind', 'must be "hotp" or "totp"');
  }
  return {
    version: 1,
    serial: o.serial,
    suite: o.suite,
    secret: secretText,
    pin: o.pin,
    pinTriesLeft: o.pinTriesLeft,
    pinMaxTries: o.pinMaxTries,
    locked: o.locked,
    login: loginValue,
  };
}

export interface CreateDosaOptions {
  /** 4 digits; DEFAULT_DOSA_PIN ('1234') by default. */
  pin?: string;
  /** DEFAULT_DOSA_SUITE ('OCRA-1:HOTP-SHA1-8:QN08') by default. */
  suite?: string;
  /** Digits; 10 random digits by default. */
  serial?: string;
  /** The login code: 'hotp' (counter from 0, the default) or 'totp'. */
  login?: DosaLoginKind;
}

/** A new dosa: a random secret of the suite's hash size, full PIN counter, not locked. */
export function createDosa(options: CreateDosaOptions = {}): DosaFile {
  const pin = options.pin ?? DEFAULT_DOSA_PIN;
  if (!PIN_PATTERN.test(pin)) throw new DosaError('DOSA_FILE_INVALID', 'cannot create a dosa: pin must be 4 digits', { field: 'pin' });
  const suiteText = options.suite ?? DEFAULT_DOSA_SUITE;
  const suite = dosaSuite(suiteText);
  const serial = options.serial ?? `${randomInt(1, 10)}${randomInt(0, 1_000_000_000).toString().padStart(9, '0')}`;
  if (!SERIAL_PATTERN.test(serial)) throw new DosaError('DOSA_FILE_INVALID', 'cannot create a dosa: serial must be 6 to 20 digits', { field: 'serial' });
  const kind = options.login ?? 'hotp';
  if (kind !== 'hotp' && kind !== 'totp') throw new DosaError('DOSA_FILE_INVALID', 'cannot create a dosa: login must be "hotp" or "totp"', { field: 'login' });
  return validateDosa({
    version: DOSA_FILE_VERSION,
    serial,
    suite: suiteText,
    secret: randomBytes(SECRET_BYTES[suite.hash]).toString('base64'),
    pin,
    pinTriesLeft: DEFAULT_DOSA_TRIES,
    pinMaxTries: DEFAULT_DOSA_TRIES,
    locked: false,
    login: kind === 'hotp' ? { kind, counter: 0 } : { kind },
  });
}

export async function loadDosa(file: string): Promise<DosaFile> {
  const value = await readJsonFile(file, (f) =>
    f.kind === 'missing'
      ? new DosaError('DOSA_NOT_FOUND', `no dosa file at ${file}`, { path: file })
      : f.kind === 'unreadable'
        ? new DosaError('DOSA_UNREADABLE', `cannot read the dosa file ${file} (${f.errno})`, { path: file, cause: f.cause })
        : new DosaError('DOSA_FILE_INVALID', `dosa ${file}: not JSON (corrupt or truncated)`, { path: file }),
  );
  try {
    return validateDosa(value, file);
  } catch (e) {
    if (e instanceof DosaError) throw new DosaError('DOSA_FILE_INVALID', e.message, { path: file, ...(e.field === undefined ? {} : { field: e.field }) });
    throw e;
  }
}

/** Validates, then writes atomically with mode 0600 (the file holds the secret and the PIN). */
export async function saveDosa(file: string, dosa: DosaFile): Promise<void> {
  const checked = validateDosa(dosa);
  try {
    await writePrivateJson(file, checked);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DosaError('DOSA_WRITE_FAILED', `cannot write the dosa file ${file} (${code ?? 'error'})`, { path: file, cause: e });
  }
}

/**
 * A dosa backed by its file. `unlock` re-reads the file first (another process may have used
 * a try or locked it), and every change is saved before the call returns or throws.
 */
export class VirtualDosa {
  private unlocked = false;

  private constructor(
    readonly file: string,
    private state: DosaFile,
  ) {}

  static async open(file: string): Promise<VirtualDosa> {
    return new VirtualDosa(file, await loadDosa(file));
  }

  /** A copy of the current state. */
  get dosa(): DosaFile {
    return structuredClone(this.state);
  }

  get serial(): string {
    return this.state.serial;
  }

  get pinTriesLeft(): number {
    return this.state.pinTriesLeft;
  }

  get locked(): boolean {
    return this.state.locked;
  }

  get isUnlocked(): boolean {
    return this.unlocked;
  }

  /**
   * Opens the dosa. A PIN that is not 4 digits cannot be keyed on a dosa: DOSA_PIN_FORMAT, no
   * try used. A wrong PIN uses a try (saved first): DOSA_PIN_WRONG with triesLeft, or
   * DOSA_LOCKED when it was the last. A locked dosa stays locked: DOSA_LOCKED. The right PIN
   * resets the counter.
   */
  async unlock(pin: string): Promise<void> {
    this.unlocked = false;
    this.state = await loadDosa(this.file);
    if (this.state.locked) throw this.lockedError();
    if (typeof pin !== 'string' || !PIN_PATTERN.test(pin)) throw new DosaError('DOSA_PIN_FORMAT', 'the dosa PIN is 4 digits');
    const right = timingSafeEqual(Buffer.from(pin, 'utf8'), Buffer.from(this.state.pin, 'utf8'));
    if (!right) {
      const triesLeft = this.state.pinTriesLeft - 1;
      await this.save({ ...this.state, pinTriesLeft: triesLeft, locked: triesLeft === 0 });
      if (triesLeft === 0) throw this.lockedError();
      throw new DosaError('DOSA_PIN_WRONG', `wrong PIN: ${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left before the dosa locks`, {
        triesLeft,
      });
    }
    if (this.state.pinTriesLeft !== this.state.pinMaxTries) await this.save({ ...this.state, pinTriesLeft: this.state.pinMaxTries });
    this.unlocked = true;
  }

  /** The 8-digit svarskod for a kontrollnummer ('12345678' or '1234 5678'). Needs unlock(). */
  respond(kontrollnummer: string, time: Date = new Date()): string {
    this.requireUnlocked();
    const suite = parseOcraSuite(this.state.suite);
    return svarskod({
      key: this.secret(),
      suite: this.state.suite,
      kontrollnummer: parseKontrollnummer(kontrollnummer),
      ...(suite.password ? { pin: this.state.pin } : {}),
      ...(suite.timeStep !== undefined ? { time } : {}),
    });
  }

  /**
   * The response-only login code, 8 digits with the suite's hash. HOTP: the counter moves
   * forward and is saved before the code is returned, so no code is ever shown twice.
   */
  async code(time: Date = new Date()): Promise<string> {
    this.requireUnlocked();
    const algorithm = parseOcraSuite(this.state.suite).hash;
    const login = this.state.login;
    if (login.kind === 'totp') return loginCode({ kind: 'totp', secret: this.secret(), digits: DOSA_CODE_DIGITS, algorithm }, time);
    const counter = login.counter ?? 0;
    const code = loginCode({ kind: 'hotp', secret: this.secret(), counter, digits: DOSA_CODE_DIGITS, algorithm });
    await this.save({ ...this.state, login: { kind: 'hotp', counter: counter + 1 } });
    return code;
  }

  /** The bank's enrolment record. Holds the token secret. Needs no PIN. */
  exportForBank(): DosaBankRecord {
    const s = this.state;
    return {
      serial: s.serial,
      suite: s.suite,
      secret: s.secret,
      kind: s.login.kind,
      ...(s.login.kind === 'hotp' ? { counter: s.login.counter ?? 0 } : {}),
      digits: DOSA_CODE_DIGITS,
      algorithm: parseOcraSuite(s.suite).hash,
    };
  }

  private secret(): Uint8Array {
    return new Uint8Array(Buffer.from(this.state.secret, 'base64'));
  }

  private requireUnlocked(): void {
    if (this.state.locked) throw this.lockedError();
    if (!this.unlocked) throw new DosaError('DOSA_NOT_UNLOCKED', 'open the dosa with its PIN first');
  }

  private lockedError(): DosaError {
    return new DosaError('DOSA_LOCKED', `the dosa ${this.state.serial} is locked after too many wrong PINs; the bank must replace it`, {
      triesLeft: 0,
    });
  }

  private async save(next: DosaFile): Promise<void> {
    await saveDosa(this.file, next);
    this.state = next;
  }
}
