import { X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { PinPad } from '../piv/pinPad.ts';
import { PivSession } from '../piv/pivSession.ts';
import { pivSigner, signChallenge, type CardSigner } from '../pki/loginSignature.ts';
import { openCard } from './cardSelection.ts';
import { UsageError, parse, printJson, type CliIo } from './cliContext.ts';
import { readSecret } from './secretInput.ts';

/**
 * `ekort card sign [--reader NAME] [--slot 9a|9c] --in FILE --out FILE.p7s [--pin-stdin | --pin PIN] [--json]`:
 * a detached CMS login signature over FILE. The PIN is verified right before the card signs,
 * as slot 9C ("PIN Always") needs; on a PIN-pad reader it is typed on the reader unless given.
 */
export async function cardSign(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    reader: { type: 'string' },
    slot: { type: 'string' },
    in: { type: 'string' },
    out: { type: 'string' },
    'pin-stdin': { type: 'boolean' },
    /** For test scripts only: shows in the process list. */
    pin: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (!values.in || !values.out) throw new UsageError('--in FILE and --out FILE.p7s are required');
  const slot = values.slot ?? '9a';
  if (slot !== '9a' && slot !== '9c') throw new UsageError('--slot must be 9a or 9c');
  const challenge = new Uint8Array(await readFile(values.in));

  const { monitor, transport, reader } = await openCard(values.reader);
  let cms: Uint8Array;
  let signer: CardSigner;
  try {
    const session = await PivSession.open(transport, { pinPad: await PinPad.detect(transport) });
    const onCard = await pivSigner(session, slot);
    const onReader = session.usesPinPad && values.pin === undefined && !values['pin-stdin'];
    const pin = onReader ? undefined : await readSecret('PIN', { flag: values.pin, fromStdin: values['pin-stdin'] });
    signer = {
      ...onCard,
      signDigest: async (digest) => {
        if (pin === undefined) {
          io.err("Enter the PIN on the reader's keypad.");
          await session.verifyPinOnReader();
        } else {
          await session.verifyPin(pin);
        }
        return onCard.signDigest(digest);
      },
    };
    cms = await signChallenge(challenge, signer);
  } finally {
    await transport.close();
    await monitor.close();
  }
  await writeFile(values.out, cms);
  const subject = new X509Certificate(signer.certificate).subject.split('\n').join(', ');
  if (values.json) printJson(io, { reader, slot, keyType: signer.keyType, signer: subject, out: values.out, bytes: cms.length });
  else io.out(`Signed ${values.in} with slot ${slot} (${subject}); CMS in ${values.out}.`);
  return 0;
}
