import { PinPad, PivSession } from '../piv/index.ts';
import { parseCertificate } from '../pki/index.ts';
import { openCard } from './cardSelection.ts';
import { UsageError, printJson, type CliIo } from './cliContext.ts';
import type { Input } from './commands.ts';
import { readSecret, refuseEasyCode } from './secretInput.ts';

const SLOTS = [
  ['9a', 'PIV Authentication'],
  ['9c', 'Digital Signature'],
  ['9e', 'Card Authentication'],
] as const;

function describeCertificate(der: Uint8Array) {
  const cert = parseCertificate(der);
  return {
    subject: cert.subject.dn,
    holder: cert.subject.commonName,
    personnummer: cert.subject.personnummer,
    issuer: cert.issuer.dn,
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    keyType: cert.keyType,
    sha256: cert.fingerprints.sha256,
  };
}

/** Opens the card and a PIV session on it, runs `fn`, and always releases both. */
async function withSession<T>(reader: string | undefined, fn: (session: PivSession, readerName: string) => Promise<T>): Promise<T> {
  const { monitor, transport, reader: name } = await openCard(reader);
  try {
    return await fn(await PivSession.open(transport, { pinPad: await PinPad.detect(transport) }), name);
  } finally {
    await transport.close();
    await monitor.close();
  }
}

/** `ekort card info [--reader NAME] [--json]` */
export async function cardInfo({ values }: Input<'card info'>, io: CliIo): Promise<number> {
  return withSession(values.reader, async (session, reader) => {
    const certificates = [];
    // A key without a certificate (just generated, say) shows only where the card tells of it.
    const keysWithoutCertificate = [];
    for (const [slot, purpose] of SLOTS) {
      const der = await session.readCertificate(slot);
      if (der) certificates.push({ slot, purpose, ...describeCertificate(der) });
      else {
        const key = await session.keyMetadata(slot);
        if (key) keysWithoutCertificate.push({ slot, purpose, ...key });
      }
    }
    const pin = await session.pinStatus();
    if (values.json) {
      printJson(io, { reader, certificates, keysWithoutCertificate, pin });
      return 0;
    }
    io.out(`Reader  ${reader}`);
    const first = certificates[0];
    if (first?.holder) io.out(`Holder  ${first.holder}${first.personnummer ? ` (${first.personnummer})` : ''}`);
    for (const c of certificates) {
      io.out(`Slot ${c.slot} (${c.purpose}): ${c.keyType}`);
      io.out(`  Subject  ${c.subject}`);
      io.out(`  Issuer   ${c.issuer}`);
      io.out(`  Valid    ${c.notBefore} to ${c.notAfter}`);
    }
    for (const k of keysWithoutCertificate) {
      io.out(`Slot ${k.slot} (${k.purpose}): ${k.algorithm}${k.origin ? `, ${k.origin === 'generated' ? 'generated on the card' : 'imported'}` : ''}; no certificate`);
    }
    io.out(`PIN     ${pin.blocked ? 'blocked: unblock it with the PUK (ekort card unblock)' : pin.verified ? 'verified' : `${pin.retriesLeft ?? '?'} tries left`}`);
    return 0;
  });
}

/**
 * `ekort card verify-pin [--reader NAME] [--pin-stdin | --pin PIN]`. On a PIN-pad reader the PIN
 * is typed on the reader, unless it was given on standard input.
 */
export async function cardVerifyPin({ values }: Input<'card verify-pin'>, io: CliIo): Promise<number> {
  return withSession(values.reader, async (session) => {
    if (session.usesPinPad && values.pin === undefined && !values['pin-stdin']) {
      io.err('Enter the PIN on the reader\'s keypad.');
      await session.verifyPinOnReader();
      io.out('PIN correct.');
      return 0;
    }
    const pin = await readSecret('PIN', { flag: values.pin, fromStdin: values['pin-stdin'] });
    await session.verifyPin(pin);
    io.out('PIN correct.');
    return 0;
  });
}

/** `ekort card change-pin [--reader NAME] [--pin-stdin]`: old PIN, then new PIN (twice on a terminal). */
export async function cardChangePin({ values }: Input<'card change-pin'>, io: CliIo): Promise<number> {
  const source = { fromStdin: values['pin-stdin'] };
  return withSession(values.reader, async (session) => {
    const oldPin = await readSecret('Current PIN', { ...source, flag: values.pin }, 0);
    const newPin = await readNewPin(source, values['new-pin'], 1);
    await session.changePin(oldPin, newPin);
    io.out('PIN changed.');
    return 0;
  });
}

/** `ekort card unblock [--reader NAME] [--pin-stdin]`: PUK, then the new PIN. */
export async function cardUnblock({ values }: Input<'card unblock'>, io: CliIo): Promise<number> {
  const source = { fromStdin: values['pin-stdin'] };
  return withSession(values.reader, async (session) => {
    const puk = await readSecret('PUK', { ...source, flag: values.puk }, 0);
    const newPin = await readNewPin(source, values['new-pin'], 1);
    await session.unblockPin(puk, newPin);
    io.out('PIN unblocked and set.');
    return 0;
  });
}

async function readNewPin(source: { fromStdin?: boolean }, flag: string | undefined, line: number): Promise<string> {
  const pin = await readSecret('New PIN', { ...source, flag }, line);
  refuseEasyCode('new PIN', pin);
  if (flag === undefined && !source.fromStdin) {
    const again = await readSecret('New PIN again', source);
    if (again !== pin) throw new UsageError('the two new PINs differ');
  }
  return pin;
}
