/**
 * Signing on the card from the terminal, shared by `ekort card sign` and `ekort login --card`:
 * the PIN is verified right before the card signs (slot 9C, "PIN Always", needs that); on a
 * PIN-pad reader it is typed on the reader unless given. The PIN is asked for once and never
 * retried: a wrong PIN is reported with the tries left.
 */
import { PinPad, PivSession, pinGuardedSigner } from '../piv/index.ts';
import { signChallenge, type CardSigner } from '../pki/index.ts';
import { openCard } from './cardSelection.ts';
import type { CliIo } from './cliContext.ts';
import { readSecret } from './secretInput.ts';

export interface CardSigningOptions {
  reader?: string | undefined;
  slot: '9a' | '9c';
  /** For test scripts only: shows in the process list. */
  pin?: string | undefined;
  pinStdin?: boolean | undefined;
}

/** A detached CMS signature over `content`, made on the card in the chosen (or only) reader. */
export async function signOnCard(content: Uint8Array, options: CardSigningOptions, io: CliIo): Promise<{ cms: Uint8Array; signer: CardSigner; reader: string }> {
  const { monitor, transport, reader } = await openCard(options.reader);
  try {
    const session = await PivSession.open(transport, { pinPad: await PinPad.detect(transport) });
    const onReader = session.usesPinPad && options.pin === undefined && !options.pinStdin;
    const pin = onReader ? undefined : await readSecret('PIN', { flag: options.pin, fromStdin: options.pinStdin });
    const signer = await pinGuardedSigner(session, options.slot, pin, () => io.err("Enter the PIN on the reader's keypad."));
    return { cms: await signChallenge(content, signer), signer, reader };
  } finally {
    await transport.close();
    await monitor.close();
  }
}
