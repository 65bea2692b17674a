/**
 * Our OATH session against the virtual YubiKey's OATH application, in one process: codes equal
 * RFC 6238 / RFC 4226's test vectors, accounts come and go, the counter moves, the password
 * and touch rules hold.
 */
import { pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OathSession } from '../../../src/oath/index.ts';
import { createYubiKeyImage, VirtualYubiKey, type YubiKeyImage } from '../../../src/virtual/index.ts';
import { thrown } from '../../support/failures.ts';

const RFC_SECRET = new TextEncoder().encode('12345678901234567890');

async function keyWith(change: (image: YubiKeyImage) => void = () => undefined, touch?: () => Promise<boolean>) {
  const image = await createYubiKeyImage({ serial: 4242 });
  change(image);
  const key = new VirtualYubiKey(image, touch ? { touch } : {});
  return { key, session: await OathSession.open(async (apdu) => key.process(apdu)) };
}

describe('OATH session with the virtual YubiKey', () => {
  it('TOTP codes equal RFC 6238 (SHA-1, 8 digits), one at a time and all at once', async () => {
    const { session } = await keyWith();
    expect(session.version).toBe('5.4.3');
    const credential = await session.add({ name: 'rfc6238', issuer: 'RFC', type: 'totp', secret: RFC_SECRET, digits: 8 });
    expect(credential).toMatchObject({ id: 'RFC:rfc6238', issuer: 'RFC', name: 'rfc6238', period: 30 });
    for (const [t, code] of [[59, '94287082'], [1111111109, '07081804'], [1234567890, '89005924'], [2000000000, '69279037']] as const) {
      expect((await session.calculate(credential, t)).code).toBe(code);
    }
    const all = await session.calculateAll(1111111111);
    expect(all).toEqual([{ credential: expect.objectContaining({ id: 'RFC:rfc6238', touch: false }), code: '14050471', validFrom: 1111111110, validTo: 1111111140 }]);
  });

  it('HOTP codes equal RFC 4226 and the counter moves on the key; calculate-all leaves them out', async () => {
    const { session } = await keyWith();
    const credential = await session.add({ name: 'counter', type: 'hotp', secret: RFC_SECRET });
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await session.calculate(credential)).code);
    expect(codes).toEqual(['755224', '287082', '359152', '969429']);
    expect(await session.calculateAll(0)).toEqual([{ credential: expect.objectContaining({ id: 'counter', type: 'hotp' }) }]);
    const fromFive = await session.add({ name: 'five', type: 'hotp', secret: RFC_SECRET, counter: 5 });
    expect((await session.calculate(fromFive)).code).toBe('254676');
  });

  it('lists, deletes, and says when an account does not exist; a period of 60 s is kept in the id', async () => {
    const { session } = await keyWith();
    await session.add({ name: 'a@example.com', issuer: 'Example', type: 'totp', secret: RFC_SECRET });
    await session.add({ name: 'slow', type: 'totp', secret: RFC_SECRET, period: 60 });
    expect((await session.list()).map((c) => [c.id, c.period])).toEqual([['Example:a@example.com', 30], ['60/slow', 60]]);
    expect((await session.calculateAll(59)).find((c) => c.credential.name === 'slow')).toMatchObject({ validFrom: 0, validTo: 60 });
    await session.delete('Example:a@example.com');
    expect((await session.list()).map((c) => c.id)).toEqual(['60/slow']);
    expect(await thrown(() => session.delete('nobody'))).toMatchObject({ code: 'OATH_NO_SUCH_CREDENTIAL' });
  });

  it('a password-protected key: locked until the right password, a wrong one refused', async () => {
    const { session } = await keyWith((image) => {
      image.oath.accessKey = pbkdf2Sync('hemligt', Buffer.from(image.oath.salt, 'base64'), 1000, 16, 'sha1').toString('base64');
    });
    expect(session.locked).toBe(true);
    expect(await thrown(() => session.list())).toMatchObject({ code: 'OATH_LOCKED' });
    expect(await thrown(() => session.unlock('fel'))).toMatchObject({ code: 'OATH_WRONG_PASSWORD' });
  });

  it('the right password unlocks', async () => {
    const { session } = await keyWith((image) => {
      image.oath.accessKey = pbkdf2Sync('hemligt', Buffer.from(image.oath.salt, 'base64'), 1000, 16, 'sha1').toString('base64');
    });
    await session.unlock('hemligt');
    expect(session.locked).toBe(false);
    expect(await session.list()).toEqual([]);
  });

  it('a touch account: named by calculate-all, calculated only when the key is touched', async () => {
    let touched = false;
    const { session } = await keyWith(() => undefined, async () => touched);
    const credential = await session.add({ name: 'touchy', type: 'totp', secret: RFC_SECRET, digits: 8, touch: true });
    expect(await session.calculateAll(59)).toEqual([{ credential: expect.objectContaining({ id: 'touchy', touch: true }) }]);
    expect(await thrown(() => session.calculate(credential, 59))).toMatchObject({ code: 'OATH_TOUCH_REQUIRED' });
    touched = true;
    expect((await session.calculate(credential, 59)).code).toBe('94287082');
  });
});
