/**
 * `ekort bank ...`: the bank side's engineer and customer-service commands. They run directly
 * against the store (`--db FILE|postgres://...`, the service's default database unless given),
 * not through the HTTP API.
 */
import { addPaymentCard, announceTerms, bankError, endOfStockholmMonth, issueReplacementCard, changePassword, startOfStockholmDay, codeTableLetter, createIvrKey, createNetworkKey, defaultDatabasePath, EkortService, enrolDosa, isPostgresUrl, bankBlockCard, BANK_BLOCK_REASONS, isBankBlockReason, OutboxSmsGateway, issueCodeTable, issueEnrolmentCode, issueOneTimePassword, oneTimePasswordLetter, PASSWORD, PHONE_NUMBER, readOutbox, setPhoneCredentials, unblockDosa, USER_CODE } from '../bank/index.ts';
import { readFile } from 'node:fs/promises';
import { findCustomerId, seedDemo, type DemoSeed } from '../demo/index.ts';
import { isValidPersonnummer } from '../identity/index.ts';
import { VirtualDosa } from '../virtual/index.ts';
import { UsageError, printJson, type CliIo } from './cliContext.ts';
import type { Input } from './commands.ts';
import { readSecret } from './secretInput.ts';

const dbTarget = (db: string | undefined): string => db ?? defaultDatabasePath();

/** A PostgreSQL URL without its password, for printing. */
export function redactDbTarget(target: string): string {
  if (!isPostgresUrl(target)) return target;
  try {
    const url = new URL(target);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return target.replace(/:[^:@/]*@/, ':***@');
  }
}

/** A word for a POSIX shell, quoted only when it has to be. */
const shellWord = (word: string): string => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

/** Runs `fn` on a service over `--db` (no expiry sweeper), closed afterwards. */
/** Opens the service on `--db` for one bank command, and closes it after. */
export async function withService<T>(db: string | undefined, fn: (service: EkortService) => Promise<T>): Promise<T> {
  const service = await EkortService.open(dbTarget(db), { sweepIntervalMs: 0 });
  try {
    return await fn(service);
  } finally {
    await service.close();
  }
}

/** `ekort bank seed-demo [--db FILE|postgres://...] --out DIR [--json]` */
export async function bankSeedDemo({ values }: Input<'bank seed-demo'>, io: CliIo): Promise<number> {
  if (!values.out) throw new UsageError('--out DIR is required');
  const db = dbTarget(values.db);
  const seed = await seedDemo({ db, outDir: values.out });
  const shown = redactDbTarget(db);
  if (values.json) printJson(io, { ...seed, db: shown, next: nextSteps(seed, shown) });
  else for (const line of describeSeed(seed, shown)) io.out(line);
  return 0;
}

function nextSteps(seed: DemoSeed, db: string): string[] {
  return [
    `ekort serve --db ${shellWord(db)} --ca ${shellWord(seed.pki.dir)}`,
    `ekort virtual-card insert ${shellWord(seed.card.file)}`,
    `ekort dosa respond ${shellWord(seed.dosa.file)} KONTROLLNUMMER`,
  ];
}

function describeSeed(seed: DemoSeed, db: string): string[] {
  const cards = seed.cards.map((c) => `${c.product} •••• ${c.last4} (${c.connected ? 'connected to e-kort' : 'not connected: "Anslut kort" in the app'})`);
  const enrolment = seed.dosa.enrolment === 'enrolled' ? 'enrolled at the bank now' : 'already enrolled';
  return [
    `Demo data for e-kort in ${seed.outDir} (database ${db}):`,
    `  customer       ${seed.customer.name}, personnummer ${seed.customer.personnummer} (${seed.customer.status})`,
    ...cards.map((c, i) => `  ${i === 0 ? 'payment cards ' : '              '} ${c}`),
    `  test PKI       ${seed.pki.dir} (${seed.pki.status})`,
    `  BankID card    ${seed.card.file}: PIN ${seed.card.pin}, PUK ${seed.card.puk}, ${seed.card.keyType === 'rsa2048' ? 'RSA-2048' : 'P-256'} (${seed.card.status})`,
    `  säkerhetsdosa  ${seed.dosa.file}: serial ${seed.dosa.serial}, PIN ${seed.dosa.pin} (${seed.dosa.status}, ${enrolment})`,
    `  network key    ${seed.networkKey.key} (name "${seed.networkKey.name}"; the bank keeps only its hash: copy it now)`,
    '',
    'Next steps:',
    ...nextSteps(seed, db).map((s) => `  ${s}`),
  ];
}

