/** OCSP responses made by OpenSSL's responder (`openssl ocsp -index`) for the test PKI. */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificate, type CertificateInfo } from '../../../src/pki/certificate.ts';
import { ocspStatus } from '../../../src/pki/ocsp.ts';
import { derToPem, pemToDer } from '../../../src/pki/pem.ts';
import { initTestPki, issueCardCertificate, loadTestPki } from '../../../src/pki/testPki.ts';
import { validateChain } from '../../../src/pki/chainValidation.ts';
import { findExecutable } from '../../support/pcscd.ts';

const haveOpenssl = findExecutable('openssl') !== undefined;
if (!haveOpenssl && process.env.CI === 'true') throw new Error('openssl is missing (CI=true: this test must run)');

const opensslTime = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';

describe.skipIf(!haveOpenssl)('OCSP', () => {
  let dir: string;
  let issuer: CertificateInfo;
  let otherIssuer: CertificateInfo;
  let good: CertificateInfo;
  let revoked: CertificateInfo;

  const respond = (leaf: CertificateInfo, signer = 'issuing-ec'): Uint8Array => {
    const leafPem = path.join(dir, `leaf-${leaf.serialNumber}.pem`);
    writeFileSync(leafPem, derToPem(leaf.der, 'CERTIFICATE'));
    const req = path.join(dir, 'req.der');
    const resp = path.join(dir, 'resp.der');
    execFileSync('openssl', ['ocsp', '-issuer', path.join(dir, 'issuing-ec.pem'), '-cert', leafPem, '-reqout', req, '-no_nonce'], { stdio: 'ignore' });
    execFileSync('openssl', ['ocsp', '-index', path.join(dir, 'index.txt'), '-rsigner', path.join(dir, `${signer}.pem`), '-rkey', path.join(dir, `${signer}.key.pem`), '-CA', path.join(dir, 'issuing-ec.pem'), '-reqin', req, '-respout', resp, '-ndays', '1'], { stdio: 'ignore' });
    return new Uint8Array(readFileSync(resp));
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ekort-ocsp-'));
    await initTestPki(dir);
    const leaf = async (name: string) => {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      return parseCertificate(await issueCardCertificate(dir, { publicKeySpki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })), commonName: name }));
    };
    good = await leaf('Good Holder');
    revoked = await leaf('Revoked Holder');
    issuer = parseCertificate(pemToDer(readFileSync(path.join(dir, 'issuing-ec.pem'), 'utf8'), 'CERTIFICATE'));
    otherIssuer = parseCertificate(pemToDer(readFileSync(path.join(dir, 'issuing-rsa.pem'), 'utf8'), 'CERTIFICATE'));
    const line = (state: 'V' | 'R', c: CertificateInfo) =>
      [state, opensslTime(c.notAfter), state === 'R' ? opensslTime(new Date(Date.now() - 3_600_000)) : '', c.serialNumber.toUpperCase(), 'unknown', `/CN=${c.subject.commonName}`].join('\t');
    writeFileSync(path.join(dir, 'index.txt'), `${line('V', good)}\n${line('R', revoked)}\n`);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads good and revoked from responses the issuing CA signed', () => {
    expect(ocspStatus(respond(good), good, issuer, new Date())).toMatchObject({ status: 'good' });
    expect(ocspStatus(respond(revoked), revoked, issuer, new Date())).toMatchObject({ status: 'revoked' });
  });

  it('says nothing about another certificate, or once the response is out of date', () => {
    const response = respond(good);
    expect(ocspStatus(response, revoked, issuer, new Date())).toBeUndefined();
    expect(ocspStatus(response, good, otherIssuer, new Date())).toBeUndefined();
    expect(ocspStatus(response, good, issuer, new Date(Date.now() + 3 * 86_400_000))).toBeUndefined();
  });

  it('rejects a response signed by someone the issuer did not authorise', () => {
    const forged = respond(revoked, 'issuing-rsa');
    expect(() => ocspStatus(forged, revoked, issuer, new Date())).toThrow(expect.objectContaining({ code: 'OCSP_INVALID' }));
  });

  it('rejects a tampered or malformed response with OCSP_INVALID', () => {
    const response = respond(good);
    // Change a digit of producedAt (the first GeneralizedTime): the signature no longer covers it.
    const tampered = Uint8Array.from(response);
    const at = tampered.findIndex((b, i) => b === 0x18 && tampered[i + 1] === 0x0f);
    expect(at).toBeGreaterThan(0);
    tampered[at + 15]! ^= 0x01;
    expect(() => ocspStatus(tampered, good, issuer, new Date())).toThrow(expect.objectContaining({ code: 'OCSP_INVALID' }));
    for (const bad of [response.subarray(0, response.length - 7), Uint8Array.of(0x30, 0x84, 0x7f, 0xff, 0xff, 0xff), new Uint8Array(0)]) {
      expect(() => ocspStatus(bad, good, issuer, new Date())).toThrow(expect.objectContaining({ code: 'OCSP_INVALID' }));
    }
  });

  it('makes chain validation refuse a certificate that OCSP says is revoked, though no CRL lists it', async () => {
    const pki = await loadTestPki(dir);
    const base = { intermediates: pki.intermediates, trustAnchors: [pki.root], crls: pki.crls, at: new Date() };
    await expect(validateChain({ ...base, leaf: revoked.der })).resolves.toBeDefined();
    await expect(validateChain({ ...base, leaf: revoked.der, ocspResponses: [respond(revoked)] })).rejects.toMatchObject({ code: 'CERT_REVOKED' });
    await expect(validateChain({ ...base, leaf: good.der, ocspResponses: [respond(good)] })).resolves.toBeDefined();
    await expect(validateChain({ ...base, leaf: revoked.der, ocspResponses: [respond(revoked, 'issuing-rsa')] })).rejects.toMatchObject({ code: 'OCSP_INVALID' });
  });
});
