import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isEkortError } from '../../../src/errors.ts';
import type { HidDevice } from '../../../src/token/hidDevice.ts';
import { RESET_REPORT, buildFrame, frameChunks, padChallenge } from '../../../src/token/hidFrames.ts';
import { HidOtpSession } from '../../../src/token/hidOtpSession.ts';
import { VirtualHidToken } from '../../../src/virtual/hidToken.ts';

const T = 3000; // every test is bounded
const SECRET1 = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
const SECRET2 = new TextEncoder().encode('Jefe-secret-for-slot2');
const range = (n: number, from = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);
const hmacSha1 = (key: Uint8Array, msg: Uint8Array): Uint8Array =>
  new Uint8Array(createHmac('sha1', key).update(msg).digest());

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return isEkortError(e) ? e.code : `not-ekort: ${String(e)}`;
  }
  return undefined;
}

const token = (opts: ConstructorParameters<typeof VirtualHidToken>[0] = {}): VirtualHidToken =>
  new VirtualHidToken({ slot1: SECRET1, slot2: SECRET2, ...opts });

/** A device wrapper for fault injection. */
function wrap(
  inner: HidDevice,
  hooks: { send?: (n: number) => void; get?: (r: number[]) => number[] | Buffer },
): HidDevice {
  let sends = 0;
  return {
    sendFeatureReport(data) {
      hooks.send?.(++sends);
      return inner.sendFeatureReport(data);
    },
    getFeatureReport(id, len) {
      const r = Array.from(inner.getFeatureReport(id, len));
      return hooks.get ? hooks.get(r) : r;
    },
    close: () => inner.close(),
  };
}