/** `ekort bank unblock-dosa [--db ...] SERIAL [--json]`: customer service lifts a dosa block. */
export async function bankUnblockDosa({ values, positionals }: Input<'bank unblock-dosa'>, io: CliIo): Promise<number> {
  const serial = positionals[0]!;
  if (!/^\d{6,20}$/.test(serial)) throw new UsageError(`"${serial}" is not a dosa serial (6 to 20 digits)`);
  await withService(values.db, (s) => unblockDosa(s.ctx, serial));
  if (values.json) printJson(io, { serial, unblocked: true });
  else io.out(`Dosa ${serial} is unblocked: five new tries.`);
  return 0;
}

/** `ekort bank network-key [--db ...] [--name NAME] [--json]`: a new key for the authorization endpoint. */
export async function bankNetworkKey({ values }: Input<'bank network-key'>, io: CliIo): Promise<number> {
  const name = values.name ?? 'card network';
  if (!/\S/.test(name)) throw new UsageError('--name must not be empty');
  const key = await withService(values.db, (s) => createNetworkKey(s.ctx, name));
  if (values.json) printJson(io, { name, key });
  else {
    io.out(key);
    io.err(`ekort bank network-key: a new network key "${name}"; the bank keeps only its hash, so copy it now.`);
  }
  return 0;
}

/** `ekort bank enrol-dosa [--db ...] --personnummer N FILE [--json]`: a virtual dosa's bank record for a customer. */
export async function bankEnrolDosa({ values, positionals }: Input<'bank enrol-dosa'>, io: CliIo): Promise<number> {
  if (!values.personnummer) throw new UsageError('--personnummer YYYYMMDDNNNN is required');
  if (!isValidPersonnummer(values.personnummer)) throw new UsageError('--personnummer must be a valid personnummer YYYYMMDDNNNN');
  const personnummer = values.personnummer;
  const record = (await VirtualDosa.open(positionals[0]!)).exportForBank();
  await withService(values.db, async (s) => {
    const customerId = await findCustomerId(s.ctx, personnummer);
    if (!customerId) throw bankError('CUSTOMER_UNKNOWN', `There is no e-kort customer with personnummer ${personnummer}.`);
    await enrolDosa(s.ctx, customerId, record);
  });
  if (values.json) printJson(io, { serial: record.serial, personnummer, suite: record.suite, login: record.kind });
  else io.out(`Enrolled dosa ${record.serial} (${record.suite}, login ${record.kind.toUpperCase()}) for ${personnummer}.`);
  return 0;
}

/**
 * `ekort bank enrol-app [--db ...] --personnummer N [--json]`: a one-time code (24 hours) with
 * which the customer enrols their approval app (`ekort app enrol --code CODE`).
 */
export async function bankEnrolApp({ values }: Input<'bank enrol-app'>, io: CliIo): Promise<number> {
  if (!values.personnummer) throw new UsageError('--personnummer YYYYMMDDNNNN is required');
  if (!isValidPersonnummer(values.personnummer)) throw new UsageError('--personnummer must be a valid personnummer YYYYMMDDNNNN');
  const personnummer = values.personnummer;
  const issued = await withService(values.db, async (s) => {
    const customerId = await findCustomerId(s.ctx, personnummer);
    if (!customerId) throw bankError('CUSTOMER_UNKNOWN', `There is no e-kort customer with personnummer ${personnummer}.`);
    return issueEnrolmentCode(s.ctx, customerId);
  });
  if (values.json) printJson(io, { personnummer, code: issued.code, expiresAt: issued.expiresAt });
  else {
    io.out(issued.code);
    io.err(`ekort bank enrol-app: a one-time enrolment code for ${personnummer}, valid until ${issued.expiresAt}: ekort app enrol --server URL --code CODE --out FILE`);
  }
  return 0;
}

