/**
 * BankID på fil: PKCS #12 written here and read by OpenSSL, written by OpenSSL and read here;
 * the holder shown without the password; the FileSigner's wrong-password count and lock (the
 * file itself never rewritten); discovery in the BankID folders.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLoginSignature } from '../../../src/pki/cmsVerifier.ts';
import { FILE_PASSWORD_MAX_FAILURES, FileCredentialError, PasswordAttempts, defaultAttemptsFile } from '../../../src/pki/fileAttempts.ts';
import { defaultBankIdDirs, listFileCredentials, readFileCredential } from '../../../src/pki/fileCredential.ts';
import { openFileSigner } from '../../../src/pki/fileSigner.ts';
import { signChallenge } from '../../../src/pki/loginSignature.ts';
import { derToPem } from '../../../src/pki/pem.ts';
import { parsePfx, pfxPasswordMatches, writePkcs12 } from '../../../src/pki/pkcs12.ts';
import { initTestPki, issueCardCertificate, loadTestPki, type TestPkiMaterial } from '../../../src/pki/testPki.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ekort-p12-'));
const pkiDir = path.join(tmp, 'pki');
let pki: TestPkiMaterial;
const PASSWORD = 'Rätt lösen 42';

interface Made {
  file: string;
  certificate: Uint8Array;
  keyPem: string;
}

async function make(name: string, options: { key?: 'rsa' | 'p256'; personnummer?: string; organisation?: { number: string; name?: string; personId: string } } = {}): Promise<Made> {
  const pair = options.key === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const certificate = await issueCardCertificate(pkiDir, {
    publicKeySpki: new Uint8Array(pair.publicKey.export({ format: 'der', type: 'spki' })),
    commonName: name,
    ...(options.personnummer ? { personnummer: options.personnummer } : {}),
    ...(options.organisation ? { organisation: options.organisation } : {}),
  });
  const file = path.join(tmp, `${name.replace(/\W+/g, '-')}-${Math.random().toString(36).slice(2, 8)}.p12`);
  writeFileSync(file, writePkcs12({ certificate, chain: [pki.intermediates[options.key === 'rsa' ? 0 : 1]!], privateKey: pair.privateKey, password: PASSWORD, friendlyName: name }));
  return { file, certificate, keyPem: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
}

const openssl = (args: string[], input?: string): string => execFileSync('openssl', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
const attemptsIn = (name: string) => new PasswordAttempts(path.join(tmp, 'state', `${name}.json`));

async function loginSignatureVerifies(file: string, attempts: PasswordAttempts, password = PASSWORD) {
  const challenge = new Uint8Array(Buffer.from(`e-kort login\nnonce: ${Math.random()}\n`));
  const signer = await openFileSigner({ file, password, attempts });
  const cms = await signChallenge(challenge, signer);
  return verifyLoginSignature({ cms, challenge, trustAnchors: [pki.root], intermediates: pki.intermediates, crls: pki.crls });
}

beforeAll(async () => {
  await initTestPki(pkiDir);
  pki = await loadTestPki(pkiDir);
}, 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('PKCS #12 with OpenSSL as the peer', () => {
  it('OpenSSL reads our file: certificates with -nokeys, the key with -nocerts (PBES2, AES-256-CBC, HMAC-SHA256 MAC)', async () => {
    const made = await make('Anna Andersson', { personnummer: '199001012385' });
    const certs = openssl(['pkcs12', '-in', made.file, '-nokeys', '-passin', `pass:${PASSWORD}`]);
    expect(certs).toContain('CN = Anna Andersson');
    expect(certs).toContain(derToPem(made.certificate, 'CERTIFICATE').trim().split('\n')[1]);
    const keys = openssl(['pkcs12', '-in', made.file, '-nocerts', '-nodes', '-passin', `pass:${PASSWORD}`]);
    const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(keys)![0];
    expect(createPrivateKey(key).export({ format: 'der', type: 'pkcs8' }).equals(createPrivateKey(made.keyPem).export({ format: 'der', type: 'pkcs8' }))).toBe(true);
    const run = spawnSync('openssl', ['pkcs12', '-in', made.file, '-info', '-noout', '-passin', `pass:${PASSWORD}`], { encoding: 'utf8' });
    const info = `${run.stdout}${run.stderr}`;
    expect(info).toMatch(/MAC: sha256/);
    expect(info).toMatch(/Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC/);
    expect(info).toMatch(/PKCS7 Data\nCertificate bag/); // the certificates unencrypted, on purpose
    expect(() => openssl(['pkcs12', '-in', made.file, '-nokeys', '-passin', 'pass:wrong'])).toThrow();
  });

  it('we read a file OpenSSL made (certificates encrypted too): the holder only after the password, then it signs a login', async () => {
    const made = await make('Bo Berg', { personnummer: '198507153990', key: 'rsa' });
    const dir = path.join(tmp, 'openssl');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'key.pem'), made.keyPem);
    writeFileSync(path.join(dir, 'cert.pem'), derToPem(made.certificate, 'CERTIFICATE'));
    const file = path.join(dir, 'bo.pfx');
    openssl(['pkcs12', '-export', '-in', path.join(dir, 'cert.pem'), '-inkey', path.join(dir, 'key.pem'), '-out', file, '-passout', `pass:${PASSWORD}`]);
    const pfx = parsePfx(new Uint8Array(readFileSync(file)));
    expect(pfx.plainBags.filter((b) => b.kind === 'certificate')).toHaveLength(0);
    expect(await pfxPasswordMatches(pfx, PASSWORD)).toBe(true);
    expect(await pfxPasswordMatches(pfx, 'x')).toBe(false);
    const info = await readFileCredential(file);
    expect(info).toMatchObject({ fileName: 'bo.pfx', holder: null });
    const verified = await loginSignatureVerifies(file, attemptsIn('openssl'));
    expect(verified.signer.subject.personnummer).toBe('198507153990');
  });

  it('OpenSSL legacy files without a MAC still tell a wrong password (the key does not decrypt)', async () => {
    const made = await make('Cilla Carlsson', { personnummer: '199001012385' });
    const dir = path.join(tmp, 'nomac');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'key.pem'), made.keyPem);
    writeFileSync(path.join(dir, 'cert.pem'), derToPem(made.certificate, 'CERTIFICATE'));
    const file = path.join(dir, 'c.p12');
    openssl(['pkcs12', '-export', '-nomac', '-certpbe', 'NONE', '-in', path.join(dir, 'cert.pem'), '-inkey', path.join(dir, 'key.pem'), '-out', file, '-passout', `pass:${PASSWORD}`]);
    const attempts = attemptsIn('nomac');
    await expect(openFileSigner({ file, password: 'fel', attempts })).rejects.toMatchObject({ code: 'PASSWORD_INCORRECT', triesLeft: 4 });
    expect((await loginSignatureVerifies(file, attempts)).signer.subject.commonName).toBe('Cilla Carlsson');
    expect((await readFileCredential(file)).holder?.name).toBe('Cilla Carlsson');
  });
});

describe('the FileSigner', () => {
  it('shows the holder without the password, and signs a login the verifier accepts (EC and RSA)', async () => {
    for (const key of ['p256', 'rsa'] as const) {
      const made = await make('Anna Andersson', { personnummer: '199001012385', key });
      const info = await readFileCredential(made.file);
      expect(info.holder).toMatchObject({ name: 'Anna Andersson', personnummer: '199001012385' });
      expect(Date.parse(info.holder!.validUntil)).toBeGreaterThan(Date.now());
      const verified = await loginSignatureVerifies(made.file, attemptsIn(`ok-${key}`));
      expect(verified.signer.subject.personnummer).toBe('199001012385');
    }
  });

  it('counts wrong passwords per file, locks after 5 in a row, and never rewrites the file', async () => {
    const made = await make('Dag Dahl', { personnummer: '199001012385' });
    const other = await make('Eva Ek', { personnummer: '198507153990' });
    const before = { bytes: readFileSync(made.file), mtime: statSync(made.file).mtimeMs };
    const attempts = attemptsIn('lock');
    const tries: Array<number | undefined> = [];
    for (let i = 1; i < FILE_PASSWORD_MAX_FAILURES; i++) {
      const error = (await openFileSigner({ file: made.file, password: `fel ${i}`, attempts }).catch((e: unknown) => e)) as FileCredentialError;
      expect(error).toBeInstanceOf(FileCredentialError);
      expect(error.code).toBe('PASSWORD_INCORRECT');
      tries.push(error.triesLeft);
    }
    expect(tries).toEqual([4, 3, 2, 1]);
    // Another file has its own count.
    expect((await loginSignatureVerifies(other.file, attempts)).signer.subject.commonName).toBe('Eva Ek');
    const fifth = (await openFileSigner({ file: made.file, password: 'fel 5', attempts }).catch((e: unknown) => e)) as FileCredentialError;
    expect(fifth.code).toBe('FILE_CREDENTIAL_LOCKED');
    expect(fifth.message).toMatch(/locked after 5 wrong passwords in a row.*order a new BankID from your bank/);
    // Locked: even the right password is refused, and a copy of the file is the same credential.
    await expect(openFileSigner({ file: made.file, password: PASSWORD, attempts })).rejects.toMatchObject({ code: 'FILE_CREDENTIAL_LOCKED' });
    const copy = path.join(tmp, 'copy.p12');
    copyFileSync(made.file, copy);
    await expect(openFileSigner({ file: copy, password: PASSWORD, attempts })).rejects.toMatchObject({ code: 'FILE_CREDENTIAL_LOCKED' });
    expect((await readFileCredential(made.file, attempts)).locked).toBe(true);
    expect(readFileSync(made.file).equals(before.bytes)).toBe(true);
    expect(statSync(made.file).mtimeMs).toBe(before.mtime);
    expect(readFileSync(attempts.stateFile, 'utf8')).not.toContain('fel');
  });

  it('a right password starts the count again; the signer signs once only', async () => {
    const made = await make('Fia Falk', { personnummer: '199001012385' });
    const attempts = attemptsIn('reset');
    await expect(openFileSigner({ file: made.file, password: 'fel', attempts })).rejects.toMatchObject({ triesLeft: 4 });
    const signer = await openFileSigner({ file: made.file, password: PASSWORD, attempts });
    expect(await attempts.status(signer.id)).toEqual({ failures: 0, locked: false });
    await signChallenge(new Uint8Array([1, 2, 3]), signer);
    await expect(signChallenge(new Uint8Array([1, 2, 3]), signer)).rejects.toMatchObject({ code: 'PASSWORD_REQUIRED' });
    await expect(openFileSigner({ file: made.file, password: 'fel', attempts })).rejects.toMatchObject({ triesLeft: 4 });
  });

  it('refuses what is not a BankID på fil, without counting', async () => {
    const junk = path.join(tmp, 'junk.p12');
    writeFileSync(junk, 'not a pfx');
    const attempts = attemptsIn('junk');
    await expect(openFileSigner({ file: junk, password: 'x', attempts })).rejects.toMatchObject({ code: 'FILE_CREDENTIAL_INVALID' });
    await expect(openFileSigner({ file: path.join(tmp, 'missing.p12'), password: 'x', attempts })).rejects.toMatchObject({ code: 'FILE_CREDENTIAL_INVALID' });
  });
});

describe('e-tjänstelegitimation in a file', () => {
  it('shows the organisation, not a personnummer', async () => {
    const made = await make('Gustav Gran', { organisation: { number: '5565027223', name: 'Exempelbolaget AB', personId: '0042' } });
    const info = await readFileCredential(made.file);
    expect(info.holder).toEqual({
      name: 'Gustav Gran',
      organisation: { number: '5565027223', name: 'Exempelbolaget AB', personId: '0042' },
      validUntil: expect.any(String),
    });
  });
});

describe('discovery', () => {
  it('finds *.p12 and *.pfx in the BankID folders and picked files, each file once, junk left out', async () => {
    const dir = path.join(tmp, 'bankid');
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    const anna = await make('Anna Andersson', { personnummer: '199001012385' });
    const bo = await make('Bo Berg', { personnummer: '198507153990' });
    copyFileSync(anna.file, path.join(dir, 'anna.p12'));
    copyFileSync(bo.file, path.join(dir, 'BO.PFX'));
    copyFileSync(anna.file, path.join(dir, 'anna-copy.p12'));
    copyFileSync(bo.file, path.join(dir, 'sub', 'deep.p12'));
    writeFileSync(path.join(dir, 'junk.p12'), 'x');
    writeFileSync(path.join(dir, 'notes.txt'), 'x');
    const picked = await make('Cilla Carlsson', { personnummer: '199001012385' });
    const found = await listFileCredentials([dir, path.join(tmp, 'no-such-dir')], { files: [picked.file] });
    expect(found.map((f) => [f.fileName, f.holder?.name])).toEqual([
      ['anna-copy.p12', 'Anna Andersson'],
      ['BO.PFX', 'Bo Berg'],
      [path.basename(picked.file), 'Cilla Carlsson'],
    ]);
    expect(found[0]!.id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('looks in $EKORT_BANKID_DIR, else ~/.bankid; counts in $XDG_STATE_HOME/ekort', () => {
    expect(defaultBankIdDirs({}, '/home/anna')).toEqual(['/home/anna/.bankid']);
    expect(defaultBankIdDirs({ EKORT_BANKID_DIR: '/media/usb/bankid:/srv/ids' }, '/home/anna')).toEqual(['/media/usb/bankid', '/srv/ids']);
    expect(defaultAttemptsFile({ XDG_STATE_HOME: '/x/state' }, '/home/anna')).toBe('/x/state/ekort/file-credentials.json');
    expect(defaultAttemptsFile({}, '/home/anna')).toBe('/home/anna/.local/state/ekort/file-credentials.json');
  });
});
