/**
 * The virtual PIV card against real middleware: pcscd + vpcd carry it, OpenSC's PIV driver
 * reads it (opensc-tool, pkcs15-tool) and signs with it through its PKCS#11 module
 * (pkcs11-tool), and openssl checks the signatures. Every tool runs as an asynchronous child
 * process: the card answers from this same process.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/iso7816/hex.ts';
import { createCardImage, saveCardImage, type CardImage, type PivKeyType } from '../../src/virtual/cardImage.ts';
import { VirtualPivCard } from '../../src/virtual/pivCard.ts';
import { VpcdLink } from '../../src/virtual/vpcdLink.ts';
import { findExecutable, OPENSC_PKCS11_MODULE, requireSystem, startPcscd, vpcdPorts, vpcdReaders, waitForCard } from '../support/pcscd.ts';

const available = await requireSystem('pcscd', 'opensc-tool', 'pkcs11-tool', 'pkcs15-tool', 'openssl');
const PORT = vpcdPorts[1];
const READER = vpcdReaders[1];
const PIN = '123456';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool asynchronously; a non-zero exit is returned, not thrown. */
function run(tool: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const bin = findExecutable(tool);
    if (!bin) return reject(new Error(`${tool} is not installed`));
    execFile(bin, args, { timeout: 30_000, maxBuffer: 1 << 24 }, (e, stdout, stderr) => {
      if (e && typeof e.code !== 'number') return reject(e);
      resolve({ code: e ? (e.code as number) : 0, stdout, stderr });
    });
  });
}

/** OpenSC's number for a reader, from `opensc-tool -l`. */
async function openscReaderIndex(reader: string): Promise<string> {
  const { stdout } = await run('opensc-tool', ['-l']);
  const line = stdout.split('\n').find((l) => l.trimEnd().endsWith(reader));
  const index = line && /^\s*(\d+)\s/.exec(line)?.[1];
  if (!index) throw new Error(`opensc-tool -l does not list ${reader}:\n${stdout}`);
  return index;
}

const pkcs11 = (args: string[]) => run('pkcs11-tool', ['--module', OPENSC_PKCS11_MODULE, '--slot-description', READER, ...args]);

describe.skipIf(!available).each([
  { keyType: 'p256' as PivKeyType, mechanism: 'ECDSA-SHA256', extra: ['--signature-format', 'openssl'] },
  { keyType: 'rsa2048' as PivKeyType, mechanism: 'SHA256-RSA-PKCS', extra: [] },
])('virtual PIV card ($keyType) with OpenSC through pcscd + vpcd', ({ keyType, mechanism, extra }) => {
  const name = `Interop ${keyType === 'p256' ? 'Ecc' : 'Rsa'} Testsson`;
  let dir: string;
  let file: string;
  let image: CardImage;
  let link: VpcdLink | undefined;

  beforeAll(async () => {
    await startPcscd(); // no-op when it runs; never restarted here, others' tests use it
    dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-piv-interop-'));
    file = path.join(dir, 'card.json');
    image = await createCardImage({ name, personnummer: '191212121212', keyType });
    // 9C's certificate gzip-compressed on the card (CertInfo 01): OpenSC must inflate it.
    image.slots['9c'] = { ...image.slots['9c']!, compressCertificate: true };
    await saveCardImage(file, image);
    await writeFile(path.join(dir, 'data.bin'), 'e-kort login challenge');
    for (const slot of ['9a', '9c'] as const) {
      const cert = new X509Certificate(Buffer.from(image.slots[slot]!.certificate!, 'base64'));
      await writeFile(path.join(dir, `${slot}.pub.pem`), cert.publicKey.export({ type: 'spki', format: 'pem' }));
    }
    await waitForCard(READER, { present: false });
    link = new VpcdLink(await VirtualPivCard.open(file), { port: PORT });
    await link.start();
    await waitForCard(READER, { atr: toHex(Buffer.from(image.atr, 'hex'), ' ') });
  });

  afterAll(async () => {
    await link?.stop();
    if (link) await waitForCard(READER, { present: false });
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('opensc-tool -n names it a PIV card', async () => {
    const { code, stdout } = await run('opensc-tool', ['-r', READER, '-n']);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('Personal Identity Verification Card');
  });

  it('pkcs15-tool lists both certificates, reads the compressed one, and the 9A one carries the holder as CN', async () => {
    const index = await openscReaderIndex(READER);
    const list = await run('pkcs15-tool', ['-r', index, '--list-certificates']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/X\.509 Certificate \[Certificate for PIV Authentication\][\s\S]*ID\s+: 01/);
    expect(list.stdout).toMatch(/X\.509 Certificate \[Certificate for Digital Signature\][\s\S]*ID\s+: 02/);
    // OpenSC 0.23 lists no subject; the certificate it reads shows it.
    const read = await run('pkcs15-tool', ['-r', index, '--read-certificate', '01']);
    expect(read.code).toBe(0);
    const cert = new X509Certificate(read.stdout);
    expect(cert.subject.split('\n')).toContain(`CN=${name}`);
    expect(cert.raw.toString('base64')).toBe(image.slots['9a']!.certificate);
    const compressed = await run('pkcs15-tool', ['-r', index, '--read-certificate', '02']);
    expect(new X509Certificate(compressed.stdout).raw.toString('base64')).toBe(image.slots['9c']!.certificate);
  });

  it('pkcs11-tool signs with the 9A key after --login; openssl verifies the signature', async () => {
    const sig = path.join(dir, `9a.${keyType}.sig`);
    const sign = await pkcs11(['--login', '--pin', PIN, '--sign', '--mechanism', mechanism, ...extra, '--id', '01', '-i', path.join(dir, 'data.bin'), '-o', sig]);
    expect(sign.code, sign.stderr).toBe(0);
    const check = await run('openssl', ['dgst', '-sha256', '-verify', path.join(dir, '9a.pub.pem'), '-signature', sig, path.join(dir, 'data.bin')]);
    expect(check.stdout.trim()).toBe('Verified OK');
  });

  it('signs with the 9C key too (PIN Always: OpenSC logs in again right before the signature)', async () => {
    const sig = path.join(dir, `9c.${keyType}.sig`);
    const sign = await pkcs11(['--login', '--pin', PIN, '--sign', '--mechanism', mechanism, ...extra, '--id', '02', '-i', path.join(dir, 'data.bin'), '-o', sig]);
    expect(sign.code, sign.stderr).toBe(0);
    const check = await run('openssl', ['dgst', '-sha256', '-verify', path.join(dir, '9c.pub.pem'), '-signature', sig, path.join(dir, 'data.bin')]);
    expect(check.stdout.trim()).toBe('Verified OK');
  });

  it('a wrong PIN through pkcs11-tool lowers the counter in the card image file; the right one restores it', async () => {
    const tries = async () => (JSON.parse(await readFile(file, 'utf8')) as CardImage).pinTriesLeft;
    expect(await tries()).toBe(3);
    const wrong = await pkcs11(['--login', '--pin', '000000', '--list-objects']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('CKR_PIN_INCORRECT');
    expect(await tries()).toBe(2);
    const right = await pkcs11(['--login', '--pin', PIN, '--list-objects']);
    expect(right.code, right.stderr).toBe(0);
    expect(await tries()).toBe(3);
  });
});
