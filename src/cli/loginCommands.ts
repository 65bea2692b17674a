/**
 * `ekort login`, `ekort logout`, `ekort session`: the holder logs in to the e-kort service
 * with BankID på kort (the card signs the service's challenge after its PIN), a virtual
 * säkerhetsdosa file (the CLI computes the svarskod after the dosa PIN) or a physical dosa
 * (the holder keys the kontrollnummer in and types the svarskod). The session goes to the
 * session file (see sessionFile.ts); the token is never printed.
 */
import { BankClient, BankClientError } from '../bank/index.ts';
import type { Session, SessionInfo } from '../bank/api/schemas.ts';
import { EkortError } from '../errors.ts';
import { formatKontrollnummer } from '../token/index.ts';
import { VirtualDosa } from '../virtual/index.ts';
import { signOnCard } from './cardSigning.ts';
import { UsageError, printJson, type CliIo } from './cliContext.ts';
import type { Input } from './commands.ts';
import { openWithPin } from './dosaCommands.ts';
import { serverUrl, sessionPath, withHolder } from './holderClient.ts';
import { readSecret } from './secretInput.ts';
import { deleteSession, loadSession, saveSession } from './sessionFile.ts';
import { askLine } from './terminalPrompt.ts';
import { stockholmTime } from './textTable.ts';
import { appLogin } from './appLoginCommand.ts';
import { defaultAttemptsFile, openFileSigner, PasswordAttempts, readFileCredential, signChallenge } from '../pki/index.ts';

const METHOD_NAMES: Record<string, string> = {
  card: 'BankID på kort',
  dosa: 'säkerhetsdosa',
  'dosa-code': 'säkerhetsdosa (login code)',
  app: 'the e-kort app (Mobilt BankID style)',
};
const methodName = (method: string): string => METHOD_NAMES[method] ?? method;

/** --server, else the server of the session file there is, else a usage error. */
async function loginServer(server: string | undefined, file: string): Promise<string> {
  if (server !== undefined) return serverUrl(server);
  try {
    return (await loadSession(file)).server;
  } catch {
    throw new UsageError('--server URL is required (the e-kort service, e.g. http://127.0.0.1:8080)');
  }
}

/**
 * `ekort login --server URL (--card [--reader NAME] [--slot 9a|9c] | --file FILE [--password-stdin] | --dosa FILE
 *  | --dosa-serial N | --app) [--pin-stdin] [--svarskod-stdin] [--session FILE] [--json]`
 */
