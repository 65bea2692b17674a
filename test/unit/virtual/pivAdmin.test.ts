/**
 * The virtual PIV card's administration: the 9B key (both ways of SP 800-73-4), GENERATE
 * ASYMMETRIC KEY PAIR, PUT DATA, and a virtual YubiKey's SET MANAGEMENT KEY, SET PIN RETRIES
 * and RESET. The host's side is written here from the specification, with Node's ciphers.
 */
import { createCipheriv, createDecipheriv, createHash, createPublicKey, generateKeyPairSync, randomBytes, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand } from '../../../src/iso7816/apdu.ts';
import { InProcessTransport } from '../../../src/pcsc/inProcessTransport.ts';
import { PivSession } from '../../../src/piv/index.ts';
import { concatBytes, fromHex, toHex } from '../../../src/iso7816/hex.ts';
import { decodeOne, decodeTlv, tlv } from '../../../src/iso7816/tlv.ts';
import { createCardImage, type CardImage } from '../../../src/virtual/cardImage.ts';
import { DEFAULT_MANAGEMENT_KEY } from '../../../src/virtual/managementKey.ts';
import { VirtualPivCard } from '../../../src/virtual/pivCard.ts';
import { createYubiKeyImage, loadYubiKeyImage, saveYubiKeyImage, VirtualYubiKey, type YubiKeyImage } from '../../../src/virtual/virtualYubiKey.ts';

const hex = (b: Uint8Array) => toHex(b, ' ').toUpperCase();
const PIN = '31 32 33 34 35 36 FF FF'; // 123456
const PUK = '31 32 33 34 35 36 37 38'; // 12345678
const WRONG = '39 39 39 39 39 39 FF FF';
const AES128 = '00112233445566778899aabbccddeeff';

interface Card {
  process(apdu: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** Sends one command (extended length when the data needs it); the answer as spaced hex. */
async function send(card: Card, ins: number, p1: number, p2: number, data?: Uint8Array, le?: number): Promise<string> {
  return hex(await card.process(encodeCommand({ cla: 0x00, ins, p1, p2, ...(data ? { data } : {}), ...(le === undefined ? {} : { le }) })));
}

function body(answer: string): Uint8Array {
  return fromHex(answer).subarray(0, -2);
}

function ecb(cipher: string, key: string, block: Uint8Array, decrypt = false): Uint8Array {
  const c = (decrypt ? createDecipheriv : createCipheriv)(cipher, fromHex(key), null).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(block), c.final()]));
}

/** SP 800-73-4 mutual authentication with the 9B key: witness, then the host's challenge. */
async function mutualAuth(card: Card, key = DEFAULT_MANAGEMENT_KEY.key, alg = 0x03, cipher = 'des-ede3-ecb'): Promise<string> {
  const first = await send(card, 0x87, alg, 0x9b, fromHex('7C 02 80 00'), 256);
  if (!first.endsWith('90 00')) return first;
  const witness = decodeOne(body(first)).children![0]!.value;
  const challenge = new Uint8Array(randomBytes(witness.length));
  const second = await send(card, 0x87, alg, 0x9b, tlv(0x7c, tlv(0x80, ecb(cipher, key, witness, true)), tlv(0x81, challenge)), 256);
  if (!second.endsWith('90 00')) return second;
  // The card proves it holds the key too.
  expect(hex(decodeOne(body(second)).children![0]!.value)).toBe(hex(ecb(cipher, key, challenge)));
  return second.slice(-5);
}

function piv(image: CardImage, options: { yubiKey?: boolean } = {}): VirtualPivCard {
  return new VirtualPivCard(structuredClone(image), options);
}

let image: CardImage;
beforeAll(async () => {
  image = await createCardImage({ name: 'Admin Testsson' });
});

