import { describe, expect, it } from 'vitest';
import { ApduError, ResponseInterruptedError } from '../../../src/iso7816/apdu.ts';
import {
  MAX_GET_RESPONSE_ROUNDS,
  getResponseCla,
  transceive,
  transceiveOk,
  type Transmit,
} from '../../../src/iso7816/apduProtocol.ts';
import { fromHex, toHex } from '../../../src/iso7816/hex.ts';
import { CardStatusError } from '../../../src/iso7816/statusWords.ts';

/**
 * A card scripted as `[expected command hex, response hex]` pairs, checked strictly in order;
 * `done()` fails when exchanges were left unused.
 */
function scripted(script: ReadonlyArray<readonly [string, string]>): Transmit & { done(): void; sent: string[] } {
  const sent: string[] = [];
  const transmit = async (apdu: Uint8Array): Promise<Uint8Array> => {
    const step = script[sent.length];
    sent.push(toHex(apdu));
    if (!step) throw new Error(`unexpected APDU #${sent.length}: ${toHex(apdu, ' ')}`);
    expect(toHex(apdu, ' '), `APDU #${sent.length}`).toBe(normal(step[0]));
    return fromHex(step[1]);
  };
  return Object.assign(transmit, {
    sent,
    done: () => expect(sent.length, 'exchanges used').toBe(script.length),
  });
}

const normal = (text: string): string => toHex(fromHex(text), ' ');
const bytes = (n: number, start = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
const h = (b: Uint8Array): string => toHex(b, ' ');

describe('transceive: plain exchanges', () => {
  it('passes a 9000 answer through', async () => {
    const card = scripted([['00 a4 04 00 05 a0 00 00 03 08 00', '61 62 90 00']]);
    const r = await transceive(card, { cla: 0, ins: 0xa4, p1: 4, p2: 0, data: fromHex('a0 00 00 03 08'), le: 256 });
    expect(h(r.data)).toBe('61 62');
    expect(r.sw).toBe(0x9000);
    card.done();
  });

  it('returns an error SW without throwing', async () => {
    const card = scripted([['00 a4 04 00 02 3f 00', '6a 82']]);
    const r = await transceive(card, { cla: 0, ins: 0xa4, p1: 4, p2: 0, data: fromHex('3f 00') });
    expect(r).toEqual({ data: new Uint8Array(0), sw: 0x6a82 });
    card.done();
  });

  it('a response shorter than 2 bytes is an ApduError', async () => {
    const card = scripted([['00 b0 00 00 00', '90']]);
    await expect(transceive(card, { cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 256 })).rejects.toBeInstanceOf(ApduError);
  });
});

describe('transceive: 61xx and GET RESPONSE', () => {
  it('follows a chain of 3 GET RESPONSEs and concatenates the data', async () => {
    const card = scripted([
      ['00 cb 3f ff 05 5c 03 5f c1 05 00', `${h(bytes(256))} 61 00`],
      ['00 c0 00 00 00', `${h(bytes(256, 256))} 61 00`],
      ['00 c0 00 00 00', `${h(bytes(256, 512))} 61 10`],
      ['00 c0 00 00 10', `${h(bytes(16, 768))} 90 00`],
    ]);
    const r = await transceive(card, {
      cla: 0, ins: 0xcb, p1: 0x3f, p2: 0xff, data: fromHex('5c 03 5f c1 05'), le: 256,
    });
    expect(r.sw).toBe(0x9000);
    expect(r.data.length).toBe(784);
    expect(h(r.data)).toBe(h(bytes(784)));
    card.done();
  });

  it('keeps the logical channel bits in the GET RESPONSE CLA and drops SM and chaining bits', async () => {
    const card = scripted([
      ['0f ca 00 6e 00', '01 61 02'],
      ['03 c0 00 00 02', '02 03 90 00'],
    ]);
    const r = await transceive(card, { cla: 0x0f, ins: 0xca, p1: 0x00, p2: 0x6e, le: 256 });
    expect(h(r.data)).toBe('01 02 03');
    card.done();
  });

  it('getResponseCla per class coding', () => {
    expect(getResponseCla(0x00)).toBe(0x00);
    expect(getResponseCla(0x1c)).toBe(0x00);
    expect(getResponseCla(0x02)).toBe(0x02);
    expect(getResponseCla(0x84)).toBe(0x00);
    expect(getResponseCla(0x81)).toBe(0x01);
    expect(getResponseCla(0x7a)).toBe(0x4a);
    expect(getResponseCla(0x45)).toBe(0x45);
  });

  it('ends with the final SW of the GET RESPONSE chain, data kept', async () => {
    const card = scripted([
      ['00 b0 00 00 00', 'aa 61 05'],
      ['00 c0 00 00 05', '62 82'],
    ]);
    const r = await transceive(card, { cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 256 });
    expect(h(r.data)).toBe('aa');
    expect(r.sw).toBe(0x6282);
    card.done();
  });

  it('a GET RESPONSE refused mid-answer (6985: another program took the card meanwhile) is RESPONSE_INTERRUPTED, not the command failing', async () => {
    const card = scripted([
      ['00 cb 3f ff 05 5c 03 5f c1 05 00', `${h(bytes(256))} 61 00`],
      ['00 c0 00 00 00', '69 85'],
    ]);
    const command = { cla: 0, ins: 0xcb, p1: 0x3f, p2: 0xff, data: fromHex('5c 03 5f c1 05'), le: 256 };
    const error = await transceive(card, command).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseInterruptedError);
    expect(error).toMatchObject({ code: 'RESPONSE_INTERRUPTED', sw: 0x6985 });
    expect((error as Error).message).toContain('after 256 bytes (SW 6985 to GET RESPONSE)');
    card.done();
  });

  it('a card answering 61xx forever ends in an ApduError after the round limit', async () => {
    let calls = 0;
    const forever: Transmit = async () => {
      calls++;
      return fromHex('61 00');
    };
    const run = transceive(forever, { cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 256 });
    await expect(run).rejects.toBeInstanceOf(ApduError);
    await expect(run).rejects.toThrow('response too long');
    expect(calls).toBe(1 + MAX_GET_RESPONSE_ROUNDS);
  });

  it('a card sending more than maxResponseBytes ends in an ApduError', async () => {
    const card = scripted([
      ['00 b0 00 00 00', `${h(bytes(256))} 61 00`],
      ['00 c0 00 00 00', `${h(bytes(256))} 61 00`],
    ]);
    await expect(
      transceive(card, { cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 256 }, { maxResponseBytes: 300 }),
    ).rejects.toThrow(ApduError);
    card.done();
  });
});