export async function login({ values }: Input<'login'>, io: CliIo): Promise<number> {
  const methods = [
    values.card && '--card',
    values.dosa !== undefined && '--dosa',
    values['dosa-serial'] !== undefined && '--dosa-serial',
    values.app && '--app',
    values.file !== undefined && '--file',
  ].filter(Boolean);
  if (methods.length !== 1) throw new UsageError('give one way to log in: --card, --file FILE, --dosa FILE, --dosa-serial N or --app');
  if (values['password-stdin'] && values.file === undefined) throw new UsageError('--password-stdin goes with --file FILE');
  if (values.file !== undefined && values['pin-stdin']) throw new UsageError('a BankID på fil has a password, not a PIN: use --password-stdin');
  if (values.app && values['pin-stdin']) throw new UsageError('the app asks for its own PIN: --pin-stdin goes with --card or --dosa');
  if (!values.card && (values.reader !== undefined || values.slot !== undefined)) throw new UsageError('--reader and --slot go with --card');
  if (values['svarskod-stdin'] && values['dosa-serial'] === undefined) throw new UsageError('--svarskod-stdin goes with --dosa-serial');
  if (values['pin-stdin'] && values['dosa-serial'] !== undefined) throw new UsageError('a physical dosa takes its PIN itself: --pin-stdin goes with --card or --dosa');
  const slot = values.slot ?? '9a';
  if (slot !== '9a' && slot !== '9c') throw new UsageError('--slot must be 9a or 9c');
  const serial = values['dosa-serial'];
  if (serial !== undefined && !/^\d{6,12}$/.test(serial)) throw new UsageError(`--dosa-serial must be the dosa's serial number (6 to 12 digits), not "${serial}"`);

  const file = sessionPath(values);
  const server = await loginServer(values.server, file);
  const client = new BankClient({ baseUrl: server });

  let session: Session;
  let fileLogin = false;
  if (values.file !== undefined) {
    // BankID på fil: whose it is first, then the password; the key signs the challenge like a card.
    const credential = await readFileCredential(values.file);
    const h = credential.holder;
    io.err(`BankID på fil ${credential.fileName}${h ? `: ${h.name}${h.personnummer ? ` (${h.personnummer})` : h.organisation ? ` (organisation ${h.organisation.number})` : ''}` : ''}`);
    const password = await readSecret('Password', { fromStdin: values['password-stdin'] });
    const signer = await openFileSigner({ file: values.file, password, attempts: new PasswordAttempts(defaultAttemptsFile()) });
    const { challengeId, challenge } = await client.cardChallenge();
    session = await client.cardLogin(challengeId, await signChallenge(new Uint8Array(Buffer.from(challenge, 'base64')), signer));
    fileLogin = true;
  } else if (values.card) {
    const { challengeId, challenge } = await client.cardChallenge();
    const { cms } = await signOnCard(new Uint8Array(Buffer.from(challenge, 'base64')), { reader: values.reader, slot, pinStdin: values['pin-stdin'] }, io);
    session = await client.cardLogin(challengeId, cms);
  } else if (values.dosa !== undefined) {
    const dosaFile = values.dosa;
    const { challengeId, kontrollnummer } = await client.dosaChallenge((await VirtualDosa.open(dosaFile)).serial);
    io.err(`Kontrollnummer: ${formatKontrollnummer(kontrollnummer)}`);
    const dosa = await openWithPin(dosaFile, { 'pin-stdin': values['pin-stdin'] });
    session = await client.dosaLogin(challengeId, dosa.respond(kontrollnummer));
  } else if (values.app) {
    session = await appLogin(client, io);
  } else {
    const { challengeId, kontrollnummer } = await client.dosaChallenge(serial!);
    io.err(`Kontrollnummer: ${formatKontrollnummer(kontrollnummer)}`);
    io.err('Open the dosa with its PIN, key in the kontrollnummer and give the svarskod it shows.');
    const typed = values['svarskod-stdin']
      ? await readSecret('svarskod', { fromStdin: true })
      : await askLine('Svarskod: ', 'use --svarskod-stdin to give the svarskod on standard input');
    const svarskod = typed.replace(/\s+/g, '');
    if (!/^\d{8}$/.test(svarskod)) throw new EkortError('SVARSKOD_FORMAT', 'The svarskod is the 8 digits the dosa shows.');
    session = await client.dosaLogin(challengeId, svarskod);
  }

  await saveSession(file, { server, token: session.token, customer: session.customer, method: session.method, authenticatedAt: session.authenticatedAt });
  const { customer, method, authenticatedAt, idleTimeoutSeconds } = session;
  if (values.json) printJson(io, { server, customer, method, authenticatedAt, idleTimeoutSeconds, session: file });
  else {
    io.out(`Logged in as ${customer.name} (${customer.personnummer}) with ${fileLogin ? 'BankID på fil' : methodName(method)} at ${server}.`);
    io.out(`Session kept in ${file}; it ends after ${Math.round(idleTimeoutSeconds / 60)} minutes without use.`);
  }
  return 0;
}

/** `ekort logout [--session FILE] [--server URL] [--json]`: ends the session at the service and removes the file. */
export async function logout({ values }: Input<'logout'>, io: CliIo): Promise<number> {
  const file = sessionPath(values);
  let ended: 'now' | 'already';
  try {
    ended = await withHolder(values, async ({ client }) => {
      try {
        await client.logout();
        return 'now';
      } catch (error) {
        // Ended already (timed out, logged out elsewhere): only the file is left to remove.
        if (error instanceof BankClientError && (error.code === 'SESSION_EXPIRED' || error.code === 'UNAUTHENTICATED')) return 'already';
        throw error;
      }
    });
  } catch (error) {
    if (error instanceof EkortError && error.code === 'NOT_LOGGED_IN') {
      if (values.json) printJson(io, { loggedOut: false, reason: 'NOT_LOGGED_IN', session: file });
      else io.out(`Not logged in (no session in ${file}).`);
      return 0;
    }
    throw error;
  }
  await deleteSession(file);
  if (values.json) printJson(io, { loggedOut: true, ended, session: file });
  else io.out(ended === 'now' ? `Logged out; removed ${file}.` : `The session had already ended; removed ${file}.`);
  return 0;
}

/** `ekort session [--session FILE] [--server URL] [--json]`: who is logged in, as the service sees it. */
export async function sessionCommand({ values }: Input<'session'>, io: CliIo): Promise<number> {
  const { info, server } = await withHolder(values, async ({ client, server }) => ({ info: await client.session(), server }));
  if (values.json) printJson(io, { server, ...info });
  else for (const line of describeSession(info, server)) io.out(line);
  return 0;
}

function describeSession(info: SessionInfo, server: string): string[] {
  return [
    `Logged in as ${info.customer.name} (${info.customer.personnummer}) at ${server}`,
    `  with ${methodName(info.method)} at ${stockholmTime(info.authenticatedAt)}; the session ends after ${Math.round(info.idleTimeoutSeconds / 60)} minutes without use.`,
  ];
}
