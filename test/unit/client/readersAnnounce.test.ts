/**
 * Readers' announcements after pcscd (re)lists its readers: a reader just added has not
 * reported its card yet, and must not be announced "empty" (the card login took that for the
 * card taken out, and refused a click made in that moment: the e2e pcscd-restart flake).
 */
import { describe, expect, it } from 'vitest';
import type { ReaderInfo } from '../../../src/client/api.ts';
import { Readers } from '../../../src/client/readers.ts';
import { ReaderMonitor } from '../../../src/pcsc/readerMonitor.ts';
import { fakeContext, fakeReader } from '../../support/fakePcsclite.ts';

const tick = () => new Promise((r) => setImmediate(r));

describe('Readers announcements', () => {
  it('wait for the first status of a reader pcscd has just added: never "empty" for a card pcscd did not report gone', async () => {
    const context = fakeContext();
    const monitor = new ReaderMonitor({ factory: () => context });
    const lists: ReaderInfo[][] = [];
    const readers = new Readers((l) => lists.push(l), { monitor });
    readers.start();
    const reader = fakeReader('Virtual PCD 00 00');
    context.emit('reader', reader);
    await tick();
    await tick();
    reader.emit('status', { state: 0x20, atr: Buffer.from([0x3b, 0x00]) });
    for (let i = 0; i < 5; i++) await tick();
    const states = lists.map((l) => l.find((r) => r.name === 'Virtual PCD 00 00')?.state);
    expect(states).not.toContain('empty');
    expect(states.at(-1)).toBe('card');
    await readers.close();
  });
});
