import { createHash, verify, webcrypto, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand } from '../../../src/iso7816/apdu.ts';
import { identifyCard } from '../../../src/iso7816/cardIdentification.ts';
import { concatBytes, fromHex, toHex } from '../../../src/iso7816/hex.ts';
import { decodeOne, tlv } from '../../../src/iso7816/tlv.ts';
import type { IssueCertificate } from '../../../src/pki/index.ts';
import { createCardImage, saveCardImage, type CardImage } from '../../../src/virtual/cardImage.ts';
import { PIV_AID, VirtualPivCard } from '../../../src/virtual/pivCard.ts';

const hex = (b: Uint8Array) => toHex(b, ' ').toUpperCase();
const GUID = '00112233445566778899AABBCCDDEEFF';
const PIN = '31 32 33 34 35 36 FF FF'; // 123456
const PUK = '31 32 33 34 35 36 37 38'; // 12345678
const WRONG = '39 39 39 39 39 39 FF FF'; // 999999
const LABEL = '65 2D 6B 6F 72 74 20 76 69 72 74 75 61 6C 20 50 49 56'; // "e-kort virtual PIV"
const APT = `61 30 4F 06 00 00 10 00 01 00 79 07 4F 05 A0 00 00 03 08 50 12 ${LABEL} AC 09 80 01 07 80 01 11 06 01 00`;

/** Sends hex, returns the response as spaced upper-case hex. */
async function tx(card: VirtualPivCard, apdu: string): Promise<string> {
  return hex(await card.process(fromHex(apdu)));
}

function certOf(image: CardImage, slot: '9a' | '9c' | '9e'): X509Certificate {
  return new X509Certificate(Buffer.from(image.slots[slot]!.certificate!, 'base64'));
}

/** GENERAL AUTHENTICATE data: 7C { 82 00, 81 input }. */
function gaData(input: Uint8Array): Uint8Array {
  return tlv(0x7c, tlv(0x82, new Uint8Array(0)), tlv(0x81, input));
}

/** EMSA-PKCS1-v1_5 (RFC 8017 §9.2) of SHA-256(message) for a 2048-bit key: what the host sends. */
function pkcs1Block(message: Uint8Array): Uint8Array {
  const digestInfo = concatBytes(fromHex('30 31 30 0D 06 09 60 86 48 01 65 03 04 02 01 05 00 04 20'), createHash('sha256').update(message).digest());
  return concatBytes(Uint8Array.of(0x00, 0x01), new Uint8Array(256 - 3 - digestInfo.length).fill(0xff), Uint8Array.of(0x00), digestInfo);
}

/** The signature inside 7C { 82 sig }. */
function signatureOf(response: Uint8Array): Uint8Array {
  const template = decodeOne(response.subarray(0, response.length - 2));
  expect(template.tag).toBe(0x7c);
  const sig = template.children?.[0];
  expect(sig?.tag).toBe(0x82);
  return sig!.value;
}

/** Follows 61xx with GET RESPONSE; returns all data and the final SW. */
async function collect(card: VirtualPivCard, first: Uint8Array, le = 0x00): Promise<{ data: Uint8Array; sws: string[] }> {
  const parts: Uint8Array[] = [];
  const sws: string[] = [];
  let r = await card.process(first);
  for (;;) {
    parts.push(r.subarray(0, r.length - 2));
    const sw = hex(r.subarray(r.length - 2)).replace(' ', '');
    sws.push(sw);
    if (!sw.startsWith('61')) break;
    r = await card.process(Uint8Array.of(0x00, 0xc0, 0x00, 0x00, le));
  }
  return { data: concatBytes(...parts), sws };
}

/** Issues certificates padded with a 900-byte private extension: a ~1.5 KB RSA certificate. */
async function bigCertificateIssuer(): Promise<IssueCertificate> {
  const ca = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
  return async (spki, subject) => {
    const cert = new pkijs.Certificate();
    cert.version = 2;
    cert.serialNumber = new asn1js.Integer({ value: 4711 });
    const cn = (value: string) =>
      new pkijs.RelativeDistinguishedNames({ typesAndValues: [new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value }) })] });
    cert.subject = cn(subject.commonName);
    cert.issuer = cn('Test CA');
    cert.notBefore.value = new Date();
    cert.notAfter.value = new Date(Date.now() + 86_400_000);
    cert.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(Uint8Array.from(spki));
    cert.extensions = [
      new pkijs.Extension({ extnID: '1.3.6.1.4.1.55555.1', extnValue: new asn1js.OctetString({ valueHex: new Uint8Array(900).fill(0x5a) }).toBER(false) }),
    ];
    await cert.sign(ca.privateKey, 'SHA-256', new pkijs.CryptoEngine({ name: 'test', crypto: webcrypto as Crypto }));
    return new Uint8Array(cert.toSchema(true).toBER(false));
  };
}

