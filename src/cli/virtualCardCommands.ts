import { existsSync } from 'node:fs';
import { issuerFor } from '../pki/index.ts';
import { readJsonFile } from '../files/index.ts';
import {
  createCardImage,
  createYubiKeyImage,
  ekortReaderSlot,
  isYubiKeyImage,
  saveCardImage,
  saveYubiKeyImage,
  VirtualPivCard,
  VirtualYubiKey,
  VPCD_DEFAULT_PORT,
  VpcdLink,
} from '../virtual/index.ts';
import { TerminalKeypad } from './terminalKeypad.ts';
import { UsageError, printJson, type CliIo } from './cliContext.ts';
import type { Input } from './commands.ts';
import { argvSecretWarning, optionalStdinLine, readSecret } from './secretInput.ts';

/**
 * `ekort virtual-card create --out FILE [--name NAME] [--personnummer YYYYMMDDNNNN]
 *  [--key rsa2048|p256] [--pin-stdin | --pin PIN --puk PUK] [--ca DIR] [--force] [--json]`; with --ca
 * the certificates come from the test PKI in DIR (ekort pki init), else they are self-signed.
 * --pin-stdin: the PIN on line 1 of standard input, the PUK (optional) on line 2; --pin/--puk
 * are for test scripts (warned).
 */
export async function virtualCardCreate({ values }: Input<'virtual-card create'>, io: CliIo): Promise<number> {
  if (!values.out) throw new UsageError('--out FILE is required');
  if (values.serial !== undefined && !values.yubikey) throw new UsageError('--serial is for --yubikey');
  const serial = values.serial === undefined ? undefined : Number(values.serial);
  if (serial !== undefined && (!Number.isSafeInteger(serial) || serial < 1 || serial > 0xffffffff)) throw new UsageError('--serial must be a number from 1 to 4294967295');
  if (values.key !== undefined && values.key !== 'rsa2048' && values.key !== 'p256') throw new UsageError('--key must be rsa2048 or p256');
  if (existsSync(values.out) && !values.force) throw new UsageError(`${values.out} exists; pass --force to overwrite it`);
  if (values['pin-stdin'] && (values.pin !== undefined || values.puk !== undefined)) throw new UsageError('give either --pin-stdin or --pin/--puk');
  for (const flag of ['pin', 'puk'] as const) if (values[flag] !== undefined) io.err(argvSecretWarning('virtual-card create', `--${flag}`, '--pin-stdin'));
  const pin = values['pin-stdin'] ? await readSecret('PIN', { fromStdin: true }) : values.pin;
  const puk = values['pin-stdin'] ? await optionalStdinLine(1) : values.puk;
  const options = {
    name: values.name,
    personnummer: values.personnummer,
    keyType: values.key as 'rsa2048' | 'p256' | undefined,
    pin,
    puk,
    ...(values.ca === undefined ? {} : { issue: issuerFor(values.ca) }),
  };
  if (values.yubikey) {
    const key = await createYubiKeyImage({ ...options, ...(serial === undefined ? {} : { serial }) });
    await saveYubiKeyImage(values.out, key);
    if (values.json) printJson(io, { file: values.out, yubikey: { serial: key.serial, firmware: key.firmware }, holder: key.piv.holder, slots: Object.keys(key.piv.slots) });
    else io.out(`Created virtual YubiKey ${values.out} (serial ${key.serial}, firmware ${key.firmware}) for ${key.piv.holder.name}.`);
    return 0;
  }
  const image = await createCardImage(options);
  await saveCardImage(values.out, image);
  if (values.json) printJson(io, { file: values.out, holder: image.holder, slots: Object.keys(image.slots) });
  else io.out(`Created virtual card ${values.out} for ${image.holder.name}${image.holder.personnummer ? ` (${image.holder.personnummer})` : ''}.`);
  return 0;
}

/**
 * `ekort virtual-card insert FILE [--reader NAME | --reader-port 35963]`: in the reader until
 * Ctrl-C or SIGTERM. NAME is a slot of ekort's own driver ("ekort Reader 00 00" .. "00 03",
 * "ekort PIN Pad 01 00") or vpcd's ("Virtual PCD 00 00" / "00 01"). At the PIN pad, the PIN is
 * typed on stdin when a program asks for it.
 */
export async function virtualCardInsert({ values, positionals }: Input<'virtual-card insert'>, io: CliIo): Promise<number> {
  const [file] = positionals;
  if (!file || positionals.length > 1) throw new UsageError('give exactly one card image FILE');
  if (values.reader !== undefined && values['reader-port'] !== undefined) throw new UsageError('give --reader or --reader-port, not both');
  const target = readerTarget(values.reader, values['reader-port']);
  const keypad = new TerminalKeypad(process.stdin, io.err);
  const card = isYubiKeyImage(await readJsonFile(file, () => new UsageError(`cannot read ${file}`)))
    ? await VirtualYubiKey.open(file, { touch: () => keypad.touch(15) })
    : await VirtualPivCard.open(file);
  const link = new VpcdLink(card, { ...target.link, ...(target.pinPad ? { keypad } : {}) });
  try {
    await link.start();
    io.out(`Inserted ${file} into ${target.name}. Ctrl-C to pull it out.`);
    await io.interrupted;
  } finally {
    await link.stop();
    keypad.close();
  }
  return 0;
}

function readerTarget(reader: string | undefined, portText: string | undefined): { name: string; link: { path: string } | { port: number }; pinPad: boolean } {
  if (reader !== undefined) {
    const slot = ekortReaderSlot(reader);
    if (slot) return { name: `"${reader}"`, link: { path: slot.path }, pinPad: slot.pinPad };
    const vpcd = /^Virtual PCD 00 0([01])$/.exec(reader);
    if (vpcd) return { name: `"${reader}"`, link: { port: VPCD_DEFAULT_PORT + Number(vpcd[1]) }, pinPad: false };
    throw new UsageError(`--reader: "${reader}" is not a virtual reader; use "ekort Reader 00 00" to "ekort Reader 00 03", "ekort PIN Pad 01 00", or "Virtual PCD 00 00" / "00 01"`);
  }
  const port = portText === undefined ? VPCD_DEFAULT_PORT : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError('--reader-port must be a TCP port number');
  return { name: `the virtual reader on port ${port}`, link: { port }, pinPad: false };
}
