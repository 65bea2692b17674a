/** The app's embedded service takes reference rates and the demo PKI's trust from the data folder, as `ekort serve --rates/--ca` do. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { demoDir, EmbeddedService } from '../../../src/client/embeddedService.ts';
import { initTestPki } from '../../../src/pki/testPki.ts';

let dir: string | undefined;
let embedded: EmbeddedService | undefined;
afterEach(async () => {
  await embedded?.close();
  embedded = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('EmbeddedService', () => {
  it('converts with dataDir/rates.json when it is there, and knows only SEK without it', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ekort-embedded-'));
    embedded = await EmbeddedService.start(dir);
    expect(embedded.service.rates).toBeUndefined();
    await embedded.close();
    writeFileSync(path.join(dir, 'rates.json'), JSON.stringify({ date: '2026-11-20', base: 'SEK', rates: { EUR: 11.2345 } }));
    embedded = await EmbeddedService.start(dir);
    expect(embedded.service.rates?.currencies()).toEqual(['EUR']);
  });

  it('refuses a malformed rates file with a typed error instead of starting without it', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ekort-embedded-'));
    writeFileSync(path.join(dir, 'rates.json'), JSON.stringify({ date: 'yesterday', rates: { EUR: -1 } }));
    await expect(EmbeddedService.start(dir)).rejects.toMatchObject({ code: 'RATES_INVALID' });
  });

  it('takes the demo PKI as card-login trust, and starts without it when its CRL is damaged, saying why', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ekort-embedded-'));
    embedded = await EmbeddedService.start(dir);
    expect(embedded.hasTrust).toBe(false);
    const pkiDir = path.join(demoDir(dir), 'pki');
    await initTestPki(pkiDir);
    expect(await embedded.loadDemoTrust(dir)).toBe(true);
    expect(embedded.hasTrust).toBe(true);
    await embedded.close();

    writeFileSync(path.join(pkiDir, 'issuing-rsa.crl.pem'), '-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n');
    const log: string[] = [];
    embedded = await EmbeddedService.start(dir, { log: (line) => log.push(line) });
    expect(embedded.hasTrust).toBe(false);
    expect(log.join('\n')).toMatch(/demo PKI's trust cannot be used: .*revocation list/);
    await expect(embedded.service.cardChallenge()).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
