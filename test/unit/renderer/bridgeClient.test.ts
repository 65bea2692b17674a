import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AgentEvent } from '../../../src/client/api.ts';
import { CALL_TIMEOUT_MS, createBridgeApi, resolveToken, takeToken, TOKEN_STORAGE_KEY, type BridgeEnv, type EventSourceLike, type TokenStorage } from '../../../renderer/src/api/bridgeClient.ts';
import { METHODS } from '../../../renderer/src/api/methods.ts';

type Answer = { status: number; body: unknown } | Error;

class FakeEventSource implements EventSourceLike {
  static instances: FakeEventSource[] = [];
  onmessage: ((event: { data: string }) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeEventSource.instances.push(this);
  }
  close() {
    this.closed = true;
  }
  send(data: string) {
    this.onmessage?.({ data });
  }
}

function env(answer: Answer | ((url: string) => Answer), extra: Partial<BridgeEnv> = {}) {
  const requests: Array<{ url: string; init: Parameters<BridgeEnv['fetch']>[1] }> = [];
  const fetch: BridgeEnv['fetch'] = async (url, init) => {
    requests.push({ url, init });
    const a = typeof answer === 'function' ? answer(url) : answer;
    if (a instanceof Error) throw a;
    return {
      ok: a.status >= 200 && a.status < 300,
      status: a.status,
      json: async () => {
        if (typeof a.body === 'string') throw new SyntaxError('Unexpected token');
        return a.body;
      },
    };
  };
  return { requests, env: { fetch, EventSource: FakeEventSource, ...extra } satisfies BridgeEnv };
}

afterEach(() => {
  FakeEventSource.instances = [];
});