describe('HidOtpSession against the virtual token', () => {
  const challenges: Uint8Array[] = [
    Uint8Array.of(0x42),
    Uint8Array.of(0x00),
    new TextEncoder().encode('Sample #2'),
    range(20),
    Uint8Array.of(1, 2, 3, 0, 0),
    range(32, 0xe0),
    range(63),
    range(63, 0xc2), // ends in 0x00
  ];

  for (const slot of [1, 2] as const) {
    it(`slot ${slot}: the answer is HMAC-SHA1 of the challenge with the slot's secret`, async () => {
      const dev = token();
      const session = new HidOtpSession(dev);
      for (const c of challenges) {
        const out = await session.challengeResponse(c, { slot, pollMs: 1 });
        expect(out.length).toBe(20);
        expect(Buffer.from(out).toString('hex')).toBe(
          Buffer.from(hmacSha1(slot === 1 ? SECRET1 : SECRET2, c)).toString('hex'),
        );
      }
      expect(dev.answered).toBe(challenges.length);
    }, T);
  }

  it('sends report id 0 + chunks and leaves the read state reset', async () => {
    const dev = token();
    const sent: number[][] = [];
    const spy = wrap(dev, {});
    const orig = spy.sendFeatureReport.bind(spy);
    spy.sendFeatureReport = (d) => {
      sent.push(Array.from(d));
      return orig(d);
    };
    await new HidOtpSession(spy).challengeResponse(range(20), { slot: 1, pollMs: 1 });
    const chunks = frameChunks(buildFrame(0x30, padChallenge(range(20))));
    expect(sent).toEqual([...chunks.map((c) => [0, ...c]), [0, ...RESET_REPORT]]);
  }, T);

  it('drops a response left over from an interrupted exchange before writing', async () => {
    const dev = token();
    for (const c of frameChunks(buildFrame(0x30, padChallenge(range(9))))) dev.sendFeatureReport([0, ...c]);
    const out = await new HidOtpSession(dev).challengeResponse(range(5), { slot: 2, pollMs: 1 });
    expect(out).toEqual(hmacSha1(SECRET2, range(5)));
  }, T);

  it('waits for the write-pending bit between chunks', async () => {
    const dev = token({ busyReadsPerWrite: 3 });
    const out = await new HidOtpSession(dev).challengeResponse(range(10), { slot: 2, pollMs: 1 });
    expect(out).toEqual(hmacSha1(SECRET2, range(10)));
  }, T);

  it('accepts 8-byte feature reports without the report id', async () => {
    const dev = wrap(token(), { get: (r) => r.slice(1) });
    const out = await new HidOtpSession(dev).challengeResponse(range(7), { slot: 1, pollMs: 1 });
    expect(out).toEqual(hmacSha1(SECRET1, range(7)));
  }, T);

  it('calls onTouch once and answers after the touch', async () => {
    const dev = token({ requireTouch: true });
    let touches = 0;
    const out = await new HidOtpSession(dev).challengeResponse(range(6), {
      slot: 1,
      pollMs: 2,
      onTouch: () => {
        touches++;
        setTimeout(() => dev.touch(), 30);
      },
    });
    expect(touches).toBe(1);
    expect(out).toEqual(hmacSha1(SECRET1, range(6)));
  }, T);

  it('cancels on abort: TOKEN_CANCELLED, reset report sent', async () => {
    const dev = token({ requireTouch: true });
    const ac = new AbortController();
    const started = Date.now();
    const p = new HidOtpSession(dev).challengeResponse(range(6), {
      slot: 1,
      signal: ac.signal,
      pollMs: 50,
      onTouch: () => setTimeout(() => ac.abort(), 20),
    });
    expect(await codeOf(p)).toBe('TOKEN_CANCELLED');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(dev.written.at(-1)).toEqual(RESET_REPORT);
    expect(dev.waitingForTouch).toBe(false);
  }, T);

  it('an already aborted signal writes nothing', async () => {
    const dev = token();
    const ac = new AbortController();
    ac.abort();
    expect(await codeOf(new HidOtpSession(dev).challengeResponse(range(6), { slot: 1, signal: ac.signal }))).toBe(
      'TOKEN_CANCELLED',
    );
    expect(dev.written.length).toBe(0);
  }, T);

  it('times out waiting for a touch: TOUCH_TIMEOUT within the bound', async () => {
    const dev = token({ requireTouch: true });
    const started = Date.now();
    const p = new HidOtpSession(dev).challengeResponse(range(6), { slot: 2, timeoutMs: 100, pollMs: 5 });
    expect(await codeOf(p)).toBe('TOUCH_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(dev.written.at(-1)).toEqual(RESET_REPORT);
  }, T);

  it('reports TOUCH_TIMEOUT when the token gives up waiting for the touch', async () => {
    const dev = token({ requireTouch: true, touchTimeoutMs: 20 });
    const p = new HidOtpSession(dev).challengeResponse(range(6), { slot: 1, pollMs: 5 });
    expect(await codeOf(p)).toBe('TOUCH_TIMEOUT');
  }, T);

  it('times out on a token that stays busy: TOKEN_TIMEOUT, or TOKEN_BUSY after the busy bound', async () => {
    const stuck = token();
    stuck.busyReads = Infinity;
    const started = Date.now();
    expect(await codeOf(new HidOtpSession(stuck).challengeResponse(range(6), { slot: 1, timeoutMs: 60, pollMs: 5 }))).toBe(
      'TOKEN_TIMEOUT',
    );
    expect(Date.now() - started).toBeLessThan(1000);
    expect(stuck.written.length).toBe(0);

    const midway = token({ busyReadsPerWrite: Infinity });
    expect(
      await codeOf(new HidOtpSession(midway, { busyTimeoutMs: 40 }).challengeResponse(range(20), { slot: 1, pollMs: 5 })),
    ).toBe('TOKEN_BUSY');
  }, T);

  it('cancels while the token keeps its write-pending flag set: TOKEN_CANCELLED, not a timeout', async () => {
    const stuck = token();
    stuck.busyReads = Infinity;
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    const started = Date.now();
    const p = new HidOtpSession(stuck, { busyTimeoutMs: 2000 }).challengeResponse(range(6), {
      slot: 1,
      signal: ac.signal,
      timeoutMs: 2000,
      pollMs: 5,
    });
    expect(await codeOf(p)).toBe('TOKEN_CANCELLED');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(stuck.written.length).toBe(0);
  }, T);

  it('unplug between two response chunks is TOKEN_REMOVED, with no reset written to the gone token', async () => {
    const dev = token();
    let chunks = 0;
    const flaky = wrap(dev, {
      get: (r) => {
        if (((r[8] ?? 0) & 0x40) !== 0 && ++chunks === 2) dev.unplug();
        return r;
      },
    });
    const writes = (): number => dev.written.length;
    expect(await codeOf(new HidOtpSession(flaky).challengeResponse(range(6), { slot: 1, pollMs: 1 }))).toBe('TOKEN_REMOVED');
    expect(chunks).toBe(2);
    expect(dev.written.at(-1)).not.toEqual(RESET_REPORT);
    expect(writes()).toBeGreaterThan(0);
  }, T);

  it('an unconfigured slot is TOKEN_REJECTED at once', async () => {
    const dev = new VirtualHidToken({ slot1: SECRET1 });
    expect(await codeOf(new HidOtpSession(dev).challengeResponse(range(6), { slot: 2, pollMs: 1 }))).toBe(
      'TOKEN_REJECTED',
    );
  }, T);

  it('unplug mid-exchange is TOKEN_REMOVED', async () => {
    const dev = token({ requireTouch: true });
    const p = new HidOtpSession(dev).challengeResponse(range(6), { slot: 1, pollMs: 2, onTouch: () => dev.unplug() });
    expect(await codeOf(p)).toBe('TOKEN_REMOVED');

    // gone while the chunks are being written
    const dev2 = token();
    const flaky = wrap(dev2, { send: (n) => n === 2 && dev2.unplug() });
    expect(await codeOf(new HidOtpSession(flaky).challengeResponse(range(30), { slot: 1, pollMs: 1 }))).toBe(
      'TOKEN_REMOVED',
    );

    // gone before it starts
    const gone = token();
    gone.unplug();
    expect(() => gone.getFeatureReport(0, 9)).toThrow(/could not get feature report/);
    expect(await codeOf(new HidOtpSession(gone).challengeResponse(range(6), { slot: 1 }))).toBe('TOKEN_REMOVED');
  }, T);

  it('a damaged response is FRAME_CRC_MISMATCH and the read state is reset', async () => {
    const dev = token();
    const corrupt = wrap(dev, {
      get: (r) => {
        if ((r[8] ?? 0) === 0x41) r[3] = (r[3] ?? 0) ^ 0x10;
        return r;
      },
    });
    expect(await codeOf(new HidOtpSession(corrupt).challengeResponse(range(6), { slot: 1, pollMs: 1 }))).toBe(
      'FRAME_CRC_MISMATCH',
    );
    expect(dev.written.at(-1)).toEqual(RESET_REPORT);
  }, T);

  it('one exchange at a time per session: TOKEN_BUSY', async () => {
    const dev = token({ requireTouch: true });
    const session = new HidOtpSession(dev);
    const first = session.challengeResponse(range(6), { slot: 1, pollMs: 2, onTouch: () => setTimeout(() => dev.touch(), 20) });
    expect(await codeOf(session.challengeResponse(range(6), { slot: 1 }))).toBe('TOKEN_BUSY');
    expect(await first).toEqual(hmacSha1(SECRET1, range(6)));
  }, T);

  it('refuses bad input', async () => {
    const session = new HidOtpSession(token());
    expect(await codeOf(session.challengeResponse(new Uint8Array(0), { slot: 1 }))).toBe('OTP_INVALID_INPUT');
    expect(await codeOf(session.challengeResponse(range(64), { slot: 1 }))).toBe('OTP_INVALID_INPUT');
    expect(await codeOf(session.challengeResponse(new Uint8Array(65), { slot: 1 }))).toBe('OTP_INVALID_INPUT');
    expect(await codeOf(session.challengeResponse(range(3), { slot: 3 as 1 }))).toBe('OTP_INVALID_INPUT');
  }, T);
});

describe('VirtualHidToken', () => {
  it('drops a frame with a bad CRC and stays idle', () => {
    const dev = token();
    const frame = buildFrame(0x30, padChallenge(range(6)));
    frame[65] = (frame[65] ?? 0) ^ 0xff;
    for (const c of frameChunks(frame)) dev.sendFeatureReport([0, ...c]);
    expect(dev.crcErrors).toBe(1);
    expect(dev.answered).toBe(0);
    const status = dev.getFeatureReport(0, 9);
    expect(status.length).toBe(9);
    expect(status[8]).toBe(0);
  }, T);

  it('answers a raw 64-byte payload over its stripped form, as the real token does', () => {
    const dev = token();
    for (const c of frameChunks(buildFrame(0x30, range(64)))) dev.sendFeatureReport([0, ...c]);
    const data = Array.from({ length: 3 }, () => dev.getFeatureReport(0, 9).slice(1, 8)).flat();
    expect(Uint8Array.from(data.slice(0, 20))).toEqual(hmacSha1(SECRET1, range(63)));
  }, T);

  it('serves response chunks 0x40|seq and wraps until reset', () => {
    const dev = token();
    for (const c of frameChunks(buildFrame(0x38, padChallenge(range(6))))) dev.sendFeatureReport([0, ...c]);
    const statuses = Array.from({ length: 6 }, () => dev.getFeatureReport(0, 9)[8]);
    expect(statuses).toEqual([0x40, 0x41, 0x42, 0x43, 0x40, 0x41]);
    dev.sendFeatureReport([0, ...RESET_REPORT]);
    expect(dev.getFeatureReport(0, 9)[8]).toBe(0);
  }, T);
});
