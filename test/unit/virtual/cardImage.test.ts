import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIRTUAL_PIV_ATR } from '../../../src/iso7816/cardIdentification.ts';
import { isValidPersonnummer } from '../../../src/identity/index.ts';
import { toHex } from '../../../src/iso7816/hex.ts';
import {
  createCardImage,
  loadCardImage,
  saveCardImage,
  validateCardImage,
  type CardImage,
} from '../../../src/virtual/cardImage.ts';
import type { CertificateSubject } from '../../../src/pki/index.ts';
import { thrown } from '../../support/failures.ts';

function certificate(image: CardImage, slot: '9a' | '9c'): X509Certificate {
  return new X509Certificate(Buffer.from(image.slots[slot]!.certificate!, 'base64'));
}

let p256: CardImage;
let rsa: CardImage;
let dir: string;

beforeAll(async () => {
  [p256, rsa] = await Promise.all([
    createCardImage({ name: 'Tolvan Tolvansson', personnummer: '191212121212' }),
    createCardImage({ name: 'Åsa Öberg', keyType: 'rsa2048', pin: '24681357', puk: '87654321' }),
  ]);
  dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-image-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('isValidPersonnummer', () => {
  it('accepts real dates with the Luhn digit over the 10-digit form, and samordningsnummer', () => {
    expect(isValidPersonnummer('191212121212')).toBe(true);
    expect(isValidPersonnummer('200002291235')).toBe(true); // 29 February 2000
    expect(isValidPersonnummer('197010632391')).toBe(true); // samordningsnummer: day 03 + 60
  });

  it('refuses a wrong check digit, an impossible date, and other shapes', () => {
    expect(isValidPersonnummer('191212121213')).toBe(false);
    expect(isValidPersonnummer('190002291235')).toBe(false); // 1900 was no leap year: same digits, no such day
    expect(isValidPersonnummer('191213121212')).toBe(false); // month 13
    expect(isValidPersonnummer('1212121212')).toBe(false); // 10 digits
    expect(isValidPersonnummer('19121212-1212')).toBe(false);
  });
});

describe('createCardImage', () => {
  it('defaults: P-256 keys in 9A and 9C, no 9E, PIN 123456, PUK 12345678, three tries each', () => {
    expect(p256).toMatchObject({
      version: 1,
      holder: { name: 'Tolvan Tolvansson', personnummer: '191212121212' },
      atr: toHex(VIRTUAL_PIV_ATR),
      pin: '123456',
      puk: '12345678',
      pinTriesLeft: 3,
      pukTriesLeft: 3,
      pinMaxTries: 3,
      pukMaxTries: 3,
    });
    expect(Object.keys(p256.slots)).toEqual(['9a', '9c']);
    expect(p256.slots['9a']!.keyType).toBe('p256');
    expect(p256.chuid.guid).toMatch(/^[0-9a-f]{32}$/);
    expect(p256.slots['9a']!.privateKeyPkcs8).not.toBe(p256.slots['9c']!.privateKeyPkcs8);
  });

  it('issues self-signed certificates: CN, serialNumber, C=SE; critical digitalSignature; clientAuth; two years', () => {
    for (const slot of ['9a', '9c'] as const) {
      const cert = certificate(p256, slot);
      expect(cert.subject.split('\n')).toEqual(['C=SE', 'serialNumber=191212121212', 'CN=Tolvan Tolvansson']);
      expect(cert.issuer).toBe(cert.subject);
      expect(cert.verify(cert.publicKey)).toBe(true);
      expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']); // Node names the EKU list keyUsage
      const parsed = pkijs.Certificate.fromBER(cert.raw);
      const keyUsage = parsed.extensions!.find((e) => e.extnID === '2.5.29.15')!;
      expect(keyUsage.critical).toBe(true);
      expect(toHex(new Uint8Array(keyUsage.extnValue.valueBlock.valueHexView))).toBe('03020780'); // digitalSignature only
      const years = (new Date(cert.validTo).getTime() - new Date(cert.validFrom).getTime()) / (365.25 * 86_400_000);
      expect(years).toBeGreaterThan(1.99);
      expect(years).toBeLessThan(2.01);
      const key = createPrivateKey({ key: Buffer.from(p256.slots[slot]!.privateKeyPkcs8, 'base64'), format: 'der', type: 'pkcs8' });
      expect(cert.checkPrivateKey(key)).toBe(true);
      expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    }
    expect(p256.chuid.expires).toBe(new Date(certificate(p256, '9a').validTo).toISOString().slice(0, 10).replace(/-/g, ''));
  });

  it('makes RSA-2048 keys on request and writes a non-ASCII name as UTF8String', () => {
    const cert = certificate(rsa, '9a');
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(cert.subject.split('\n')).toEqual(['C=SE', 'CN=Åsa Öberg']);
    expect(rsa.holder).toEqual({ name: 'Åsa Öberg' });
    expect([rsa.pin, rsa.puk]).toEqual(['24681357', '87654321']);
  });

  it('lets a CA issue the certificates, and refuses one for another key', async () => {
    const seen: CertificateSubject[] = [];
    const image = await createCardImage({
      name: 'Ca Kund',
      personnummer: '191212121212',
      issue: async (spki, subject) => {
        seen.push(subject);
        return signedBy(spki, subject.commonName);
      },
    });
    expect(seen).toEqual([
      { commonName: 'Ca Kund', serialNumber: '191212121212', country: 'SE', slot: '9a' },
      { commonName: 'Ca Kund', serialNumber: '191212121212', country: 'SE', slot: '9c' },
    ]);
    expect(certificate(image, '9a').issuer).toBe('CN=Test CA');

    const other = createPublicKey(createPrivateKey({ key: Buffer.from(p256.slots['9a']!.privateKeyPkcs8, 'base64'), format: 'der', type: 'pkcs8' }));
    const otherSpki = new Uint8Array(other.export({ format: 'der', type: 'spki' }));
    const error = await thrown(() => createCardImage({ issue: () => signedBy(otherSpki, 'x') }));
    expect(error).toMatchObject({ code: 'CERTIFICATE_MISMATCH' });
  });

  it('refuses invalid options with CARD_IMAGE_INVALID naming the field', async () => {
    for (const [options, field] of [
      [{ personnummer: '191212121213' }, 'personnummer'],
      [{ pin: '12345' }, 'pin'],
      [{ pin: '123456789' }, 'pin'],
      [{ pin: '12a456' }, 'pin'],
      [{ puk: '1234567' }, 'puk'],
      [{ name: '  ' }, 'name'],
      [{ atr: 'xyz' }, 'atr'],
    ] as const) {
      expect(await thrown(() => createCardImage(options))).toMatchObject({ code: 'CARD_IMAGE_INVALID', field });
    }
  });
});

/** A certificate for `spki` signed by a throwaway CA (pkijs, as a CA outside this card would). */
async function signedBy(spki: Uint8Array, commonName: string): Promise<Uint8Array> {
  const ca = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
  const cn = (value: string) =>
    new pkijs.RelativeDistinguishedNames({ typesAndValues: [new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value }) })] });
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ value: 1 });
  cert.subject = cn(commonName);
  cert.issuer = cn('Test CA');
  cert.notBefore.value = new Date();
  cert.notAfter.value = new Date(Date.now() + 86_400_000);
  cert.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(Uint8Array.from(spki));
  await cert.sign(ca.privateKey, 'SHA-256', new pkijs.CryptoEngine({ name: 'test', crypto }));
  return new Uint8Array(cert.toSchema(true).toBER(false));
}

