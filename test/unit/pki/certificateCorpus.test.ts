/**
 * Golden master for parseCertificate: test/fixtures/x509/*.der (made by make.sh) must read to
 * exactly what the pkijs-based reader gave when expected.json was snapshotted (snapshot.ts),
 * agree with node:crypto's X509Certificate, and malformed variants must fail with a
 * CertificateError, never anything else.
 */
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CertificateError, parseCertificate, type CertificateInfo } from '../../../src/pki/certificate.ts';
import { FLIP_BASE, flipVariants, normalizeCertificateInfo, normalizeError, outcomeOf, type Json } from '../../fixtures/x509/normalize.ts';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/x509');
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith('.der'))
  .sort();
const read = (file: string): Uint8Array => new Uint8Array(readFileSync(path.join(DIR, file)));
const expected = JSON.parse(readFileSync(path.join(DIR, 'expected.json'), 'utf8')) as Record<string, Json>;
const expectedFlips = JSON.parse(readFileSync(path.join(DIR, 'expected-flips.json'), 'utf8')) as { base: string; outcomes: string[] };
const isRejection = (v: Json | undefined): v is { error: string } => typeof v === 'object' && v !== null && !Array.isArray(v) && typeof v.error === 'string';
const ACCEPTED = FILES.filter((f) => !isRejection(expected[f]));

/** OpenSSL (so Node) cannot decode these at all: attribute values that are INTEGER / OCTET STRING. */
const NODE_REJECTS = new Set(['40-genconf-integer-octet-attrs-p256.der']);

/** parseCertificate's outcome, checking that any failure is a CertificateError. */
function attempt(der: Uint8Array): { info?: CertificateInfo; error?: unknown } {
  try {
    return { info: parseCertificate(der) };
  } catch (error) {
    return { error };
  }
}

function expectCertificateError(der: Uint8Array, what: string): void {
  const { info, error } = attempt(der);
  expect(info, `${what}: parsed`).toBeUndefined();
  expect(error, `${what}: ${String(error)}`).toBeInstanceOf(CertificateError);
  expect((error as CertificateError).code, what).toBe('CERT_MALFORMED');
}

/**
 * Node's serialNumber: OpenSSL's BN_bn2hex, i.e. the signed value's magnitude in upper-case hex,
 * no sign-padding 00, "-" for a negative serial, and a lone "0" for zero. parseCertificate gives
 * the INTEGER's two's-complement content octets instead ("0080…", "fb" for -5, "00" for 0).
 */
function nodeSerial(contentHex: string): string {
  let v = BigInt(`0x${contentHex}`);
  if (Number.parseInt(contentHex.slice(0, 2), 16) & 0x80) v -= 1n << BigInt(contentHex.length * 4);
  const mag = (v < 0n ? -v : v).toString(16).toUpperCase();
  return `${v < 0n ? '-' : ''}${mag.length % 2 === 1 && mag !== '0' ? `0${mag}` : mag}`;
}

// ---------------------------------------------------------------------------------------------
// A minimal DER TLV tree (single-byte tags, which is all a certificate uses) for surgery.

interface Tlv {
  tag: number;
  content: Uint8Array;
  children?: Tlv[];
  /** Length octets to write instead of the minimal ones (to make non-DER lengths). */
  length?: (n: number) => number[];
}

function decodeAll(b: Uint8Array, start: number, end: number): Tlv[] {
  const out: Tlv[] = [];
  let at = start;
  while (at < end) {
    const tag = b[at++]!;
    let len = b[at++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[at++]!;
    }
    const content = b.subarray(at, at + len);
    out.push(tag & 0x20 ? { tag, content, children: decodeAll(b, at, at + len) } : { tag, content });
    at += len;
  }
  return out;
}
const decode = (b: Uint8Array): Tlv => decodeAll(b, 0, b.length)[0]!;

function minimalLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function encode(t: Tlv): Uint8Array {
  const body = t.children ? Buffer.concat(t.children.map(encode)) : t.content;
  return Buffer.concat([Uint8Array.of(t.tag), Uint8Array.from((t.length ?? minimalLength)(body.length)), body]);
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue } */
function certParts(cert: Tlv) {
  const [tbs, sigAlg, sigValue] = cert.children!;
  const fields = tbs!.children!;
  const v = fields[0]!.tag === 0xa0 ? 1 : 0; // a v1 certificate has no version field
  const exts = fields.find((f) => f.tag === 0xa3)?.children![0];
  return { tbs: tbs!, sigAlg: sigAlg!, sigValue: sigValue!, version: fields[0]!, serial: fields[v]!, validity: fields[v + 3]!, spki: fields[v + 5]!, exts };
}

