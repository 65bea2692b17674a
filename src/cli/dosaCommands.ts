import { existsSync } from 'node:fs';
import { type DosaLoginKind, formatKontrollnummer, parseKontrollnummer } from '../token/index.ts';
import { createDosa, saveDosa, VirtualDosa } from '../virtual/index.ts';
import { UsageError, printJson, type CliIo } from './cliContext.ts';
import type { Input } from './commands.ts';
import { argvSecretWarning, readSecret, refuseEasyCode } from './secretInput.ts';

/** Opens the dosa file and unlocks it with the PIN from the terminal, --pin-stdin or --pin. */
export async function openWithPin(file: string, values: { pin?: string | undefined; 'pin-stdin'?: boolean | undefined }): Promise<VirtualDosa> {
  if (values.pin !== undefined && values['pin-stdin']) throw new UsageError('give either --pin or --pin-stdin');
  const dosa = await VirtualDosa.open(file);
  const pin = await readSecret('Dosa PIN', {
    ...(values.pin === undefined ? {} : { flag: values.pin }),
    ...(values['pin-stdin'] ? { fromStdin: true } : {}),
  });
  await dosa.unlock(pin);
  return dosa;
}

/** `ekort dosa create --out FILE [--pin-stdin | --pin 1234] [--suite S] [--serial N] [--login hotp|totp] [--force] [--json]`; the PIN from line 1 of standard input, --pin for test scripts (warned). */
export async function dosaCreate({ values }: Input<'dosa create'>, io: CliIo): Promise<number> {
  if (!values.out) throw new UsageError('--out FILE is required');
  if (values.login !== undefined && values.login !== 'hotp' && values.login !== 'totp') throw new UsageError('--login must be hotp or totp');
  if (values.pin !== undefined && values['pin-stdin']) throw new UsageError('give either --pin or --pin-stdin');
  if (values.pin !== undefined) io.err(argvSecretWarning('dosa create', '--pin', '--pin-stdin'));
  const pin = values['pin-stdin'] ? await readSecret('Dosa PIN', { fromStdin: true }) : values.pin;
  if (pin !== undefined && !/^\d{4}$/.test(pin)) throw new UsageError('the PIN must be 4 digits');
  if (pin !== undefined) refuseEasyCode('dosa PIN', pin);
  if (existsSync(values.out) && !values.force) throw new UsageError(`${values.out} exists; pass --force to overwrite it`);
  const dosa = createDosa({
    ...(pin === undefined ? {} : { pin }),
    ...(values.suite === undefined ? {} : { suite: values.suite }),
    ...(values.serial === undefined ? {} : { serial: values.serial }),
    ...(values.login === undefined ? {} : { login: values.login as DosaLoginKind }),
  });
  await saveDosa(values.out, dosa);
  if (values.json) printJson(io, { file: values.out, serial: dosa.serial, suite: dosa.suite, login: dosa.login.kind });
  else io.out(`Created dosa ${dosa.serial} (${dosa.suite}, login ${dosa.login.kind.toUpperCase()}) in ${values.out}.`);
  return 0;
}

/** `ekort dosa respond FILE KONTROLLNUMMER [--pin-stdin | --pin PIN] [--json]`: the svarskod, 8 digits. */
export async function dosaRespond({ values, positionals }: Input<'dosa respond'>, io: CliIo): Promise<number> {
  // "1234 5678" unquoted arrives as two arguments: join them.
  const [file, ...rest] = positionals as [string, ...string[]];
  let kontrollnummer: string;
  try {
    kontrollnummer = parseKontrollnummer(rest.join(''));
  } catch {
    throw new UsageError(`"${rest.join(' ')}" is not a kontrollnummer (8 digits, "1234 5678" allowed)`);
  }
  const dosa = await openWithPin(file, values);
  const code = dosa.respond(kontrollnummer);
  if (values.json) printJson(io, { serial: dosa.serial, kontrollnummer: formatKontrollnummer(kontrollnummer), svarskod: code });
  else io.out(code);
  return 0;
}

/** `ekort dosa code FILE [--pin-stdin | --pin PIN] [--json]`: the response-only login code. */
export async function dosaCode({ values, positionals }: Input<'dosa code'>, io: CliIo): Promise<number> {
  const file = positionals[0]!;
  const dosa = await openWithPin(file, values);
  const code = await dosa.code();
  if (values.json) printJson(io, { serial: dosa.serial, kind: dosa.dosa.login.kind, code });
  else io.out(code);
  return 0;
}

/** `ekort dosa export-for-bank FILE [--json]`: the enrolment record; no PIN, but it holds the secret. */
export async function dosaExportForBank({ values, positionals }: Input<'dosa export-for-bank'>, io: CliIo): Promise<number> {
  const file = positionals[0]!;
  const dosa = await VirtualDosa.open(file);
  const record = dosa.exportForBank();
  io.err('ekort dosa export-for-bank: warning: the output contains the token secret; hand it only to the bank (test) server.');
  if (values.json) printJson(io, record);
  else {
    io.out(`serial     ${record.serial}`);
    io.out(`suite      ${record.suite}`);
    io.out(`secret     ${record.secret}`);
    io.out(`login      ${record.kind.toUpperCase()}-${record.algorithm.toUpperCase()}-${record.digits}${record.counter === undefined ? '' : ` counter ${record.counter}`}`);
  }
  return 0;
}