describe('transceive: 6Cxx', () => {
  it('resends the same command once with Le = SW2', async () => {
    const card = scripted([
      ['00 ca 00 6e 00', '6c 12'],
      ['00 ca 00 6e 12', `${h(bytes(0x12))} 90 00`],
    ]);
    const r = await transceive(card, { cla: 0, ins: 0xca, p1: 0, p2: 0x6e, le: 256 });
    expect(h(r.data)).toBe(h(bytes(0x12)));
    expect(r.sw).toBe(0x9000);
    card.done();
  });

  it('a second 6Cxx is returned as is, without looping', async () => {
    const card = scripted([
      ['00 b0 00 00 10', '6c 08'],
      ['00 b0 00 00 08', '6c 04'],
    ]);
    const r = await transceive(card, { cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 16 });
    expect(r.sw).toBe(0x6c04);
    card.done();
  });

  it('6C00 means Le 256, and a resend answering 61xx continues with GET RESPONSE', async () => {
    const card = scripted([
      ['00 b0 00 00 01', '6c 00'],
      ['00 b0 00 00 00', `${h(bytes(256))} 61 02`],
      ['00 c0 00 00 02', '00 01 90 00'],
    ]);
    const r = await transceive(card, { cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 1 });
    expect(r.data.length).toBe(258);
    expect(r.sw).toBe(0x9000);
    card.done();
  });
});

