import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CertificateInfo, parseCertificate, pkijsCertificate } from '../../../src/pki/certificate.ts';
import { crlCoverage, crlDistributionPoints, type CrlFacts, CrlScopeError, readCrlFacts, revocationStatus } from '../../../src/pki/crlScope.ts';
import {
  type CrlEntrySpec,
  crlDistributionPointsExtension,
  crlNumberExtension,
  deltaCrlIndicator,
  type Issued,
  issue,
  issuingDistributionPoint,
  makeCrlWith,
  reissueWithSerial,
  testPki,
  type TestPki,
  uriName,
} from './pkiFixtures.ts';

const URI_A = 'http://crl.test/a.crl';
const URI_B = 'http://crl.test/b.crl';
const KEY_COMPROMISE = 1;
const HOLD = 6;
const REMOVE = 8;

let pki: TestPki;
let ca: Issued;
let subCa: CertificateInfo;
let leafA: CertificateInfo;
let leafB: CertificateInfo;
let leafNoCdp: CertificateInfo;
const tmp = mkdtempSync(join(tmpdir(), 'crlscope-'));

beforeAll(async () => {
  pki = await testPki();
  ca = pki.intermediate;
  subCa = parseCertificate((await issue({ subject: [['2.5.4.3', 'Testbanken Sub CA']], issuer: ca, ca: {} })).der);
  leafA = parseCertificate((await issue({ subject: [['2.5.4.3', 'Leaf A']], issuer: ca, extraExtensions: [crlDistributionPointsExtension([URI_A])] })).der);
  leafB = parseCertificate((await issue({ subject: [['2.5.4.3', 'Leaf B']], issuer: ca, extraExtensions: [crlDistributionPointsExtension([URI_B])] })).der);
  leafNoCdp = parseCertificate(pki.leafP256.der);
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const serialOf = (c: CertificateInfo): Uint8Array => new Uint8Array(Buffer.from(c.serialNumber, 'hex'));
const entry = (c: CertificateInfo, reason?: number, extensions?: pkijs.Extension[]): CrlEntrySpec => ({ serial: serialOf(c), reason, extensions });

async function crl(o: { number?: bigint; base?: bigint; extensions?: pkijs.Extension[]; entries?: CrlEntrySpec[]; issuer?: Issued } = {}): Promise<Uint8Array> {
  const extensions = [...(o.number === undefined ? [] : [crlNumberExtension(o.number)]), ...(o.base === undefined ? [] : [deltaCrlIndicator(o.base)]), ...(o.extensions ?? [])];
  return makeCrlWith(o.issuer ?? ca, { extensions, entries: o.entries });
}

const facts = (der: Uint8Array): CrlFacts => readCrlFacts(pkijs.CertificateRevocationList.fromBER(new Uint8Array(der)));
const factsOf = async (o: Parameters<typeof crl>[0]): Promise<CrlFacts> => facts(await crl(o));
const nameHex = (uri: string): string => Buffer.from((uriName(uri).toSchema() as asn1js.IA5String).toBER(false)).toString('hex');

function openssl(der: Uint8Array): string {
  const file = join(tmp, `${Math.random().toString(36).slice(2)}.crl`);
  writeFileSync(file, der);
  return execFileSync('openssl', ['crl', '-inform', 'DER', '-in', file, '-text', '-noout'], { encoding: 'utf8' });
}

describe('readCrlFacts', () => {
  it('reads the issuer, times, CRL number, scope and entries with their reasons', async () => {
    const der = await crl({ number: 5n, extensions: [issuingDistributionPoint({ uris: [URI_A], onlyUserCerts: true })], entries: [entry(leafA, KEY_COMPROMISE), entry(leafB)] });
    const f = facts(der);
    expect(Buffer.from(f.issuerDer).equals(Buffer.from(ca.name))).toBe(true);
    expect(f.thisUpdate).toBe(f.crl.thisUpdate.value.getTime());
    expect(f.nextUpdate).toBeGreaterThan(f.thisUpdate);
    expect(f.crlNumber).toBe(5n);
    expect(f.baseCrlNumber).toBeUndefined();
    expect(f.scope).toEqual({ onlyUserCerts: true, onlyCaCerts: false, onlyAttributeCerts: false, onlySomeReasons: false, indirect: false, distributionPoints: [nameHex(URI_A)] });
    expect([...f.revoked]).toEqual([
      [leafA.serialNumber, KEY_COMPROMISE],
      [leafB.serialNumber, undefined],
    ]);
  });

  it('reads a delta CRL indicator as the base CRL number', async () => {
    const f = await factsOf({ number: 7n, base: 5n });
    expect(f.crlNumber).toBe(7n);
    expect(f.baseCrlNumber).toBe(5n);
  });

  it('refuses an unknown critical CRL extension, and ignores an unknown non-critical one', async () => {
    const ext = (critical: boolean): pkijs.Extension => new pkijs.Extension({ extnID: '1.2.3.4.5', critical, extnValue: new asn1js.Null().toBER(false) });
    await expect(factsOf({ number: 1n, extensions: [ext(true)] })).rejects.toThrow(CrlScopeError);
    await expect(factsOf({ number: 1n, extensions: [ext(true)] })).rejects.toThrow(/critical extension 1\.2\.3\.4\.5/);
    expect((await factsOf({ number: 1n, extensions: [ext(false)] })).crlNumber).toBe(1n);
  });

  it('refuses an unknown critical entry extension, and ignores an unknown non-critical one', async () => {
    const ext = (critical: boolean): pkijs.Extension => new pkijs.Extension({ extnID: '1.2.3.4.6', critical, extnValue: new asn1js.Null().toBER(false) });
    await expect(factsOf({ entries: [entry(leafA, undefined, [ext(true)])] })).rejects.toThrow(/entry .* critical extension 1\.2\.3\.4\.6/);
    expect((await factsOf({ number: 1n, entries: [entry(leafA, undefined, [ext(false)])] })).revoked.has(leafA.serialNumber)).toBe(true);
  });

  it('refuses a list without a CRL number, or with it marked critical (RFC 5280 §5.2.3)', async () => {
    await expect(factsOf({ entries: [entry(leafA)] })).rejects.toThrow(/no CRL number/);
    await expect(factsOf({ extensions: [crlNumberExtension(3n, '2.5.29.20', true)] })).rejects.toThrow(/CRL number marked critical/);
    expect((await factsOf({ number: 3n })).crlNumber).toBe(3n);
  });

  it('refuses a certificateIssuer entry extension (indirect CRLs are not supported)', async () => {
    const certificateIssuer = new pkijs.Extension({ extnID: '2.5.29.29', critical: true, extnValue: new pkijs.GeneralNames({ names: [uriName(URI_B)] }).toSchema().toBER(false) });
    await expect(factsOf({ entries: [entry(leafA, undefined, [certificateIssuer])] })).rejects.toThrow(/indirect/);
  });

  it('refuses malformed CRL numbers, delta indicators and distribution points', async () => {
    const octets = new pkijs.Extension({ extnID: '2.5.29.20', extnValue: new asn1js.OctetString({ valueHex: new Uint8Array([5]) }).toBER(false) });
    await expect(factsOf({ extensions: [octets] })).rejects.toThrow(/CRL number .* not an INTEGER/);
    await expect(factsOf({ number: -1n })).rejects.toThrow(/out of range/);
    await expect(factsOf({ base: 5n })).rejects.toThrow(/delta .* no CRL number/);
    await expect(factsOf({ number: 5n, base: 5n })).rejects.toThrow(/delta .* no CRL number above its base/);
    await expect(factsOf({ extensions: [issuingDistributionPoint({ onlyUserCerts: true, onlyCaCerts: true })] })).rejects.toThrow(/more than one kind/);
    await expect(factsOf({ extensions: [issuingDistributionPoint({})] })).rejects.toThrow(/empty/);
    const garbage = new pkijs.Extension({ extnID: '2.5.29.28', critical: true, extnValue: new asn1js.Integer({ value: 1 }).toBER(false) });
    await expect(factsOf({ extensions: [garbage] })).rejects.toThrow(/issuing distribution point .* malformed/);
  });

  it('keeps a repeated serial, preferring a lasting reason over a hold', async () => {
    const f = await factsOf({ number: 1n, entries: [entry(leafA, HOLD), entry(leafA, KEY_COMPROMISE)] });
    expect(f.revoked.get(leafA.serialNumber)).toBe(KEY_COMPROMISE);
    expect(revocationStatus(leafA, [f])).toMatchObject({ status: 'revoked', reason: KEY_COMPROMISE });
  });

  it('writes a serial with a leading 0x00 octet the way CertificateInfo.serialNumber does', async () => {
    const high = parseCertificate((await reissueWithSerial(pki.leafRsa, ca, new Uint8Array([0x00, 0x80, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77]))).der);
    expect(high.serialNumber).toBe('008011223344556677');
    // The entry's INTEGER is built from the number, not from the certificate's bytes.
    const f = await factsOf({ number: 1n, entries: [{ serial: asn1js.Integer.fromBigInt(0x8011223344556677n) }] });
    expect([...f.revoked.keys()]).toEqual([high.serialNumber]);
    expect(revocationStatus(high, [f])).toMatchObject({ status: 'revoked' });
  });
});

describe('crlDistributionPoints', () => {
  it('lists the fullName URIs as hex DER GeneralNames, [] without the extension', () => {
    expect(crlDistributionPoints(pkijsCertificate(leafA))).toEqual([nameHex(URI_A)]);
    expect(crlDistributionPoints(pkijsCertificate(leafNoCdp))).toEqual([]);
  });
});

describe('crlCoverage', () => {
  it('onlyContainsUserCerts covers a leaf and not a CA', async () => {
    const f = await factsOf({ number: 1n, extensions: [issuingDistributionPoint({ onlyUserCerts: true })] });
    expect(crlCoverage(f, leafA)).toBe('complete');
    expect(crlCoverage(f, subCa)).toBe('none');
  });

  it('onlyContainsCACerts covers a CA and not a leaf', async () => {
    const f = await factsOf({ number: 1n, extensions: [issuingDistributionPoint({ onlyCaCerts: true })] });
    expect(crlCoverage(f, subCa)).toBe('complete');
    expect(crlCoverage(f, leafA)).toBe('none');
  });

  it('onlySomeReasons is partial', async () => {
    const f = await factsOf({ number: 1n, extensions: [issuingDistributionPoint({ onlySomeReasons: 0x60 })] });
    expect(f.scope?.onlySomeReasons).toBe(true);
    expect(crlCoverage(f, leafA)).toBe('partial');
  });

  it('onlyContainsAttributeCerts and indirectCRL cover nothing here', async () => {
    expect(crlCoverage(await factsOf({ number: 1n, extensions: [issuingDistributionPoint({ onlyAttributeCerts: true })] }), leafA)).toBe('none');
    expect(crlCoverage(await factsOf({ number: 1n, extensions: [issuingDistributionPoint({ indirect: true })] }), leafA)).toBe('none');
  });

  it("IDP distribution point names must meet the certificate's CDP names when it has them", async () => {
    const f = await factsOf({ number: 1n, extensions: [issuingDistributionPoint({ uris: [URI_A] })] });
    expect(crlCoverage(f, leafA)).toBe('complete');
    expect(crlCoverage(f, leafB)).toBe('none');
    expect(crlCoverage(f, leafNoCdp)).toBe('complete');
    const both = await factsOf({ number: 1n, extensions: [issuingDistributionPoint({ uris: [URI_B, URI_A] })] });
    expect(crlCoverage(both, leafA)).toBe('complete');
  });

  it('a delta CRL is never complete on its own', async () => {
    expect(crlCoverage(await factsOf({ number: 6n, base: 5n }), leafA)).toBe('partial');
  });
});

describe('revocationStatus', () => {
  it('is good with no CRL from the issuer (used is empty), and ignores other issuers', async () => {
    const other = await factsOf({ number: 1n, issuer: pki.root, entries: [entry(leafA)] });
    expect(revocationStatus(leafA, [])).toEqual({ status: 'good', used: [] });
    expect(revocationStatus(leafA, [other])).toEqual({ status: 'good', used: [] });
  });

  it('a listed certificate is revoked, an unlisted one good', async () => {
    const f = await factsOf({ number: 1n, entries: [entry(leafA, KEY_COMPROMISE)] });
    expect(revocationStatus(leafA, [f])).toEqual({ status: 'revoked', reason: KEY_COMPROMISE, used: [f] });
    expect(revocationStatus(leafB, [f])).toEqual({ status: 'good', used: [f] });
  });

  it('a certificateHold counts as revoked', async () => {
    expect(revocationStatus(leafA, [await factsOf({ number: 1n, entries: [entry(leafA, HOLD)] })])).toMatchObject({ status: 'revoked', reason: HOLD });
  });

  it('is unknown when the only CRLs are out of scope or partial', async () => {
    const forB = await factsOf({ number: 1n, extensions: [issuingDistributionPoint({ uris: [URI_B] })] });
    expect(revocationStatus(leafA, [forB])).toMatchObject({ status: 'unknown' });
    expect(revocationStatus(leafB, [forB])).toMatchObject({ status: 'good' });
    const someReasons = await factsOf({ number: 1n, extensions: [issuingDistributionPoint({ onlySomeReasons: 0x60 })] });
    expect(revocationStatus(leafA, [someReasons])).toMatchObject({ status: 'unknown' });
  });

  it('a partial CRL listing the certificate still revokes it', async () => {
    const complete = await factsOf({ number: 1n });
    const someReasons = await factsOf({ number: 1n, extensions: [issuingDistributionPoint({ onlySomeReasons: 0x40 })], entries: [entry(leafA, KEY_COMPROMISE)] });
    expect(revocationStatus(leafA, [complete, someReasons])).toMatchObject({ status: 'revoked', reason: KEY_COMPROMISE });
  });

  it('is unknown when only a delta CRL is present', async () => {
    expect(revocationStatus(leafA, [await factsOf({ number: 6n, base: 5n })])).toMatchObject({ status: 'unknown' });
  });

  it('a delta CRL revokes on top of its base', async () => {
    const base = await factsOf({ number: 5n });
    const delta = await factsOf({ number: 6n, base: 5n, entries: [entry(leafA, KEY_COMPROMISE)] });
    expect(revocationStatus(leafA, [base])).toMatchObject({ status: 'good' });
    expect(revocationStatus(leafA, [base, delta])).toEqual({ status: 'revoked', reason: KEY_COMPROMISE, used: [base, delta] });
    expect(revocationStatus(leafB, [base, delta])).toEqual({ status: 'good', used: [base, delta] });
    // A delta built on an older base, numbered above the base used, still applies.
    const older = await factsOf({ number: 7n, base: 3n, entries: [entry(leafB)] });
    expect(revocationStatus(leafB, [base, older])).toMatchObject({ status: 'revoked' });
  });

  it('a delta removeFromCRL releases a hold from the base, but not a lasting revocation', async () => {
    const held = await factsOf({ number: 5n, entries: [entry(leafA, HOLD), entry(leafB, KEY_COMPROMISE)] });
    const release = await factsOf({ number: 6n, base: 5n, entries: [entry(leafA, REMOVE), entry(leafB, REMOVE)] });
    expect(revocationStatus(leafA, [held])).toMatchObject({ status: 'revoked', reason: HOLD });
    expect(revocationStatus(leafA, [held, release])).toMatchObject({ status: 'good' });
    expect(revocationStatus(leafB, [held, release])).toMatchObject({ status: 'revoked', reason: KEY_COMPROMISE });
  });

  it('only the newest applicable delta counts', async () => {
    const base = await factsOf({ number: 5n });
    const hold = await factsOf({ number: 6n, base: 5n, entries: [entry(leafA, HOLD)] });
    const released = await factsOf({ number: 7n, base: 5n });
    expect(revocationStatus(leafA, [base, hold])).toMatchObject({ status: 'revoked', reason: HOLD });
    expect(revocationStatus(leafA, [base, hold, released])).toEqual({ status: 'good', used: [base, released] });
  });

  it('ignores a delta whose base is newer than the base used, or that is not newer than it', async () => {
    const base = await factsOf({ number: 5n });
    const tooNew = await factsOf({ number: 8n, base: 7n, entries: [entry(leafA, KEY_COMPROMISE)] });
    const stale = await factsOf({ number: 5n, base: 3n, entries: [entry(leafA, KEY_COMPROMISE)] });
    expect(revocationStatus(leafA, [base, tooNew])).toEqual({ status: 'good', used: [base] });
    expect(revocationStatus(leafA, [base, stale])).toEqual({ status: 'good', used: [base] });
  });

  it('a hold in an older complete CRL that the newest no longer lists is released; a lasting revocation is not', async () => {
    const old = await factsOf({ number: 4n, entries: [entry(leafA, HOLD), entry(leafB, KEY_COMPROMISE)] });
    const current = await factsOf({ number: 5n });
    expect(revocationStatus(leafA, [old, current])).toEqual({ status: 'good', used: [current] });
    expect(revocationStatus(leafB, [old, current])).toMatchObject({ status: 'revoked', reason: KEY_COMPROMISE });
  });

  it('does not use a CA-only CRL for a leaf, nor a user-only CRL for a CA', async () => {
    const users = await factsOf({ number: 1n, extensions: [issuingDistributionPoint({ onlyUserCerts: true })], entries: [entry(subCa)] });
    const cas = await factsOf({ number: 1n, extensions: [issuingDistributionPoint({ onlyCaCerts: true })], entries: [entry(leafA)] });
    expect(revocationStatus(subCa, [users])).toMatchObject({ status: 'unknown' });
    expect(revocationStatus(leafA, [cas])).toMatchObject({ status: 'unknown' });
    expect(revocationStatus(leafA, [users, cas])).toMatchObject({ status: 'good' });
  });
});

describe('OpenSSL reads the fixtures the same way', () => {
  it('shows the issuing distribution point, CRL number and delta indicator built here', async () => {
    const text = openssl(await crl({ number: 5n, extensions: [issuingDistributionPoint({ uris: [URI_A], onlyUserCerts: true, onlySomeReasons: 0x60 })], entries: [entry(leafA, HOLD)] }));
    expect(text).toMatch(/X509v3 CRL Number:\s*\n\s*5\b/);
    expect(text).toMatch(/X509v3 Issuing Distribution Point: critical\s*\n\s*Full Name:\s*\n\s*URI:http:\/\/crl\.test\/a\.crl/);
    expect(text).toMatch(/Only User Certificates/);
    expect(text).toMatch(/Only Some Reasons:\s*\n?\s*Key Compromise, CA Compromise/);
    expect(text).toContain(`Serial Number: ${leafA.serialNumber.toUpperCase()}`);
    expect(text).toMatch(/Certificate Hold/);
    const delta = openssl(await crl({ number: 6n, base: 5n }));
    expect(delta).toMatch(/X509v3 Delta CRL Indicator: critical\s*\n\s*5\b/);
  });
});
