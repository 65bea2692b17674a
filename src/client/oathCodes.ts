/**
 * The authenticator: OATH codes from a YubiKey (or the virtual one) in a reader, for the app's
 * authenticator view. A code is read when asked and never kept; secrets never leave the key.
 */
import { OathError, OathSession, type OathCode } from '../oath/index.ts';
import type { OathAccount } from './api.ts';
import { AgentError } from './failure.ts';
import type { Readers } from './readers.ts';

function account(c: OathCode): OathAccount {
  const { credential } = c;
  return {
    id: credential.id,
    name: credential.name,
    ...(credential.issuer ? { issuer: credential.issuer } : {}),
    type: credential.type,
    period: credential.period,
    touch: credential.touch ?? false,
    ...(c.code === undefined ? {} : { code: c.code }),
    ...(c.validFrom === undefined ? {} : { validFrom: c.validFrom, validTo: c.validTo! }),
  };
}

async function withOath<T>(readers: Readers, reader: string, run: (session: OathSession) => Promise<T>): Promise<T> {
  const transport = await readers.connect(reader);
  try {
    let session: OathSession;
    try {
      session = await OathSession.open((apdu) => transport.transmit(apdu));
    } catch (error) {
      if (error instanceof OathError && error.code === 'OATH_NOT_AVAILABLE') throw new AgentError('OATH_NOT_AVAILABLE', 'The card in this reader has no OATH application (no YubiKey).');
      throw error;
    }
    if (session.locked) throw new AgentError('OATH_LOCKED', 'The key is protected by a password; this view does not unlock keys yet (ekort oath --password-stdin does).');
    return await run(session);
  } finally {
    await transport.close();
  }
}

/** Every account with its TOTP code now (HOTP and touch accounts without one). */
export function oathCodes(readers: Readers, reader: string): Promise<OathAccount[]> {
  return withOath(readers, reader, async (session) => (await session.calculateAll(Date.now() / 1000)).map(account));
}

/** One account's code now: HOTP moves the key's counter; a touch account waits for the touch. */
export function oathCode(readers: Readers, reader: string, id: string): Promise<OathAccount> {
  return withOath(readers, reader, async (session) => {
    const found = (await session.list()).find((c) => c.id === id);
    if (!found) throw new AgentError('OATH_NO_SUCH_CREDENTIAL', 'No such account on the key.');
    const touch = (await session.calculateAll(Date.now() / 1000)).some((c) => c.credential.id === id && c.credential.touch);
    return { ...account(await session.calculate(found, Date.now() / 1000)), touch };
  });
}
