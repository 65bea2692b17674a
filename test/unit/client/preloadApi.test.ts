import { describe, expect, it, vi } from 'vitest';
import { buildPreloadApi, CALL_CHANNEL, EVENT_CHANNEL, type IpcRendererLike } from '../../../electron/preloadApi.ts';
import { API_METHODS, type AgentEvent } from '../../../src/client/api.ts';

function fakeIpc(answer: (method: string, input: unknown) => unknown) {
  const listeners = new Map<string, Set<(event: unknown, ...args: unknown[]) => void>>();
  const ipc: IpcRendererLike & { send(channel: string, payload: unknown): void } = {
    invoke: vi.fn(async (channel: string, method: unknown, input: unknown) => {
      expect(channel).toBe(CALL_CHANNEL);
      return answer(method as string, input);
    }),
    on: vi.fn((channel: string, l: (event: unknown, ...args: unknown[]) => void) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(l);
    }),
    removeListener: vi.fn((channel: string, l: (event: unknown, ...args: unknown[]) => void) => {
      listeners.get(channel)?.delete(l);
    }),
    send(channel, payload) {
      for (const l of listeners.get(channel) ?? []) l({ sender: { secret: 'ipc internals' } }, payload);
    },
  };
  return { ipc, listeners };
}

describe('the preload API (window.ekort)', () => {
  it('is a frozen object with exactly the API methods and subscribe', () => {
    const api = buildPreloadApi(fakeIpc(() => ({ ok: true, result: null })).ipc);
    expect(Object.isFrozen(api)).toBe(true);
    expect(Object.keys(api).sort()).toEqual([...API_METHODS, 'subscribe'].sort());
    for (const key of Object.keys(api)) expect(typeof (api as unknown as Record<string, unknown>)[key], key).toBe('function');
  });

  it('sends every method as one invoke on ekort:call with its name and input, and unwraps the result', async () => {
    const { ipc } = fakeIpc((method, input) => ({ ok: true, result: { method, input } }));
    const api = buildPreloadApi(ipc);
    for (const method of API_METHODS) {
      const call = (api as unknown as Record<string, (input?: unknown) => Promise<unknown>>)[method]!;
      expect(await call({ probe: method }), method).toEqual({ method, input: { probe: method } });
    }
    expect(ipc.invoke).toHaveBeenCalledTimes(API_METHODS.length);
    expect(await api.readers()).toEqual({ method: 'readers', input: undefined });
  });

  it('rejects with a plain ApiFailure object (not an Error), keeping retriesLeft', async () => {
    const { ipc } = fakeIpc(() => ({ ok: false, error: { code: 'PIN_INCORRECT', message: 'Wrong PIN.', retriesLeft: 2, stack: 'x' } }));
    const api = buildPreloadApi(ipc);
    const failure = await api.loginWithCard({ reader: 'r', pin: '000000' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toEqual({ code: 'PIN_INCORRECT', message: 'Wrong PIN.', retriesLeft: 2 });
    expect(failure).not.toBeInstanceOf(Error);
  });

  it('turns a broken IPC answer or a failed invoke into IPC_FAILED', async () => {
    const api = buildPreloadApi(fakeIpc(() => 'garbage').ipc);
    await expect(api.settings()).rejects.toMatchObject({ code: 'IPC_FAILED' });
    const throwing = fakeIpc(() => {
      throw new Error('Error invoking remote method: stack…');
    });
    await expect(buildPreloadApi(throwing.ipc).settings()).rejects.toEqual({ code: 'IPC_FAILED', message: expect.any(String) });
  });

  it('subscribes to ekort:event, passes the payload only, and unsubscribes', () => {
    const { ipc, listeners } = fakeIpc(() => ({ ok: true, result: null }));
    const api = buildPreloadApi(ipc);
    const seen: unknown[] = [];
    const off = api.subscribe((e) => seen.push(e));
    const event: AgentEvent = { type: 'token-touch', waiting: true };
    ipc.send(EVENT_CHANNEL, event);
    expect(seen).toEqual([event]);
    off();
    off();
    ipc.send(EVENT_CHANNEL, { type: 'token-touch', waiting: false });
    expect(seen).toHaveLength(1);
    expect(listeners.get(EVENT_CHANNEL)?.size).toBe(0);
    expect(() => api.subscribe('nope' as never)).toThrow(TypeError);
  });
});
