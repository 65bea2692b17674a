/**
 * The customer's approval app as a file, for engineers and tests (`ekort app …`): an EC
 * P-256 key pair enrolled at the bank, the private key encrypted under the app PIN.
 *
 * File (JSON, mode 0600, written atomically): {format: 'ekort-approval-app', version: 1,
 * server, deviceId, customer {name, personnummer}, publicKey (SPKI DER base64), privateKey:
 * {kdf: 'scrypt', N, r, p, salt, cipher: 'aes-256-gcm', iv, tag, data} (PKCS#8 DER
 * encrypted), pinTriesLeft, pinMaxTries, locked, createdAt}.
 *
 * The PIN is 6 to 8 digits. A wrong PIN fails the GCM tag; it uses a try, saved before the
 * error is thrown; the third wrong PIN locks the file for good (enrol a new app). The right
 * PIN resets the count. The PIN and the private key are never written anywhere else.
 */
import { createCipheriv, createDecipheriv, createPrivateKey, generateKeyPairSync, type KeyObject, randomBytes, scryptSync } from 'node:crypto';
import * as z from '../../zod.ts';
import { EkortError } from '../../errors.ts';
import { readJsonFile, writePrivateJson } from '../../files/index.ts';
import { type ApprovalStatement, type EnrolmentProof, type IdentificationStatement, signStatement } from './statement.ts';

export const APP_PIN_PATTERN = /^[0-9]{6,8}$/;
export const APP_PIN_TRIES = 3;
const SCRYPT = { N: 1 << 15, r: 8, p: 1 };

const AppFile = z.object({
  format: z.literal('ekort-approval-app'),
  version: z.literal(1),
  server: z.string(),
  deviceId: z.string(),
  customer: z.object({ name: z.string(), personnummer: z.string() }),
  publicKey: z.string(),
  privateKey: z.object({
    kdf: z.literal('scrypt'),
    N: z.int(),
    r: z.int(),
    p: z.int(),
    salt: z.string(),
    cipher: z.literal('aes-256-gcm'),
    iv: z.string(),
    tag: z.string(),
    data: z.string(),
  }),
  pinTriesLeft: z.int().check(z.minimum(0)),
  pinMaxTries: z.int().check(z.minimum(1)),
  locked: z.boolean(),
  createdAt: z.string(),
});
export type AppFile = z.infer<typeof AppFile>;

export class AppWalletError extends EkortError {
  readonly triesLeft?: number;

  constructor(code: 'APP_PIN_WRONG' | 'APP_LOCKED' | 'APP_PIN_FORMAT' | 'APP_FILE_INVALID' | 'APP_FILE_MISSING' | 'APP_FILE_UNREADABLE', message: string, options: { triesLeft?: number } = {}) {
    super(code, message);
    if (options.triesLeft !== undefined) this.triesLeft = options.triesLeft;
  }
}

function checkPinFormat(pin: string): void {
  if (!APP_PIN_PATTERN.test(pin)) throw new AppWalletError('APP_PIN_FORMAT', 'The app PIN is 6 to 8 digits.');
}

const kek = (pin: string, salt: Buffer, params: { N: number; r: number; p: number }): Buffer =>
  scryptSync(pin.normalize('NFKC'), salt, 32, { ...params, maxmem: 256 * params.N * params.r });

/** A new key pair; the public key (SPKI DER base64) to enrol, and the private key. */
export function newAppKeyPair(): { publicKey: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'), privateKey };
}

export function enrolmentProof(code: string, publicKey: string, privateKey: KeyObject): string {
  const proof: EnrolmentProof = { type: 'ekort-app-enrolment', version: 1, code, publicKey };
  return signStatement(proof, privateKey);
}

