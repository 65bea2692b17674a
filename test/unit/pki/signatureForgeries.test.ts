/**
 * verifySignature (node:crypto, OpenSSL underneath) accepts good RSASSA-PKCS1-v1_5 signatures
 * and refuses every kind of bad one a forger would try (RFC 8017 §8.2.2, and the lax-parser
 * forgeries after Bleichenbacher 2006), and random damage.
 */
import { constants, createHash, generateKeyPairSync, type KeyObject, privateEncrypt, sign } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../../src/pki/certificate.ts';
import { prng } from '../../support/prng.ts';

const DIGEST_INFO = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
} as const;
type Hash = keyof typeof DIGEST_INFO;

const data = Buffer.from('e-kort login\nnonce: 5Jm0\n');
let keys: Array<{ bits: number; privateKey: KeyObject; publicKey: KeyObject }>;
beforeAll(() => {
  keys = [2048, 3072].map((bits) => ({ bits, ...generateKeyPairSync('rsa', { modulusLength: bits }) }));
});

const check = (hash: string, key: KeyObject, sig: Uint8Array, message: Uint8Array = data): boolean => verifySignature(hash, key, message, sig);

/** A "signature" over any encoded message we like: the private key applied to `em` raw. */
function rawSign(privateKey: KeyObject, em: Buffer): Buffer {
  return privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, em);
}

/** 00 01 FF…FF 00 || T for a k-byte modulus, with `change` applied before signing. */
function encoded(k: number, t: Buffer, change: (em: Buffer) => void = () => undefined): Buffer {
  const em = Buffer.alloc(k, 0xff);
  em[0] = 0;
  em[1] = 1;
  em[k - t.length - 1] = 0;
  t.copy(em, k - t.length);
  change(em);
  return em;
}

const digestInfo = (hash: Hash, message: Uint8Array = data): Buffer => Buffer.concat([Buffer.from(DIGEST_INFO[hash], 'hex'), createHash(hash).update(message).digest()]);

describe('verifySignature with RSA keys', () => {
  it('accepts what node:crypto signs, for SHA-256/384/512 and 2048/3072-bit keys', () => {
    for (const { privateKey, publicKey } of keys) {
      for (const hash of ['sha256', 'sha384', 'sha512'] as const) {
        expect(check(hash, publicKey, sign(hash, data, privateKey))).toBe(true);
        expect(check(hash, publicKey, sign(hash, data, privateKey), Buffer.from('another message'))).toBe(false);
      }
    }
  });

  it('refuses the forgeries a lax parser lets through', () => {
    const { bits, privateKey, publicKey } = keys[0]!;
    const k = bits / 8;
    const t = digestInfo('sha256');
    const cases: Record<string, Buffer> = {
      // The control: the right encoding, made raw, is a good signature.
      control: encoded(k, t),
      'garbage after the hash': encoded(k, Buffer.concat([t, Buffer.from('00000000', 'hex')])),
      'a padding byte not FF': encoded(k, t, (em) => (em[5] = 0xfe)),
      'block type 2': encoded(k, t, (em) => (em[1] = 0x02)),
      'no leading zero': encoded(k, t, (em) => (em[0] = 0x01)),
      'fewer than 8 FF bytes': Buffer.concat([Buffer.from('0001ffffff00', 'hex'), Buffer.alloc(k - 6 - t.length - 16, 0x00), Buffer.alloc(16), t]).subarray(0, k),
      'DigestInfo without the NULL parameters': encoded(k, Buffer.concat([Buffer.from('302f300b0609608648016503040201', 'hex'), Buffer.from('0420', 'hex'), createHash('sha256').update(data).digest()])),
      'the SHA-384 DigestInfo around a SHA-256 hash': encoded(k, Buffer.concat([Buffer.from(DIGEST_INFO.sha384, 'hex').subarray(0, -2), Buffer.from('0420', 'hex'), createHash('sha256').update(data).digest()])),
      'a hash of other data': encoded(k, digestInfo('sha256', Buffer.from('other'))),
    };
    for (const [name, em] of Object.entries(cases)) {
      const expected = name === 'control';
      expect(check('sha256', publicKey, rawSign(privateKey, em)), name).toBe(expected);
    }
  });

  it('refuses a signature of the wrong length, one not below the modulus, and non-RSA keys', () => {
    const { bits, privateKey, publicKey } = keys[0]!;
    const sig = sign('sha256', data, privateKey);
    expect(check('sha256', publicKey, sig.subarray(1))).toBe(false);
    expect(check('sha256', publicKey, Buffer.concat([Buffer.alloc(1), sig]))).toBe(false);
    const modulus = Buffer.from(publicKey.export({ format: 'jwk' }).n!, 'base64url');
    expect(modulus.length).toBe(bits / 8);
    expect(check('sha256', publicKey, modulus)).toBe(false);
    expect(check('sha256', publicKey, Buffer.alloc(bits / 8, 0xff))).toBe(false);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(check('sha256', ec.publicKey, sig)).toBe(false);
    expect(check('sha256', publicKey, sign('sha256', data, ec.privateKey))).toBe(false);
    expect(check('md5', publicKey, sig)).toBe(false);
  });

  it('refuses 500 randomly damaged signatures', () => {
    const { privateKey, publicKey } = keys[0]!;
    const sig = sign('sha256', data, privateKey);
    const next = prng(0x5a17);
    for (let i = 0; i < 500; i++) {
      const bad = Buffer.from(sig);
      const at = Math.floor(next() * bad.length);
      bad[at] = bad[at]! ^ (1 + Math.floor(next() * 255));
      expect(check('sha256', publicKey, bad), `damage ${i}`).toBe(false);
    }
  });
});
