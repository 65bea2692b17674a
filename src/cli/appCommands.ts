/**
 * `ekort app …`: the customer's approval app (Mobilt BankID style) for engineers and tests.
 * - enrol: makes an EC P-256 key pair, enrols its public key at the bank with the one-time
 *   code from `ekort bank enrol-app`, and keeps the private key in FILE encrypted under the
 *   app PIN (scrypt + AES-256-GCM, mode 0600);
 * - approve: reads a QR content or an auto-start token, looks the order up (who asks, what
 *   for; a QR code older than 30 s is refused), asks the PIN (three wrong PINs lock the
 *   file) and sends the signed approval;
 * - approve --requests / --request ID: the telephone service's identification requests for the
 *   app's customer (with the customer's session from `ekort login`, `--session FILE`): lists
 *   them, or approves one with the app's signature over the request id, who asks and the code
 *   read out on the call (the code is shown before the PIN is asked);
 * - status: what the file is enrolled for, PIN tries left.
 * The PIN and the private key are never printed.
 */
import { existsSync } from 'node:fs';
import { approvalStatement, BankClient, enrolmentProof, loadAppFile, newAppKeyPair, parseQrContent, QR_FRESH_SECONDS, saveAppFile, sealAppFile, signIdentification, signStatement, unlockApp } from '../bank/index.ts';
import { EkortError } from '../errors.ts';
import { UsageError, printJson, type CliIo } from './cliContext.ts';
import type { Input } from './commands.ts';
import { serverUrl, withHolder } from './holderClient.ts';
import { readSecret, refuseEasyCode } from './secretInput.ts';

function pinSource(values: { pin?: string | undefined; 'pin-stdin'?: boolean | undefined }): { flag?: string; fromStdin?: boolean } {
  if (values.pin !== undefined && values['pin-stdin']) throw new UsageError('give either --pin or --pin-stdin');
  return { ...(values.pin === undefined ? {} : { flag: values.pin }), ...(values['pin-stdin'] ? { fromStdin: true } : {}) };
}

/** `ekort app enrol --server URL --code CODE --out FILE [--pin PIN | --pin-stdin] [--name NAME] [--force] [--json]` */
export async function appEnrol({ values }: Input<'app enrol'>, io: CliIo): Promise<number> {
  if (!values.server) throw new UsageError('--server URL is required (the e-kort service)');
  if (!values.code) throw new UsageError('--code CODE is required (from the bank: ekort bank enrol-app)');
  if (!values.out) throw new UsageError('--out FILE is required');
  if (existsSync(values.out) && !values.force) throw new UsageError(`${values.out} exists; pass --force to overwrite it`);
  const server = serverUrl(values.server);
  const source = pinSource(values);
  const pin = await readSecret('Choose an app PIN (6 to 8 digits)', source);
  if (!/^[0-9]{6,8}$/.test(pin)) throw new UsageError('the app PIN is 6 to 8 digits');
  refuseEasyCode('app PIN', pin);
  if (source.flag === undefined && !source.fromStdin && (await readSecret('Repeat the app PIN', source)) !== pin) throw new UsageError('the two PINs differ');

  const { publicKey, privateKey } = newAppKeyPair();
  const client = new BankClient({ baseUrl: server });
  const enrolled = await client.appEnrol({
    code: values.code,
    publicKey,
    proof: enrolmentProof(values.code, publicKey, privateKey),
    ...(values.name === undefined ? {} : { name: values.name }),
  });
  await saveAppFile(values.out, sealAppFile({ server, deviceId: enrolled.deviceId, customer: enrolled.customer, publicKey, privateKey, pin }));
  if (values.json) printJson(io, { file: values.out, server, deviceId: enrolled.deviceId, customer: enrolled.customer });
  else io.out(`Enrolled the app in ${values.out} for ${enrolled.customer.name} (${enrolled.customer.personnummer}) at ${server}.`);
  return 0;
}

/**
 * `ekort app approve FILE (--qr CONTENT | --autostart TOKEN) [--pin-stdin | --pin PIN] [--server URL] [--json]`
 * `ekort app approve FILE --requests [--session FILE] [--server URL] [--json]`
 * `ekort app approve FILE --request ID [--session FILE] [--server URL] [--pin-stdin | --pin PIN] [--json]`
 */