describe('VirtualPivCard: the administration key (9B)', () => {
  it('mutual authentication with the factory key: the witness decrypted, the host challenge encrypted', async () => {
    expect(await mutualAuth(piv(image))).toBe('90 00');
  });

  it('challenge-response: 7C{81 00} gives a challenge, its encryption in 82 is accepted once', async () => {
    const card = piv(image);
    const challenge = decodeOne(body(await send(card, 0x87, 0x03, 0x9b, fromHex('7C 02 81 00'), 256))).children![0]!.value;
    expect(challenge).toHaveLength(8);
    const answer = tlv(0x7c, tlv(0x82, ecb('des-ede3-ecb', DEFAULT_MANAGEMENT_KEY.key, challenge)));
    expect(await send(card, 0x87, 0x03, 0x9b, answer)).toBe('90 00');
    // The same answer again: the challenge served its one answer.
    expect(await send(card, 0x87, 0x03, 0x9b, answer)).toBe('69 82');
  });

  it('a wrong key, a stale witness or a command between the steps authenticates nobody', async () => {
    expect(await mutualAuth(piv(image), '0102030405060708010203040506070801020304050607ff')).toBe('69 82');
    const card = piv(image);
    const witness = decodeOne(body(await send(card, 0x87, 0x03, 0x9b, fromHex('7C 02 80 00'), 256))).children![0]!.value;
    await send(card, 0xcb, 0x3f, 0xff, fromHex('5C 01 7E'), 256);
    expect(await send(card, 0x87, 0x03, 0x9b, tlv(0x7c, tlv(0x80, ecb('des-ede3-ecb', DEFAULT_MANAGEMENT_KEY.key, witness, true))))).toBe('69 82');
    expect(await send(card, 0x47, 0x00, 0x9a, fromHex('AC 03 80 01 11'), 256)).toBe('69 82');
    // Without it the card looks at no data at all: malformed is refused as unauthorised too.
    expect(await send(card, 0x47, 0x00, 0x9a, fromHex('AC 03 80 01 14'), 256)).toBe('69 82');
    expect(await send(card, 0xdb, 0x3f, 0xff, fromHex('5C 03 5F'))).toBe('69 82');
    expect(await send(card, 0xfe, 0x07, 0x9a, fromHex('01 01 00'))).toBe('6D 00'); // not a YubiKey
  });

  it('refuses another algorithm (6A80) and malformed templates (6A80 or 6982)', async () => {
    const card = piv(image);
    expect(await send(card, 0x87, 0x08, 0x9b, fromHex('7C 02 80 00'))).toBe('6A 80');
    expect(await send(card, 0x87, 0x03, 0x9b, fromHex('7C 04 80 00 80 00'))).toBe('6A 80');
    expect(await send(card, 0x87, 0x03, 0x9b, fromHex('7D 02 80 00'))).toBe('6A 80');
    expect(await send(card, 0x87, 0x03, 0x9b, fromHex('7C 03 80 01'))).toBe('6A 80');
    expect(await send(card, 0x87, 0x03, 0x9b, fromHex('7C 02 83 00'))).toBe('6A 80');
    expect(await send(card, 0x87, 0x03, 0x9b, fromHex('7C 0A 82 08 00 00 00 00 00 00 00 00'))).toBe('69 82');
  });
});

describe('VirtualPivCard: GENERATE ASYMMETRIC KEY PAIR', () => {
  it('needs the 9B key; makes a P-256 key whose signatures its public key verifies; the old certificate is gone', async () => {
    const card = piv(image);
    expect(await send(card, 0x47, 0x00, 0x9a, fromHex('AC 03 80 01 11'), 256)).toBe('69 82');
    await mutualAuth(card);
    const answer = await send(card, 0x47, 0x00, 0x9a, fromHex('AC 03 80 01 11'), 256);
    expect(answer.slice(-5)).toBe('90 00');
    const template = decodeOne(body(answer));
    expect(template.tag).toBe(0x7f49);
    const point = template.children![0]!;
    expect(point.tag).toBe(0x86);
    expect(point.value).toHaveLength(65);
    const publicKey = createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: Buffer.from(point.value.subarray(1, 33)).toString('base64url'), y: Buffer.from(point.value.subarray(33)).toString('base64url') },
      format: 'jwk',
    });
    expect(await send(card, 0xcb, 0x3f, 0xff, fromHex('5C 03 5F C1 05'), 256)).toBe('6A 82');
    expect(card.slotKey('9a')).toMatchObject({ keyType: 'p256', generated: true });

    expect(await send(card, 0x20, 0x00, 0x80, fromHex(PIN))).toBe('90 00');
    const digest = createHash('sha256').update('challenge').digest();
    const signed = await send(card, 0x87, 0x11, 0x9a, tlv(0x7c, tlv(0x82, new Uint8Array(0)), tlv(0x81, digest)), 256);
    const signature = decodeOne(body(signed)).children![0]!.value;
    expect(verify('sha256', Buffer.from('challenge'), publicKey, signature)).toBe(true);
  });

  it('makes RSA-2048 keys too (81 modulus, 82 exponent)', async () => {
    const card = piv(image);
    await mutualAuth(card);
    const answer = await send(card, 0x47, 0x00, 0x9e, fromHex('AC 03 80 01 07'), 65536);
    const [modulus, exponent] = decodeOne(body(answer)).children!;
    expect([modulus!.tag, modulus!.value.length, exponent!.tag, hex(exponent!.value)]).toEqual([0x81, 256, 0x82, '01 00 01']);
  });

  it("refuses other algorithms and policies it does not keep (6A80), and slots it has not (6A86)", async () => {
    const card = piv(image);
    await mutualAuth(card);
    expect(await send(card, 0x47, 0x00, 0x9a, fromHex('AC 03 80 01 14'), 256)).toBe('6A 80'); // P-384
    expect(await send(card, 0x47, 0x00, 0x9a, fromHex('AC 06 80 01 11 AA 01 01'), 256)).toBe('6A 80'); // PIN never on 9A
    expect(await send(card, 0x47, 0x00, 0x9a, fromHex('AC 06 80 01 11 AB 01 02'), 256)).toBe('6A 80'); // touch always
    expect(await send(card, 0x47, 0x00, 0x9d, fromHex('AC 03 80 01 11'), 256)).toBe('6A 86');
    expect((await send(card, 0x47, 0x00, 0x9c, fromHex('AC 09 80 01 11 AA 01 03 AB 01 01'), 256)).slice(-5)).toBe('90 00');
  });
});

