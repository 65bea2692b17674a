/**
 * The virtual YubiKey in ekort's reader, with Yubico's ykman (Debian's yubikey-manager) as the
 * peer: ykman info, piv info, piv keys/certificates/access/reset and oath accounts
 * add/list/code accept it, and its codes, ours (OathSession, `ekort oath`) and RFC 4226/6238's
 * agree.
 */
import { execFile } from 'node:child_process';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OathSession } from '../../src/oath/index.ts';
import { ReaderMonitor } from '../../src/pcsc/readerMonitor.ts';
import { totp } from '../../src/token/index.ts';
import { ekortReaderSlot } from '../../src/virtual/ekortReaders.ts';
import { createYubiKeyImage, saveYubiKeyImage, VirtualYubiKey, type YubiKeyImage } from '../../src/virtual/virtualYubiKey.ts';
import { VpcdLink } from '../../src/virtual/vpcdLink.ts';
import { ekort } from '../support/ekortCli.ts';
import { ekortReaders, findExecutable, requireSystem, startPcscd, waitForCard } from '../support/pcscd.ts';

const available = await requireSystem('pcscd', 'ekort-ifd', 'ykman', 'yubico-piv-tool', 'openssl');
const READER = ekortReaders[1];
/** RFC 4226 / 6238's secret "12345678901234567890", in base32. */
const RFC_SECRET_B32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RFC_SECRET = new TextEncoder().encode('12345678901234567890');
/** The 9B key every PIV application leaves the factory with. */
const FACTORY_9B = '010203040506070801020304050607080102030405060708';

function ykman(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(findExecutable('ykman')!, ['--reader', READER, ...args], { timeout: 30_000 }, (e, out, err) => (e ? reject(new Error(`ykman ${args.join(' ')}: ${err || e.message}`)) : resolve(out))),
  );
}

/** Runs a peer with stdin closed, so that one asking for input fails instead of waiting: its stdout, then its stderr. */
function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { timeout: 20_000 }, (e, out, err) => (e ? reject(new Error(`${command}: ${err || e.message}`)) : resolve(out + err)));
    child.stdin?.end();
  });
}

