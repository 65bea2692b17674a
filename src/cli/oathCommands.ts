/**
 * `ekort oath …`: the OATH accounts of a YubiKey or virtual key in any reader (YKOATH over
 * PC/SC): list, code, add, delete. A password-protected key is unlocked with the password from
 * standard input (--password-stdin) or $EKORT_OATH_PASSWORD; secrets come the same way.
 */
import { ScureBase32Plugin } from 'otplib';
import { OathSession, type OathCode, type OathType } from '../oath/index.ts';
import { openCard } from './cardSelection.ts';
import { UsageError, printJson, type CliIo } from './cliContext.ts';
import type { Input } from './commands.ts';
import { readSecret } from './secretInput.ts';

async function withOath<T>(values: { reader?: string; 'password-stdin'?: boolean }, fn: (session: OathSession, reader: string) => Promise<T>): Promise<T> {
  const { monitor, transport, reader } = await openCard(values.reader);
  try {
    const session = await OathSession.open((apdu) => transport.transmit(apdu));
    if (session.locked) {
      const password = process.env.EKORT_OATH_PASSWORD ?? (values['password-stdin'] ? await readSecret('password', { fromStdin: true }) : undefined);
      if (password === undefined) throw new UsageError('the key is protected by a password: give it with --password-stdin or $EKORT_OATH_PASSWORD');
      await session.unlock(password);
    }
    return await fn(session, reader);
  } finally {
    await transport.close();
    await monitor.close();
  }
}

/** `ekort oath list [--reader NAME] [--password-stdin] [--json]` */
export async function oathList({ values }: Input<'oath list'>, io: CliIo): Promise<number> {
  return withOath(values, async (session) => {
    const accounts = await session.list();
    if (values.json) printJson(io, { accounts });
    else for (const a of accounts) io.out(`${a.id}${a.type === 'hotp' ? '  (HOTP)' : ''}`);
    return 0;
  });
}

function codeLine(c: OathCode, now: number): string {
  const left = c.validTo === undefined ? '' : `  ${Math.max(0, Math.round(c.validTo - now))} s left`;
  const code = c.code ?? (c.credential.type === 'hotp' ? '[HOTP: ekort oath code NAME]' : '[touch: ekort oath code NAME]');
  return `${c.credential.id.padEnd(32)} ${code}${left}`;
}

/** `ekort oath code [NAME] [--reader NAME] [--password-stdin] [--json]`: every TOTP code now, or NAME's (HOTP and touch accounts too). */
export async function oathCode({ values, positionals }: Input<'oath code'>, io: CliIo): Promise<number> {
  const [wanted] = positionals;
  return withOath(values, async (session) => {
    const now = Date.now() / 1000;
    let codes: OathCode[];
    if (wanted === undefined) codes = await session.calculateAll(now);
    else {
      const accounts = await session.list();
      const matches = accounts.filter((a) => a.id === wanted || a.id.toLowerCase().includes(wanted.toLowerCase()));
      const account = accounts.find((a) => a.id === wanted) ?? (matches.length === 1 ? matches[0] : undefined);
      if (!account) throw new UsageError(matches.length > 1 ? `"${wanted}" matches several accounts: ${matches.map((a) => a.id).join(', ')}` : `no account matches "${wanted}"`);
      if (account.type === 'totp') io.err('Touch the key if it blinks.');
      codes = [await session.calculate(account, now)];
    }
    if (values.json) printJson(io, { codes });
    else for (const c of codes) io.out(codeLine(c, now));
    return 0;
  });
}

/**
 * `ekort oath add NAME [--issuer ISSUER] [--type totp|hotp] [--algorithm sha1|sha256|sha512]
 * [--digits 6|7|8] [--period 30] [--counter N] [--touch] (--secret-stdin | $EKORT_OATH_SECRET)`:
 * the secret in base32, on the line after the password when both come from stdin.
 */
export async function oathAdd({ values, positionals }: Input<'oath add'>, io: CliIo): Promise<number> {
  const [name] = positionals;
  if (!name || positionals.length > 1) throw new UsageError('give exactly one account NAME');
  const type = (values.type ?? 'totp') as OathType;
  if (type !== 'totp' && type !== 'hotp') throw new UsageError('--type must be totp or hotp');
  const algorithm = values.algorithm ?? 'sha1';
  if (algorithm !== 'sha1' && algorithm !== 'sha256' && algorithm !== 'sha512') throw new UsageError('--algorithm must be sha1, sha256 or sha512');
  const number = (flag: string, text: string | undefined, ok: (n: number) => boolean): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isSafeInteger(n) || !ok(n)) throw new UsageError(`--${flag} is out of range`);
    return n;
  };
  const digits = number('digits', values.digits, (n) => n >= 6 && n <= 8) as 6 | 7 | 8 | undefined;
  const period = number('period', values.period, (n) => n >= 1 && n <= 3600);
  const counter = number('counter', values.counter, (n) => n >= 0 && n <= 0xffffffff);
  const base32 = process.env.EKORT_OATH_SECRET ?? (values['secret-stdin'] ? await readSecret('secret', { fromStdin: true }, values['password-stdin'] ? 1 : 0) : undefined);
  if (base32 === undefined) throw new UsageError('give the secret (base32) with --secret-stdin or $EKORT_OATH_SECRET');
  let secret: Uint8Array;
  try {
    secret = new ScureBase32Plugin().decode(base32.replace(/\s+/g, '').toUpperCase().replace(/=+$/, ''));
  } catch {
    throw new UsageError('the secret is not base32');
  }
  return withOath(values, async (session) => {
    const account = await session.add({ name, type, algorithm, secret, ...(values.issuer ? { issuer: values.issuer } : {}), ...(digits ? { digits } : {}), ...(period ? { period } : {}), ...(counter ? { counter } : {}), touch: values.touch ?? false });
    secret.fill(0);
    if (values.json) printJson(io, { account });
    else io.out(`Added ${account.id} to the key.`);
    return 0;
  });
}

/** `ekort oath delete ID [--reader NAME] [--password-stdin] [--json]` */
export async function oathDelete({ values, positionals }: Input<'oath delete'>, io: CliIo): Promise<number> {
  const [id] = positionals;
  if (!id || positionals.length > 1) throw new UsageError('give exactly one account ID (as ekort oath list shows it)');
  return withOath(values, async (session) => {
    await session.delete(id);
    if (values.json) printJson(io, { deleted: id });
    else io.out(`Deleted ${id}.`);
    return 0;
  });
}
