/**
 * `ekort virtual-token create|respond`: a virtual YubiKey-style HID OTP token in a JSON file,
 * and the full HID challenge-response against it (HidOtpSession over the VirtualHidToken's
 * feature reports), so engineers can see the HMAC the token answers with.
 */
import { existsSync } from 'node:fs';
import { fromHex, toHex } from '../iso7816/index.ts';
import { HidOtpSession, MAX_CHALLENGE_SIZE } from '../token/index.ts';
import {
  MAX_SLOT_SECRET_BYTES,
  createVirtualHidTokenFile,
  loadVirtualHidTokenFile,
  saveVirtualHidTokenFile,
  virtualHidTokenFromFile,
} from '../virtual/index.ts';
import { UsageError, printJson, type CliIo } from './cliContext.ts';
import type { Input } from './commands.ts';

function parseSlot(text: string | undefined): 1 | 2 | undefined {
  if (text === undefined) return undefined;
  if (text !== '1' && text !== '2') throw new UsageError('--slot must be 1 or 2');
  return Number(text) as 1 | 2;
}

function hexArgument(text: string, what: string, min: number, max: number): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = fromHex(text);
  } catch {
    throw new UsageError(`${what} must be hex`);
  }
  if (bytes.length < min || bytes.length > max) throw new UsageError(`${what} must be ${min} to ${max} bytes, got ${bytes.length}`);
  return bytes;
}

/** `ekort virtual-token create --out FILE [--secret HEX] [--slot 1|2] [--touch] [--serial N] [--show-secret] [--force] [--json]` */
export async function virtualTokenCreate({ values }: Input<'virtual-token create'>, io: CliIo): Promise<number> {
  if (!values.out) throw new UsageError('--out FILE is required');
  const slot = parseSlot(values.slot) ?? 2;
  // The secret value is not echoed in the message: it may be a real one.
  const secret = values.secret === undefined ? undefined : hexArgument(values.secret, '--secret', 1, MAX_SLOT_SECRET_BYTES);
  if (values.serial !== undefined && !/^[1-9]\d{0,9}$/.test(values.serial)) throw new UsageError('--serial must be a positive integer');
  if (existsSync(values.out) && !values.force) throw new UsageError(`${values.out} exists; pass --force to overwrite it`);
  const token = createVirtualHidTokenFile({
    slot,
    touch: values.touch ?? false,
    ...(secret ? { secret } : {}),
    ...(values.serial === undefined ? {} : { serial: Number(values.serial) }),
  });
  await saveVirtualHidTokenFile(values.out, token);
  const shown = values['show-secret'] ? { secret: token.slots[String(slot) as '1' | '2']!.secret } : {};
  if (values.json) printJson(io, { file: values.out, serial: token.serial, slot, touch: values.touch ?? false, ...shown });
  else {
    io.out(`Created virtual token ${token.serial} (HMAC-SHA1 challenge-response in slot ${slot}${values.touch ? ', touch required' : ''}) in ${values.out}.`);
    if (shown.secret !== undefined) io.out(`secret     ${shown.secret}`);
  }
  return 0;
}

/** `ekort virtual-token respond FILE CHALLENGE_HEX [--slot 1|2] [--timeout MS] [--json]` */
export async function virtualTokenRespond({ values, positionals }: Input<'virtual-token respond'>, io: CliIo): Promise<number> {
  const [file, challengeText] = positionals as [string, string];
  const challenge = hexArgument(challengeText, 'the challenge', 1, MAX_CHALLENGE_SIZE);
  const asked = parseSlot(values.slot);
  if (values.timeout !== undefined && !/^[1-9]\d*$/.test(values.timeout)) throw new UsageError('--timeout must be a positive number of ms');
  const data = await loadVirtualHidTokenFile(file);
  const configured = (['1', '2'] as const).filter((n) => data.slots[n]).map(Number) as Array<1 | 2>;
  if (asked === undefined && configured.length !== 1) throw new UsageError('both slots are configured: give --slot 1 or 2');
  const slot = asked ?? configured[0]!;
  const token = virtualHidTokenFromFile(data);
  try {
    const response = await new HidOtpSession(token).challengeResponse(challenge, {
      slot,
      ...(values.timeout === undefined ? {} : { timeoutMs: Number(values.timeout) }),
      onTouch: () => {
        // The virtual token has no button: it is touched for the user, and the user is told.
        io.err(`virtual token ${data.serial}: slot ${slot} waits for a touch; touching it`);
        setImmediate(() => token.touch());
      },
    });
    if (values.json) printJson(io, { serial: data.serial, slot, challenge: toHex(challenge), response: toHex(response) });
    else io.out(toHex(response));
    return 0;
  } finally {
    token.close();
  }
}