describe('VirtualPivCard: PUT DATA', () => {
  it("writes a slot's certificate (plain or gzip) only when it certifies the slot's key, and deletes it", async () => {
    const card = piv(image);
    const der9a = Buffer.from(image.slots['9a']!.certificate!, 'base64');
    const der9c = Buffer.from(image.slots['9c']!.certificate!, 'base64');
    const put = (tag: string, object: Uint8Array) => send(card, 0xdb, 0x3f, 0xff, concatBytes(fromHex(`5C 03 ${tag}`), tlv(0x53, object)));
    const container = (der: Uint8Array, info: number) => concatBytes(tlv(0x70, der), tlv(0x71, Uint8Array.of(info)), tlv(0xfe, new Uint8Array(0)));
    expect(await put('5F C1 05', new Uint8Array(0))).toBe('69 82');
    await mutualAuth(card);
    expect(await put('5F C1 05', container(der9c, 0))).toBe('6A 80');
    expect(await put('5F C1 05', new Uint8Array(0))).toBe('90 00');
    expect(await send(card, 0xcb, 0x3f, 0xff, fromHex('5C 03 5F C1 05'), 256)).toBe('6A 82');
    expect(await put('5F C1 05', container(gzipSync(der9a), 1))).toBe('90 00');
    const read = decodeOne(body(await send(card, 0xcb, 0x3f, 0xff, fromHex('5C 03 5F C1 05'), 65536)), { shallow: true });
    expect(read.tag).toBe(0x53);
    expect(new X509Certificate(der9a).fingerprint256).toBe(new X509Certificate(Buffer.from(card.currentImage.slots['9a']!.certificate!, 'base64')).fingerprint256);
    expect(card.currentImage.slots['9a']!.compressCertificate).toBe(true);
    expect(await put('5F C1 05', fromHex('70 03 01 02 03 71 01 00'))).toBe('6A 80');
  });

  it('keeps other 5Fxxxx objects (read back by GET DATA, deleted by an empty one), at most 3 052 bytes', async () => {
    const card = piv(image);
    await mutualAuth(card);
    const put = (tag: string, object: Uint8Array) => send(card, 0xdb, 0x3f, 0xff, concatBytes(fromHex(`5C 03 ${tag}`), tlv(0x53, object)));
    expect(await put('5F FF 00', fromHex('80 03 81 01 01'))).toBe('90 00');
    expect(await send(card, 0xcb, 0x3f, 0xff, fromHex('5C 03 5F FF 00'), 256)).toBe('53 05 80 03 81 01 01 90 00');
    expect(card.currentImage.objects).toEqual({ '5fff00': Buffer.from(fromHex('80 03 81 01 01')).toString('base64') });
    expect(await put('5F FF 00', new Uint8Array(0))).toBe('90 00');
    expect(await send(card, 0xcb, 0x3f, 0xff, fromHex('5C 03 5F FF 00'), 256)).toBe('6A 82');
    expect(card.currentImage.objects).toBeUndefined();
    expect(await put('5F FF 01', new Uint8Array(3053))).toBe('6A 84');
    // 16 full objects fit (48 832 bytes), the 17th would pass 51 200: refused, the 16 kept.
    for (let i = 0; i < 16; i++) expect(await put(`5F FE ${(0x10 + i).toString(16)}`, new Uint8Array(3052).fill(i))).toBe('90 00');
    expect(await put('5F FE 20', new Uint8Array(3052))).toBe('6A 84');
    expect(Object.keys(card.currentImage.objects!)).toHaveLength(16);
    expect(await send(card, 0xdb, 0x3f, 0xff, concatBytes(fromHex('5C 01 7E'), tlv(0x53, Uint8Array.of(1))))).toBe('6A 80');
    expect(await send(card, 0xdb, 0x3f, 0xff, fromHex('5C 03 5F FF 00'))).toBe('6A 80');
  });

  it('Printed Information (where ykman keeps a PIN-protected 9B key) is read only after the PIN', async () => {
    const card = piv(image);
    await mutualAuth(card);
    expect(await send(card, 0xdb, 0x3f, 0xff, concatBytes(fromHex('5C 03 5F C1 09'), tlv(0x53, fromHex('88 02 89 00'))))).toBe('90 00');
    expect(await send(card, 0xcb, 0x3f, 0xff, fromHex('5C 03 5F C1 09'), 256)).toBe('69 82');
    expect(await send(card, 0x20, 0x00, 0x80, fromHex(PIN))).toBe('90 00');
    expect(await send(card, 0xcb, 0x3f, 0xff, fromHex('5C 03 5F C1 09'), 256)).toBe('53 04 88 02 89 00 90 00');
  });

  it('takes a certificate as a command chain, as short-APDU hosts send it', async () => {
    const card = piv(image);
    await mutualAuth(card);
    const der = Buffer.from(image.slots['9c']!.certificate!, 'base64');
    const data = concatBytes(fromHex('5C 03 5F C1 0A'), tlv(0x53, concatBytes(tlv(0x70, der), tlv(0x71, Uint8Array.of(0)))));
    const chunks = [];
    for (let at = 0; at < data.length; at += 200) chunks.push(data.subarray(at, at + 200));
    for (const [i, chunk] of chunks.entries()) {
      const last = i === chunks.length - 1;
      expect(hex(await card.process(encodeCommand({ cla: last ? 0x00 : 0x10, ins: 0xdb, p1: 0x3f, p2: 0xff, data: chunk })))).toBe('90 00');
    }
  });
});