let p256: CardImage;
let rsa: CardImage;

beforeAll(async () => {
  p256 = await createCardImage({ name: 'Tolvan Tolvansson', personnummer: '191212121212' });
  p256.chuid = { guid: GUID, expires: '20301231' };
  rsa = await createCardImage({ name: 'Rsa Testsson', keyType: 'rsa2048', issue: await bigCertificateIssuer() });
});

describe('VirtualPivCard: ATR and SELECT', () => {
  it('answers with the image ATR, which names the virtual PIV card', () => {
    const card = new VirtualPivCard(p256);
    expect(toHex(card.atr)).toBe(p256.atr);
    expect(identifyCard(card.atr)?.profile).toBe('piv');
  });

  it('selects the PIV AID, full and without version, with the application property template', async () => {
    const card = new VirtualPivCard(p256);
    expect(await tx(card, `00 A4 04 00 0B ${hex(PIV_AID)} 00`)).toBe(`${APT} 90 00`);
    expect(await tx(card, '00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00')).toBe(`${APT} 90 00`);
    expect(await tx(card, '00 A4 04 0C 09 A0 00 00 03 08 00 00 10 00')).toBe('90 00');
  });

  it('refuses other AIDs (6A82) and selection by FID (6A86)', async () => {
    const card = new VirtualPivCard(p256);
    expect(await tx(card, '00 A4 04 00 05 A0 00 00 03 08 00')).toBe('6A 82');
    expect(await tx(card, '00 A4 04 00 07 A0 00 00 05 27 20 01 00')).toBe('6A 82'); // YubiKey OTP
    expect(await tx(card, '00 A4 00 00 02 3F 00 00')).toBe('6A 86');
  });

  it('cuts the template at Le and hands out the rest with GET RESPONSE', async () => {
    const card = new VirtualPivCard(p256);
    expect(await tx(card, `00 A4 04 00 0B ${hex(PIV_AID)} 10`)).toBe(`${APT.slice(0, 16 * 3 - 1)} 61 22`);
    expect(await tx(card, '00 C0 00 00 22')).toBe(`${APT.slice(16 * 3)} 90 00`);
    expect(await tx(card, '00 C0 00 00 22')).toBe('69 85');
  });
});

