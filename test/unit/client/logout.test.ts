/**
 * Logout tells the truth: when the service could not end its session (unreachable, down), the
 * app is logged out all the same but the call fails, so the renderer can say the service's
 * session stays open until its idle timeout; a session the service had already ended is a plain
 * logout.
 */
import { describe, expect, it } from 'vitest';
import type { BankClient } from '../../../src/bank/index.ts';
import { AgentSession } from '../../../src/client/agentSession.ts';
import type { AgentEvent } from '../../../src/client/api.ts';
import { loginHandlers, type LoginContext } from '../../../src/client/loginHandlers.ts';
import { EkortError } from '../../../src/errors.ts';

function loggedIn(logout: () => Promise<void>) {
  const events: AgentEvent[] = [];
  const bank = { token: 'secret-token', logout } as unknown as BankClient;
  const holder = new AgentSession(() => bank, 60_000, (e) => events.push(e));
  holder.started({ token: 'secret-token', customer: { name: 'Anna Andersson', personnummer: '199001012385' }, method: 'card', authenticatedAt: '2026-12-04T08:00:00.000Z', idleTimeoutSeconds: 900 });
  const handlers = loginHandlers({ holder, service: { bank } } as unknown as LoginContext);
  return { bank, holder, events, handlers };
}

describe('logout', () => {
  it('ends the session here and there when the service answers', async () => {
    const { bank, holder, events, handlers } = loggedIn(async () => undefined);
    await handlers.logout();
    expect(holder.active).toBe(false);
    expect(bank.token).toBeUndefined();
    expect(events).toEqual([{ type: 'session-ended', reason: 'logged-out' }]);
  });

  it('when the service cannot be reached: logged out here, the token dropped, and the failure passed on', async () => {
    const { bank, holder, events, handlers } = loggedIn(async () => {
      throw new EkortError('SERVICE_UNREACHABLE', 'connect ECONNREFUSED');
    });
    await expect(handlers.logout()).rejects.toMatchObject({ code: 'SERVICE_UNREACHABLE' });
    expect(holder.active).toBe(false);
    expect(bank.token).toBeUndefined();
    expect(events).toEqual([{ type: 'session-ended', reason: 'logged-out' }]);
  });

  it('a session the service had already ended is a plain logout', async () => {
    const { holder, handlers } = loggedIn(async () => {
      throw new EkortError('SESSION_EXPIRED', 'expired');
    });
    await expect(handlers.logout()).resolves.toBeUndefined();
    expect(holder.active).toBe(false);
  });
});
