/**
 * The browser bridge client: the same EkortApi as Electron's preload, over the loopback
 * bridge. Calls are POST /api/call/<method> with the token in X-Ekort-Token; events come
 * from an EventSource on /api/events?token=… (which reconnects by itself). Everything the
 * browser provides is injected, so node unit tests drive it with fakes.
 */
import type { AgentEvent, ApiFailure, EkortApi } from '../../../src/client/api.ts';
import { METHODS } from './methods.ts';

/** Card operations with a PIN pad or a token touch can take this long. */
export const CALL_TIMEOUT_MS = 30_000;

export interface EventSourceLike {
  onmessage: ((event: { data: string }) => void) | null;
  close(): void;
}

export interface BridgeEnv {
  fetch: (url: string, init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal }) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;
  EventSource: new (url: string) => EventSourceLike;
  /** AbortSignal.timeout by default. */
  timeoutSignal?: (ms: number) => AbortSignal;
  timeoutMs?: number;
}

function isFailure(value: unknown): value is ApiFailure {
  return !!value && typeof value === 'object' && typeof (value as { code?: unknown }).code === 'string';
}

function unreachable(message: string): ApiFailure {
  return { code: 'BRIDGE_UNREACHABLE', message };
}

/**
 * Reads the bridge token from a location's search string ("?token=…") and gives the search
 * without it, so the address bar can be rewritten without the secret.
 */
export function takeToken(search: string): { token: string | null; rest: string } {
  const params = new URLSearchParams(search);
  const token = params.get('token');
  params.delete('token');
  const rest = params.toString();
  return { token, rest: rest ? `?${rest}` : '' };
}

/** Where the page keeps the bridge token across reloads (sessionStorage: this origin, this tab). */
export const TOKEN_STORAGE_KEY = 'ekort.bridgeToken';

export interface TokenStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/**
 * The bridge token for this page: the one in the address on first load (then kept in the
 * tab's sessionStorage, and the address rewritten without it), else the one kept there by an
 * earlier load of this tab. sessionStorage, not a cookie: it is scoped to this exact origin
 * (port included; cookies are shared by every port of 127.0.0.1), never sent with requests
 * by the browser, and gone when the tab closes. Storage that fails (disabled) keeps the old
 * behaviour: the token lives as long as the page.
 */
export function resolveToken(search: string, storage: TokenStorage | undefined): { token: string | null; rest: string | null } {
  const { token, rest } = takeToken(search);
  if (token !== null) {
    try {
      storage?.setItem(TOKEN_STORAGE_KEY, token);
    } catch {
      // No storage: a reload will need the printed address again.
    }
    return { token, rest };
  }
  let kept: string | null;
  try {
    kept = storage?.getItem(TOKEN_STORAGE_KEY) ?? null;
  } catch {
    kept = null;
  }
  return { token: kept, rest: null };
}

/** What every call answers when the page has no token (opened without the printed address). */
export const NO_TOKEN: ApiFailure = Object.freeze({ code: 'BRIDGE_TOKEN_INVALID', message: 'This page has no bridge token. Open the URL the app printed.' });

export function createBridgeApi(token: string, env: BridgeEnv): EkortApi {
  const timeoutMs = env.timeoutMs ?? CALL_TIMEOUT_MS;
  const timeoutSignal = env.timeoutSignal ?? ((ms: number) => AbortSignal.timeout(ms));

  async function call(method: string, input: unknown): Promise<unknown> {
    if (token === '') throw { ...NO_TOKEN };
    let response: Awaited<ReturnType<BridgeEnv['fetch']>>;
    try {
      response = await env.fetch('/api/call/' + method, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Ekort-Token': token },
        body: JSON.stringify(input ?? {}),
        signal: timeoutSignal(timeoutMs),
      });
    } catch (error) {
      const name = (error as { name?: string } | null)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw { code: 'BRIDGE_TIMEOUT', message: `${method}: no answer within ${Math.round(timeoutMs / 1000)} s` } satisfies ApiFailure;
      }
      throw unreachable(`${method}: ${error instanceof Error ? error.message : String(error)}`);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    if (response.status !== 200) {
      throw isFailure(body) ? body : unreachable(`${method}: HTTP ${response.status}`);
    }
    if (body && typeof body === 'object' && (body as { ok?: unknown }).ok === true) {
      return (body as { result?: unknown }).result;
    }
    if (body && typeof body === 'object' && (body as { ok?: unknown }).ok === false && isFailure((body as { error?: unknown }).error)) {
      throw (body as { error: ApiFailure }).error;
    }
    throw unreachable(`${method}: unexpected answer from the bridge`);
  }

  const listeners = new Set<(event: AgentEvent) => void>();
  let source: EventSourceLike | null = null;

  function openEvents(): void {
    if (source || token === '') return;
    source = new env.EventSource('/api/events?token=' + encodeURIComponent(token));
    source.onmessage = (message) => {
      let event: AgentEvent;
      try {
        event = JSON.parse(message.data) as AgentEvent;
      } catch {
        return;
      }
      if (!event || typeof event !== 'object' || typeof (event as { type?: unknown }).type !== 'string') return;
      for (const listener of [...listeners]) {
        try {
          listener(event);
        } catch (error) {
          console.error('event listener failed', error);
        }
      }
    };
  }

  const api: Record<string, unknown> = {
    subscribe(listener: (event: AgentEvent) => void): () => void {
      listeners.add(listener);
      openEvents();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && source) {
          source.close();
          source = null;
        }
      };
    },
  };
  for (const method of METHODS) api[method] = (input?: unknown) => call(method, input);
  return api as unknown as EkortApi;
}
