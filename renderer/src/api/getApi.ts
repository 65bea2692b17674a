/**
 * The EkortApi the app uses: Electron's preload object (window.ekort) when it is there,
 * otherwise the browser bridge client with the token from the address (taken once and
 * removed from the address bar).
 */
import type { EkortApi } from '../../../src/client/api.ts';
import { createBridgeApi, takeToken, type BridgeEnv } from './bridgeClient.ts';

let bridgeToken: string | null = null;
let tokenTaken = false;
let api: EkortApi | null = null;

function readTokenOnce(): string {
  if (!tokenTaken) {
    tokenTaken = true;
    const { token, rest } = takeToken(window.location.search);
    bridgeToken = token;
    if (token !== null) {
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
