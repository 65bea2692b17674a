/**
 * BankID på fil as a CardSigner: the login challenge is signed with the key in a PKCS #12
 * file, in the same CMS as a card's (loginSignature.ts signChallenge).
 *
 * The password is checked against the file's MAC when the signer is opened (a wrong one is
 * counted, see fileAttempts.ts); the private key is decrypted only inside the one signature
 * and dropped right after: no KeyObject and no password outlive it. The file is only read.
 */
import { constants, createPrivateKey, createPublicKey, privateEncrypt, sign, type KeyObject } from 'node:crypto';
import type { CertificateInfo } from './certificate.ts';
import { digestInfo } from './digestInfo.ts';
import { FileCredentialError, type PasswordAttempts } from './fileAttempts.ts';
import { credentialError, credentialId, endEntityCertificate, holderOf, parseCredential, readCredentialFile, type FileCredentialHolder } from './fileCredential.ts';
import { CardSignerError, certificateKeyType, type CardSigner } from './loginSignature.ts';
import { decryptBags, decryptShroudedKey, Pkcs12DecryptError, Pkcs12Error, pfxPasswordMatches, type SafeBag } from './pkcs12.ts';

export interface FileSigner extends CardSigner {
  /** The credential's id (SHA-256 of the file). */
  id: string;
  holder: FileCredentialHolder;
  signData(data: Uint8Array): Promise<Uint8Array>;
}

export interface OpenFileSignerOptions {
  file: string;
  password: string;
  attempts: PasswordAttempts;
}

/** The bag's key; a shrouded one decrypted with PBKDF2 off the event loop (pkcs12.ts). */
async function decryptKey(bag: SafeBag, password: string): Promise<KeyObject> {
  if (bag.kind === 'key') return createPrivateKey({ key: Buffer.from(bag.value), format: 'der', type: 'pkcs8' });
  const pkcs8 = await decryptShroudedKey(bag.value, password);
  try {
    return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  } finally {
    pkcs8.fill(0);
  }
}

function sameKey(key: KeyObject, cert: CertificateInfo): boolean {
  const a = createPublicKey(key).export({ format: 'der', type: 'spki' });
  const b = cert.publicKey.export({ format: 'der', type: 'spki' });
  return a.equals(b);
}

/** The key bag for `cert`: by localKeyId, else the only key in the file. */
function keyBagFor(bags: SafeBag[], certBagId: string | undefined): SafeBag | undefined {
  const keys = bags.filter((b) => b.kind !== 'certificate');
  if (certBagId !== undefined) {
    const match = keys.find((k) => k.localKeyId === certBagId);
    if (match) return match;
  }
  return keys.length === 1 ? keys[0] : undefined;
}

/**
 * Opens the credential in `file` with `password` for one signature. Throws FILE_CREDENTIAL_LOCKED
 * (before anything else), PASSWORD_INCORRECT with `triesLeft`, FILE_CREDENTIAL_INVALID or
 * FILE_CREDENTIAL_UNSUPPORTED.
 */
export async function openFileSigner(options: OpenFileSignerOptions): Promise<FileSigner> {
  const { file, attempts } = options;
  const bytes = await readCredentialFile(file);
  const id = credentialId(bytes);
  await attempts.assertUsable(id);
  const pfx = parseCredential(bytes, file);

  let bags: SafeBag[];
  const macOk = await pfxPasswordMatches(pfx, options.password);
  if (macOk === false) throw await attempts.failed(id);
  try {
    bags = await decryptBags(pfx, options.password);
  } catch (error) {
    if (error instanceof Pkcs12DecryptError && macOk === undefined) throw await attempts.failed(id);
    if (error instanceof Pkcs12Error) throw credentialError(error, file);
    throw new FileCredentialError('FILE_CREDENTIAL_INVALID', 'The BankID på fil is damaged: its contents do not decrypt', { cause: error });
  }

  const cert = endEntityCertificate(bags);
  if (!cert) throw new FileCredentialError('FILE_CREDENTIAL_INVALID', 'The file holds no certificate to log in with');
  const certBag = bags.find((b) => b.kind === 'certificate' && Buffer.from(b.value).equals(Buffer.from(cert.der)));
  const keyBag = keyBagFor(bags, certBag?.localKeyId);
  if (!keyBag) throw new FileCredentialError('FILE_CREDENTIAL_INVALID', 'The file holds no private key for its certificate');
  let keyType: CardSigner['keyType'];
  try {
    keyType = certificateKeyType(cert.der);
  } catch (error) {
    throw new FileCredentialError('FILE_CREDENTIAL_UNSUPPORTED', (error as Error).message, { cause: error });
  }

  if (macOk === undefined) {
    // No MAC to check the password against: the key's decryption is the check.
    try {
      await decryptKey(keyBag, options.password);
    } catch (error) {
      if (error instanceof Pkcs12Error) throw credentialError(error, file);
      throw await attempts.failed(id);
    }
  }
  await attempts.succeeded(id);

  let password: string | undefined = options.password;
  /** Decrypts the key for this one signature, checks it is the certificate's, signs, forgets. */
  const once = async (signWith: (key: KeyObject) => Buffer): Promise<Uint8Array> => {
    if (password === undefined) throw new CardSignerError('PASSWORD_REQUIRED', 'The password was given for one signature; enter it again to sign again.');
    const secret = password;
    password = undefined;
    // The KeyObject lives in this scope only: nothing refers to it once the signature is made.
    let key: KeyObject;
    try {
      key = await decryptKey(keyBag, secret);
    } catch (error) {
      throw new FileCredentialError('FILE_CREDENTIAL_INVALID', 'The private key in the file does not decrypt', { cause: error });
    }
    if (!sameKey(key, cert)) throw new FileCredentialError('FILE_CREDENTIAL_MISMATCH', "The private key in the file is not the certificate's key: the file is damaged");
    return new Uint8Array(signWith(key));
  };

  return {
    id,
    holder: holderOf(cert),
    certificate: new Uint8Array(cert.der),
    keyType,
    async signData(data) {
      return once((key) => sign('sha256', data, key));
    },
    async signDigest(digest) {
      if (keyType !== 'rsa2048') {
        // Node signs only messages it hashes itself; ECDSA over a ready digest is signData's job.
        throw new CardSignerError('UNSUPPORTED_KEY', 'An EC BankID på fil signs messages (signData), not ready digests');
      }
      return once((key) => privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, digestInfo('sha256', digest)));
    },
  };
}
