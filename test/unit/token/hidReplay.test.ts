import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { isEkortError } from '../../../src/errors.ts';
import { parseHidFixture } from '../../../src/token/hidFixture.ts';
import { HidOtpSession } from '../../../src/token/hidOtpSession.ts';
import { RecordingHidDevice, ReplayHidDevice } from '../../../src/token/hidReplay.ts';
import { VirtualHidToken } from '../../../src/virtual/hidToken.ts';

const FIXTURE = new URL('../../fixtures/hid/hmac-sha1-slot2.hid', import.meta.url);
// RFC 2202, HMAC-SHA1 test case 1: key 20 x 0x0b, data "Hi There".
const RFC2202_KEY = new Uint8Array(20).fill(0x0b);
const RFC2202_DATA = new TextEncoder().encode('Hi There');
const RFC2202_MAC = 'b617318655057264e28bc0b6fb378c8ef146be00';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const withoutComments = (text: string): string =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .join('\n');

async function failure(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return { code: isEkortError(e) ? e.code : undefined, message: (e as Error).message };
  }
  throw new Error('expected a failure');
}

describe('the recorded HMAC-SHA1 challenge-response fixture', () => {
  it('replays through HidOtpSession byte for byte to the RFC 2202 answer, every call used', async () => {
    const device = await ReplayHidDevice.fromFile(FIXTURE.pathname);
    const out = await new HidOtpSession(device).challengeResponse(RFC2202_DATA, { slot: 2, pollMs: 1 });
    expect(hex(out)).toBe(RFC2202_MAC);
    expect(hex(out)).toBe(createHmac('sha1', RFC2202_KEY).update(RFC2202_DATA).digest('hex'));
    expect(device.remaining).toBe(0);
    expect(() => device.finish()).not.toThrow();
  });

  it('is what the virtual token records today', async () => {
    const recorder = new RecordingHidDevice(new VirtualHidToken({ slot2: RFC2202_KEY }));
    await new HidOtpSession(recorder).challengeResponse(RFC2202_DATA, { slot: 2, pollMs: 1 });
    expect(withoutComments(recorder.fixtureText())).toBe(withoutComments(await readFile(FIXTURE, 'utf8')));
  });

  it('fails on a mismatched byte with the fixture line and the byte', async () => {
    const text = await readFile(FIXTURE, 'utf8');
    // "Hi there": byte 4 of the first chunk (report id included) differs
    const e = await failure(
      new HidOtpSession(ReplayHidDevice.fromText(text, 'hmac.hid')).challengeResponse(new TextEncoder().encode('Hi there'), { slot: 2, pollMs: 1 }),
    );
    expect(e.code).toBe('REPLAY_MISMATCH');
    const line = text.split('\n').findIndex((l) => l.startsWith('> 00 48 69 20 54')) + 1;
    expect(e.message).toContain(`hmac.hid line ${line}:`);
    expect(e.message).toContain('byte 4 is 74, recorded 54');

    // the other slot: the slot command in the last chunk differs
    const slot = await failure(new HidOtpSession(ReplayHidDevice.fromText(text)).challengeResponse(RFC2202_DATA, { slot: 1, pollMs: 1 }));
    expect(slot.code).toBe('REPLAY_MISMATCH');
    expect(slot.message).toContain('byte 2 is 30, recorded 38');
  });

  it('a damaged recorded response is FRAME_CRC_MISMATCH; a short replay is REPLAY_UNUSED', async () => {
    const text = (await readFile(FIXTURE, 'utf8')).replace('< 00 64 e2 8b', '< 00 64 e2 8a');
    const e = await failure(new HidOtpSession(ReplayHidDevice.fromText(text)).challengeResponse(RFC2202_DATA, { slot: 2, pollMs: 1 }));
    expect(e.code).toBe('FRAME_CRC_MISMATCH');

    const device = ReplayHidDevice.fromText('< 00 00 05 04 03 01 00 00 00\n< 00 00 05 04 03 01 00 00 00\n');
    device.getFeatureReport(0, 9);
    expect(() => device.finish()).toThrow(expect.objectContaining({ code: 'REPLAY_UNUSED' }));
    device.getFeatureReport(0, 9);
    expect(() => device.getFeatureReport(0, 9)).toThrow(expect.objectContaining({ code: 'REPLAY_EXHAUSTED' }));
  });

  it('replays a recorded unplug as the Error node-hid throws, which the session reports as TOKEN_REMOVED', async () => {
    const token = new VirtualHidToken({ slot2: RFC2202_KEY, requireTouch: true });
    const recorder = new RecordingHidDevice(token);
    await failure(new HidOtpSession(recorder).challengeResponse(RFC2202_DATA, { slot: 2, pollMs: 1, onTouch: () => token.unplug() }));
    const text = recorder.fixtureText();
    expect(text).toContain('<(0,9) ! could not get feature report from device');
    const e = await failure(new HidOtpSession(ReplayHidDevice.fromText(text)).challengeResponse(RFC2202_DATA, { slot: 2, pollMs: 1 }));
    expect(e.code).toBe('TOKEN_REMOVED');
  });
});

describe('parseHidFixture', () => {
  it('reads sends, plain and explicit reads, and failures', () => {
    const calls = parseHidFixture(
      ['# c', '> 00 01 02 03 04 05 06 07 80', '< 00 00 05 04 03 01 00 00 00', '<(0,9) 00 05 04 03 01 00 00 00', '> 00 ff ! gone', '<(0,9) ! gone too'].join('\n'),
    );
    expect(calls.map((c) => ({ ...c, ...('data' in c ? { data: hex(c.data) } : {}), ...('result' in c && c.result ? { result: hex(c.result) } : {}) }))).toEqual([
      { kind: 'send', data: '0001020304050607' + '80', line: 2 },
      { kind: 'get', reportId: 0, length: 9, result: '000005040301000000', line: 3 },
      { kind: 'get', reportId: 0, length: 9, result: '0005040301000000', line: 4 },
      { kind: 'send', data: '00ff', error: 'gone', line: 5 },
      { kind: 'get', reportId: 0, length: 9, error: 'gone too', line: 6 },
    ]);
  });

  it('names the line of a malformed entry', () => {
    for (const [text, line] of [
      ['> 00 zz', 1],
      ['# ok\n<', 2],
      ['< ! gone', 1],
      ['<(0,9) 00 ! gone', 1],
      ['=> 00 a4', 1],
    ] as const) {
      expect(() => parseHidFixture(text)).toThrow(expect.objectContaining({ code: 'FIXTURE_MALFORMED', line }));
    }
  });

  it('a replayed read with other arguments than recorded is REPLAY_MISMATCH', () => {
    const device = ReplayHidDevice.fromText('< 00 00 05 04 03 01 00 00 00\n');
    expect(() => device.getFeatureReport(0, 8)).toThrow(/recorded getFeatureReport\(0, 9\), got getFeatureReport\(0, 8\)/);
    const sendFirst = ReplayHidDevice.fromText('> 00 00 00 00 00 00 00 00 ff\n');
    expect(() => sendFirst.getFeatureReport(0, 9)).toThrow(expect.objectContaining({ code: 'REPLAY_MISMATCH', line: 1 }));
  });
});
