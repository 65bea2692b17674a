import { X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { signOnCard } from './cardSigning.ts';
import { UsageError, printJson, type CliIo } from './cliContext.ts';
import type { Input } from './commands.ts';

/**
 * `ekort card sign [--reader NAME] [--slot 9a|9c] --in FILE --out FILE.p7s [--pin-stdin | --pin PIN] [--json]`:
 * a detached CMS login signature over FILE.
 */
export async function cardSign({ values }: Input<'card sign'>, io: CliIo): Promise<number> {
  if (!values.in || !values.out) throw new UsageError('--in FILE and --out FILE.p7s are required');
  const slot = values.slot ?? '9a';
  if (slot !== '9a' && slot !== '9c') throw new UsageError('--slot must be 9a or 9c');
  const challenge = new Uint8Array(await readFile(values.in));

  const { cms, signer, reader } = await signOnCard(challenge, { reader: values.reader, slot, pin: values.pin, pinStdin: values['pin-stdin'] }, io);
  await writeFile(values.out, cms);
  const subject = new X509Certificate(signer.certificate).subject.split('\n').join(', ');
  if (values.json) printJson(io, { reader, slot, keyType: signer.keyType, signer: subject, out: values.out, bytes: cms.length });
  else io.out(`Signed ${values.in} with slot ${slot} (${subject}); CMS in ${values.out}.`);
  return 0;
}
