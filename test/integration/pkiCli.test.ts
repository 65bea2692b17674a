/**
 * The login signature as a user makes and checks it: `ekort pki init`, a virtual card issued by
 * that PKI and inserted into vpcd, `ekort card sign` through pcscd, then OpenSSL and
 * `ekort pki verify` on the result, before and after `ekort pki revoke`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ekort, type EkortRun, vpcdCardSlot } from '../support/ekortCli.ts';
import { requireSystem, startPcscd, vpcdPorts, vpcdReaders, waitForCard } from '../support/pcscd.ts';

const available = await requireSystem('pcscd', 'pcsc_scan', 'openssl');
const READER = vpcdReaders[0];


function openssl(args: string[]): Promise<EkortRun> {
  return new Promise((resolve) => {
    execFile('openssl', args, { timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe.skipIf(!available)('ekort pki and card sign with a virtual card through pcscd', () => {
  let dir: string;
  let ca: string;
  let chain: string;
  let challenge: string;
  const slot = vpcdCardSlot(vpcdPorts[0], READER, waitForCard);
  const insert = (file: string) => slot.insert(file);
  const pullOut = () => slot.pullOut();

  /** OpenSSL 3.0's cms has no -untrusted: the issuing CAs go into -CAfile next to the root. */
  const opensslVerify = (p7s: string, content: string, extra: string[] = [], caFile = chain) =>
    openssl(['cms', '-verify', '-inform', 'DER', '-in', p7s, '-binary', '-content', content, '-CAfile', caFile, '-purpose', 'any', '-out', '/dev/null', ...extra]);

  beforeAll(async () => {
    await startPcscd();
    dir = mkdtempSync(path.join(os.tmpdir(), 'ekort-pki-cli-'));
    ca = path.join(dir, 'ca');
    const init = await ekort(['pki', 'init', '--out', ca, '--json']);
    expect(init.code, init.stderr).toBe(0);
    expect(JSON.parse(init.stdout)).toMatchObject({ dir: ca, intermediates: 2, crls: 2 });
    expect((await ekort(['pki', 'init', '--out', ca])).code).toBe(1);
    chain = path.join(dir, 'chain.pem');
    writeFileSync(chain, ['root.pem', 'issuing-rsa.pem', 'issuing-ec.pem'].map((f) => readFileSync(path.join(ca, f), 'utf8')).join(''));
    challenge = path.join(dir, 'challenge.bin');
    writeFileSync(challenge, Buffer.from('e-kort login challenge 8f1c2a'));
  });

  afterEach(pullOut);

  afterAll(async () => {
    await pullOut();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['rsa2048', '9a'],
    ['p256', '9c'],
  ] as const)('%s card, slot %s: signs, OpenSSL and pki verify accept, and reject after revoke', async (key, slot) => {
    const card = path.join(dir, `${key}.json`);
    const made = await ekort(['virtual-card', 'create', '--out', card, '--name', 'Anna Andersson', '--personnummer', '199001012385', '--key', key, '--ca', ca]);
    expect(made.code, made.stderr).toBe(0);
    await insert(card);

    const p7s = path.join(dir, `${key}.p7s`);
    const signed = await ekort(['card', 'sign', '--reader', READER, '--slot', slot, '--in', challenge, '--out', p7s, '--pin-stdin', '--json'], '123456\n');
    expect(signed.code, signed.stderr).toBe(0);
    expect(JSON.parse(signed.stdout)).toMatchObject({ slot, keyType: key, signer: 'C=SE, serialNumber=199001012385, CN=Anna Andersson' });

    const checked = await opensslVerify(p7s, challenge);
    expect(checked.stderr).toContain('Verification successful');
    expect(checked.code).toBe(0);
    // Without the root the chain is not trusted: the issuing CA alone is no anchor.
    expect((await opensslVerify(p7s, challenge, [], path.join(ca, `issuing-${key === 'rsa2048' ? 'rsa' : 'ec'}.pem`))).code).not.toBe(0);

    const verified = await ekort(['pki', 'verify', '--ca', ca, '--content', challenge, p7s, '--json']);
    expect(verified.code, verified.stderr).toBe(0);
    const result = JSON.parse(verified.stdout);
    expect(result).toMatchObject({ valid: true, signer: { commonName: 'Anna Andersson', personnummer: '199001012385' } });
    const text = await ekort(['pki', 'verify', '--ca', ca, '--content', challenge, p7s]);
    expect(text.stdout).toContain('Signature valid: signed by CN=Anna Andersson');

    const wrong = await ekort(['pki', 'verify', '--ca', ca, '--content', card, p7s, '--json']);
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout).error.code).toBe('WRONG_CHALLENGE');

    const revoked = await ekort(['pki', 'revoke', '--ca', ca, result.signer.serialNumber]);
    expect(revoked.code, revoked.stderr).toBe(0);
    const rejected = await ekort(['pki', 'verify', '--ca', ca, '--content', challenge, p7s, '--json']);
    expect(rejected.code).toBe(1);
    expect(JSON.parse(rejected.stdout).error.code).toBe('CERT_REVOKED');
    const withCrls = path.join(dir, `crls-${key}.pem`);
    writeFileSync(withCrls, readFileSync(chain, 'utf8') + ['issuing-rsa.crl.pem', 'issuing-ec.crl.pem'].map((f) => readFileSync(path.join(ca, f), 'utf8')).join(''));
    const opensslRevoked = await opensslVerify(p7s, challenge, ['-crl_check'], withCrls);
    expect(opensslRevoked.code).not.toBe(0);
    expect(opensslRevoked.stderr).toContain('revoked');
  });

  it('card sign: a wrong PIN fails with the tries left and writes nothing; usage errors exit 2', async () => {
    const card = path.join(dir, 'pin.json');
    expect((await ekort(['virtual-card', 'create', '--out', card, '--key', 'p256', '--ca', ca])).code).toBe(0);
    await insert(card);
    const out = path.join(dir, 'never.p7s');
    const wrong = await ekort(['card', 'sign', '--in', challenge, '--out', out, '--pin-stdin', '--json'], '654321\n');
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout).error).toMatchObject({ code: 'PIN_INCORRECT', retriesLeft: 2 });
    expect(() => readFileSync(out)).toThrow();
    expect((await ekort(['card', 'sign', '--in', challenge, '--out', out, '--slot', '9e', '--pin-stdin'], '123456\n')).code).toBe(2);
    expect((await ekort(['card', 'sign', '--out', out])).code).toBe(2);
  });

  it('pki issue writes a software key and certificate that OpenSSL signs and verifies with', async () => {
    const key = path.join(dir, 'soft.key.pem');
    const cert = path.join(dir, 'soft.pem');
    const issued = await ekort(['pki', 'issue', '--ca', ca, '--name', 'Bertil Bok', '--key', 'rsa2048', '--out-key', key, '--out-cert', cert, '--json']);
    expect(issued.code, issued.stderr).toBe(0);
    const p7s = path.join(dir, 'soft.p7s');
    const signed = await openssl(['cms', '-sign', '-binary', '-in', challenge, '-signer', cert, '-inkey', key, '-md', 'sha256', '-outform', 'DER', '-out', p7s]);
    expect(signed.code, signed.stderr).toBe(0);
    const verified = await ekort(['pki', 'verify', '--ca', ca, '--content', challenge, p7s, '--json']);
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout).signer.commonName).toBe('Bertil Bok');
    expect((await ekort(['pki', 'revoke', '--ca', ca, '00ff', '--json'])).code).toBe(1);
  });
});