describe('saveCardImage / loadCardImage', () => {
  it('round-trips the image in a 0600 file and leaves no temp file behind', async () => {
    const file = path.join(dir, 'card.json');
    await saveCardImage(file, p256);
    await saveCardImage(file, { ...p256, pinTriesLeft: 1 }); // replaces the existing file
    expect(await loadCardImage(file)).toEqual({ ...p256, pinTriesLeft: 1 });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).filter((n) => n.includes('card.json'))).toEqual(['card.json']);
  });

  it('says CARD_IMAGE_NOT_FOUND for a missing file and CARD_IMAGE_WRITE_FAILED for a missing directory', async () => {
    expect(await thrown(() => loadCardImage(path.join(dir, 'nope.json')))).toMatchObject({ code: 'CARD_IMAGE_NOT_FOUND' });
    expect(await thrown(() => saveCardImage(path.join(dir, 'no', 'card.json'), p256))).toMatchObject({ code: 'CARD_IMAGE_WRITE_FAILED' });
  });

  it('refuses a file that is not JSON, or truncated', async () => {
    const file = path.join(dir, 'broken.json');
    await writeFile(file, '\u0000\u0001garbage');
    expect(await thrown(() => loadCardImage(file))).toMatchObject({ code: 'CARD_IMAGE_INVALID', path: file });
    const text = JSON.stringify(p256);
    await writeFile(file, text.slice(0, text.length - 10));
    expect(await thrown(() => loadCardImage(file))).toMatchObject({ code: 'CARD_IMAGE_INVALID' });
  });

  it('names the field of a hand-edited image, and never quotes the PIN', async () => {
    const file = path.join(dir, 'edited.json');
    const s9a = p256.slots['9a']!;
    const s9c = p256.slots['9c']!;
    const cases: [unknown, string][] = [
      [{ ...p256, version: 2 }, 'version'],
      [{ ...p256, pin: 'hemligt' }, 'pin'],
      [{ ...p256, puk: 1234 }, 'puk'],
      [{ ...p256, pinTriesLeft: 4 }, 'pinTriesLeft'],
      [{ ...p256, pukTriesLeft: -1 }, 'pukTriesLeft'],
      [{ ...p256, pinMaxTries: 16 }, 'pinMaxTries'],
      [{ ...p256, pinTriesleft: 3 }, 'pinTriesleft'],
      [{ ...p256, atr: '3b8f80zz' }, 'atr'],
      [{ ...p256, holder: { name: 'X', personnummer: '191212121213' } }, 'holder.personnummer'],
      [{ ...p256, chuid: { guid: 'abc', expires: '20300101' } }, 'chuid.guid'],
      [{ ...p256, slots: { '9d': s9a } }, 'slots.9d'],
      [{ ...p256, slots: { '9a': { ...s9a, keyType: 'rsa2048' } } }, 'slots.9a.privateKeyPkcs8'],
      [{ ...p256, slots: { '9a': { ...s9a, keyType: 'ed25519' } } }, 'slots.9a.keyType'],
      [{ ...p256, slots: { '9a': { ...s9a, certificate: s9c.certificate } } }, 'slots.9a.certificate'],
      [{ ...p256, slots: { '9a': { ...s9a, certificate: 'bm90IGEgY2VydA==' } } }, 'slots.9a.certificate'],
      [{ ...p256, slots: { '9a': { ...s9a, privateKeyPkcs8: 'not base64!' } } }, 'slots.9a.privateKeyPkcs8'],
      [{ ...p256, slots: { '9a': { ...s9a, compressCertificate: 'yes' } } }, 'slots.9a.compressCertificate'],
      [{ ...p256, slots: { '9a': { ...s9a, generated: false } } }, 'slots.9a.generated'],
      [{ ...p256, managementKey: { algorithm: 'des', key: '00' } }, 'managementKey.algorithm'],
      [{ ...p256, managementKey: { algorithm: 'aes128', key: '0011223344556677' } }, 'managementKey.key'],
      [{ ...p256, managementKey: { algorithm: 'tdes', key: 'hemligt' } }, 'managementKey.key'],
      [{ ...p256, managementKey: null }, 'managementKey'],
      [{ ...p256, objects: null }, 'objects'],
      [{ ...p256, objects: { '7e': 'AQ==' } }, 'objects.7e'],
      [{ ...p256, objects: { '5fc105': 'AQ==' } }, 'objects.5fc105'],
      [{ ...p256, objects: { '5fff00': '' } }, 'objects.5fff00'],
      [{ ...p256, objects: { '5fff00': Buffer.alloc(3053).toString('base64') } }, 'objects.5fff00'],
      [{ ...p256, objects: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`5ffe${(0x10 + i).toString(16)}`, Buffer.alloc(3052).toString('base64')])) }, 'objects'],
      [[], ''],
    ];
    for (const [value, field] of cases) {
      await writeFile(file, JSON.stringify(value));
      const error = await thrown(() => loadCardImage(file));
      expect(error, field).toMatchObject({ code: 'CARD_IMAGE_INVALID', field, path: file });
      expect((error as Error).message).not.toContain('hemligt');
    }
  });

  it('takes a generated key without a certificate, an administration key and written objects', () => {
    const { certificate: _, ...keyOnly } = p256.slots['9a']!;
    const image = { ...p256, slots: { '9a': { ...keyOnly, generated: true } }, managementKey: { algorithm: 'aes256', key: 'AB'.repeat(32) }, objects: { '5fc109': 'iAF/' } };
    expect(validateCardImage(JSON.parse(JSON.stringify(image)))).toEqual({ ...image, managementKey: { algorithm: 'aes256', key: 'ab'.repeat(32) } });
  });

  it('validateCardImage accepts what createCardImage makes and copies it', () => {
    const copy = validateCardImage(JSON.parse(JSON.stringify(rsa)));
    expect(copy).toEqual(rsa);
    expect(copy).not.toBe(rsa);
  });

  it('keeps the file readable as plain JSON', async () => {
    const file = path.join(dir, 'plain.json');
    await saveCardImage(file, rsa);
    const text = await readFile(file, 'utf8');
    expect(JSON.parse(text)).toEqual(rsa);
    expect(text.endsWith('\n')).toBe(true);
  });
});