/** The file content for an enrolled key pair, the private key sealed under `pin`. */
export function sealAppFile(input: { server: string; deviceId: string; customer: { name: string; personnummer: string }; publicKey: string; privateKey: KeyObject; pin: string }): AppFile {
  checkPinFormat(input.pin);
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek(input.pin, salt, SCRYPT), iv);
  cipher.setAAD(Buffer.from(input.deviceId, 'utf8'));
  const data = Buffer.concat([cipher.update(input.privateKey.export({ format: 'der', type: 'pkcs8' })), cipher.final()]);
  return {
    format: 'ekort-approval-app',
    version: 1,
    server: input.server,
    deviceId: input.deviceId,
    customer: input.customer,
    publicKey: input.publicKey,
    privateKey: { kdf: 'scrypt', ...SCRYPT, salt: salt.toString('base64'), cipher: 'aes-256-gcm', iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') },
    pinTriesLeft: APP_PIN_TRIES,
    pinMaxTries: APP_PIN_TRIES,
    locked: false,
    createdAt: new Date().toISOString(),
  };
}

export async function saveAppFile(file: string, app: AppFile): Promise<void> {
  await writePrivateJson(file, app);
}

export async function loadAppFile(file: string): Promise<AppFile> {
  const json = await readJsonFile(file, (f) => {
    if (f.kind === 'missing') return new AppWalletError('APP_FILE_MISSING', `There is no app file ${file}. Enrol one: ekort app enrol --server URL --code CODE --out FILE.`);
    if (f.kind === 'unreadable') return new AppWalletError('APP_FILE_UNREADABLE', `Cannot read the app file ${file} (${f.errno}).`);
    return new AppWalletError('APP_FILE_INVALID', `The app file ${file} is not JSON.`);
  });
  const parsed = AppFile.safeParse(json);
  if (!parsed.success) throw new AppWalletError('APP_FILE_INVALID', `The file ${file} is not an e-kort approval app.`);
  return parsed.data;
}

/**
 * Opens the private key with the PIN. The file is read again first (another run may have
 * used a try); a wrong PIN is counted in the file before the error.
 */
export async function unlockApp(file: string, pin: string): Promise<{ app: AppFile; privateKey: KeyObject }> {
  const app = await loadAppFile(file);
  if (app.locked || app.pinTriesLeft <= 0) throw new AppWalletError('APP_LOCKED', 'The app is locked after three wrong PINs. Enrol the app again with a new code from the bank.', { triesLeft: 0 });
  checkPinFormat(pin);
  const sealed = app.privateKey;
  let der: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', kek(pin, Buffer.from(sealed.salt, 'base64'), sealed), Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(app.deviceId, 'utf8'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    der = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
  } catch {
    const triesLeft = app.pinTriesLeft - 1;
    await saveAppFile(file, { ...app, pinTriesLeft: triesLeft, locked: triesLeft === 0 });
    if (triesLeft === 0) throw new AppWalletError('APP_LOCKED', 'Wrong PIN: the app is now locked after three wrong PINs. Enrol the app again with a new code from the bank.', { triesLeft: 0 });
    throw new AppWalletError('APP_PIN_WRONG', `Wrong PIN: ${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left before the app locks.`, { triesLeft });
  }
  const unlocked = app.pinTriesLeft === app.pinMaxTries ? app : { ...app, pinTriesLeft: app.pinMaxTries };
  if (unlocked !== app) await saveAppFile(file, unlocked);
  return { app: unlocked, privateKey: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }) };
}

/** The approval statement the app signs for an order it looked up. */
export function approvalStatement(input: { orderRef: string; relyingParty: string; visibleText: string; seen: { kind: 'qr' | 'autostart'; value: string }; deviceId: string; time: Date }): ApprovalStatement {
  return {
    type: 'ekort-app-approval',
    version: 1,
    orderRef: input.orderRef,
    relyingParty: input.relyingParty,
    visibleText: input.visibleText,
    seen: input.seen,
    time: input.time.toISOString(),
    deviceId: input.deviceId,
  };
}

/** The statement the app signs to approve an identification request of the telephone service. */
export function identificationStatement(input: { requestId: string; requester: string; code: string; deviceId: string; time: Date }): IdentificationStatement {
  return { type: 'ekort-app-identification', version: 1, requestId: input.requestId, requester: input.requester, code: input.code, time: input.time.toISOString(), deviceId: input.deviceId };
}