describe('VirtualPivCard: GET DATA', () => {
  it('returns the Discovery object with the PIN usage policy (PIV PIN only)', async () => {
    const card = new VirtualPivCard(p256);
    expect(await tx(card, '00 CB 3F FF 03 5C 01 7E 00')).toBe('7E 12 4F 0B A0 00 00 03 08 00 00 10 00 01 00 5F 2F 02 40 00 90 00');
  });

  it('returns the CHUID: non-federal FASC-N, the GUID, the expiry', async () => {
    const card = new VirtualPivCard(p256);
    const fascn = 'D4 E7 39 DA 73 9C ED 39 CE 73 9D 83 68 58 21 08 42 10 84 21 C8 42 10 C3 EB';
    const expires = '32 30 33 30 31 32 33 31'; // 20301231
    expect(await tx(card, '00 CB 3F FF 05 5C 03 5F C1 02 00')).toBe(
      `53 3B 30 19 ${fascn} 34 10 ${hex(fromHex(GUID))} 35 08 ${expires} 3E 00 FE 00 90 00`,
    );
  });

  it('returns the Card Capability Container and the Key History (no retired keys)', async () => {
    const card = new VirtualPivCard(p256);
    const cardId = `A0 00 00 01 16 FF 00 ${hex(fromHex(GUID).subarray(0, 14))}`;
    expect(await tx(card, '00 CB 3F FF 05 5C 03 5F C1 07 00')).toBe(
      `53 33 F0 15 ${cardId} F1 01 21 F2 01 21 F3 00 F4 01 00 F5 01 10 F6 00 F7 00 FA 00 FB 00 FC 00 FD 00 FE 00 90 00`,
    );
    expect(await tx(card, '00 CB 3F FF 05 5C 03 5F C1 0C 00')).toBe('53 08 C1 01 00 C2 01 00 FE 00 90 00');
  });

  it('returns the 9A and 9C certificate objects 53 { 70 cert, 71 00, FE 00 }', async () => {
    const card = new VirtualPivCard(p256);
    for (const [slot, tag] of [['9a', '5F C1 05'], ['9c', '5F C1 0A']] as const) {
      const der = new Uint8Array(certOf(p256, slot).raw);
      const expected = tlv(0x53, tlv(0x70, der), fromHex('71 01 00 FE 00'));
      const { data, sws } = await collect(card, fromHex(`00 CB 3F FF 05 5C 03 ${tag} 00`));
      expect(hex(data)).toBe(hex(expected));
      expect(sws.at(-1)).toBe('9000');
    }
  });

  it('answers 6A82 for absent objects, 6A80 for a malformed tag list, 6A86 for other P1P2', async () => {
    const card = new VirtualPivCard(p256);
    expect(await tx(card, '00 CB 3F FF 05 5C 03 5F C1 01 00')).toBe('6A 82'); // 9E certificate
    expect(await tx(card, '00 CB 3F FF 05 5C 03 5F C1 0B 00')).toBe('6A 82'); // 9D certificate
    expect(await tx(card, '00 CB 3F FF 05 5C 03 5F C1 09 00')).toBe('6A 82'); // printed information
    expect(await tx(card, '00 CB 3F FF 05 5C 03 5F C1 06 00')).toBe('6A 82'); // security object
    expect(await tx(card, '00 CB 3F FF 05 4F 03 5F C1 05 00')).toBe('6A 80');
    expect(await tx(card, '00 CB 3F FF 04 5C 03 5F C1 00')).toBe('6A 80');
    expect(await tx(card, '00 CB 00 00 05 5C 03 5F C1 05 00')).toBe('6A 86');
  });

  it('sends a ~1.5 KB RSA certificate through 61xx and GET RESPONSE, or at once with extended Le', async () => {
    const card = new VirtualPivCard(rsa);
    const der = new Uint8Array(certOf(rsa, '9a').raw);
    expect(der.length).toBeGreaterThan(1400);
    const object = tlv(0x53, tlv(0x70, der), fromHex('71 01 00 FE 00'));
    const { data, sws } = await collect(card, fromHex('00 CB 3F FF 05 5C 03 5F C1 05 00'));
    expect(hex(data)).toBe(hex(object));
    const full = Math.floor(object.length / 256);
    expect(sws).toEqual([...Array(full - 1).fill('6100'), `61${(object.length % 256).toString(16).toUpperCase().padStart(2, '0')}`, '9000']);

    const extended = await card.process(fromHex('00 CB 3F FF 00 00 05 5C 03 5F C1 05 00 00'));
    expect(hex(extended)).toBe(`${hex(object)} 90 00`);
  });

  it('stores a gzip-compressed certificate with CertInfo 01', async () => {
    const image: CardImage = { ...p256, slots: { ...p256.slots, '9a': { ...p256.slots['9a']!, compressCertificate: true } } };
    const card = new VirtualPivCard(image);
    const { data } = await collect(card, fromHex('00 CB 3F FF 05 5C 03 5F C1 05 00'));
    const object = decodeOne(data);
    expect(object.tag).toBe(0x53);
    // 70 is a constructed tag, so the gzip bytes inside are read by hand: 70 82 LL LL gz.
    const value = object.value;
    expect(hex(value.subarray(0, 2))).toBe('70 82');
    const gz = value.subarray(4, 4 + ((value[2]! << 8) | value[3]!));
    expect(hex(value.subarray(4 + gz.length))).toBe('71 01 01 FE 00');
    expect(hex(gunzipSync(gz))).toBe(hex(new Uint8Array(certOf(p256, '9a').raw)));
  });
});