describe('bridge client calls', () => {
  it('posts the input as JSON with the token header and resolves with the result', async () => {
    const { requests, env: e } = env({ status: 200, body: { ok: true, result: { reader: 'R', name: 'Anna' } } });
    const api = createBridgeApi('tok-123', e);
    await expect(api.cardHolder({ reader: 'R' })).resolves.toEqual({ reader: 'R', name: 'Anna' });
    expect(requests).toHaveLength(1);
    const { url, init } = requests[0]!;
    expect(url).toBe('/api/call/cardHolder');
    expect(init.method).toBe('POST');
    expect(init.headers).toEqual({ 'Content-Type': 'application/json', 'X-Ekort-Token': 'tok-123' });
    expect(JSON.parse(init.body)).toEqual({ reader: 'R' });
    expect(init.signal).toBeDefined();
  });

  it('sends {} for calls without input', async () => {
    const { requests, env: e } = env({ status: 200, body: { ok: true, result: [] } });
    await createBridgeApi('t', e).readers();
    expect(requests[0]!.init.body).toBe('{}');
  });

  it('has every method of the contract', () => {
    const api = createBridgeApi('t', env({ status: 200, body: { ok: true } }).env) as unknown as Record<string, unknown>;
    for (const m of METHODS) expect(typeof api[m], m).toBe('function');
    expect(typeof api.subscribe).toBe('function');
  });

  it('rejects with the ApiFailure of {ok:false,error}', async () => {
    const failure = { code: 'PIN_INCORRECT', message: 'Wrong PIN', retriesLeft: 2 };
    const api = createBridgeApi('t', env({ status: 200, body: { ok: false, error: failure } }).env);
    await expect(api.loginWithCard({ reader: 'R', pin: '000000' })).rejects.toEqual(failure);
  });

  it('rejects a protocol error with its JSON ApiFailure body', async () => {
    const api = createBridgeApi('t', env({ status: 403, body: { code: 'FORBIDDEN', message: 'bad token' } }).env);
    await expect(api.session()).rejects.toEqual({ code: 'FORBIDDEN', message: 'bad token' });
  });

  it('rejects a protocol error without a failure body as BRIDGE_UNREACHABLE', async () => {
    const api = createBridgeApi('t', env({ status: 502, body: '<html>' }).env);
    await expect(api.session()).rejects.toMatchObject({ code: 'BRIDGE_UNREACHABLE' });
  });

  it('rejects a network failure as BRIDGE_UNREACHABLE', async () => {
    const api = createBridgeApi('t', env(new TypeError('Failed to fetch')).env);
    await expect(api.settings()).rejects.toMatchObject({ code: 'BRIDGE_UNREACHABLE' });
  });

  it('rejects an answer that is neither ok nor a failure', async () => {
    const api = createBridgeApi('t', env({ status: 200, body: { hello: 1 } }).env);
    await expect(api.settings()).rejects.toMatchObject({ code: 'BRIDGE_UNREACHABLE' });
  });

  it('gives each call a 30 s timeout and rejects with BRIDGE_TIMEOUT when it fires', async () => {
    expect(CALL_TIMEOUT_MS).toBe(30_000);
    const timeouts: number[] = [];
    const fetch: BridgeEnv['fetch'] = (_url, init) =>
      new Promise((_resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    const api = createBridgeApi('t', {
      fetch,
      EventSource: FakeEventSource,
      timeoutSignal: (ms) => {
        timeouts.push(ms);
        return AbortSignal.timeout(5);
      },
    });
    await expect(api.loginWithCard({ reader: 'R' })).rejects.toMatchObject({ code: 'BRIDGE_TIMEOUT' });
    expect(timeouts).toEqual([30_000]);
  });
});

describe('bridge client events', () => {
  it('opens one EventSource with the token and delivers parsed events', () => {
    const api = createBridgeApi('tok en', env({ status: 200, body: { ok: true } }).env);
    const a: AgentEvent[] = [];
    const b: AgentEvent[] = [];
    const offA = api.subscribe((ev) => a.push(ev));
    api.subscribe((ev) => b.push(ev));
    expect(FakeEventSource.instances).toHaveLength(1);
    const source = FakeEventSource.instances[0]!;
    expect(source.url).toBe('/api/events?token=tok%20en');
    source.send(JSON.stringify({ type: 'token-touch', waiting: true }));
    source.send('not json');
    source.send(JSON.stringify({ nope: 1 }));
    expect(a).toEqual([{ type: 'token-touch', waiting: true }]);
    expect(b).toEqual(a);
    offA();
    source.send(JSON.stringify({ type: 'session-ended', reason: 'expired' }));
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(2);
  });

  it('closes the EventSource when the last listener leaves and reopens on the next', () => {
    const api = createBridgeApi('t', env({ status: 200, body: { ok: true } }).env);
    const off = api.subscribe(() => undefined);
    off();
    expect(FakeEventSource.instances[0]!.closed).toBe(true);
    api.subscribe(() => undefined);
    expect(FakeEventSource.instances).toHaveLength(2);
  });

  it('keeps delivering when one listener throws', () => {
    const api = createBridgeApi('t', env({ status: 200, body: { ok: true } }).env);
    const seen: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    api.subscribe(() => {
      throw new Error('bad listener');
    });
    api.subscribe((ev) => seen.push(ev.type));
    FakeEventSource.instances[0]!.send(JSON.stringify({ type: 'readers', readers: [] }));
    expect(seen).toEqual(['readers']);
    spy.mockRestore();
  });
});

describe('the token in the address', () => {
  it('is taken out of the search string', () => {
    expect(takeToken('?token=abc&lang=en')).toEqual({ token: 'abc', rest: '?lang=en' });
    expect(takeToken('?token=abc')).toEqual({ token: 'abc', rest: '' });
    expect(takeToken('')).toEqual({ token: null, rest: '' });
  });
});

class MemoryStorage implements TokenStorage {
  readonly items = new Map<string, string>();
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
}

describe('the token across a reload', () => {
  it("is kept in the tab's storage on first load and found there after a reload, with the address left alone", () => {
    const storage = new MemoryStorage();
    expect(resolveToken('?token=abc&x=1', storage)).toEqual({ token: 'abc', rest: '?x=1' });
    expect(storage.items.get(TOKEN_STORAGE_KEY)).toBe('abc');
    expect(resolveToken('?x=1', storage)).toEqual({ token: 'abc', rest: null });
  });

  it('a new token in the address replaces the kept one', () => {
    const storage = new MemoryStorage();
    resolveToken('?token=old', storage);
    expect(resolveToken('?token=new', storage).token).toBe('new');
    expect(resolveToken('', storage).token).toBe('new');
  });

  it('storage that throws (disabled) or is missing: the address token still works, a reload has none', () => {
    const broken: TokenStorage = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    expect(resolveToken('?token=abc', broken)).toEqual({ token: 'abc', rest: '' });
    expect(resolveToken('', broken)).toEqual({ token: null, rest: null });
    expect(resolveToken('', undefined)).toEqual({ token: null, rest: null });
  });

  it('without a token every call is BRIDGE_TOKEN_INVALID, nothing is sent and no event stream opened', async () => {
    const { requests, env: e } = env({ status: 200, body: { ok: true, result: [] } });
    const api = createBridgeApi('', e);
    await expect(api.readers()).rejects.toMatchObject({ code: 'BRIDGE_TOKEN_INVALID' });
    api.subscribe(() => undefined);
    expect(requests).toEqual([]);
    expect(FakeEventSource.instances).toEqual([]);
  });
});

describe('getApi', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it('uses window.ekort (the preload) when it is there', async () => {
    const preload = { subscribe: () => () => undefined };
    vi.stubGlobal('window', { ekort: preload });
    const { getApi } = await import('../../../renderer/src/api/getApi.ts');
    expect(getApi()).toBe(preload);
  });

  it('otherwise reads the token once, removes it from the address bar and uses the bridge', async () => {
    const replaceState = vi.fn();
    const calls: Array<{ url: string; headers: Record<string, string> }> = [];
    vi.stubGlobal('window', {
      location: { search: '?token=s3cret&x=1', pathname: '/index.html', hash: '#main' },
      history: { state: null, replaceState },
      fetch: async (url: string, init: { headers: Record<string, string> }) => {
        calls.push({ url, headers: init.headers });
        return { ok: true, status: 200, json: async () => ({ ok: true, result: null }) };
      },
      EventSource: FakeEventSource,
      sessionStorage: new MemoryStorage(),
    });
    const { getApi } = await import('../../../renderer/src/api/getApi.ts');
    const api = getApi();
    expect(getApi()).toBe(api);
    expect(replaceState).toHaveBeenCalledTimes(1);
    expect(replaceState.mock.calls[0]![2]).toBe('/index.html?x=1#main');
    await api.session();
    expect(calls[0]).toEqual({ url: '/api/call/session', headers: { 'Content-Type': 'application/json', 'X-Ekort-Token': 's3cret' } });
    api.subscribe(() => undefined);
    expect(FakeEventSource.instances.at(-1)!.url).toBe('/api/events?token=s3cret');
  });

  it('after a reload (the address without the token) uses the token this tab kept', async () => {
    const sessionStorage = new MemoryStorage();
    sessionStorage.setItem(TOKEN_STORAGE_KEY, 'kept');
    const replaceState = vi.fn();
    const calls: Array<Record<string, string>> = [];
    vi.stubGlobal('window', {
      location: { search: '', pathname: '/index.html', hash: '' },
      history: { state: null, replaceState },
      fetch: async (_url: string, init: { headers: Record<string, string> }) => {
        calls.push(init.headers);
        return { ok: true, status: 200, json: async () => ({ ok: true, result: null }) };
      },
      EventSource: FakeEventSource,
      sessionStorage,
    });
    const { getApi } = await import('../../../renderer/src/api/getApi.ts');
    await getApi().session();
    expect(calls[0]!['X-Ekort-Token']).toBe('kept');
    expect(replaceState).not.toHaveBeenCalled();
  });
});
