import { describe, expect, it } from 'vitest';
import { parseFixture } from '../../../src/iso7816/apduFixture.ts';
import { ReplayTransport } from '../../../src/pcsc/replayTransport.ts';
import { RecordingTransport } from '../../../src/pcsc/recordingTransport.ts';
import { InProcessTransport } from '../../../src/pcsc/inProcessTransport.ts';
import { fromHex, toHex } from '../../../src/iso7816/hex.ts';
import type { SoftwareCard } from '../../../src/pcsc/cardTransport.ts';

const FIXTURE = `# a T=0 card
# atr: 3b 02 14 50
=> 00 a4 04 00 02 a0 00
<= 61 02

=> 00 c0 00 00 02
<= 6f 00 90 00
=> 00 20 00 80 08 ?? ?? ?? ?? ?? ?? ?? ??
<= 63 c2
`;

describe('fixture text', () => {
  it('parses commands, replies, wildcards and the ATR', () => {
    const f = parseFixture(FIXTURE);
    expect(toHex(f.atr!)).toBe('3b021450');
    expect(f.exchanges).toHaveLength(3);
    expect(f.exchanges[1]).toMatchObject({ commandLine: 6, replyLine: 7 });
    expect(f.exchanges[2]!.command.slice(4)).toEqual([0x08, null, null, null, null, null, null, null, null]);
  });

  it.each([
    ['=> 00 a4\n=> 00 b0\n<= 9000', /line 2: a command follows the command of line 1/],
    ['<= 9000', /line 1: a reply without a command/],
    ['=> 00 a4 0\n<= 9000', /line 1: .* is not a hex command/],
    ['=> 00 a4\n<= zz', /line 2: .* is not hex/],
    ['=> 00 a4', /line 1: the last command has no reply/],
    ['hello', /line 1: expected "=>"/],
  ])('rejects %j with the line number', (text, message) => {
    expect(() => parseFixture(text)).toThrow(message);
  });
});

describe('ReplayTransport', () => {
  it('replays in order, matching ?? to any byte', async () => {
    const t = ReplayTransport.fromText(FIXTURE, 'card.apdu');
    expect(toHex(t.atr)).toBe('3b021450');
    expect(toHex(await t.transmit(fromHex('00a4040002a000')))).toBe('6102');
    expect(toHex(await t.transmit(fromHex('00c0000002')))).toBe('6f009000');
    expect(toHex(await t.transmit(fromHex('00200080083132333435ffffff')))).toBe('63c2');
    expect(() => t.finish()).not.toThrow();
  });

  it('names the fixture line of the first mismatch', async () => {
    const t = ReplayTransport.fromText(FIXTURE, 'card.apdu');
    await t.transmit(fromHex('00a4040002a000'));
    await expect(t.transmit(fromHex('00c0000003'))).rejects.toMatchObject({
      code: 'REPLAY_MISMATCH',
      line: 6,
      message: 'card.apdu line 6: expected => 00 c0 00 00 02, got => 00 c0 00 00 03',
    });
  });

  it('fails on exchanges left over, and on commands past the end', async () => {
    const t = ReplayTransport.fromText(FIXTURE, 'card.apdu');
    await t.transmit(fromHex('00a4040002a000'));
    expect(() => t.finish()).toThrow(/2 recorded exchange\(s\) left unused, from line 6/);
    const short = ReplayTransport.fromText('=> 00\n<= 9000');
    await short.transmit(fromHex('00'));
    await expect(short.transmit(fromHex('00'))).rejects.toMatchObject({ code: 'REPLAY_EXHAUSTED' });
  });

  it('replays a recorded transport error as a typed error', async () => {
    const t = ReplayTransport.fromText('=> 00 b0 00 00 00\n<! CARD_REMOVED\n');
    await expect(t.transmit(fromHex('00b0000000'))).rejects.toMatchObject({ code: 'CARD_REMOVED' });
  });
});

describe('RecordingTransport', () => {
  const card: SoftwareCard = {
    atr: fromHex('3b8080'),
    reset() {},
    process: (apdu) => (apdu[1] === 0x20 ? fromHex('9000') : fromHex('0102039000')),
  };

  it('writes a fixture that replays, with PIN data hidden as ??', async () => {
    const recorder = new RecordingTransport(new InProcessTransport(card), { comment: 'test card' });
    await recorder.transmit(fromHex('00b0000003'));
    await recorder.transaction(async (tx) => tx(fromHex('002000800831323334ffffffff')));
    const text = recorder.fixtureText();
    expect(text).toBe(
      '# test card\n# atr: 3b 80 80\n' +
        '=> 00 b0 00 00 03\n<= 01 02 03 90 00\n' +
        '=> 00 20 00 80 ?? ?? ?? ?? ?? ?? ?? ?? ??\n<= 90 00\n',
    );
    expect(text).not.toContain('31 32 33 34');
    const replay = ReplayTransport.fromText(text);
    await replay.transmit(fromHex('00b0000003'));
    await replay.transmit(fromHex('002000800839393939ffffffff'));
    replay.finish();
  });

  it('keeps secrets only when told to', async () => {
    const recorder = new RecordingTransport(new InProcessTransport(card), { keepSecrets: true });
    await recorder.transmit(fromHex('0020008002ffff'));
    expect(recorder.fixtureText()).toContain('=> 00 20 00 80 02 ff ff');
  });
});

describe('ReplayTransport and secrets', () => {
  it('does not print the PIN of a mismatching VERIFY', async () => {
    const t = ReplayTransport.fromText('=> 00 a4 04 00 00\n<= 90 00\n');
    const error = await t.transmit(fromHex('002000800831323334ffffffff')).catch((e: Error) => e);
    expect((error as Error).message).toContain('got => 00 20 00 80 <masked>');
    expect((error as Error).message).not.toContain('31 32');
  });
});