describe('VirtualPivCard: PIN and PUK', () => {
  it('VERIFY without data reports the counter, or 9000 once verified; P1=FF forgets it', async () => {
    const card = new VirtualPivCard(p256);
    expect(await tx(card, '00 20 00 80')).toBe('63 C3');
    expect(await tx(card, `00 20 00 80 08 ${PIN}`)).toBe('90 00');
    expect(await tx(card, '00 20 00 80')).toBe('90 00');
    expect(await tx(card, '00 20 FF 80')).toBe('90 00');
    expect(await tx(card, '00 20 00 80')).toBe('63 C3');
    await tx(card, `00 20 00 80 08 ${PIN}`);
    card.reset();
    expect(await tx(card, '00 20 00 80')).toBe('63 C3');
  });

  it('a wrong PIN counts down, a right one resets the counter to its maximum', async () => {
    const card = new VirtualPivCard(p256);
    expect(await tx(card, `00 20 00 80 08 ${WRONG}`)).toBe('63 C2');
    expect(await tx(card, '00 20 00 80')).toBe('63 C2');
    expect(await tx(card, `00 20 00 80 08 ${WRONG}`)).toBe('63 C1');
    expect(await tx(card, `00 20 00 80 08 ${PIN}`)).toBe('90 00');
    expect(card.pinTriesLeft).toBe(3);
    expect(await tx(card, `00 20 FF 80`)).toBe('90 00');
    expect(await tx(card, '00 20 00 80')).toBe('63 C3');
  });

  it('refuses malformed VERIFY data without counting (6A80) and other references (6A88)', async () => {
    const card = new VirtualPivCard(p256);
    expect(await tx(card, '00 20 00 80 06 31 32 33 34 35 36')).toBe('6A 80');
    expect(await tx(card, `00 20 00 00 08 ${PIN}`)).toBe('6A 88'); // global PIN
    expect(await tx(card, `00 20 00 81 08 ${PUK}`)).toBe('6A 88');
    expect(card.pinTriesLeft).toBe(3);
  });

  it('blocks the PIN after three wrong tries (6983) until RESET RETRY COUNTER with the PUK', async () => {
    const card = new VirtualPivCard(p256);
    expect(await tx(card, `00 20 00 80 08 ${WRONG}`)).toBe('63 C2');
    expect(await tx(card, `00 20 00 80 08 ${WRONG}`)).toBe('63 C1');
    expect(await tx(card, `00 20 00 80 08 ${WRONG}`)).toBe('69 83');
    expect(await tx(card, `00 20 00 80 08 ${PIN}`)).toBe('69 83');
    expect(await tx(card, '00 20 00 80')).toBe('69 83');
    expect(await tx(card, `00 2C 00 80 10 ${WRONG} 38 37 36 35 34 33 FF FF`)).toBe('63 C2');
    expect(await tx(card, `00 2C 00 80 10 ${PUK} 38 37 36 35 FF FF FF FF`)).toBe('6A 80'); // new PIN too short
    expect(card.pukTriesLeft).toBe(2);
    expect(await tx(card, `00 2C 00 80 10 ${PUK} 38 37 36 35 34 33 FF FF`)).toBe('90 00');
    expect([card.pinTriesLeft, card.pukTriesLeft]).toEqual([3, 3]);
    expect(await tx(card, `00 20 00 80 08 ${PIN}`)).toBe('63 C2');
    expect(await tx(card, '00 20 00 80 08 38 37 36 35 34 33 FF FF')).toBe('90 00');
  });

  it('blocks the PUK after three wrong tries', async () => {
    const card = new VirtualPivCard(p256);
    const rrc = `00 2C 00 80 10 ${WRONG} ${PIN}`;
    expect(await tx(card, rrc)).toBe('63 C2');
    expect(await tx(card, rrc)).toBe('63 C1');
    expect(await tx(card, rrc)).toBe('69 83');
    expect(await tx(card, `00 2C 00 80 10 ${PUK} ${PIN}`)).toBe('69 83');
    expect(await tx(card, `00 20 00 80 08 ${PIN}`)).toBe('90 00'); // the PIN itself still works
  });

  it('CHANGE REFERENCE DATA changes the PIN (80) and the PUK (81)', async () => {
    const card = new VirtualPivCard(p256);
    expect(await tx(card, `00 24 00 80 10 ${WRONG} 31 31 31 31 31 31 31 31`)).toBe('63 C2');
    expect(await tx(card, `00 24 00 80 10 ${PIN} 31 31 FF FF FF FF FF FF`)).toBe('6A 80');
    expect(await tx(card, `00 24 00 80 10 ${PIN} 31 31 31 31 31 31 31 31`)).toBe('90 00');
    expect(card.pinTriesLeft).toBe(3);
    expect(await tx(card, '00 20 00 80 08 31 31 31 31 31 31 31 31')).toBe('90 00');
    expect(await tx(card, `00 24 00 81 10 ${PUK} 38 38 38 38 38 38 38 38`)).toBe('90 00');
    expect(await tx(card, `00 2C 00 80 10 ${PUK} ${PIN}`)).toBe('63 C2');
    expect(await tx(card, `00 2C 00 80 10 38 38 38 38 38 38 38 38 ${PIN}`)).toBe('90 00');
  });
});

