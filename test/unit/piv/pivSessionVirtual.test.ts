import { X509Certificate, createHash, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InProcessTransport } from '../../../src/pcsc/inProcessTransport.ts';
import { PivSession, pinGuardedSigner } from '../../../src/piv/index.ts';
import { digestInfo } from '../../../src/pki/index.ts';
import { createCardImage, validateCardImage, type CardImage, type PivKeyType } from '../../../src/virtual/cardImage.ts';
import { VirtualPivCard } from '../../../src/virtual/pivCard.ts';
import { ATRS } from './pivFixtureText.ts';

const images = new Map<PivKeyType, Promise<CardImage>>();
const imageOf = (keyType: PivKeyType): Promise<CardImage> => {
  if (!images.has(keyType)) images.set(keyType, createCardImage({ keyType, name: 'Test Testsson' }));
  return images.get(keyType)!;
};

/** A card of its own (the card writes its counters and PIN into its image). */
const freshCard = async (keyType: PivKeyType): Promise<VirtualPivCard> => new VirtualPivCard(structuredClone(await imageOf(keyType)));

/** The image with another ATR and, optionally, gzip-compressed certificates. */
function variant(image: CardImage, atr: string | undefined, compress: boolean): CardImage {
  const copy = structuredClone(image);
  if (atr) copy.atr = atr.replace(/ /g, '');
  for (const slot of Object.values(copy.slots)) if (slot) slot.compressCertificate = compress;
  return validateCardImage(copy);
}

const message = new TextEncoder().encode('BankID login challenge');
const sha256 = new Uint8Array(createHash('sha256').update(message).digest());

describe.each([
  ['short APDUs (the virtual card ATR)', undefined, false],
  ['extended length, gzip certificates', ATRS.extended, true],
] as const)('PivSession against the virtual PIV card in process: %s', (_name, atr, compress) => {
  it.each(['p256', 'rsa2048'] as const)('selects, reads the 9A certificate, verifies the PIN and signs %s', async (keyType) => {
    const image = variant(await imageOf(keyType), atr, compress);
    const card = new VirtualPivCard(image);
    const session = await PivSession.open(new InProcessTransport(card));
    expect(session.extendedLength).toBe(atr !== undefined);

    const der = await session.readCertificate('9a');
    expect(Buffer.from(der!).toString('base64')).toBe(image.slots['9a']!.certificate);
    const certificate = new X509Certificate(der!);

    expect(await session.pinStatus()).toEqual({ verified: false, retriesLeft: 3, blocked: false });
    await expect(session.sign('9a', keyType, keyType === 'p256' ? sha256 : digestInfo('sha256', sha256))).rejects.toMatchObject({
      code: 'PIN_REQUIRED',
    });
    await session.verifyPin('123456');
    expect((await session.pinStatus()).verified).toBe(true);

    const signature = await session.sign('9a', keyType, keyType === 'p256' ? sha256 : digestInfo('sha256', sha256));
    expect(verify('sha256', message, certificate.publicKey, signature)).toBe(true);
  });
});

describe('PivSession against the virtual PIV card: PIN handling', () => {
  it('a wrong PIN costs the card exactly one try, and the right one restores the counter', async () => {
    const card = await freshCard('p256');
    const session = await PivSession.open(new InProcessTransport(card));
    await expect(session.verifyPin('000000')).rejects.toMatchObject({ code: 'PIN_INCORRECT', retriesLeft: 2 });
    expect(card.pinTriesLeft).toBe(2);
    await session.verifyPin('123456');
    expect(card.pinTriesLeft).toBe(3);
  });

  it('9C (PIN Always) signs right after a VERIFY, and not again without one', async () => {
    const session = await PivSession.open(new InProcessTransport(await freshCard('p256')));
    const certificate = new X509Certificate((await session.readCertificate('9c'))!);
    await session.verifyPin('123456');
    const signature = await session.sign('9c', 'p256', sha256);
    expect(verify('sha256', message, certificate.publicKey, signature)).toBe(true);
    await expect(session.sign('9c', 'p256', sha256)).rejects.toMatchObject({ code: 'PIN_REQUIRED' });
  });

  it('forgets a verified PIN on VERIFY P1 FF, without spending a try', async () => {
    const card = await freshCard('p256');
    const session = await PivSession.open(new InProcessTransport(card));
    await session.verifyPin('123456');
    expect(await session.pinStatus()).toEqual({ verified: true, blocked: false });
    await session.resetPinStatus();
    expect(await session.pinStatus()).toMatchObject({ verified: false, blocked: false, retriesLeft: 3 });
    await expect(session.sign('9a', 'p256', sha256)).rejects.toMatchObject({ code: 'PIN_REQUIRED' });
  });

  it('a PIN-guarded signer verifies the PIN once, right before signing, and never again', async () => {
    const card = await freshCard('p256');
    const session = await PivSession.open(new InProcessTransport(card));
    const signer = await pinGuardedSigner(session, '9c', '123456');
    await signer.signDigest(sha256);
    await expect(signer.signDigest(sha256)).rejects.toMatchObject({ code: 'PIN_REQUIRED' }); // the PIN was for one signature
    const wrong = await pinGuardedSigner(session, '9a', '000000');
    await expect(wrong.signDigest(sha256)).rejects.toMatchObject({ code: 'PIN_INCORRECT', retriesLeft: 2 });
    expect(card.pinTriesLeft).toBe(2);
  });

  it('blocks after three wrong PINs and unblocks with the PUK', async () => {
    const card = await freshCard('p256');
    const session = await PivSession.open(new InProcessTransport(card));
    await expect(session.verifyPin('000000')).rejects.toMatchObject({ retriesLeft: 2 });
    await expect(session.verifyPin('000000')).rejects.toMatchObject({ retriesLeft: 1 });
    await expect(session.verifyPin('000000')).rejects.toMatchObject({ code: 'PIN_BLOCKED' });
    expect(await session.pinStatus()).toMatchObject({ verified: false, blocked: true });
    await expect(session.unblockPin('00000000', '654321')).rejects.toMatchObject({ code: 'PUK_INCORRECT', retriesLeft: 2 });
    await session.unblockPin('12345678', '654321');
    await session.verifyPin('654321');
    expect(await session.pinStatus()).toEqual({ verified: true, blocked: false });
  });
});
