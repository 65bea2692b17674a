import { constants, createHash, generateKeyPairSync, privateEncrypt, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../src/iso7816/hex.ts';
import { SignInputError, digestInfo, digestInfoPrefix, isDigestInfo, pkcs1v15Block } from '../../../src/pki/index.ts';

describe('digestInfo and pkcs1v15Block (RFC 8017 §9.2)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const message = new TextEncoder().encode('logga in');

  it.each(['sha256', 'sha384', 'sha512'] as const)('a raw RSA operation on the %s block is a signature node:crypto verifies', (hash) => {
    const digest = new Uint8Array(createHash(hash).update(message).digest());
    const block = pkcs1v15Block(digestInfo(hash, digest), 256);
    expect(block).toHaveLength(256);
    expect(toHex(block.subarray(0, 3))).toBe('0001ff');
    // What the card does with the block: the private-key operation with no padding of its own.
    const signature = privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, block);
    expect(verify(hash, message, publicKey, signature)).toBe(true);
  });

  it('writes the SHA-256 DigestInfo prefix of RFC 8017 §9.2 note 1', () => {
    expect(toHex(digestInfo('sha256', new Uint8Array(32)), ' ').slice(0, 56)).toBe('30 31 30 0d 06 09 60 86 48 01 65 03 04 02 01 05 00 04 20');
  });

  it('refuses a digest of the wrong length, an unknown hash, and a DigestInfo too long for the modulus', () => {
    expect(() => digestInfo('sha256', new Uint8Array(48))).toThrow(SignInputError);
    expect(() => digestInfo('sha256', new Uint8Array(48))).toThrow(expect.objectContaining({ code: 'INVALID_SIGN_INPUT' }));
    expect(() => digestInfo('md5' as 'sha256', new Uint8Array(16))).toThrow(expect.objectContaining({ code: 'INVALID_SIGN_INPUT' }));
    expect(() => pkcs1v15Block(new Uint8Array(246), 256)).toThrow(expect.objectContaining({ code: 'INVALID_SIGN_INPUT' }));
    expect(pkcs1v15Block(new Uint8Array(245), 256)[10]).toBe(0x00);
  });

  it('tells a DigestInfo from a bare digest or a damaged one', () => {
    const digest = new Uint8Array(createHash('sha384').update(message).digest());
    const info = digestInfo('sha384', digest);
    expect(isDigestInfo(info)).toBe(true);
    expect(isDigestInfo(digest)).toBe(false);
    expect(isDigestInfo(info.subarray(0, info.length - 1))).toBe(false);
    const damaged = info.slice();
    damaged[14] = damaged[14]! ^ 0x01; // the OID's last arc: now sha512's, over a 48-byte digest
    expect(isDigestInfo(damaged)).toBe(false);
  });

  it('looks hash names up in the table only, never on its prototype', () => {
    expect(digestInfoPrefix('sha512')?.digestBytes).toBe(64);
    expect(digestInfoPrefix('md5')).toBeUndefined();
    expect(digestInfoPrefix('constructor')).toBeUndefined();
    expect(digestInfoPrefix('__proto__')).toBeUndefined();
  });
});