describe('VirtualPivCard: GENERAL AUTHENTICATE', () => {
  const message = new TextEncoder().encode('e-kort login challenge');
  const digest = createHash('sha256').update(message).digest();

  it('signs a SHA-256 digest with P-256 (alg 11) after VERIFY; the certificate key verifies it', async () => {
    const card = new VirtualPivCard(p256);
    const command = encodeCommand({ cla: 0x00, ins: 0x87, p1: 0x11, p2: 0x9a, data: gaData(digest), le: 256 });
    expect(hex(await card.process(command))).toBe('69 82');
    await tx(card, `00 20 00 80 08 ${PIN}`);
    const response = await card.process(command);
    expect(hex(response.subarray(-2))).toBe('90 00');
    expect(verify('sha256', message, certOf(p256, '9a').publicKey, signatureOf(response))).toBe(true);
    // Randomized k: a second signature differs and verifies too.
    const again = signatureOf(await card.process(command));
    expect(hex(again)).not.toBe(hex(signatureOf(response)));
    expect(verify('sha256', message, certOf(p256, '9a').publicKey, again)).toBe(true);
  });

  it('signs a PKCS#1 block with RSA-2048 (alg 07), chained as a short-APDU host sends it', async () => {
    const card = new VirtualPivCard(rsa);
    await tx(card, `00 20 00 80 08 ${PIN}`);
    const data = gaData(pkcs1Block(message));
    expect(data.length).toBeGreaterThan(255);
    expect(hex(await card.process(concatBytes(fromHex('10 87 07 9A FF'), data.subarray(0, 255))))).toBe('90 00');
    const last = data.subarray(255);
    const { data: answer, sws } = await collect(card, concatBytes(fromHex('00 87 07 9A'), Uint8Array.of(last.length), last, Uint8Array.of(0)));
    expect(sws).toEqual(['6108', '9000']);
    const signature = signatureOf(concatBytes(answer, fromHex('90 00')));
    expect(signature.length).toBe(256);
    expect(verify('sha256', message, certOf(rsa, '9a').publicKey, signature)).toBe(true);
  });

  it('takes the RSA input in one extended APDU as well', async () => {
    const card = new VirtualPivCard(rsa);
    await tx(card, `00 20 00 80 08 ${PIN}`);
    const command = encodeCommand({ cla: 0x00, ins: 0x87, p1: 0x07, p2: 0x9a, data: gaData(pkcs1Block(message)), le: 65536 });
    const response = await card.process(command);
    expect(hex(response.subarray(-2))).toBe('90 00');
    expect(verify('sha256', message, certOf(rsa, '9a').publicKey, signatureOf(response))).toBe(true);
  });

  it('9C is PIN Always: each signature needs a VERIFY right before it', async () => {
    const card = new VirtualPivCard(p256);
    const sign9c = encodeCommand({ cla: 0x00, ins: 0x87, p1: 0x11, p2: 0x9c, data: gaData(digest), le: 256 });
    await tx(card, `00 20 00 80 08 ${PIN}`);
    await tx(card, '00 CB 3F FF 03 5C 01 7E 00');
    expect(hex(await card.process(sign9c))).toBe('69 82');
    await tx(card, `00 20 00 80 08 ${PIN}`);
    const response = await card.process(sign9c);
    expect(verify('sha256', message, certOf(p256, '9c').publicKey, signatureOf(response))).toBe(true);
    expect(hex(await card.process(sign9c))).toBe('69 82');
    // 9A only needs the session's verification.
    const sign9a = encodeCommand({ cla: 0x00, ins: 0x87, p1: 0x11, p2: 0x9a, data: gaData(digest), le: 256 });
    expect(hex((await card.process(sign9a)).subarray(-2))).toBe('90 00');
  });

  it('9E (Card Authentication) signs without a PIN', async () => {
    const card = new VirtualPivCard({ ...p256, slots: { ...p256.slots, '9e': p256.slots['9a']! } });
    const response = await card.process(encodeCommand({ cla: 0x00, ins: 0x87, p1: 0x11, p2: 0x9e, data: gaData(digest), le: 256 }));
    expect(verify('sha256', message, certOf(p256, '9a').publicKey, signatureOf(response))).toBe(true);
  });

  it('answers 6A80 for a wrong algorithm or template, 6A86 for a slot without a key', async () => {
    const card = new VirtualPivCard(rsa);
    await tx(card, `00 20 00 80 08 ${PIN}`);
    const ga = (p1: number, p2: number, data: Uint8Array) => card.process(encodeCommand({ cla: 0x00, ins: 0x87, p1, p2, data, le: 256 }));
    expect(hex(await ga(0x11, 0x9a, gaData(digest)))).toBe('6A 80'); // P-256 on an RSA slot
    expect(hex(await ga(0x06, 0x9a, gaData(digest)))).toBe('6A 80'); // RSA-1024
    expect(hex(await ga(0x07, 0x9a, gaData(digest)))).toBe('6A 80'); // RSA input not 256 bytes
    expect(hex(await ga(0x07, 0x9a, gaData(new Uint8Array(256).fill(0xff))))).toBe('6A 80'); // not below the modulus
    expect(hex(await ga(0x07, 0x9a, tlv(0x7c, tlv(0x81, pkcs1Block(message)))))).toBe('6A 80'); // no 82
    expect(hex(await ga(0x07, 0x9a, tlv(0x7c, tlv(0x82, new Uint8Array(0)), tlv(0x85, digest))))).toBe('6A 80'); // ECDH
    expect(hex(await ga(0x07, 0x9e, gaData(pkcs1Block(message))))).toBe('6A 86');
    expect(hex(await ga(0x07, 0x9d, gaData(pkcs1Block(message))))).toBe('6A 86');
    expect(hex(await ga(0x00, 0x9b, fromHex('7C 02 81 00')))).toBe('6A 80'); // not the administration key's algorithm
  });
});

