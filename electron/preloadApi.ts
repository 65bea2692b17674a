/**
 * The renderer's `window.ekort`, built from API_METHODS over an ipcRenderer-like object (the
 * real one in preload.ts, a fake in tests). Each method is one `invoke('ekort:call', name,
 * input)`, unwrapping `{ok, result | error}`: a failure rejects with a plain ApiFailure
 * object. `subscribe(listener)` receives the agent's events and returns the unsubscribe
 * function. The object is frozen and holds nothing else: no ipcRenderer, no Node object.
 * No electron import here: it is plain, testable code.
 */
import { API_METHODS, type AgentEvent, type ApiFailure, type EkortApi } from '../src/client/api.ts';

export const CALL_CHANNEL = 'ekort:call';
export const EVENT_CHANNEL = 'ekort:event';

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

const BRIDGE_FAILURE: ApiFailure = { code: 'IPC_FAILED', message: 'The app could not reach its background service. Restart the app.' };

function plainFailure(value: unknown): ApiFailure {
  const v = value as Partial<ApiFailure> | null | undefined;
  if (!v || typeof v.code !== 'string' || typeof v.message !== 'string') return { ...BRIDGE_FAILURE };
  const out: ApiFailure = { code: v.code, message: v.message };
  if (typeof v.retriesLeft === 'number') out.retriesLeft = v.retriesLeft;
  if (typeof v.triesLeft === 'number') out.triesLeft = v.triesLeft;
  if (Array.isArray(v.issues)) out.issues = v.issues.map((i) => ({ path: String(i?.path), message: String(i?.message) }));
  return out;
}

export function buildPreloadApi(ipc: IpcRendererLike): EkortApi {
  const api: Record<string, unknown> = {};
  for (const method of API_METHODS) {
    api[method] = async (input?: unknown): Promise<unknown> => {
      let answer: unknown;
      try {
        answer = await ipc.invoke(CALL_CHANNEL, method, input);
      } catch {
        throw { ...BRIDGE_FAILURE };
      }
      const a = answer as { ok?: unknown; result?: unknown; error?: unknown } | null;
      if (a && a.ok === true) return a.result ?? undefined;
      throw plainFailure(a?.error);
    };
  }
  api.subscribe = (listener: (event: AgentEvent) => void): (() => void) => {
    if (typeof listener !== 'function') throw new TypeError('subscribe takes a function');
    const handler = (_event: unknown, payload: unknown): void => {
      // Only the payload crosses over; the IpcRendererEvent (with its sender) never does.
      listener(payload as AgentEvent);
    };
    ipc.on(EVENT_CHANNEL, handler);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      ipc.removeListener(EVENT_CHANNEL, handler);
    };
  };
  return Object.freeze(api) as EkortApi;
}
