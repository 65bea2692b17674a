/**
 * The PIV card as pki's CardSigner: its certificate from the slot and "sign this SHA-256 digest"
 * with the slot's key. pki builds the CMS around it (signChallenge) and never sees the card.
 */
import type { CardSigner } from '../pki/index.ts';
import type { PivSession, PivSigningSlot } from './pivSession.ts';

/** A signer over a PIV slot. The PIN is the caller's to verify (right before signing, for 9C). */
export async function pivSigner(session: PivSession, slot: PivSigningSlot): Promise<CardSigner> {
  // The PKI code (pkijs) comes with the first signature, not with the PIV module.
  const { CardSignerError, certificateKeyType, digestInfo } = await import('../pki/index.ts');
  const certificate = await session.readCertificate(slot);
  if (!certificate) throw new CardSignerError('NO_CERTIFICATE', `The card has no certificate in slot ${slot}: it cannot sign with it`);
  const keyType = certificateKeyType(certificate);
  return {
    certificate,
    keyType,
    signDigest: (digest) => session.sign(slot, keyType, keyType === 'rsa2048' ? digestInfo('sha256', digest) : digest),
  };
}

/**
 * The card as signer with the PIN verified right before it signs (slot 9C, "PIN Always",
 * needs exactly that): `pin` undefined means the holder types it on the PIN-pad reader.
 * The PIN is used once and forgotten; a wrong one is the session's PIN_INCORRECT with the
 * tries left, never retried.
 */
export async function pinGuardedSigner(session: PivSession, slot: PivSigningSlot, pin: string | undefined, onPinPad?: () => void): Promise<CardSigner> {
  const onCard = await pivSigner(session, slot);
  const { CardSignerError } = await import('../pki/index.ts');
  let secret = pin;
  let used = false;
  return {
    ...onCard,
    signDigest: async (digest) => {
      if (used) throw new CardSignerError('PIN_REQUIRED', 'The PIN was given for one signature; enter it again to sign again.');
      used = true;
      try {
        if (secret === undefined) {
          onPinPad?.();
          await session.verifyPinOnReader();
        } else {
          await session.verifyPin(secret);
        }
      } finally {
        secret = undefined;
      }
      return onCard.signDigest(digest);
    },
  };
}