/** `ekort bank expire [--db ...] [--json]`: the expiry sweep, now. */
export async function bankExpire({ values }: Input<'bank expire'>, io: CliIo): Promise<number> {
  const erased = await withService(values.db, (s) => s.expireDue());
  if (values.json) printJson(io, { erased });
  else io.out(`Erased ${erased} expired e-nummer.`);
  return 0;
}

/** The customer of `--personnummer`, or CUSTOMER_UNKNOWN. */
async function customerByPersonnummer(service: EkortService, personnummer: string): Promise<{ id: string; name: string; personnummer: string }> {
  const [row] = await service.db.query<{ id: string; name: string; personnummer: string }>('SELECT id, name, personnummer FROM customers WHERE personnummer = ?', [personnummer]);
  if (!row) throw bankError('CUSTOMER_UNKNOWN', `There is no customer with personnummer ${personnummer}.`);
  return row;
}

function personnummerOption(value: string | undefined): string {
  if (!value) throw new UsageError('--personnummer YYYYMMDDNNNN is required');
  if (!isValidPersonnummer(value)) throw new UsageError('--personnummer must be a valid personnummer YYYYMMDDNNNN');
  return value;
}

/** "2030-12" → the end of December 2030 in Stockholm (exclusive), the card's validity. */
function expiresOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{4})-(\d{2})$/.exec(value);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) throw new UsageError('--expires is the month printed on the card, YYYY-MM');
  return endOfStockholmMonth(Date.UTC(Number(m[1]), Number(m[2]) - 1, 15));
}

/**
 * `ekort bank issue-card [--db ...] (--personnummer N [--product P] | --replaces CARD_ID)
 * [--expires YYYY-MM] [--json]`: a new payment card for a customer, or an exchange or
 * replacement card (card terms §12) that takes over the old card's e-nummer; the old card is
 * blocked when the new one is first used. The full number is printed once, as on the card.
 */
export async function bankIssueCard({ values }: Input<'bank issue-card'>, io: CliIo): Promise<number> {
  const expiresAt = expiresOption(values.expires);
  if ((values.replaces === undefined) === (values.personnummer === undefined)) throw new UsageError('give --personnummer for a new card, or --replaces CARD_ID for an exchange or replacement card');
  const issued = await withService(values.db, async (s) => {
    if (values.replaces !== undefined) return { ...(await issueReplacementCard(s.ctx, values.replaces, expiresAt === undefined ? {} : { expiresAt })), replaces: values.replaces };
    const customer = await customerByPersonnummer(s, personnummerOption(values.personnummer));
    return { ...(await addPaymentCard(s.ctx, customer.id, { ...(values.product ? { product: values.product } : {}), ...(expiresAt === undefined ? {} : { expiresAt }) })), moved: 0, replaces: null };
  });
  const out = { id: issued.id, pan: issued.pan, expiresAt: new Date(issued.expiresAt).toISOString(), replaces: issued.replaces, movedEnummers: issued.moved };
  if (values.json) printJson(io, out);
  else io.out(`Issued card ${issued.pan} (id ${issued.id}), valid to the end of ${new Date(issued.expiresAt - 1).toISOString().slice(0, 7)}${issued.replaces ? `; it replaces ${issued.replaces} and took over ${issued.moved} e-nummer` : ''}.`);
  return 0;
}

/**
 * `ekort bank issue-codetable [--db ...] --personnummer N [--json]`: a new code table for the
 * customer (the one before stops working), printed once as the letter the customer gets.
 */
