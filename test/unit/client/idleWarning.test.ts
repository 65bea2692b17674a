/**
 * The agent warns before the idle logout (WCAG 2.2.1): half the idle time at most, a minute of
 * the real 15; any call after the warning withdraws it and starts the time again; without one,
 * the session ends. Fake timers: the agent's own clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BankClient } from '../../../src/bank/index.ts';
import { AgentSession, IDLE_WARNING_MS } from '../../../src/client/agentSession.ts';
import type { AgentEvent } from '../../../src/client/api.ts';

const SESSION = { token: 't', customer: { name: 'Anna Andersson', personnummer: '199001012385' }, method: 'card' as const, authenticatedAt: '2026-12-04T08:00:00.000Z', idleTimeoutSeconds: 900 };

function session(idleMs: number) {
  const events: AgentEvent[] = [];
  const bank = { token: 't' } as unknown as BankClient;
  const holder = new AgentSession(() => bank, idleMs, (e) => events.push(e));
  holder.started(SESSION);
  return { holder, events };
}

describe('the idle warning', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('warns a minute before the 15-minute end, then ends the session', () => {
    const { holder, events } = session(15 * 60_000);
    vi.advanceTimersByTime(14 * 60_000 - 1);
    expect(events).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(events).toEqual([{ type: 'session-expiring', secondsLeft: IDLE_WARNING_MS / 1000 }]);
    vi.advanceTimersByTime(60_000);
    expect(events.at(-1)).toEqual({ type: 'session-ended', reason: 'expired' });
    expect(holder.active).toBe(false);
  });

  it('a call after the warning withdraws it and gives the whole time again', () => {
    const { holder, events } = session(15 * 60_000);
    vi.advanceTimersByTime(14 * 60_000 + 30_000);
    holder.activity();
    expect(events).toEqual([
      { type: 'session-expiring', secondsLeft: 60 },
      { type: 'session-expiring', secondsLeft: null },
    ]);
    vi.advanceTimersByTime(14 * 60_000 - 1);
    expect(events).toHaveLength(2);
    expect(holder.active).toBe(true);
    vi.advanceTimersByTime(1);
    expect(events).toHaveLength(3);
  });

  it('a call before any warning says nothing; a short idle time warns at half of it', () => {
    const { holder, events } = session(8000);
    vi.advanceTimersByTime(3000);
    holder.activity();
    expect(events).toEqual([]);
    vi.advanceTimersByTime(4000);
    expect(events).toEqual([{ type: 'session-expiring', secondsLeft: 4 }]);
  });

  it('logout clears the timers: no warning after it', () => {
    const { holder, events } = session(15 * 60_000);
    holder.end('logged-out');
    vi.advanceTimersByTime(20 * 60_000);
    expect(events).toEqual([{ type: 'session-ended', reason: 'logged-out' }]);
  });
});
