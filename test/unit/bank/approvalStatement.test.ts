/**
 * The approval statement the app signs: its canonical JSON bytes, the ECDSA P-256
 * signature (checked with OpenSSL too), every tampered field refused; and the app file:
 * the private key sealed under the PIN, three wrong PINs lock it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalStatement, enrolmentProof, loadAppFile, newAppKeyPair, saveAppFile, sealAppFile, unlockApp } from '../../../src/bank/approval/appWallet.ts';
import { type ApprovalStatement, canonicalJson, p256PublicKey, signStatement, statementBytes, verifyStatement } from '../../../src/bank/approval/statement.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-approval-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const statement: ApprovalStatement = {
  type: 'ekort-app-approval',
  version: 1,
  orderRef: '131daac9-16c6-4618-beb0-365768f37288',
  relyingParty: 'ekort-reference',
  visibleText: 'Logga in på e-kort',
  seen: { kind: 'qr', value: `bankid.67df3917-fa0d-44e5-b327-edcc928297f8.3.${'ab'.repeat(32)}` },
  time: '2026-11-22T10:00:03.000Z',
  deviceId: '0b5c7f3e-4f7e-4a65-9d3e-1f0d2a7c9b11',
};

describe('canonical JSON', () => {
  it('sorts keys at every level, no whitespace, UTF-8', () => {
    expect(canonicalJson({ b: 'x', a: { d: 1, c: 'å' } })).toBe('{"a":{"c":"å","d":1},"b":"x"}');
    expect(statementBytes(statement).toString('utf8')).toBe(
      '{"deviceId":"0b5c7f3e-4f7e-4a65-9d3e-1f0d2a7c9b11","orderRef":"131daac9-16c6-4618-beb0-365768f37288","relyingParty":"ekort-reference",' +
        `"seen":{"kind":"qr","value":"${statement.seen.value}"},"time":"2026-11-22T10:00:03.000Z","type":"ekort-app-approval","version":1,"visibleText":"Logga in på e-kort"}`,
    );
    // Key order of the object given does not matter.
    const shuffled = Object.fromEntries(Object.entries(statement).reverse()) as unknown as ApprovalStatement;
    expect(statementBytes(shuffled).equals(statementBytes(statement))).toBe(true);
  });

  it('takes no floats, arrays or null', () => {
    expect(() => canonicalJson({ a: 1.5 })).toThrow(TypeError);
    expect(() => canonicalJson({ a: [1] as never })).toThrow(TypeError);
    expect(() => canonicalJson({ a: null as never })).toThrow(TypeError);
  });
});

describe('the approval signature', () => {
  const { publicKey, privateKey } = newAppKeyPair();
  const key = p256PublicKey(publicKey)!;

  it('verifies, and OpenSSL agrees (ECDSA P-256 SHA-256, DER)', async () => {
    const signature = signStatement(statement, privateKey);
    expect(verifyStatement(statement, signature, key)).toBe(true);
    await writeFile(path.join(dir, 'statement.json'), statementBytes(statement));
    await writeFile(path.join(dir, 'signature.der'), Buffer.from(signature, 'base64'));
    await writeFile(path.join(dir, 'app.pub.der'), Buffer.from(publicKey, 'base64'));
    const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', path.join(dir, 'app.pub.der'), '-keyform', 'DER', '-signature', path.join(dir, 'signature.der'), path.join(dir, 'statement.json')]);
    expect(out.toString()).toContain('Verified OK');
  });

  it('refuses every tampered field, another key and a broken signature', () => {
    const signature = signStatement(statement, privateKey);
    const tampered: ApprovalStatement[] = [
      { ...statement, orderRef: '231daac9-16c6-4618-beb0-365768f37288' },
      { ...statement, relyingParty: 'evil-bank' },
      { ...statement, visibleText: 'Överför 10 000 kr' },
      { ...statement, seen: { kind: 'autostart', value: statement.seen.value } },
      { ...statement, seen: { kind: 'qr', value: statement.seen.value.replace('.3.', '.4.') } },
      { ...statement, time: '2026-11-22T10:00:04.000Z' },
      { ...statement, deviceId: '1b5c7f3e-4f7e-4a65-9d3e-1f0d2a7c9b11' },
    ];
    for (const t of tampered) expect(verifyStatement(t, signature, key), JSON.stringify(t)).toBe(false);
    const other = p256PublicKey(newAppKeyPair().publicKey)!;
    expect(verifyStatement(statement, signature, other)).toBe(false);
    expect(verifyStatement(statement, 'AAAA', key)).toBe(false);
    expect(verifyStatement(statement, '', key)).toBe(false);
  });

  it('takes only P-256 public keys', () => {
    expect(p256PublicKey(publicKey)).toBeDefined();
    expect(p256PublicKey('AAAA')).toBeUndefined();
    const rsa = execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024']);
    const rsaPub = execFileSync('openssl', ['pkey', '-pubout', '-outform', 'DER'], { input: rsa });
    expect(p256PublicKey(rsaPub.toString('base64'))).toBeUndefined();
  });

  it('the enrolment proof binds the code and the key', () => {
    const proof = enrolmentProof('ABCD-EFGH-JKLM-NPQR', publicKey, privateKey);
    expect(verifyStatement({ type: 'ekort-app-enrolment', version: 1, code: 'ABCD-EFGH-JKLM-NPQR', publicKey }, proof, key)).toBe(true);
    expect(verifyStatement({ type: 'ekort-app-enrolment', version: 1, code: 'ABCD-EFGH-JKLM-NPQS', publicKey }, proof, key)).toBe(false);
  });
});

describe('the app file', () => {
  const customer = { name: 'Anna Andersson', personnummer: '199001012385' };

  async function newApp(name: string) {
    const { publicKey, privateKey } = newAppKeyPair();
    const file = path.join(dir, name);
    await saveAppFile(file, sealAppFile({ server: 'http://127.0.0.1:1', deviceId: 'dev-12345678', customer, publicKey, privateKey, pin: '482915' }));
    return { file, publicKey, privateKey };
  }

  it('keeps the private key encrypted under the PIN, mode 0600, neither PIN nor key in clear', async () => {
    const { file, publicKey, privateKey } = await newApp('app1.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const text = await readFile(file, 'utf8');
    const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    expect(text).not.toContain(pkcs8);
    expect(text).not.toContain('482915');
    const { privateKey: opened } = await unlockApp(file, '482915');
    const signed = signStatement(approvalStatement({ ...statement, seen: statement.seen, time: new Date() }), opened);
    expect(signed.length).toBeGreaterThan(60);
    expect((await loadAppFile(file)).publicKey).toBe(publicKey);
  });

  it('counts wrong PINs in the file, resets on the right one, locks at the third', async () => {
    const { file } = await newApp('app2.json');
    await expect(unlockApp(file, '000000')).rejects.toMatchObject({ code: 'APP_PIN_WRONG', triesLeft: 2 });
    await expect(unlockApp(file, '000000')).rejects.toMatchObject({ code: 'APP_PIN_WRONG', triesLeft: 1 });
    await unlockApp(file, '482915');
    expect((await loadAppFile(file)).pinTriesLeft).toBe(3);
    await expect(unlockApp(file, '12345')).rejects.toMatchObject({ code: 'APP_PIN_FORMAT' }); // no try used
    for (const left of [2, 1]) await expect(unlockApp(file, '999999')).rejects.toMatchObject({ code: 'APP_PIN_WRONG', triesLeft: left });
    await expect(unlockApp(file, '999999')).rejects.toMatchObject({ code: 'APP_LOCKED' });
    // Locked for good, the right PIN too.
    await expect(unlockApp(file, '482915')).rejects.toMatchObject({ code: 'APP_LOCKED' });
    expect(await loadAppFile(file)).toMatchObject({ locked: true, pinTriesLeft: 0 });
  });
});
