import { X509Certificate, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessTransport } from '../../../src/pcsc/inProcessTransport.ts';
import { PivSession } from '../../../src/piv/pivSession.ts';
import { verifyLoginSignature } from '../../../src/pki/cmsVerifier.ts';
import { pivSigner } from '../../../src/piv/pivSigner.ts';
import { signChallenge } from '../../../src/pki/loginSignature.ts';
import { pemToDer } from '../../../src/pki/pem.ts';
import { initTestPki, issueCardCertificate, issuerFor, loadTestPki, normalizeSerial, revokeCertificate, type TestPkiState } from '../../../src/pki/testPki.ts';
import { createCardImage } from '../../../src/virtual/cardImage.ts';
import { VirtualPivCard } from '../../../src/virtual/pivCard.ts';

let dir: string;
const tmp: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'ekort-testpki-'));
  tmp.push(d);
  return d;
};
const cert = (name: string) => new X509Certificate(readFileSync(path.join(dir, name)));
const state = (): TestPkiState => JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8'));
const spkiOf = (type: 'rsa' | 'ec' | 'ed25519') => {
  const { publicKey } =
    type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('ed25519');
  return new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
};
const extensionsOf = (der: Uint8Array) => pkijs.Certificate.fromBER(new Uint8Array(der)).extensions ?? [];
const crlOf = (name: string) => pkijs.CertificateRevocationList.fromBER(new Uint8Array(pemToDer(readFileSync(path.join(dir, name), 'utf8'), 'X509 CRL')));

beforeAll(async () => {
  dir = tempDir();
  await initTestPki(dir, { bankName: 'Testbanken' });
});
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