export async function appApprove({ values, positionals }: Input<'app approve'>, io: CliIo): Promise<number> {
  const file = positionals[0]!;
  const modes = [values.qr, values.autostart, values.request, values.requests || undefined].filter((v) => v !== undefined).length;
  if (modes > 1) throw new UsageError('give one of --qr CONTENT, --autostart TOKEN, --requests or --request ID');
  if (values.request !== undefined || values.requests) return approveIdentification(file, values, io);
  if (values.session !== undefined) throw new UsageError('--session is for --requests and --request ID');
  if ((values.qr === undefined) === (values.autostart === undefined)) throw new UsageError('give one of --qr CONTENT or --autostart TOKEN');
  if (values.qr !== undefined && !parseQrContent(values.qr)) throw new UsageError('--qr must be the QR code content bankid.<token>.<seconds>.<code>');
  const source = pinSource(values);

  const app = await loadAppFile(file);
  if (app.locked) throw new EkortError('APP_LOCKED', 'The app is locked after three wrong PINs. Enrol the app again with a new code from the bank.');
  const server = values.server === undefined ? app.server : serverUrl(values.server);
  const client = new BankClient({ baseUrl: server });
  const seen = values.qr !== undefined ? { kind: 'qr' as const, value: values.qr.trim() } : { kind: 'autostart' as const, value: values.autostart!.trim() };
  const order = await client.appOrderLookup(seen.kind === 'qr' ? { qr: seen.value } : { autoStartToken: seen.value });
  // The service refuses a stale code; the app checks by the service's clock too.
  if (order.qr && order.qr.ageSeconds > QR_FRESH_SECONDS) throw new EkortError('APPROVAL_CODE_STALE', 'The QR code is older than 30 seconds. Scan the code on the screen again.');
  const show = (line: string) => (values.json ? io.err(line) : io.out(line));
  show(`${order.relyingParty} asks: ${order.visibleText}`);
  show(`  for ${app.customer.name} (${app.customer.personnummer}); approve with your app PIN.`);

  const pin = await readSecret('App PIN', source);
  const { privateKey } = await unlockApp(file, pin);
  const statement = approvalStatement({ orderRef: order.orderRef, relyingParty: order.relyingParty, visibleText: order.visibleText, seen, deviceId: app.deviceId, time: new Date() });
  const result = await client.appOrderApprove(order.orderRef, { deviceId: app.deviceId, seen, time: statement.time, signature: signStatement(statement, privateKey) });
  if (values.json) printJson(io, { orderRef: result.orderRef, status: result.status, relyingParty: order.relyingParty, visibleText: order.visibleText });
  else io.out(`Approved: ${order.visibleText}.`);
  return 0;
}

/** `ekort app status FILE [--json]` */
export async function appStatus({ values, positionals }: Input<'app status'>, io: CliIo): Promise<number> {
  const app = await loadAppFile(positionals[0]!);
  const view = { file: positionals[0]!, server: app.server, deviceId: app.deviceId, customer: app.customer, pinTriesLeft: app.pinTriesLeft, locked: app.locked, createdAt: app.createdAt };
  if (values.json) printJson(io, view);
  else {
    io.out(`e-kort approval app for ${app.customer.name} (${app.customer.personnummer}) at ${app.server}`);
    io.out(`  device ${app.deviceId}, enrolled ${app.createdAt}`);
    io.out(app.locked ? '  LOCKED after three wrong PINs: enrol again with a new code from the bank.' : `  PIN tries left: ${app.pinTriesLeft} of ${app.pinMaxTries}`);
  }
  return 0;
}

/** The telephone service's identification requests: list them, or approve one (signed). */
async function approveIdentification(
  file: string,
  values: { request?: string | undefined; server?: string | undefined; session?: string | undefined; json?: boolean | undefined; pin?: string | undefined; 'pin-stdin'?: boolean | undefined },
  io: CliIo,
): Promise<number> {
  const app = await loadAppFile(file);
  if (app.locked) throw new EkortError('APP_LOCKED', 'The app is locked after three wrong PINs. Enrol the app again with a new code from the bank.');
  const source = values.request === undefined ? {} : pinSource(values);
  return withHolder({ server: values.server ?? app.server, session: values.session }, async ({ client, server, stored }) => {
    if (stored.customer && stored.customer.personnummer !== app.customer.personnummer) {
      throw new EkortError('APP_CUSTOMER_MISMATCH', `The session is ${stored.customer.name}'s, the app ${app.customer.name}'s: log in as the app's customer.`);
    }
    const pending = await client.appIdentifications();
    if (values.request === undefined) {
      if (values.json) printJson(io, pending);
      else if (pending.length === 0) io.out('No identification requests wait for the app.');
      else for (const r of pending) io.out(`${r.id}  ${r.requester} asks you to identify, code ${r.code} (until ${r.expiresAt})`);
      return 0;
    }
    const request = pending.find((r) => r.id === values.request);
    if (!request) throw new EkortError('NOT_FOUND', `No identification request ${values.request} waits for ${app.customer.name} (answered, expired or someone else's).`);
    const show = (line: string) => (values.json ? io.err(line) : io.out(line));
    show(`${request.requester} asks you to identify. Code: ${request.code}`);
    show('  Approve only if the code is the one read out on your call; approve with your app PIN.');
    const pin = await readSecret('App PIN', source);
    const { privateKey } = await unlockApp(file, pin);
    const decision = await new BankClient({ baseUrl: server, token: stored.token }).approveAppIdentification(request.id, signIdentification(request, { deviceId: app.deviceId, privateKey }));
    if (values.json) printJson(io, { ...decision, requester: request.requester, code: request.code });
    else io.out(`Identified to ${request.requester}.`);
    return 0;
  });
}