describe('VirtualPivCard: PIN and PUK checked before the new value', () => {
  it('a wrong PUK with a malformed new PIN still counts (what ykman relies on to block the PUK)', async () => {
    const card = piv(image);
    expect(await send(card, 0x2c, 0x00, 0x80, fromHex('39 39 39 39 39 39 39 39 FF FF FF FF FF FF FF FF'))).toBe('63 C2');
    expect(await send(card, 0x24, 0x00, 0x80, fromHex(`${WRONG} FF FF FF FF FF FF FF FF`))).toBe('63 C2');
    // The right one with a malformed new value changes nothing and costs nothing.
    expect(await send(card, 0x2c, 0x00, 0x80, fromHex(`${PUK} 31 FF FF FF FF FF FF FF`))).toBe('6A 80');
    expect(card.pukTriesLeft).toBe(2);
  });
});

describe('virtual YubiKey: SET MANAGEMENT KEY, SET PIN RETRIES, RESET', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-pivadmin-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function key(): Promise<{ yk: VirtualYubiKey; file: string }> {
    const file = path.join(dir, `${randomBytes(4).toString('hex')}.json`);
    await saveYubiKeyImage(file, await createYubiKeyImage({ serial: 4711 }));
    const yk = await VirtualYubiKey.open(file);
    expect(await send(yk, 0xa4, 0x04, 0x00, fromHex('A0 00 00 03 08'), 256)).toMatch(/90 00$/);
    return { yk, file };
  }
  const metadata = async (yk: VirtualYubiKey, ref: number) => body(await send(yk, 0xf7, 0x00, ref, undefined, 256));

  it('an AES-128 key replaces the factory one, in the file too; GET METADATA tells the algorithm and that it is not the default', async () => {
    const { yk, file } = await key();
    expect(hex(await metadata(yk, 0x9b))).toBe('01 01 03 02 02 00 01 05 01 01');
    const set = concatBytes(fromHex('08 9B 10'), fromHex(AES128));
    expect(await send(yk, 0xff, 0xff, 0xff, set)).toBe('69 82');
    await mutualAuth(yk);
    expect(await send(yk, 0xff, 0xff, 0xfe, set)).toBe('6A 86'); // touch
    expect(await send(yk, 0xff, 0xff, 0xff, concatBytes(fromHex('08 9B 10'), fromHex(AES128).subarray(1)))).toBe('6A 80');
    expect(await send(yk, 0xff, 0xff, 0xff, set)).toBe('90 00');
    expect(hex(await metadata(yk, 0x9b))).toBe('01 01 08 02 02 00 01 05 01 00');
    expect(await mutualAuth(yk)).toBe('6A 80');
    expect(await mutualAuth(yk, AES128, 0x08, 'aes-128-ecb')).toBe('90 00');
    const saved = JSON.parse(await readFile(file, 'utf8')) as { piv: CardImage };
    expect(saved.piv.managementKey).toEqual({ algorithm: 'aes128', key: AES128 });
    const reopened = await VirtualYubiKey.open(file);
    await send(reopened, 0xa4, 0x04, 0x00, fromHex('A0 00 00 03 08'), 256);
    expect(await mutualAuth(reopened, AES128, 0x08, 'aes-128-ecb')).toBe('90 00');
  });

  it('SET PIN RETRIES needs the 9B key and the PIN; the PIN and PUK go back to their defaults', async () => {
    const { yk } = await key();
    await mutualAuth(yk);
    expect(await send(yk, 0xfa, 0x05, 0x04)).toBe('69 82');
    expect(await send(yk, 0x20, 0x00, 0x80, fromHex(PIN))).toBe('90 00');
    expect(await send(yk, 0xfa, 0x10, 0x04)).toBe('6A 86');
    expect(await send(yk, 0xfa, 0x05, 0x04)).toBe('90 00');
    expect(hex(await metadata(yk, 0x80))).toBe('01 01 FF 05 01 01 06 02 05 05');
    expect(hex(await metadata(yk, 0x81))).toBe('01 01 FF 05 01 01 06 02 04 04');
    expect(await send(yk, 0x20, 0x00, 0x80)).toBe('63 C5'); // no longer verified
  });

  it('RESET only once PIN and PUK are blocked: then factory PIN, PUK and 9B key, and no keys', async () => {
    const { yk, file } = await key();
    expect(await send(yk, 0xfb, 0x00, 0x00)).toBe('69 85');
    for (let i = 0; i < 3; i++) await send(yk, 0x20, 0x00, 0x80, fromHex(WRONG));
    expect(await send(yk, 0xfb, 0x00, 0x00)).toBe('69 85');
    for (let i = 0; i < 3; i++) await send(yk, 0x2c, 0x00, 0x80, fromHex(`${WRONG} ${PIN}`));
    expect(await send(yk, 0xfb, 0x00, 0x00)).toBe('90 00');
    expect(await send(yk, 0x20, 0x00, 0x80, fromHex(PIN))).toBe('90 00');
    expect(await send(yk, 0xf7, 0x00, 0x9a, undefined, 256)).toBe('6A 82');
    expect(await send(yk, 0xcb, 0x3f, 0xff, fromHex('5C 03 5F C1 05'), 256)).toBe('6A 82');
    expect(await mutualAuth(yk)).toBe('90 00');
    const saved = JSON.parse(await readFile(file, 'utf8')) as { piv: CardImage };
    expect([saved.piv.pinTriesLeft, saved.piv.pukTriesLeft, saved.piv.slots, saved.piv.managementKey]).toEqual([3, 3, {}, undefined]);
  });

  it("IMPORT ASYMMETRIC KEY: an RSA key by its CRT parts and a P-256 scalar become the slot's keys; a forged part is refused", async () => {
    const { yk } = await key();
    const jwk = (k: KeyObject) => k.export({ format: 'jwk' });
    const bytes = (b64: string | undefined) => new Uint8Array(Buffer.from(b64!, 'base64url'));
    const rsaKey = jwk(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    const rsaData = (qi = bytes(rsaKey.qi)) => concatBytes(tlv(0x01, bytes(rsaKey.p)), tlv(0x02, bytes(rsaKey.q)), tlv(0x03, bytes(rsaKey.dp)), tlv(0x04, bytes(rsaKey.dq)), tlv(0x05, qi));
    const ecKey = jwk(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
    expect(await send(yk, 0xfe, 0x07, 0x9a, rsaData())).toBe('69 82');
    await mutualAuth(yk);
    const forged = bytes(rsaKey.qi);
    forged[forged.length - 1]! ^= 1;
    expect(await send(yk, 0xfe, 0x07, 0x9a, rsaData(forged))).toBe('6A 80');
    expect(await send(yk, 0xfe, 0x11, 0x9a, rsaData())).toBe('6A 80'); // RSA parts for P-256
    expect(await send(yk, 0xfe, 0x07, 0x9a, concatBytes(tlv(0x01, new Uint8Array(4096).fill(0xff)), rsaData().subarray(131)))).toBe('6A 80'); // p of 32 768 bits
    expect(await send(yk, 0xfe, 0x07, 0x9a, rsaData())).toBe('90 00');
    expect(await send(yk, 0xfe, 0x11, 0x9c, concatBytes(tlv(0x06, bytes(ecKey.d)), fromHex('AA 01 03 AB 01 01')))).toBe('90 00');
    expect(await send(yk, 0xfe, 0x11, 0x9e, tlv(0x06, bytes(ecKey.d).subarray(1)))).toBe('6A 80');
    const modulus = hex(bytes(rsaKey.n));
    expect(hex(await metadata(yk, 0x9a))).toContain(modulus);
    expect(hex(await metadata(yk, 0x9a))).toContain('03 01 02'); // imported
    expect(hex(await metadata(yk, 0x9c))).toContain(`86 41 04 ${hex(bytes(ecKey.x))} ${hex(bytes(ecKey.y))}`);
  });

  it('answers a command without Le at once, as a YubiKey does (a plain PIV card says 61xx)', async () => {
    const { yk } = await key();
    expect(await send(yk, 0x87, 0x03, 0x9b, fromHex('7C 02 80 00'))).toMatch(/^7C 0A 80 08( [0-9A-F]{2}){8} 90 00$/);
    expect(await send(piv(image), 0x87, 0x03, 0x9b, fromHex('7C 02 80 00'))).toBe('61 0C');
  });

  it("ATTEST: a certificate for a generated key, signed by F9's key (object 5FFF01), with Yubico's extensions", async () => {
    const { yk, file } = await key();
    const f9Object = decodeOne(body(await send(yk, 0xcb, 0x3f, 0xff, fromHex('5C 03 5F FF 01'), 65536)), { shallow: true });
    const f9 = new X509Certificate(decodeTlv(f9Object.value, { shallow: true })[0]!.value);
    expect(f9.subject).toBe('CN=ekort virtual YubiKey PIV Attestation 4711');
    expect(f9.ca).toBe(true);
    expect(await send(yk, 0xf9, 0x9a, 0x00, undefined, 65536)).toBe('6A 80'); // made outside the key
    expect(await send(yk, 0xf9, 0x9e, 0x00, undefined, 65536)).toBe('6A 82'); // no key
    await mutualAuth(yk);
    const point = decodeOne(body(await send(yk, 0x47, 0x00, 0x9a, fromHex('AC 03 80 01 11'), 256))).children![0]!.value;
    const attested = new X509Certificate(body(await send(yk, 0xf9, 0x9a, 0x00, undefined, 65536)));
    expect(attested.subject).toBe('CN=YubiKey PIV Attestation 9a');
    expect(attested.checkIssued(f9) && attested.verify(f9.publicKey)).toBe(true);
    expect(hex(new Uint8Array(attested.publicKey.export({ format: 'der', type: 'spki' })).subarray(-65))).toBe(hex(point));
    const der = hex(new Uint8Array(attested.raw));
    // 1.3.6.1.4.1.41482.3.x: firmware 5.4.3, serial 4711, PIN once and touch never, USB-A keychain.
    expect(der).toContain('2B 06 01 04 01 82 C4 0A 03 03 04 03 05 04 03');
    expect(der).toContain('2B 06 01 04 01 82 C4 0A 03 07 04 04 02 02 12 67');
    expect(der).toContain('2B 06 01 04 01 82 C4 0A 03 08 04 02 02 01');
    expect(der).toContain('2B 06 01 04 01 82 C4 0A 03 09 04 01 01');
    // An image from before attestation: no F9, no ATTEST.
    const saved = JSON.parse(await readFile(file, 'utf8')) as YubiKeyImage;
    delete saved.attestation;
    const old = new VirtualYubiKey(saved);
    await send(old, 0xa4, 0x04, 0x00, fromHex('A0 00 00 03 08'), 256);
    expect(await send(old, 0xf9, 0x9a, 0x00, undefined, 65536)).toBe('6D 00');
    expect(await send(piv(image), 0xf9, 0x9a, 0x00, undefined, 65536)).toBe('6D 00');
  });

  it('a new key is "Virtual YubiKey" unless named, also when the name is given as undefined', async () => {
    expect((await createYubiKeyImage({ name: undefined })).piv.holder.name).toBe('Virtual YubiKey');
    expect((await createYubiKeyImage({ name: 'Key Holder' })).piv.holder.name).toBe('Key Holder');
  });

  it("refuses an image whose F9 entry is damaged: another key's certificate, an extra field, a key that does not parse", async () => {
    const { file } = await key();
    const saved = JSON.parse(await readFile(file, 'utf8')) as YubiKeyImage;
    const other = await createYubiKeyImage({ serial: 4712 });
    await writeFile(file, JSON.stringify({ ...saved, attestation: { ...saved.attestation, certificate: other.attestation!.certificate } }));
    await expect(loadYubiKeyImage(file)).rejects.toMatchObject({ code: 'CARD_IMAGE_INVALID', field: 'attestation.certificate' });
    await writeFile(file, JSON.stringify({ ...saved, attestation: { ...saved.attestation, extra: 1 } }));
    await expect(loadYubiKeyImage(file)).rejects.toMatchObject({ code: 'CARD_IMAGE_INVALID', field: 'attestation.extra' });
    await writeFile(file, JSON.stringify({ ...saved, attestation: { ...saved.attestation, privateKeyPkcs8: other.piv.slots['9a']!.privateKeyPkcs8.slice(4) } }));
    await expect(loadYubiKeyImage(file)).rejects.toMatchObject({ code: 'CARD_IMAGE_INVALID', field: 'attestation.privateKeyPkcs8' });
  });

  it('GET METADATA tells a generated key from an imported one', async () => {
    const { yk } = await key();
    expect(hex(await metadata(yk, 0x9a)).slice(0, 20)).toBe('01 01 11 02 02 02 01');
    expect(hex(await metadata(yk, 0x9a))).toContain('03 01 02');
    await mutualAuth(yk);
    await send(yk, 0x47, 0x00, 0x9a, fromHex('AC 03 80 01 11'), 256);
    expect(hex(await metadata(yk, 0x9a))).toContain('03 01 01');
  });
});

describe('PivSession.keyMetadata: what a YubiKey tells of a slot without reading its certificate', () => {
  it('an imported key, a generated one, an empty slot; nothing from a card without GET METADATA', async () => {
    const yubiKeyImage = await createYubiKeyImage({ serial: 4711 });
    yubiKeyImage.piv.slots['9c'] = { ...yubiKeyImage.piv.slots['9c']!, generated: true };
    const session = await PivSession.open(new InProcessTransport(new VirtualYubiKey(yubiKeyImage)));
    expect(await session.keyMetadata('9a')).toEqual({ algorithm: 'p256', origin: 'imported' });
    expect(await session.keyMetadata('9c')).toEqual({ algorithm: 'p256', origin: 'generated' });
    expect(await session.keyMetadata('9e')).toBeUndefined();
    const plain = await PivSession.open(new InProcessTransport(piv(image)));
    expect(await plain.keyMetadata('9a')).toBeUndefined();
    await expect(plain.keyMetadata('9b' as never)).rejects.toMatchObject({ code: 'INVALID_SLOT' });
  });

  it('a metadata answer that is not TLV, or names no algorithm, is METADATA_MALFORMED', async () => {
    for (const answer of ['01 05 07 90 00', '03 01 01 90 00']) {
      const card = piv(image);
      const garbled = { atr: card.atr, reset: () => card.reset(), process: (apdu: Uint8Array) => (apdu[1] === 0xf7 ? fromHex(answer) : card.process(apdu)) };
      const session = await PivSession.open(new InProcessTransport(garbled));
      await expect(session.keyMetadata('9a')).rejects.toMatchObject({ code: 'METADATA_MALFORMED' });
    }
  });
});