describe('initTestPki', () => {
  it('writes a root CA and two issuing CAs under it, keys 0600', () => {
    expect(readdirSync(dir).sort()).toEqual(
      ['issuing-ec.crl.pem', 'issuing-ec.key.pem', 'issuing-ec.pem', 'issuing-rsa.crl.pem', 'issuing-rsa.key.pem', 'issuing-rsa.pem', 'root.key.pem', 'root.pem', 'state.json'].sort(),
    );
    for (const key of ['root.key.pem', 'issuing-rsa.key.pem', 'issuing-ec.key.pem']) expect(statSync(path.join(dir, key)).mode & 0o777).toBe(0o600);
    const root = cert('root.pem');
    expect(root.ca).toBe(true);
    expect(root.subject).toContain('CN=Testbanken Root CA');
    expect(root.verify(root.publicKey)).toBe(true);
    expect(root.publicKey.asymmetricKeyDetails?.modulusLength).toBe(3072);
    expect(new Date(root.validTo).getUTCFullYear() - new Date().getUTCFullYear()).toBe(20);
    const rsa = cert('issuing-rsa.pem');
    const ec = cert('issuing-ec.pem');
    expect(rsa.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(ec.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    for (const ca of [rsa, ec]) {
      expect(ca.ca).toBe(true);
      expect(ca.verify(root.publicKey)).toBe(true);
      expect(ca.checkIssued(root)).toBe(true);
      const bc = extensionsOf(ca.raw).find((e) => e.extnID === '2.5.29.19')!;
      expect(bc.critical).toBe(true);
      expect((bc.parsedValue as pkijs.BasicConstraints).pathLenConstraint).toBe(0);
      const ku = extensionsOf(ca.raw).find((e) => e.extnID === '2.5.29.15')!;
      expect(ku.critical).toBe(true);
      expect(Buffer.from((ku.parsedValue as asn1js.BitString).valueBlock.valueHexView).toString('hex')).toBe('06'); // keyCertSign, cRLSign
    }
    expect(state()).toEqual({ issued: [], revoked: [], crlNumber: { 'issuing-rsa': 1, 'issuing-ec': 1 } });
  });

  it('writes an empty CRL for each issuing CA, valid for 7 days', () => {
    for (const ca of ['issuing-rsa', 'issuing-ec']) {
      const crl = crlOf(`${ca}.crl.pem`);
      expect(crl.revokedCertificates ?? []).toHaveLength(0);
      expect(Buffer.from(crl.issuer.toSchema().toBER(false))).toEqual(Buffer.from(pkijs.Certificate.fromBER(new Uint8Array(cert(`${ca}.pem`).raw)).subject.toSchema().toBER(false)));
      expect(crl.nextUpdate!.value.getTime() - crl.thisUpdate.value.getTime()).toBe(7 * 86_400_000);
    }
  });

  it('refuses to overwrite a PKI without force', async () => {
    await expect(initTestPki(dir)).rejects.toMatchObject({ code: 'PKI_DIR_EXISTS' });
  });

  it('loadTestPki returns the DER material, and PKI_DIR_INVALID for a directory without one', async () => {
    const pki = await loadTestPki(dir);
    expect(Buffer.from(pki.root)).toEqual(cert('root.pem').raw);
    expect(pki.intermediates).toHaveLength(2);
    expect(pki.crls).toHaveLength(2);
    await expect(loadTestPki(tempDir())).rejects.toMatchObject({ code: 'PKI_DIR_INVALID' });
    await expect(issueCardCertificate(tempDir(), { publicKeySpki: spkiOf('ec'), commonName: 'X' })).rejects.toMatchObject({ code: 'PKI_DIR_INVALID' });
  });
});

describe('issueCardCertificate', () => {
  it.each([
    ['rsa', 'issuing-rsa'],
    ['ec', 'issuing-ec'],
  ] as const)('issues a %s key under %s, changing only state.json', async (type, ca) => {
    const before = Object.fromEntries(readdirSync(dir).filter((f) => f !== 'state.json').map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
    const der = await issueCardCertificate(dir, { publicKeySpki: spkiOf(type), commonName: 'Anna Andersson', personnummer: '199001012385' });
    const after = Object.fromEntries(readdirSync(dir).filter((f) => f !== 'state.json').map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
    expect(after).toEqual(before);

    const x = new X509Certificate(der);
    const issuer = cert(`${ca}.pem`);
    expect(x.checkIssued(issuer)).toBe(true);
    expect(x.verify(issuer.publicKey)).toBe(true);
    expect(x.ca).toBe(false);
    expect(x.subject.split('\n')).toEqual(['C=SE', 'serialNumber=199001012385', 'CN=Anna Andersson']);
    const days = (new Date(x.validTo).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(729);
    expect(days).toBeLessThan(731);
    const extensions = extensionsOf(x.raw);
    const ku = extensions.find((e) => e.extnID === '2.5.29.15')!;
    expect(ku.critical).toBe(true);
    expect(Buffer.from((ku.parsedValue as asn1js.BitString).valueBlock.valueHexView).toString('hex')).toBe('80');
    expect((extensions.find((e) => e.extnID === '2.5.29.37')!.parsedValue as pkijs.ExtKeyUsage).keyPurposes).toEqual(['1.3.6.1.5.5.7.3.2']);
    const aki = extensions.find((e) => e.extnID === '2.5.29.35')!.parsedValue as pkijs.AuthorityKeyIdentifier;
    const issuerSki = extensionsOf(issuer.raw).find((e) => e.extnID === '2.5.29.14')!.parsedValue as asn1js.OctetString;
    expect(Buffer.from(aki.keyIdentifier!.valueBlock.valueHexView)).toEqual(Buffer.from(issuerSki.valueBlock.valueHexView));
    expect(extensions.some((e) => e.extnID === '2.5.29.14')).toBe(true);

    const serial = normalizeSerial(x.serialNumber);
    expect(parseInt(serial[0]!, 16)).toBeLessThan(8); // positive
    expect(state().issued).toContainEqual({ issuer: ca, serial, commonName: 'Anna Andersson' });
  });

  it('gives every certificate its own serial and honours days', async () => {
    const a = new X509Certificate(await issueCardCertificate(dir, { publicKeySpki: spkiOf('ec'), commonName: 'A', days: 30 }));
    const b = new X509Certificate(await issueCardCertificate(dir, { publicKeySpki: spkiOf('ec'), commonName: 'B' }));
    expect(a.serialNumber).not.toBe(b.serialNumber);
    expect(a.subject).toBe('C=SE\nCN=A');
    expect(Math.round((new Date(a.validTo).getTime() - Date.now()) / 86_400_000)).toBe(30);
  });

  it('refuses keys other than RSA and P-256', async () => {
    await expect(issueCardCertificate(dir, { publicKeySpki: spkiOf('ed25519'), commonName: 'X' })).rejects.toMatchObject({ code: 'UNSUPPORTED_KEY' });
    await expect(issueCardCertificate(dir, { publicKeySpki: randomBytes(40), commonName: 'X' })).rejects.toMatchObject({ code: 'UNSUPPORTED_KEY' });
  });
});

describe('revokeCertificate', () => {
  it('lists the serial on the issuing CA CRL only, with a higher CRL number', async () => {
    const der = await issueCardCertificate(dir, { publicKeySpki: spkiOf('rsa'), commonName: 'Revoked' });
    const serial = new X509Certificate(der).serialNumber;
    const ecCrlBefore = readFileSync(path.join(dir, 'issuing-ec.crl.pem'), 'utf8');
    const entry = await revokeCertificate(dir, serial.match(/../g)!.join(':'));
    expect(entry).toMatchObject({ issuer: 'issuing-rsa', serial: normalizeSerial(serial) });
    const crl = crlOf('issuing-rsa.crl.pem');
    expect(crl.revokedCertificates!.map((r) => Buffer.from(r.userCertificate.valueBlock.valueHexView).toString('hex'))).toEqual([normalizeSerial(serial)]);
    const number = crl.crlExtensions!.extensions.find((e) => e.extnID === '2.5.29.20')!.parsedValue as asn1js.Integer;
    expect(number.valueBlock.valueDec).toBe(2);
    expect(readFileSync(path.join(dir, 'issuing-ec.crl.pem'), 'utf8')).toBe(ecCrlBefore);
    expect(state().revoked).toEqual([entry]);
    expect(state().crlNumber['issuing-rsa']).toBe(2);
  });

  it('UNKNOWN_SERIAL for a serial this PKI never issued or that is not hex', async () => {
    await expect(revokeCertificate(dir, '0123abcd')).rejects.toMatchObject({ code: 'UNKNOWN_SERIAL' });
    await expect(revokeCertificate(dir, 'xyz')).rejects.toMatchObject({ code: 'UNKNOWN_SERIAL' });
  });
});

describe('with createCardImage, signChallenge and verifyLoginSignature', () => {
  it.each(['rsa2048', 'p256'] as const)('a %s card issued by the PKI signs a login the verifier accepts until revoked', async (keyType) => {
    const d = tempDir();
    await initTestPki(d);
    const image = await createCardImage({ keyType, name: 'Anna Andersson', personnummer: '199001012385', issue: issuerFor(d) });
    const session = await PivSession.open(new InProcessTransport(new VirtualPivCard(image)));
    const signer = await pivSigner(session, '9a');
    await session.verifyPin('123456');
    const challenge = randomBytes(32);
    const cms = await signChallenge(challenge, signer);
    const trust = async () => {
      const pki = await loadTestPki(d);
      return { trustAnchors: [pki.root], intermediates: pki.intermediates, crls: pki.crls };
    };
    const ok = await verifyLoginSignature({ cms, challenge, ...(await trust()) });
    expect(ok.signer.subject.personnummer).toBe('199001012385');
    await expect(verifyLoginSignature({ cms, challenge: randomBytes(32), ...(await trust()) })).rejects.toMatchObject({ code: 'WRONG_CHALLENGE' });
    await revokeCertificate(d, new X509Certificate(signer.certificate).serialNumber);
    await expect(verifyLoginSignature({ cms, challenge, ...(await trust()) })).rejects.toMatchObject({ code: 'CERT_REVOKED' });
  });
});
