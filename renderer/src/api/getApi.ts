/**
 * The EkortApi the app uses: Electron's preload object (window.ekort) when it is there,
 * otherwise the browser bridge client with the token from the address (taken once, removed
 * from the address bar and kept in this tab's sessionStorage so a reload keeps working).
 */
import type { EkortApi } from '../../../src/client/api.ts';
import { createBridgeApi, resolveToken, type BridgeEnv, type TokenStorage } from './bridgeClient.ts';

let bridgeToken: string | null = null;
let tokenTaken = false;
let api: EkortApi | null = null;

function sessionStore(): TokenStorage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}

function readTokenOnce(): string {
  if (!tokenTaken) {
    tokenTaken = true;
    const { token, rest } = resolveToken(window.location.search, sessionStore());
    bridgeToken = token;
    if (rest !== null) {
      window.history.replaceState(window.history.state, '', window.location.pathname + rest + window.location.hash);
    }
  }
  return bridgeToken ?? '';
}

export function getApi(): EkortApi {
  if (api) return api;
  const preload = (window as unknown as { ekort?: EkortApi }).ekort;
  if (preload) {
    api = preload;
    return api;
  }
  api = createBridgeApi(readTokenOnce(), {
    fetch: (url, init) => window.fetch(url, init),
    // The DOM's EventSource, seen through the small part the client uses.
    EventSource: window.EventSource as unknown as BridgeEnv['EventSource'],
  });
  return api;
}
