/**
 * BankID på fil: what protection a PKCS #12 file must have before its password is tried. Real
 * files made by `openssl pkcs12 -export` in a temp dir: today's default is read; a file whose
 * key is unencrypted, a legacy one (-legacy, 3DES, one iteration) and one with a huge
 * iteration count are refused with their own code, without counting a wrong password. The MAC's
 * key derivation leaves the event loop free.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as asn1js from 'asn1js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileCredentialError, PasswordAttempts } from '../../../src/pki/fileAttempts.ts';
import { credentialId, readFileCredential } from '../../../src/pki/fileCredential.ts';
import { openFileSigner } from '../../../src/pki/fileSigner.ts';
import { parsePfx, pfxPasswordMatches } from '../../../src/pki/pkcs12.ts';
import { MAX_ITERATIONS } from '../../../src/pki/pkcs12Crypto.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ekort-p12prot-'));
const PASSWORD = 'Rätt lösen 42';
const key = path.join(tmp, 'key.pem');
const cert = path.join(tmp, 'cert.pem');

beforeAll(() => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=Tova Test', '-days', '30'], {
    stdio: 'pipe',
  });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** `openssl pkcs12 -export` with `args`, into a fresh file. */
function exportP12(args: string[]): string {
  const out = path.join(tmp, `f${++n}.p12`);
  execFileSync('openssl', ['pkcs12', '-export', '-in', cert, '-inkey', key, '-out', out, '-passout', `pass:${PASSWORD}`, ...args], { stdio: 'pipe' });
  return out;
}

const attemptsFor = (name: string) => new PasswordAttempts(path.join(tmp, 'state', `${name}.json`));

/** Refused with `code` both when listed and when opened with the right and a wrong password; nothing counted. */
async function expectRefused(file: string, code: string, message: RegExp) {
  const attempts = attemptsFor(path.basename(file));
  const listed = (await readFileCredential(file).catch((e: unknown) => e)) as FileCredentialError;
  expect(listed).toBeInstanceOf(FileCredentialError);
  expect(listed.code).toBe(code);
  expect(listed.message).toMatch(message);
  for (const password of [PASSWORD, 'fel lösen']) {
    await expect(openFileSigner({ file, password, attempts })).rejects.toMatchObject({ code });
  }
  expect(await attempts.status(credentialId(new Uint8Array(readFileSync(file))))).toEqual({ failures: 0, locked: false });
}

describe("OpenSSL 3's default export", () => {
  it('is read: AES-256-CBC, PBKDF2-HMAC-SHA256, HMAC-SHA256 MAC; the right password signs, a wrong one counts', async () => {
    const file = exportP12([]);
    const attempts = attemptsFor('default');
    await expect(openFileSigner({ file, password: 'fel', attempts })).rejects.toMatchObject({ code: 'PASSWORD_INCORRECT', triesLeft: 4 });
    const signer = await openFileSigner({ file, password: PASSWORD, attempts });
    expect(signer.holder.name).toBe('Tova Test');
    expect((await signer.signData(new Uint8Array([1, 2, 3]))).length).toBeGreaterThan(60);
  });
});

describe('a file that is not password-protected', () => {
  it('no MAC and no encryption (-nomac -keypbe NONE -certpbe NONE): refused, it would open with any password', async () => {
    await expectRefused(exportP12(['-nomac', '-keypbe', 'NONE', '-certpbe', 'NONE']), 'FILE_CREDENTIAL_UNPROTECTED', /not password-protected/);
  });

  it('a MAC but the key unencrypted (-keypbe NONE): refused too', async () => {
    await expectRefused(exportP12(['-keypbe', 'NONE', '-certpbe', 'NONE']), 'FILE_CREDENTIAL_UNPROTECTED', /private key is stored unencrypted/);
  });
});

describe('legacy algorithms', () => {
  it('-legacy (RC2-40 certificates, 3DES key, SHA-1 MAC): refused, with how to export again', async () => {
    await expectRefused(exportP12(['-legacy']), 'FILE_CREDENTIAL_LEGACY', /old algorithm \(pbeWithSHAAnd40BitRC2-CBC.*openssl pkcs12 -export/);
  });

  it('3DES under PBES2 for the key: refused', async () => {
    await expectRefused(exportP12(['-keypbe', 'DES-EDE3-CBC']), 'FILE_CREDENTIAL_LEGACY', /PBES2 with DES-EDE3-CBC.*the private key/);
  });

  it('one iteration (-noiter, -nomaciter): refused', async () => {
    await expectRefused(exportP12(['-noiter']), 'FILE_CREDENTIAL_LEGACY', /PBKDF2 with 1 iteration/);
    await expectRefused(exportP12(['-nomaciter']), 'FILE_CREDENTIAL_LEGACY', /SHA256 MAC's key derivation with 1 iteration/);
  });
});

describe('iteration counts', () => {
  const huge = String(MAX_ITERATIONS + 100_000);

  it(`above ${MAX_ITERATIONS} (-iter ${huge}, with and without a MAC): refused before anything is derived`, async () => {
    for (const args of [['-iter', huge], ['-iter', huge, '-nomac']]) {
      const file = exportP12(args);
      const started = performance.now();
      await expectRefused(file, 'FILE_CREDENTIAL_ITERATIONS_TOO_HIGH', new RegExp(`asks for ${huge} iterations`));
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });

  it('a MAC naming ten million iterations over sane encryption: refused', async () => {
    const pfx = asn1js.fromBER(readFileSync(exportP12([]))).result as asn1js.Sequence;
    const macData = pfx.valueBlock.value[2] as asn1js.Sequence;
    macData.valueBlock.value[2] = new asn1js.Integer({ value: 10_000_000 });
    const file = path.join(tmp, 'macbomb.p12');
    writeFileSync(file, Buffer.from(pfx.toBER(false)));
    await expectRefused(file, 'FILE_CREDENTIAL_ITERATIONS_TOO_HIGH', /10000000 iterations of the SHA256 MAC's key derivation/);
  });

  it('an accepted high count (200 000): the MAC check leaves the event loop free while it hashes', async () => {
    const pfx = parsePfx(new Uint8Array(readFileSync(exportP12(['-iter', '200000']))));
    expect(pfx.mac?.iterations).toBe(200_000);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      expect(await pfxPasswordMatches(pfx, PASSWORD)).toBe(true);
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(10);
  });
});
