/**
 * PIV attestation as a YubiKey does it (Yubico's "PIV attestation"): slot F9 holds an
 * attestation key and its certificate, and ATTEST makes a certificate for a key generated in
 * a slot, signed by F9, that carries the key's firmware version, serial, PIN and touch policy
 * and form factor in Yubico's extensions. A real key's F9 certificate is issued by Yubico's
 * CA; a virtual key's is its own, self-signed, so that nobody takes it for a real YubiKey.
 */
import { createPrivateKey, createPublicKey, webcrypto, X509Certificate, type KeyObject } from 'node:crypto';
import { Checker, newKey } from './cardImage.ts';

/** What the image keeps of slot F9. */
export interface AttestationKey {
  /** PKCS#8 DER, base64 (P-256). */
  privateKeyPkcs8: string;
  /** X.509 DER, base64. */
  certificate: string;
}

/** Yubico's PIV attestation extensions (1.3.6.1.4.1.41482.3.x). */
const YUBICO_OID = {
  firmware: '1.3.6.1.4.1.41482.3.3',
  serial: '1.3.6.1.4.1.41482.3.7',
  policy: '1.3.6.1.4.1.41482.3.8',
  formFactor: '1.3.6.1.4.1.41482.3.9',
} as const;

const VALIDITY_YEARS = 20;

/** A new F9 key with its self-signed CA certificate naming the key's serial. */
export async function createAttestationKey(serial: number): Promise<AttestationKey> {
  const { buildCertificate, extension, KEY_CERT_SIGN, keyUsage, name, OID, randomSerial } = await import('../pki/index.ts');
  const asn1js = await import('asn1js');
  const pkijs = await import('pkijs');
  const privateKey = await newKey('p256');
  const notBefore = new Date();
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + VALIDITY_YEARS);
  const der = await buildCertificate({
    serial: randomSerial(),
    subject: name([[OID.commonName, `ekort virtual YubiKey PIV Attestation ${serial}`]]),
    spki: new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' })),
    notBefore,
    notAfter,
    extensions: [
      extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: true, pathLenConstraint: 0 }).toSchema()),
      extension(OID.keyUsage, true, keyUsage(KEY_CERT_SIGN)),
      new pkijs.Extension({ extnID: YUBICO_OID.serial, critical: false, extnValue: new asn1js.Integer({ value: serial }).toBER(false) }),
    ],
    selfKey: await signingKey(privateKey),
  });
  return { privateKeyPkcs8: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'), certificate: Buffer.from(der).toString('base64') };
}

/** Checks an image's F9 entry: a P-256 key and a certificate for it. */
export function checkAttestationKey(value: unknown, source: string): AttestationKey {
  const c = new Checker(source);
  const o = c.object(value, 'attestation', ['privateKeyPkcs8', 'certificate']);
  const pkcs8 = c.base64(o.privateKeyPkcs8, 'attestation.privateKeyPkcs8');
  const der = c.base64(o.certificate, 'attestation.certificate');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  } catch {
    return c.fail('attestation.privateKeyPkcs8', 'is not a PKCS#8 private key');
  }
  if (key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') c.fail('attestation.privateKeyPkcs8', 'must be a P-256 key');
  let certifies = false;
  try {
    certifies = new X509Certificate(der).checkPrivateKey(key);
  } catch {
    c.fail('attestation.certificate', 'is not a DER X.509 certificate');
  }
  if (!certifies) c.fail('attestation.certificate', 'does not certify the attestation key');
  return { privateKeyPkcs8: o.privateKeyPkcs8 as string, certificate: o.certificate as string };
}

export interface AttestedKey {
  slot: string;
  publicKey: KeyObject;
  firmware: readonly number[];
  serial: number;
  /** Yubico's numbers: PIN policy (1 never, 2 once, 3 always), touch policy (1 never). */
  pinPolicy: number;
  touchPolicy: number;
  formFactor: number;
}

/** The attestation certificate for a generated key, signed by F9, valid as long as F9's own. */
export async function attestationCertificate(f9: AttestationKey, attested: AttestedKey): Promise<Uint8Array> {
  const { buildCertificate, name, OID, randomSerial, keyIdentifier } = await import('../pki/index.ts');
  const asn1js = await import('asn1js');
  const pkijs = await import('pkijs');
  const issuerDer = Buffer.from(f9.certificate, 'base64');
  const issuerCert = pkijs.Certificate.fromBER(new Uint8Array(issuerDer));
  const x509 = new X509Certificate(issuerDer);
  const raw = (extnID: string, bytes: number[]) => new pkijs.Extension({ extnID, critical: false, extnValue: Uint8Array.from(bytes).buffer });
  const der = await buildCertificate({
    serial: randomSerial(),
    subject: name([[OID.commonName, `YubiKey PIV Attestation ${attested.slot}`]]),
    spki: new Uint8Array(attested.publicKey.export({ format: 'der', type: 'spki' })),
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    extensions: [
      raw(YUBICO_OID.firmware, [...attested.firmware]),
      new pkijs.Extension({ extnID: YUBICO_OID.serial, critical: false, extnValue: new asn1js.Integer({ value: attested.serial }).toBER(false) }),
      raw(YUBICO_OID.policy, [attested.pinPolicy, attested.touchPolicy]),
      raw(YUBICO_OID.formFactor, [attested.formFactor]),
    ],
    issuer: {
      subject: issuerCert.subject,
      keyId: keyIdentifier(issuerCert.subjectPublicKeyInfo),
      notAfter: new Date(x509.validTo),
      key: await signingKey(createPrivateKey({ key: Buffer.from(f9.privateKeyPkcs8, 'base64'), format: 'der', type: 'pkcs8' })),
    },
  });
  return der;
}

function signingKey(privateKey: KeyObject): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey('pkcs8', privateKey.export({ format: 'der', type: 'pkcs8' }), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
}