describe('VirtualPivCard: transport', () => {
  it("answers 6D00 to unknown instructions (YubiKey's own included) and 6E00 to other classes", async () => {
    const card = new VirtualPivCard(p256);
    expect(await tx(card, '00 FD 00 00 00')).toBe('6D 00');
    expect(await tx(card, '00 F8 00 00 00')).toBe('6D 00');
    expect(await tx(card, '00 FB 00 00')).toBe('6D 00'); // RESET
    expect(await tx(card, '00 FA 05 05')).toBe('6D 00'); // SET PIN RETRIES
    expect(await tx(card, '00 FF FF FF 1B 03 9B 18 01 02 03 04 05 06 07 08 01 02 03 04 05 06 07 08 01 02 03 04 05 06 07 08')).toBe('6D 00');
    expect(await tx(card, '80 CB 3F FF 03 5C 01 7E 00')).toBe('6E 00');
    expect(await tx(card, '0C CB 3F FF 03 5C 01 7E 00')).toBe('6E 00');
  });

  it('chains only GENERAL AUTHENTICATE, and a chain must not be interrupted', async () => {
    const card = new VirtualPivCard(p256);
    expect(await tx(card, `10 20 00 80 08 ${PIN}`)).toBe('68 84');
    expect(await tx(card, '10 87 11 9A 02 7C 24')).toBe('90 00');
    expect(await tx(card, '00 CB 3F FF 03 5C 01 7E 00')).toBe('68 83');
    expect(await tx(card, '00 CB 3F FF 03 5C 01 7E 00')).toBe(`7E 12 4F 0B ${hex(PIV_AID)} 5F 2F 02 40 00 90 00`);
  });

  it('answers 6700 to a malformed APDU and 6985 to GET RESPONSE with nothing pending', async () => {
    const card = new VirtualPivCard(p256);
    expect(await tx(card, '00 CB 3F')).toBe('67 00');
    expect(await tx(card, '00 CB 3F FF 09 5C 01')).toBe('67 00');
    expect(await tx(card, '00 C0 00 00 10')).toBe('69 85');
  });

  it('answers synchronously when nothing needs writing', () => {
    const card = new VirtualPivCard(p256);
    expect(card.process(fromHex('00 CB 3F FF 03 5C 01 7E 00'))).toBeInstanceOf(Uint8Array);
  });
});

