/**
 * `ekort virtual-card` and `ekort card` as a user runs them: a card image made by the CLI,
 * inserted by the CLI into vpcd, and read, verified, changed and unblocked through pcscd.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ekort, vpcdCardSlot } from '../support/ekortCli.ts';
import { requireSystem, startPcscd, vpcdPorts, vpcdReaders, waitForCard } from '../support/pcscd.ts';

const available = await requireSystem('pcscd', 'pcsc_scan');
const READER = vpcdReaders[0];


describe.skipIf(!available)('ekort virtual-card and card commands', () => {
  let dir: string;
  let file: string;
  const slot = vpcdCardSlot(vpcdPorts[0], READER, waitForCard);
  const insert = async () => {
    const inserted = await slot.insert(file);
    expect(inserted.firstLine).toMatch(/^Inserted .* into the virtual reader on port 35963/);
  };
  const pullOut = () => slot.pullOut();

  beforeAll(async () => {
    await startPcscd();
    dir = mkdtempSync(path.join(os.tmpdir(), 'ekort-card-cli-'));
    file = path.join(dir, 'anna.json');
  });

  afterAll(async () => {
    await pullOut();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a card image, refusing to overwrite it and refusing bad input', async () => {
    const made = await ekort(['virtual-card', 'create', '--out', file, '--name', 'Anna Andersson', '--personnummer', '199001012385', '--key', 'p256']);
    expect(made.code).toBe(0);
    expect(made.stdout).toContain('Anna Andersson');
    const image = JSON.parse(readFileSync(file, 'utf8'));
    expect(image.holder).toMatchObject({ name: 'Anna Andersson', personnummer: '199001012385' });
    expect((await ekort(['virtual-card', 'create', '--out', file])).code).toBe(2);
    expect((await ekort(['virtual-card', 'create', '--out', path.join(dir, 'x.json'), '--key', 'dsa'])).code).toBe(2);
    const badPin = await ekort(['virtual-card', 'create', '--out', path.join(dir, 'y.json'), '--pin', '12']);
    expect(badPin.code).not.toBe(0);
  });

  it('card info shows the holder, the certificates and the tries left', async () => {
    await insert();
    const info = await ekort(['card', 'info', '--reader', READER, '--json']);
    expect(info.code).toBe(0);
    const json = JSON.parse(info.stdout);
    expect(json.pin).toMatchObject({ verified: false, blocked: false, retriesLeft: 3 });
    const slot9a = json.certificates.find((c: { slot: string }) => c.slot === '9a');
    expect(slot9a.subject).toContain('CN=Anna Andersson');
    expect(slot9a.keyType).toBe('p256');
    expect(slot9a).toMatchObject({ holder: 'Anna Andersson', personnummer: '199001012385' });
    const text = await ekort(['card', 'info']);
    expect(text.stdout).toContain('Slot 9a (PIV Authentication): p256');
    expect(text.stdout).toContain('PIN     3 tries left');
    expect(text.stdout).toContain('Holder  Anna Andersson (199001012385)');
  });

  it('verify-pin reads the PIN from standard input; a wrong one reports the tries left, once', async () => {
    const ok = await ekort(['card', 'verify-pin', '--pin-stdin'], '123456\n');
    expect(ok.code).toBe(0);
    const wrong = await ekort(['card', 'verify-pin', '--pin-stdin', '--json'], '654321\n');
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout).error).toMatchObject({ code: 'PIN_INCORRECT', retriesLeft: 2 });
    expect(wrong.stderr).not.toContain('654321');
    const image = JSON.parse(readFileSync(file, 'utf8'));
    expect(image.pinTriesLeft).toBe(2);
  });

  it('blocks after the last try, stays blocked across a re-insert, and unblocks with the PUK', async () => {
    await ekort(['card', 'verify-pin', '--pin', '000000']);
    const last = await ekort(['card', 'verify-pin', '--pin', '000000', '--json']);
    expect(JSON.parse(last.stdout).error.code).toBe('PIN_BLOCKED');
    await pullOut();
    await insert();
    const info = await ekort(['card', 'info', '--json']);
    expect(JSON.parse(info.stdout).pin).toMatchObject({ blocked: true });
    const unblock = await ekort(['card', 'unblock', '--pin-stdin'], '12345678\n24681357\n');
    expect(unblock.code).toBe(0);
    expect((await ekort(['card', 'verify-pin', '--pin-stdin'], '24681357\n')).code).toBe(0);
  });

  it('changes the PIN', async () => {
    const changed = await ekort(['card', 'change-pin', '--pin-stdin'], '24681357\n11223344\n');
    expect(changed.code).toBe(0);
    expect((await ekort(['card', 'verify-pin', '--pin-stdin'], '11223344\n')).code).toBe(0);
    const format = await ekort(['card', 'verify-pin', '--pin-stdin', '--json'], '12ab\n');
    expect(JSON.parse(format.stdout).error.code).toBe('PIN_FORMAT');
  });
});