// ---------------------------------------------------------------------------------------------

describe('certificate corpus: golden master', () => {
  it('expected.json covers exactly the DER files', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(25);
    expect(Object.keys(expected).sort()).toEqual(FILES);
  });

  it.each(FILES)('%s reads as snapshotted', (file) => {
    const want = expected[file];
    const { info, error } = attempt(read(file));
    if (isRejection(want)) {
      expect(error).toBeInstanceOf(CertificateError);
      expect(normalizeError(error)).toEqual(want);
    } else {
      expect(error).toBeUndefined();
      expect(normalizeCertificateInfo(info!)).toEqual(want);
    }
  });
});

describe('certificate corpus: agrees with node:crypto X509Certificate', () => {
  it('Node refuses the files listed in NODE_REJECTS', () => {
    for (const file of NODE_REJECTS) expect(() => new X509Certificate(read(file)), file).toThrow();
  });

  it.each(ACCEPTED.filter((f) => !NODE_REJECTS.has(f)))('%s', (file) => {
    const der = read(file);
    const info = parseCertificate(der);
    const x = new X509Certificate(der);
    expect(x.serialNumber.toLowerCase()).toBe(nodeSerial(info.serialNumber).toLowerCase());
    expect(x.fingerprint256.replace(/:/g, '').toLowerCase()).toBe(info.fingerprints.sha256);
    expect(x.fingerprint.replace(/:/g, '').toLowerCase()).toBe(info.fingerprints.sha1);
    expect(new Date(x.validFrom).toISOString()).toBe(info.notBefore.toISOString());
    expect(new Date(x.validTo).toISOString()).toBe(info.notAfter.toISOString());
    expect(x.ca).toBe(info.isCa);
    expect(x.publicKey.export({ type: 'spki', format: 'der' }).equals(info.publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
  });
});

describe('certificate corpus: raw parts, when the reader exposes them', () => {
  // The strict reader replaces `pkijs` with tbs / signatureAlgorithm / signatureValue /
  // subjectPublicKey; the pkijs-based one had none of these, so they are checked (against an
  // independent TLV walk) only when present.
  it.each(ACCEPTED)('%s', (file) => {
    const der = read(file);
    const raw = parseCertificate(der) as unknown as Record<string, unknown>;
    const c = certParts(decode(der));
    const spkiBits = c.spki.children![1]!;
    const hexOf = (v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v);
    if ('tbs' in raw) expect(hexOf(raw.tbs)).toBe(Buffer.from(encode(c.tbs)).toString('hex'));
    if ('signatureValue' in raw) expect(hexOf(raw.signatureValue)).toBe(Buffer.from(c.sigValue.content.subarray(1)).toString('hex'));
    if ('subjectPublicKey' in raw) expect(hexOf(raw.subjectPublicKey)).toBe(Buffer.from(spkiBits.content.subarray(1)).toString('hex'));
    if ('signatureAlgorithm' in raw) {
      const oid = c.sigAlg.children![0]!;
      expect(encode({ tag: 0x06, content: oid.content })).toEqual(encode({ tag: 0x06, content: oidToDer(String(raw.signatureAlgorithm)) }));
    }
  });
});

/** Dotted OID → content octets (X.690 §8.19). */
function oidToDer(oid: string): Uint8Array {
  const arcs = oid.split('.').map((a) => BigInt(a));
  const out: number[] = [];
  const push = (v: bigint) => {
    const bytes = [Number(v & 0x7fn)];
    for (v >>= 7n; v > 0n; v >>= 7n) bytes.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...bytes);
  };
  push(arcs[0]! * 40n + arcs[1]!);
  arcs.slice(2).forEach(push);
  return Uint8Array.from(out);
}

describe('certificate corpus: malformed variants fail with CertificateError', () => {
  const base = read(FLIP_BASE);

  it('the base certificate is good and the TLV helper round-trips it', () => {
    expect(parseCertificate(base).subject.commonName).toBe('Anna Andersson');
    expect(Buffer.from(encode(decode(base))).equals(Buffer.from(base))).toBe(true);
  });

  it('every truncation', () => {
    for (let n = 0; n < base.length; n++) expectCertificateError(base.subarray(0, n), `first ${n} of ${base.length} bytes`);
  });

  it('20 bytes of trailing garbage', () => {
    const garbage = Uint8Array.from({ length: 20 }, (_, i) => (i * 37 + 11) & 0xff);
    expectCertificateError(Buffer.concat([base, garbage]), 'trailing garbage');
    expectCertificateError(Buffer.concat([base, new Uint8Array(20)]), 'trailing zeros');
  });

  it('non-minimal lengths', () => {
    const cases: Array<[string, (c: ReturnType<typeof certParts>, cert: Tlv) => void]> = [
      ['serial INTEGER length 0x81 0x0d', (c) => (c.serial.length = (n) => [0x81, n])],
      ['notBefore length 0x81 0x0d', (c) => (c.validity.children![0]!.length = (n) => [0x81, n])],
      ['version [0] length 0x81 0x03', (c) => (c.version.length = (n) => [0x81, n])],
      ['outer length with a leading zero octet', (_, cert) => (cert.length = (n) => [0x83, 0, n >> 8, n & 0xff])],
      ['TBS length with a leading zero octet', (c) => (c.tbs.length = (n) => [0x83, 0, n >> 8, n & 0xff])],
    ];
    for (const [what, mutate] of cases) {
      const cert = decode(base);
      mutate(certParts(cert), cert);
      expectCertificateError(encode(cert), what);
    }
  });

  it('outer signatureAlgorithm differs from the TBS one', () => {
    const cert = decode(base);
    const oid = certParts(cert).sigAlg.children![0]!;
    expect(Buffer.from(oid.content).toString('hex')).toBe('2a8648ce3d040303'); // ecdsa-with-SHA384
    oid.content = Buffer.from('2a8648ce3d040302', 'hex'); // ecdsa-with-SHA256
    expectCertificateError(encode(cert), 'signatureAlgorithm mismatch');
  });

  // RFC 5280 §4.1.2.1: Version ::= INTEGER { v1(0), v2(1), v3(2) }. The pkijs-based reader accepted this.
  it('version INTEGER 3 (v4)', () => {
    const cert = decode(base);
    certParts(cert).version.children![0]!.content = Uint8Array.of(3);
    expectCertificateError(encode(cert), 'version 3');
  });

  it('the same extension twice', () => {
    for (const which of ['first', 'last'] as const) {
      const cert = decode(base);
      const list = certParts(cert).exts!.children!;
      list.push(which === 'first' ? list[0]! : list[list.length - 1]!);
      expectCertificateError(encode(cert), `${which} extension repeated`);
    }
  });

  // A signature is whole octets: unused bits must be 0 (the pkijs-based reader accepted 1).
  it('signature BIT STRING with a nonzero unused-bits octet', () => {
    const cert = decode(base);
    const sig = certParts(cert).sigValue;
    expect(sig.content[0]).toBe(0);
    sig.content = Buffer.concat([Uint8Array.of(1), sig.content.subarray(1)]);
    expectCertificateError(encode(cert), 'unused bits 1');
  });

  it(`${expectedFlips.outcomes.length} single-byte flips parse or fail with CertificateError, never accepting what the snapshot rejected`, () => {
    expect(expectedFlips.base).toBe(FLIP_BASE);
    const flips = flipVariants(base);
    expect(flips.length).toBe(expectedFlips.outcomes.length);
    const wrongErrors: string[] = [];
    const differ: string[] = [];
    flips.forEach((v, i) => {
      const { error } = attempt(v.bytes);
      if (error !== undefined && !(error instanceof CertificateError && error.code === 'CERT_MALFORMED')) {
        wrongErrors.push(`byte ${v.at} ^ ${v.xor}: ${String(error)}`);
        return;
      }
      const [key, want] = expectedFlips.outcomes[i]!.split('=') as [string, string];
      expect(key).toBe(`${v.at}^${v.xor}`);
      const got = outcomeOf(() => parseCertificate(v.bytes));
      // A stricter reader may refuse a flip the snapshot accepted; it must not accept one it
      // refused, nor read an accepted one differently.
      if (got !== want && !got.startsWith('reject:')) differ.push(`byte ${v.at} ^ ${v.xor}: got ${got}, snapshot ${want}`);
    });
    expect(wrongErrors).toEqual([]);
    expect(differ).toEqual([]);
  });
});