describe('VirtualPivCard: persistence', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-piv-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const readImage = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as CardImage;

  it('writes the counter before answering; a restarted card stays blocked', async () => {
    const file = path.join(dir, 'blocked.json');
    await saveCardImage(file, p256);
    const card = await VirtualPivCard.open(file);
    const pending = card.process(fromHex(`00 20 00 80 08 ${WRONG}`));
    expect(pending).toBeInstanceOf(Promise);
    expect(hex(await pending)).toBe('63 C2');
    expect((await readImage(file)).pinTriesLeft).toBe(2);
    await card.process(fromHex(`00 20 00 80 08 ${WRONG}`));
    expect(hex(await card.process(fromHex(`00 20 00 80 08 ${WRONG}`)))).toBe('69 83');
    expect((await readImage(file)).pinTriesLeft).toBe(0);

    const restarted = await VirtualPivCard.open(file);
    expect(await tx(restarted, '00 20 00 80')).toBe('69 83');
    expect(await tx(restarted, `00 20 00 80 08 ${PIN}`)).toBe('69 83');
  });

  it('keeps a changed PIN and an unblocked card across a restart', async () => {
    const file = path.join(dir, 'changed.json');
    await saveCardImage(file, { ...p256, pinTriesLeft: 0 });
    const card = await VirtualPivCard.open(file);
    expect(await tx(card, `00 2C 00 80 10 ${PUK} 37 37 37 37 37 37 FF FF`)).toBe('90 00');
    const image = await readImage(file);
    expect([image.pin, image.pinTriesLeft]).toEqual(['777777', 3]);
    expect(await tx(await VirtualPivCard.open(file), '00 20 00 80 08 37 37 37 37 37 37 FF FF')).toBe('90 00');
  });

  it('writes nothing for a right PIN when the counter is already full', async () => {
    const file = path.join(dir, 'quiet.json');
    await saveCardImage(file, p256);
    const card = await VirtualPivCard.open(file);
    await writeFile(file, 'sentinel');
    expect(card.process(fromHex(`00 20 00 80 08 ${PIN}`))).toBeInstanceOf(Uint8Array);
    expect(await readFile(file, 'utf8')).toBe('sentinel');
  });

  it('answers 6581 (memory failure) when the image cannot be written', async () => {
    const card = new VirtualPivCard(p256, { path: path.join(dir, 'missing-dir', 'card.json') });
    expect(hex(await card.process(fromHex(`00 20 00 80 08 ${WRONG}`)))).toBe('65 81');
  });

  it('refuses a corrupt card image file with CARD_IMAGE_INVALID', async () => {
    const file = path.join(dir, 'corrupt.json');
    await saveCardImage(file, p256);
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.slice(0, text.length / 2));
    await expect(VirtualPivCard.open(file)).rejects.toMatchObject({ code: 'CARD_IMAGE_INVALID', path: file });
    await writeFile(file, text.replace('"pinTriesLeft": 3', '"pinTriesLeft": 9'));
    await expect(VirtualPivCard.open(file)).rejects.toMatchObject({ code: 'CARD_IMAGE_INVALID', field: 'pinTriesLeft' });
  });

  it('refuses an invalid image handed to the constructor', () => {
    let error: unknown;
    try {
      new VirtualPivCard({ ...p256, pin: '12' });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'CARD_IMAGE_INVALID', field: 'pin' });
  });
});

describe('VirtualPivCard: speed', () => {
  it('signs without per-APDU setup work', async () => {
    const card = new VirtualPivCard(p256);
    await tx(card, `00 20 00 80 08 ${PIN}`);
    const command = encodeCommand({ cla: 0x00, ins: 0x87, p1: 0x11, p2: 0x9a, data: gaData(createHash('sha256').update('x').digest()), le: 256 });
    const t0 = performance.now();
    for (let i = 0; i < 50; i++) await card.process(command);
    const perSignature = (performance.now() - t0) / 50;
    expect(perSignature).toBeLessThan(20); // measured ~0.4 ms
    expect(verify('sha256', Buffer.from('x'), certOf(p256, '9a').publicKey, signatureOf(await card.process(command)))).toBe(true);
  });
});
