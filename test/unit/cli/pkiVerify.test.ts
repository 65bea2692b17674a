/** `ekort pki verify` in process: the time options, on a CMS the virtual card signed. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { PivSession } from '../../../src/piv/pivSession.ts';
import { InProcessTransport } from '../../../src/pcsc/inProcessTransport.ts';
import { pivSigner } from '../../../src/piv/pivSigner.ts';
import { signChallenge } from '../../../src/pki/loginSignature.ts';
import { initTestPki, issuerFor } from '../../../src/pki/testPki.ts';
import { createCardImage } from '../../../src/virtual/cardImage.ts';
import { VirtualPivCard } from '../../../src/virtual/pivCard.ts';
import { memoryIo } from '../../support/memoryIo.ts';

const io = memoryIo;

describe('ekort pki verify --at / --max-age', () => {
  let dir: string;
  let args: string[];
  // Whole seconds: signingTime is encoded to the second.
  const signedAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 60_000);
  const plus = (ms: number) => new Date(signedAt.getTime() + ms).toISOString();

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ekort-pki-verify-'));
    await initTestPki(path.join(dir, 'ca'));
    const image = await createCardImage({ name: 'Time Test', keyType: 'p256', issue: issuerFor(path.join(dir, 'ca')) });
    const session = await PivSession.open(new InProcessTransport(new VirtualPivCard(image)));
    await session.verifyPin('123456');
    const challenge = randomBytes(32);
    const cms = await signChallenge(challenge, await pivSigner(session, '9a'), { signingTime: signedAt });
    writeFileSync(path.join(dir, 'challenge.bin'), challenge);
    writeFileSync(path.join(dir, 'login.p7s'), cms);
    args = ['pki', 'verify', '--ca', path.join(dir, 'ca'), '--content', path.join(dir, 'challenge.bin'), path.join(dir, 'login.p7s'), '--json'];
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts the signature at a time inside its window', async () => {
    const run = io();
    expect(await main([...args, '--at', plus(60_000)], run.io)).toBe(0);
    expect(JSON.parse(run.out[0]!)).toMatchObject({ valid: true, signingTime: signedAt.toISOString() });
  });

  it('refuses it later as at login, unless --max-age allows it', async () => {
    const late = io();
    expect(await main([...args, '--at', plus(600_000)], late.io)).toBe(1);
    expect(JSON.parse(late.out[0]!).error.code).toBe('SIGNING_TIME_OUT_OF_WINDOW');
    const allowed = io();
    expect(await main([...args, '--at', plus(600_000), '--max-age', '3600'], allowed.io)).toBe(0);
  });

  it('rejects a time that is not ISO 8601 as a usage error', async () => {
    const run = io();
    expect(await main([...args, '--at', 'yesterday'], run.io)).toBe(2);
    expect(run.err[0]).toContain('--at "yesterday" is not an ISO 8601 time');
  });
});