export async function bankIssueCodeTable({ values }: Input<'bank issue-codetable'>, io: CliIo): Promise<number> {
  const personnummer = personnummerOption(values.personnummer);
  const { table, customer } = await withService(values.db, async (s) => {
    const customer = await customerByPersonnummer(s, personnummer);
    return { table: await issueCodeTable(s.ctx, customer.id), customer };
  });
  if (values.json) printJson(io, { tableId: table.tableId, personnummer, name: customer.name, issuedAt: new Date(table.issuedAt).toISOString(), codes: table.codes });
  else for (const line of codeTableLetter(table, customer)) io.out(line);
  return 0;
}

/**
 * `ekort bank block-card [--db ...] CARD_ID --reason R [--json]`: the bank blocks a card for a
 * reason of card terms §9; the customer gets an SMS saying so.
 */
export async function bankBlockCardCommand({ values, positionals }: Input<'bank block-card'>, io: CliIo): Promise<number> {
  const reason = values.reason;
  if (reason === undefined || !isBankBlockReason(reason)) throw new UsageError(`--reason must be one of ${Object.keys(BANK_BLOCK_REASONS).join(', ')} (card terms §9)`);
  const { card, smsTo } = await withService(values.db, (s) => bankBlockCard(s.ctx, new OutboxSmsGateway(s.ctx), positionals[0]!, reason));
  if (values.json) printJson(io, { card, reason, smsTo });
  else io.out(`Blocked card •••• ${card.last4} (${reason}); its e-nummer are closed.${smsTo ? ` SMS sent to ${smsTo}.` : ' The customer has no SMS number: tell them another way.'}`);
  return 0;
}

/**
 * `ekort bank announce-terms [--db ...] FILE --version V --effective YYYY-MM-DD [--title T]`:
 * new terms from FILE (UTF-8 text, paragraphs apart by a blank line), in effect from the
 * start of that day in Stockholm; refused less than two months ahead (card terms §21).
 */
export async function bankAnnounceTerms({ values, positionals }: Input<'bank announce-terms'>, io: CliIo): Promise<number> {
  if (!values.version) throw new UsageError('--version is required: the new terms version, e.g. 2027-02');
  const effectiveAt = values.effective === undefined ? null : startOfStockholmDay(values.effective);
  if (effectiveAt === null) throw new UsageError('--effective is required: the day the new terms take effect, YYYY-MM-DD');
  const text = (await readFile(positionals[0]!, 'utf8')).replace(/\r\n/g, '\n').trim();
  const title = values.title ?? 'Villkor för e-kort';
  const { told } = await withService(values.db, (s) => announceTerms(s.ctx, { version: values.version!, title, text, effectiveAt }));
  if (values.json) printJson(io, { version: values.version, effectiveFrom: new Date(effectiveAt).toISOString(), told });
  else io.out(`Announced the e-kort terms version ${values.version}, in effect from ${values.effective}; ${told} holder(s) with a connected card were told.`);
  return 0;
}

/**
 * `ekort bank new-password [--db ...] --personnummer N [--json]`: a forgotten web bank password;
 * a one-time password printed once as the customer's letter, to be changed at the first login.
 */
export async function bankNewPassword({ values }: Input<'bank new-password'>, io: CliIo): Promise<number> {
  const personnummer = personnummerOption(values.personnummer);
  const { issued, customer } = await withService(values.db, async (s) => {
    const customer = await customerByPersonnummer(s, personnummer);
    return { issued: await issueOneTimePassword(s.ctx, customer.id), customer };
  });
  if (values.json) printJson(io, { personnummer, name: customer.name, issuedAt: new Date(issued.issuedAt).toISOString(), password: issued.password });
  else for (const line of oneTimePasswordLetter(issued.password, customer)) io.out(line);
  return 0;
}

