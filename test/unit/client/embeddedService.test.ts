/** The app's embedded service takes reference rates from the data folder, as `ekort serve --rates` does. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedService } from '../../../src/client/embeddedService.ts';

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
});