/** Waits until the clock is at least 3 s from a 30-s step boundary, so two programs see one step. */
async function midStep(): Promise<void> {
  for (;;) {
    const into = (Date.now() / 1000) % 30;
    if (into > 2 && into < 27) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe.skipIf(!available)('virtual YubiKey with ykman as the peer', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ekort-yk-'));
  const file = path.join(dir, 'yubikey.json');
  let link: VpcdLink;

  beforeAll(async () => {
    await startPcscd();
    await saveYubiKeyImage(file, await createYubiKeyImage({ serial: 12345678, name: 'Key Holder' }));
    link = new VpcdLink(await VirtualYubiKey.open(file), { path: ekortReaderSlot(READER)!.path });
    await link.start();
    await waitForCard(READER, { present: true });
  });

  afterAll(async () => {
    await link?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ykman info: a YubiKey 5 with its serial and firmware, PIV and OATH enabled', async () => {
    const out = await ykman('info');
    expect(out).toMatch(/^Serial number: 12345678$/m);
    expect(out).toMatch(/^Firmware version: 5\.4\.3$/m);
    expect(out).toMatch(/^OATH\s+Enabled/m);
    expect(out).toMatch(/^PIV\s+Enabled/m);
  });

  it('ykman piv info: version, PIN tries by metadata, the certificates in 9A and 9C', async () => {
    const out = await ykman('piv', 'info');
    expect(out).toMatch(/^PIV version: 5\.4\.3$/m);
    expect(out).toMatch(/^PIN tries remaining: 3\/3$/m);
    expect(out).toMatch(/^Slot 9a:\n\tAlgorithm:\tECCP256\n\tSubject DN:\tCN=Key Holder/m);
    expect(out).toMatch(/^Slot 9c:/m);
  });

  it('an account ykman adds: listed by us, and its code equal from ykman, from us and by RFC 6238', async () => {
    await ykman('oath', 'accounts', 'add', '-o', 'TOTP', '-d', '8', 'RFC:alice', RFC_SECRET_B32);
    const monitor = new ReaderMonitor().start();
    try {
      await monitor.settled();
      const transport = await monitor.connect(READER);
      try {
        const session = await OathSession.open((apdu) => transport.transmit(apdu));
        expect(await session.list()).toEqual([expect.objectContaining({ id: 'RFC:alice', issuer: 'RFC', name: 'alice', type: 'totp' })]);
        await midStep();
        const now = Date.now() / 1000;
        const ours = await session.calculateAll(now);
        const theirs = await ykman('oath', 'accounts', 'code', 'alice');
        const rfc = totp({ secret: RFC_SECRET, time: new Date(now * 1000), digits: 8, algorithm: 'sha1' });
        expect(ours[0]?.code).toBe(rfc);
        expect(theirs).toMatch(new RegExp(`^RFC:alice\\s+${rfc}$`, 'm'));
      } finally {
        await transport.close();
      }
    } finally {
      await monitor.close();
    }
  });

  it('ekort oath add/code/delete for HOTP: RFC 4226 codes, the counter shared with ykman', async () => {
    const added = await ekort(['oath', 'add', 'counter', '--type', 'hotp', '--reader', READER, '--secret-stdin'], `${RFC_SECRET_B32}\n`);
    expect(added).toMatchObject({ code: 0, stdout: 'Added counter to the key.\n' });
    expect(await ykman('oath', 'accounts', 'code', 'counter')).toMatch(/^counter\s+755224$/m);
    const ours = await ekort(['oath', 'code', 'counter', '--reader', READER, '--json']);
    expect(JSON.parse(ours.stdout)).toEqual({ codes: [expect.objectContaining({ code: '287082' })] });
    expect((await ekort(['oath', 'list', '--reader', READER])).stdout).toBe('RFC:alice\ncounter  (HOTP)\n');
    expect(await ekort(['oath', 'delete', 'counter', '--reader', READER])).toMatchObject({ code: 0 });
    expect(await ykman('oath', 'accounts', 'list')).toBe('RFC:alice\n');
    const gone = await ekort(['oath', 'delete', 'counter', '--reader', READER, '--json']);
    expect(gone.code).toBe(1);
    expect(JSON.parse(gone.stdout)).toMatchObject({ error: { code: 'OATH_NO_SUCH_CREDENTIAL' } });
  });

  it('a password ykman sets: ykman and ekort oath need it, a wrong one is refused, the key proves it holds it', async () => {
    await ykman('oath', 'access', 'change', '-n', 'hemligt');
    const locked = await ekort(['oath', 'list', '--reader', READER, '--json']);
    expect(locked.code).toBe(2);
    const wrong = await ekort(['oath', 'list', '--reader', READER, '--password-stdin', '--json'], 'fel\n');
    expect(JSON.parse(wrong.stdout)).toMatchObject({ error: { code: 'OATH_WRONG_PASSWORD' } });
    const right = await ekort(['oath', 'list', '--reader', READER, '--password-stdin', '--json'], 'hemligt\n');
    expect(JSON.parse(right.stdout)).toEqual({ accounts: [expect.objectContaining({ id: 'RFC:alice' })] });
    expect(await ykman('oath', 'accounts', 'list', '-p', 'hemligt')).toBe('RFC:alice\n');
    await ykman('oath', 'access', 'change', '-p', 'hemligt', '--clear');
    expect((await ekort(['oath', 'list', '--reader', READER])).stdout).toBe('RFC:alice\n');
  });

  it('ykman generates a key in 9A and a certificate for it with the factory 9B key; the card signed it with that key', async () => {
    const pub = path.join(dir, '9a.pub.pem');
    await ykman('piv', 'keys', 'generate', '-a', 'ECCP256', '-m', FACTORY_9B, '9a', pub);
    await ykman('piv', 'certificates', 'generate', '-m', FACTORY_9B, '-P', '123456', '-s', 'CN=Generated on the key', '9a', pub);
    const info = await ykman('piv', 'info');
    expect(info).toMatch(/^Slot 9a:\n\tAlgorithm:\tECCP256\n\tSubject DN:\tCN=Generated on the key$/m);
    const cert = new X509Certificate(await ykman('piv', 'certificates', 'export', '9a', '-'));
    const publicKey = createPublicKey(readFileSync(pub));
    expect(cert.publicKey.equals(publicKey)).toBe(true);
    expect(cert.verify(publicKey)).toBe(true);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as YubiKeyImage;
    expect(saved.piv.slots['9a']).toMatchObject({ keyType: 'p256', generated: true });
    // ykman's attestation of that key: openssl finds it issued by the key's F9 certificate.
    const attestation = path.join(dir, '9a.attestation.pem');
    const f9 = path.join(dir, 'f9.pem');
    await ykman('piv', 'keys', 'attest', '9a', attestation);
    await ykman('piv', 'certificates', 'export', 'f9', f9);
    expect(await run('openssl', ['verify', '-CAfile', f9, attestation])).toBe(`${attestation}: OK\n`);
    // A key generated without a certificate: ekort card info tells of it from the key's metadata.
    await ykman('piv', 'keys', 'generate', '-a', 'ECCP256', '-m', FACTORY_9B, '9e', path.join(dir, '9e.pub.pem'));
    const cardInfo = await ekort(['card', 'info', '--reader', READER, '--json']);
    expect(JSON.parse(cardInfo.stdout).keysWithoutCertificate).toEqual([{ slot: '9e', purpose: 'Card Authentication', algorithm: 'p256', origin: 'generated' }]);
    expect((await ekort(['card', 'info', '--reader', READER])).stdout).toContain('Slot 9e (Card Authentication): p256, generated on the card; no certificate\n');
  });

  it("ykman imports OpenSSL's RSA key into 9C; the certificate ykman then makes with it passes openssl verify", async () => {
    const keyFile = path.join(dir, 'rsa.pem');
    const pubFile = path.join(dir, 'rsa.pub.pem');
    const certFile = path.join(dir, 'rsa.crt');
    await run('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', keyFile]);
    await run('openssl', ['pkey', '-in', keyFile, '-pubout', '-out', pubFile]);
    await ykman('piv', 'keys', 'import', '-m', FACTORY_9B, '9c', keyFile);
    await ykman('piv', 'certificates', 'generate', '-m', FACTORY_9B, '-P', '123456', '-s', 'CN=Imported', '9c', pubFile);
    await ykman('piv', 'certificates', 'export', '9c', certFile);
    expect(await run('openssl', ['verify', '-check_ss_sig', '-CAfile', certFile, certFile])).toBe(`${certFile}: OK\n`);
    expect(createPublicKey(readFileSync(pubFile)).equals(new X509Certificate(readFileSync(certFile)).publicKey)).toBe(true);
  });

  it('ykman changes the 9B key to AES-128 and sets the retries; the old key no longer works', async () => {
    const aes = '00112233445566778899aabbccddeeff';
    await ykman('piv', 'access', 'change-management-key', '-m', FACTORY_9B, '-a', 'AES128', '-n', aes, '-f');
    await expect(ykman('piv', 'keys', 'generate', '-a', 'ECCP256', '-m', FACTORY_9B, '9e', path.join(dir, '9e.pem'))).rejects.toThrow(/management key/i);
    await ykman('piv', 'access', 'set-retries', '5', '4', '-m', aes, '-P', '123456', '-f');
    const info = await ykman('piv', 'info');
    expect(info).toMatch(/^PIN tries remaining: 5\/5$/m);
    expect(info).toMatch(/^Management key algorithm: AES128$/m);
  });

  it('ykman piv reset: it blocks PIN and PUK itself, then the key has its factory PIN, PUK and 9B key and no keys', async () => {
    expect(await ykman('piv', 'reset', '-f')).toMatch(/Success/);
    const info = await ykman('piv', 'info');
    expect(info).toMatch(/^PIN tries remaining: 3\/3$/m);
    expect(info).toMatch(/^WARNING: Using default Management key!$/m);
    expect(info).not.toMatch(/^Slot 9a:/m);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as YubiKeyImage;
    expect([saved.piv.slots, saved.piv.managementKey, saved.piv.pinMaxTries]).toEqual([{}, undefined, 3]);
  });

  it("Yubico's yubico-piv-tool (libykpiv, which takes answers without Le) generates, imports and signs, and resets", async () => {
    const keyFile = path.join(dir, 'p256.pem');
    const certFile = path.join(dir, 'p256.crt');
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile, '-subj', '/CN=Imported P-256', '-days', '30']);
    const pivTool = (...args: string[]) => run('yubico-piv-tool', ['-r', READER, ...args]);
    expect(await pivTool('-a', 'generate', '-s', '9a', '-A', 'ECCP256', `--key=${FACTORY_9B}`)).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    await pivTool('-a', 'import-key', '-s', '9e', '-i', keyFile, `--key=${FACTORY_9B}`);
    await pivTool('-a', 'import-certificate', '-s', '9e', '-i', certFile, `--key=${FACTORY_9B}`);
    // The card signs; the tool verifies with the certificate it was given.
    expect(await pivTool('-a', 'test-signature', '-s', '9e', '-i', certFile)).toMatch(/Successful ECDSA verification/);
    expect(await pivTool('-a', 'verify-pin', '-P', '123456', '-a', 'pin-retries', '--pin-retries', '6', '--puk-retries', '5', `--key=${FACTORY_9B}`)).toMatch(/changed pin retries to 6/);
    expect(await pivTool('-a', 'status')).toMatch(/^PIN tries left:\t6$/m);
    for (let i = 0; i < 6; i++) await pivTool('-a', 'verify-pin', '-P', '000000').catch(() => undefined);
    for (let i = 0; i < 5; i++) await pivTool('-a', 'unblock-pin', '-P', '00000000', '-N', '123456').catch(() => undefined);
    expect(await pivTool('-a', 'reset')).toMatch(/Successfully reset/);
    expect(await pivTool('-a', 'status')).toMatch(/^PIN tries left:\t3$/m);
  });
});
