import { describe, expect, it } from 'vitest';
import { CLIPBOARD_CLEAR_MS, copyAndClearLater, type ClipboardLike } from '../../../renderer/src/lib/clipboard.ts';

function fakeClipboard(opts: { readable?: boolean; failWrite?: boolean } = {}) {
  const board: ClipboardLike & { value: string } = {
    value: 'before',
    async writeText(text: string) {
      if (opts.failWrite) throw new Error('denied');
      board.value = text;
    },
    async readText(): Promise<string> {
      if (opts.readable === false) throw new Error('no permission');
      return board.value;
    },
  };
  return board;
}

function manualTimer() {
  const jobs: Array<{ fn: () => void; ms: number }> = [];
  return { jobs, schedule: (fn: () => void, ms: number) => jobs.push({ fn, ms }) };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('copyAndClearLater', () => {
  it('copies, then clears after 30 s when the clipboard still holds our text', async () => {
    const cb = fakeClipboard();
    const timer = manualTimer();
    expect(await copyAndClearLater('4571123412341234', cb, timer.schedule)).toBe(true);
    expect(cb.value).toBe('4571123412341234');
    expect(timer.jobs.map((j) => j.ms)).toEqual([CLIPBOARD_CLEAR_MS]);
    expect(CLIPBOARD_CLEAR_MS).toBe(30_000);
    timer.jobs[0]!.fn();
    await settle();
    expect(cb.value).toBe('');
  });

  it('leaves the clipboard alone when the user copied something else since', async () => {
    const cb = fakeClipboard();
    const timer = manualTimer();
    await copyAndClearLater('123', cb, timer.schedule);
    cb.value = 'the user’s own text';
    timer.jobs[0]!.fn();
    await settle();
    expect(cb.value).toBe('the user’s own text');
  });

  it('clears anyway when the clipboard cannot be read back', async () => {
    const cb = fakeClipboard({ readable: false });
    const timer = manualTimer();
    await copyAndClearLater('123', cb, timer.schedule);
    timer.jobs[0]!.fn();
    await settle();
    expect(cb.value).toBe('');
  });

  it('says false when copying fails or there is no clipboard', async () => {
    const timer = manualTimer();
    expect(await copyAndClearLater('123', fakeClipboard({ failWrite: true }), timer.schedule)).toBe(false);
    expect(await copyAndClearLater('123', undefined as ClipboardLike | undefined, timer.schedule)).toBe(false);
    expect(timer.jobs).toHaveLength(0);
  });
});