describe('transceive: command chaining', () => {
  const data600 = bytes(600);

  it('splits 600 bytes into 255 + 255 + 90 with CLA | 10 on all but the last, Le only on the last', async () => {
    const card = scripted([
      [`10 db 3f ff ff ${h(data600.subarray(0, 255))}`, '90 00'],
      [`10 db 3f ff ff ${h(data600.subarray(255, 510))}`, '90 00'],
      [`00 db 3f ff 5a ${h(data600.subarray(510))} 00`, '90 00'],
    ]);
    const r = await transceive(card, { cla: 0, ins: 0xdb, p1: 0x3f, p2: 0xff, data: data600, le: 256 });
    expect(r.sw).toBe(0x9000);
    card.done();
  });

  it('stops at an intermediate block answering 6A80 and returns it', async () => {
    const card = scripted([
      [`10 db 3f ff ff ${h(data600.subarray(0, 255))}`, '90 00'],
      [`10 db 3f ff ff ${h(data600.subarray(255, 510))}`, '6a 80'],
    ]);
    const command = { cla: 0, ins: 0xdb, p1: 0x3f, p2: 0xff, data: data600 };
    const r = await transceive(card, command);
    expect(r.sw).toBe(0x6a80);
    card.done();
  });

  it('transceiveOk turns that 6A80 into a CardStatusError', async () => {
    const card = scripted([[`10 db 3f ff ff ${h(data600.subarray(0, 255))}`, '6a 80']]);
    const run = transceiveOk(card, { cla: 0, ins: 0xdb, p1: 0x3f, p2: 0xff, data: data600 });
    await expect(run).rejects.toBeInstanceOf(CardStatusError);
    await expect(run).rejects.toMatchObject({ code: 'WRONG_DATA', sw: 0x6a80, ins: 0xdb });
  });

  it('the last block of a chain still gets 61xx handling', async () => {
    const data = bytes(256);
    const card = scripted([
      [`10 87 07 9a ff ${h(data.subarray(0, 255))}`, '90 00'],
      [`00 87 07 9a 01 ${h(data.subarray(255))} 00`, `${h(bytes(256))} 61 04`],
      ['00 c0 00 00 04', '01 02 03 04 90 00'],
    ]);
    const r = await transceive(card, { cla: 0, ins: 0x87, p1: 7, p2: 0x9a, data, le: 256 });
    expect(r.data.length).toBe(260);
    card.done();
  });
});

describe('transceive: extended length', () => {
  it('sends 600 bytes as one extended APDU with extended Le', async () => {
    const data = bytes(600);
    const card = scripted([[`00 db 3f ff 00 02 58 ${h(data)} 04 00`, '90 00']]);
    const r = await transceive(card, { cla: 0, ins: 0xdb, p1: 0x3f, p2: 0xff, data, le: 1024 }, { extendedLength: true });
    expect(r.sw).toBe(0x9000);
    card.done();
  });

  it('keeps short form when the command fits it', async () => {
    const card = scripted([['00 b0 00 00 00', '90 00']]);
    await transceive(card, { cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 256 }, { extendedLength: true });
    card.done();
  });

  it('uses extended Le alone (case 2) when Le > 256', async () => {
    const card = scripted([['00 b0 00 00 00 00 00', `${h(bytes(1000))} 90 00`]]);
    const r = await transceive(card, { cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 65536 }, { extendedLength: true });
    expect(r.data.length).toBe(1000);
    card.done();
  });

  it('chains in blocks of 65535 beyond the extended maximum', async () => {
    const data = bytes(65535 + 10);
    const card = scripted([
      [`10 db 3f ff 00 ff ff ${h(data.subarray(0, 65535))}`, '90 00'],
      [`00 db 3f ff 0a ${h(data.subarray(65535))}`, '90 00'],
    ]);
    await transceive(card, { cla: 0, ins: 0xdb, p1: 0x3f, p2: 0xff, data }, { extendedLength: true });
    card.done();
  });

  it('without extended length, Le > 256 is sent as 00 and the rest fetched by GET RESPONSE', async () => {
    const card = scripted([
      ['00 b0 00 00 00', `${h(bytes(256))} 61 2c`],
      ['00 c0 00 00 2c', `${h(bytes(44, 256))} 90 00`],
    ]);
    const r = await transceive(card, { cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 300 });
    expect(h(r.data)).toBe(h(bytes(300)));
    card.done();
  });
});