/**
 * `ekort bank set-phone-credentials [--db ...] --personnummer N --user-code N [--phone +46...] [--json]`:
 * the customer's web bank codes for the telephone service: the user code, the number SMS
 * confirmations go to, and the first password (the birth date ddmmyy, to be changed at the
 * first web bank login). Run again, it hands out new codes: counters and locks start again.
 */
export async function bankSetPhoneCredentials({ values }: Input<'bank set-phone-credentials'>, io: CliIo): Promise<number> {
  const personnummer = personnummerOption(values.personnummer);
  const userCode = values['user-code'];
  if (!userCode || !USER_CODE.test(userCode)) throw new UsageError('--user-code must be 6 to 8 digits');
  if (values.phone !== undefined && !PHONE_NUMBER.test(values.phone)) throw new UsageError('--phone must be a number in international form, e.g. +46701234567');
  const { activatedAt } = await withService(values.db, async (s) => {
    const customer = await customerByPersonnummer(s, personnummer);
    return setPhoneCredentials(s.ctx, customer.id, { userCode, ...(values.phone ? { phone: values.phone } : {}) });
  });
  const activated = new Date(activatedAt).toISOString();
  if (values.json) printJson(io, { personnummer, userCode, phone: values.phone ?? null, activatedAt: activated, firstPassword: 'birth date ddmmyy', mustChangeAtFirstLogin: true });
  else {
    io.out(`Web bank codes for ${personnummer}: user code ${userCode}${values.phone ? `, SMS to ${values.phone}` : ''}, activated ${activated}.`);
    io.out('The first password is the birth date (ddmmyy); it must be changed at the first web bank login, within 3 months, or it locks.');
  }
  return 0;
}

/**
 * `ekort bank change-password [--db ...] --user-code N [--json]`: the first web bank login:
 * the current password, then the new one (4 to 6 digits), from the terminal without echo or
 * one a line from standard input with --password-stdin.
 */
export async function bankChangePassword({ values }: Input<'bank change-password'>, io: CliIo): Promise<number> {
  const userCode = values['user-code'];
  if (!userCode || !USER_CODE.test(userCode)) throw new UsageError('--user-code must be 6 to 8 digits');
  const source = { fromStdin: values['password-stdin'] === true };
  const current = await readSecret('Current password', source, 0);
  const next = await readSecret('New password (4 to 6 digits)', source, 1);
  if (!PASSWORD.test(next)) throw new UsageError('the new password is 4 to 6 digits');
  await withService(values.db, (s) => changePassword(s.ctx, userCode, current, next));
  if (values.json) printJson(io, { userCode, changed: true });
  else io.out(`The password of user code ${userCode} is changed.`);
  return 0;
}

/** `ekort bank ivr-key [--db ...] [--name NAME] [--json]`: a new key for the bank's phone system (the /v1/phone routes). */
export async function bankIvrKey({ values }: Input<'bank ivr-key'>, io: CliIo): Promise<number> {
  const name = values.name ?? 'phone system';
  if (!/\S/.test(name)) throw new UsageError('--name must not be empty');
  const key = await withService(values.db, (s) => createIvrKey(s.ctx, name));
  if (values.json) printJson(io, { name, key });
  else {
    io.out(key);
    io.err(`ekort bank ivr-key: a new IVR key "${name}"; the bank keeps only its hash, so copy it now.`);
  }
  return 0;
}

/** `ekort bank sms-outbox [--db ...] [--to NUMBER] [--limit N] [--json]`: what the built-in SMS gateway sent, oldest first. */
export async function bankSmsOutbox({ values }: Input<'bank sms-outbox'>, io: CliIo): Promise<number> {
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError('--limit must be 1 to 10000');
  const entries = await withService(values.db, (s) => readOutbox(s.ctx, { limit, ...(values.to ? { to: values.to } : {}) }));
  if (values.json) printJson(io, entries);
  else if (entries.length === 0) io.out('The SMS outbox is empty.');
  else for (const e of entries) io.out(`${e.createdAt}  ${e.to}  ${e.text}`);
  return 0;
}
