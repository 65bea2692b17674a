/**
 * PKI parsers under hostile bytes: DER guard, X.509 certificates (the corpus, mutated), PEM,
 * CMS login signatures, CRLs and OCSP responses through the trust store, and PKCS #12 files.
 * Each either answers or throws its own typed error with a documented code.
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import fc from 'fast-check';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CertificateError, parseCertificate } from '../../src/pki/certificate.ts';
import { ChainError, type ChainErrorCode, TrustStore } from '../../src/pki/chainValidation.ts';
import { LoginSignatureError, type LoginSignatureErrorCode, verifyLoginSignatureSync } from '../../src/pki/cmsVerifier.ts';
import { checkDer, DerError } from '../../src/pki/derGuard.ts';
import { OcspError, ocspStatus } from '../../src/pki/ocsp.ts';
import { derToPem, PemError, pemBlocks } from '../../src/pki/pem.ts';
import { decryptBags, parsePfx, Pkcs12DecryptError, Pkcs12Error, pfxPasswordMatches, writePkcs12 } from '../../src/pki/pkcs12.ts';
import { MIN_ITERATIONS } from '../../src/pki/pkcs12Crypto.ts';
import { endEntityCertificate } from '../../src/pki/fileCredential.ts';
import { signLogin } from '../unit/pki/cmsFixtures.ts';
import { NOW, testPki, type TestPki } from '../unit/pki/pkiFixtures.ts';
import { certificateDers } from './fixtures.ts';
import { allow, expectTyped, hostileBytes, params, resolvesOrRejectsTyped, returnsOrThrowsTyped, TEST_TIMEOUT } from './fuzzing.ts';

const CHAIN_CODES: readonly ChainErrorCode[] = [
  'UNTRUSTED_CHAIN', 'CERT_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED', 'CRL_STALE', 'CRL_INVALID', 'REVOCATION_UNKNOWN', 'WRONG_KEY_USAGE', 'OCSP_INVALID',
];
const LOGIN_CODES: readonly LoginSignatureErrorCode[] = ['CMS_MALFORMED', 'WRONG_CHALLENGE', 'BAD_SIGNATURE', 'SIGNING_TIME_OUT_OF_WINDOW', ...CHAIN_CODES];

const certs = certificateDers();
let pki: TestPki;

beforeAll(async () => {
  pki = await testPki();
}, 60_000);

describe('fuzz: DER and certificates', () => {
  it('checkDer: passes or DER_MALFORMED', { timeout: TEST_TIMEOUT }, () => {
    fc.assert(
      fc.property(
        fc.tuple(hostileBytes(certs, 256), fc.integer({ min: 0, max: 40 })),
        returnsOrThrowsTyped(([b, maxDepth]) => checkDer(b, { maxDepth }), [allow(DerError, 'DER_MALFORMED')]),
      ),
      params(),
    );
  });

  it('parseCertificate: a certificate or CERT_MALFORMED', { timeout: TEST_TIMEOUT }, () => {
    fc.assert(
      fc.property(
        hostileBytes(certs, 256),
        returnsOrThrowsTyped((b) => {
          const info = parseCertificate(b);
          // What a parsed certificate promises its users: a subject and a validity period.
          expect(typeof info.subject.dn).toBe('string');
          expect(Number.isNaN(info.notBefore.getTime())).toBe(false);
        }, [allow(CertificateError, 'CERT_MALFORMED')]),
      ),
      params({ cost: 2 }),
    );
  });

  it('pemBlocks: DER blocks or PEM_MALFORMED', { timeout: TEST_TIMEOUT }, () => {
    const pems = certs.slice(0, 4).map((d) => derToPem(d, 'CERTIFICATE'));
    const text = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.tuple(fc.constantFrom(...pems), fc.nat(), fc.nat({ max: 6 }), fc.string({ maxLength: 8 })).map(([p, at, n, ins]) => {
        const i = at % (p.length + 1);
        return p.slice(0, i) + ins + p.slice(i + n);
      }),
    );
    fc.assert(fc.property(text, returnsOrThrowsTyped((t) => pemBlocks(t, 'CERTIFICATE'), [allow(PemError, 'PEM_MALFORMED')])), params());
  });
});

describe('fuzz: CMS login signatures', () => {
  it('verifyLoginSignatureSync: a login or a LoginSignatureError with a documented code', { timeout: TEST_TIMEOUT }, () => {
    const challenge = new Uint8Array(32).fill(7);
    const trust = TrustStore.from({ trustAnchors: [pki.root.der], intermediates: [pki.intermediate.der], crls: [pki.crl] });
    const valid = [
      signLogin({ challenge, cert: pki.leafP256.der, key: pki.leafP256.key, certificates: [pki.intermediate.der] }),
      signLogin({ challenge, cert: pki.leafRsa.der, key: pki.leafRsa.key, certificates: [] }),
    ];
    // The unmutated signatures verify: the property's happy path is real.
    for (const cms of valid) expect(verifyLoginSignatureSync({ cms, challenge, trust, now: NOW }).signer).toBeDefined();
    fc.assert(
      fc.property(
        hostileBytes(valid, 256),
        returnsOrThrowsTyped((cms) => verifyLoginSignatureSync({ cms, challenge, trust, now: NOW }), [allow(LoginSignatureError, ...LOGIN_CODES)]),
      ),
      params({ cost: 4 }),
    );
  });
});

describe('fuzz: revocation data', () => {
  it('CRLs: a trust store or CRL_INVALID; validation then answers or a ChainError', { timeout: TEST_TIMEOUT }, () => {
    fc.assert(
      fc.property(
        hostileBytes([pki.crl], 256),
        returnsOrThrowsTyped((crl) => {
          const trust = TrustStore.from({ trustAnchors: [pki.root.der], intermediates: [pki.intermediate.der], crls: [crl] });
          trust.validate(pki.leafP256.der, NOW);
        }, [allow(ChainError, ...CHAIN_CODES)]),
      ),
      params({ cost: 4 }),
    );
  });

  it('ocspStatus: a status, undefined, or OCSP_INVALID', { timeout: TEST_TIMEOUT }, async () => {
    const leaf = parseCertificate(pki.leafP256.der);
    const issuer = parseCertificate(pki.intermediate.der);
    const valid = await ocspResponse(pki, leaf);
    expect(ocspStatus(valid, leaf, issuer, NOW)?.status).toBe('good');
    fc.assert(
      fc.property(hostileBytes([valid], 256), returnsOrThrowsTyped((b) => ocspStatus(b, leaf, issuer, NOW), [allow(OcspError, 'OCSP_INVALID')])),
      params({ cost: 4 }),
    );
  });
});

describe('fuzz: PKCS #12', () => {
  const PASSWORD = 'fuzz-password';
  it('parsePfx, the MAC, decryptBags: values, Pkcs12Error codes, or the documented wrong-password signal', { timeout: TEST_TIMEOUT }, async () => {
    const pfx = writePkcs12({ certificate: pki.leafP256.der, chain: [pki.intermediate.der], privateKey: pki.leafP256.key, password: PASSWORD, iterations: MIN_ITERATIONS });
    expect((await decryptBags(parsePfx(pfx), PASSWORD)).length).toBeGreaterThan(1);
    await fc.assert(
      fc.asyncProperty(
        hostileBytes([pfx], 256),
        resolvesOrRejectsTyped(async (b) => {
          const parsed = parsePfx(b);
          // Iteration counts come from the file (up to the 600 000 accepted): keep each run cheap.
          if (parsed.mac && parsed.mac.iterations <= MIN_ITERATIONS) await pfxPasswordMatches(parsed, PASSWORD);
          let bags;
          try {
            bags = await decryptBags(parsed, PASSWORD);
          } catch (e) {
            // Not an EkortError by design: the caller (fileSigner) turns it into PASSWORD_INCORRECT.
            if (e instanceof Pkcs12DecryptError) return;
            throw e;
          }
          endEntityCertificate(bags);
        }, [allow(Pkcs12Error, 'PKCS12_MALFORMED', 'PKCS12_UNSUPPORTED', 'PKCS12_UNPROTECTED', 'PKCS12_LEGACY', 'PKCS12_ITERATIONS_TOO_HIGH')]),
      ),
      params({ cost: 8 }),
    );
  });
});

/** A "good" basic OCSP response for `leaf`, signed by the fixture's intermediate. */
async function ocspResponse(p: TestPki, leaf: ReturnType<typeof parseCertificate>): Promise<Uint8Array> {
  const issuer = parseCertificate(p.intermediate.der);
  const sha1 = (b: Uint8Array) => new Uint8Array(createHash('sha1').update(b).digest());
  const certID = new pkijs.CertID({
    hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: '1.3.14.3.2.26', algorithmParams: new asn1js.Null() }),
    issuerNameHash: new asn1js.OctetString({ valueHex: sha1(issuer.subject.der) }),
    issuerKeyHash: new asn1js.OctetString({ valueHex: sha1(issuer.subjectPublicKey) }),
    serialNumber: new asn1js.Integer({ valueHex: Buffer.from(leaf.serialNumber, 'hex') }),
  });
  const basic = new pkijs.BasicOCSPResponse();
  basic.tbsResponseData.responderID = pkijs.RelativeDistinguishedNames.fromBER(new Uint8Array(issuer.subject.der));
  basic.tbsResponseData.producedAt = new Date(NOW.getTime() - 60_000);
  basic.tbsResponseData.responses = [
    new pkijs.SingleResponse({
      certID,
      certStatus: new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } }),
      thisUpdate: new Date(NOW.getTime() - 60_000),
      nextUpdate: new Date(NOW.getTime() + 86_400_000),
    }),
  ];
  await basic.sign(p.intermediate.privateKey, 'SHA-256');
  const response = new pkijs.OCSPResponse({
    responseStatus: new asn1js.Enumerated({ value: 0 }),
    responseBytes: new pkijs.ResponseBytes({
      responseType: '1.3.6.1.5.5.7.48.1.1',
      response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER(false) }),
    }),
  });
  return new Uint8Array(response.toSchema().toBER(false));
}

// The typed-error check itself must refuse what the properties are there to catch.
describe('fuzz harness: expectTyped', () => {
  it('refuses a TypeError and a typed error with another code', () => {
    expect(() => expectTyped(new TypeError('x'), [allow(PemError, 'PEM_MALFORMED')])).toThrow();
    expect(() => expectTyped(new DerError('x'), [allow(PemError, 'PEM_MALFORMED')])).toThrow();
    expect(() => expectTyped(new PemError('x'), [allow(PemError, 'PEM_MALFORMED')])).not.toThrow();
  });
});

