/**
 * A virtual YubiKey's image file, hand-edited or damaged: every OATH field is checked when the
 * file is read, and the error names the field without quoting a secret.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createYubiKeyImage, loadYubiKeyImage, type YubiKeyImage } from '../../../src/virtual/virtualYubiKey.ts';

let dir: string;
let image: YubiKeyImage;
const secret = Buffer.from('hemligt-hemligt-hemligt').toString('base64');
const credential = { id: Buffer.from('Example:alice').toString('base64'), type: 'totp', algorithm: 'sha1', digits: 6, secret, counter: 0, touch: false };

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-ykimage-'));
  image = await createYubiKeyImage({ serial: 4711 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('virtual YubiKey image: the OATH state', () => {
  it('reads back what the applet writes', async () => {
    const file = path.join(dir, 'good.json');
    const good = { ...image, oath: { ...image.oath, accessKey: Buffer.alloc(16, 1).toString('base64'), credentials: [credential, { ...credential, id: 'Ym9i', type: 'hotp', counter: 7, touch: true }] } };
    await writeFile(file, JSON.stringify(good));
    expect((await loadYubiKeyImage(file)).oath).toEqual(good.oath);
  });

  it.each([
    [{ salt: 'AAAA' }, 'oath.salt'],
    [{ extra: 1 }, 'oath.extra'],
    [{ accessKey: 'not base64!' }, 'oath.accessKey'],
    [{ credentials: {} }, 'oath.credentials'],
    [{ credentials: Array.from({ length: 33 }, (_, i) => ({ ...credential, id: Buffer.from(`n${i}`).toString('base64') })) }, 'oath.credentials'],
    [{ credentials: [null] }, 'oath.credentials.0'],
    [{ credentials: [{ ...credential, id: '' }] }, 'oath.credentials.0.id'],
    [{ credentials: [credential, credential] }, 'oath.credentials.1.id'],
    [{ credentials: [{ ...credential, type: 'motp' }] }, 'oath.credentials.0.type'],
    [{ credentials: [{ ...credential, algorithm: 'md5' }] }, 'oath.credentials.0.algorithm'],
    [{ credentials: [{ ...credential, digits: 10 }] }, 'oath.credentials.0.digits'],
    [{ credentials: [{ ...credential, secret: 42 }] }, 'oath.credentials.0.secret'],
    [{ credentials: [{ ...credential, secret: Buffer.alloc(254).toString('base64') }] }, 'oath.credentials.0.secret'],
    [{ credentials: [{ ...credential, counter: -1 }] }, 'oath.credentials.0.counter'],
    [{ credentials: [{ ...credential, touch: 'no' }] }, 'oath.credentials.0.touch'],
    [{ credentials: [{ ...credential, issuer: 'x' }] }, 'oath.credentials.0.issuer'],
  ])('refuses %j with CARD_IMAGE_INVALID naming %s, never quoting the secret', async (change, field) => {
    const file = path.join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ ...image, oath: { ...image.oath, ...change } }));
    const error = await loadYubiKeyImage(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'CARD_IMAGE_INVALID', field });
    expect((error as Error).message).not.toContain(secret);
  });

  it('refuses an image without an OATH state', async () => {
    const file = path.join(dir, 'none.json');
    const { oath: _, ...rest } = image;
    await writeFile(file, JSON.stringify(rest));
    await expect(loadYubiKeyImage(file)).rejects.toMatchObject({ code: 'CARD_IMAGE_INVALID', field: 'oath' });
  });
});
