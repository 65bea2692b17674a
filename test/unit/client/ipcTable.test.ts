import { describe, expect, it } from 'vitest';
import { API_METHODS } from '../../../src/client/api.ts';
import { API_INPUT_SCHEMAS } from '../../../src/client/apiSchemas.ts';
import { IPC_CALL_CHANNEL, type IpcInvokeEventLike, type IpcMainLike, registerIpc, trustedSenderCheck } from '../../../src/client/ipcTable.ts';
import { fakeAgent, INVALID_INPUTS, VALID_INPUTS } from './fakeAgent.ts';

const APP_URL = 'file:///opt/e-kort/resources/app.asar/out/renderer/index.html';
type Handler = (event: IpcInvokeEventLike, ...args: unknown[]) => unknown;

function setup(options: { devServerUrl?: string } = {}) {
  const handlers = new Map<string, Handler>();
  const ipcMain: IpcMainLike = { handle: (channel, fn) => void handlers.set(channel, fn), removeHandler: (channel) => void handlers.delete(channel) };
  const agent = fakeAgent();
  const logged: string[] = [];
  const unregister = registerIpc(ipcMain, agent, { isTrustedSender: trustedSenderCheck({ appFileUrl: APP_URL, ...options }), log: (l) => logged.push(l) });
  const invoke = (method: unknown, input?: unknown, url: string | null = APP_URL) =>
    handlers.get(IPC_CALL_CHANNEL)!({ senderFrame: url === null ? null : { url } }, method, input) as Promise<{ ok: boolean; result?: unknown; error?: Record<string, unknown> }>;
  return { handlers, agent, invoke, logged, unregister };
}

describe('the IPC handler table', () => {
  it('registers the one call channel, and unregisters it', () => {
    const { handlers, unregister } = setup();
    expect([...handlers.keys()]).toEqual([IPC_CALL_CHANNEL]);
    unregister();
    expect(handlers.size).toBe(0);
  });

  it('has an input schema and a handler for every API method', async () => {
    expect(Object.keys(API_INPUT_SCHEMAS).sort()).toEqual([...API_METHODS].sort());
    const { invoke, agent } = setup();
    for (const method of API_METHODS) {
      const answer = await invoke(method, VALID_INPUTS[method]);
      if (method === 'loginWithCard' || method === 'terms') continue; // their fakes fail on purpose
      expect(answer, method).toEqual({ ok: true, result: method === 'readers' ? expect.any(Array) : method === 'logout' ? null : { method } });
      expect(agent[method], method).toHaveBeenCalledTimes(1);
    }
  });

  it('validates every method\u2019s input: a wrong one is INVALID_INPUT and never reaches the agent', async () => {
    const { invoke, agent } = setup();
    for (const method of API_METHODS) {
      const answer = await invoke(method, INVALID_INPUTS[method]);
      expect(answer.ok, method).toBe(false);
      expect(answer.error, method).toMatchObject({ code: 'INVALID_INPUT', issues: expect.any(Array) });
      expect(agent[method], method).not.toHaveBeenCalled();
    }
  });

  it('passes the parsed input on (defaults applied, nothing extra)', async () => {
    const { invoke, agent } = setup();
    await invoke('createEnummer', { cardId: 'abcdefgh12345678', merchant: '  Webbhandeln AB ' });
    expect(agent.createEnummer).toHaveBeenCalledWith({ cardId: 'abcdefgh12345678', merchant: 'Webbhandeln AB', recurring: false });
    await invoke('settings', {});
    expect(agent.settings).toHaveBeenCalledWith(undefined);
  });

  it('refuses unknown methods, prototype keys included', async () => {
    const { invoke } = setup();
    for (const method of ['nope', '__proto__', 'constructor', 'subscribe', 'close', 42, undefined]) {
      expect(await invoke(method, undefined), String(method)).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
    }
  });

  it('refuses calls from a foreign sender frame before anything else', async () => {
    const { invoke, agent } = setup();
    for (const url of ['https://evil.example/', 'file:///tmp/other.html', 'http://localhost:5173/', 'about:blank', 'not a url', null]) {
      expect(await invoke('readers', undefined, url), String(url)).toEqual({ ok: false, error: { code: 'FORBIDDEN_SENDER', message: expect.any(String) } });
    }
    expect(agent.readers).not.toHaveBeenCalled();
    // The app's own page, with a hash route, is trusted.
    expect(await invoke('readers', undefined, `${APP_URL}#/login`)).toMatchObject({ ok: true });
  });

  it('trusts the dev server\u2019s origin when one is given', async () => {
    const { invoke } = setup({ devServerUrl: 'http://localhost:5173' });
    expect(await invoke('readers', undefined, 'http://localhost:5173/#/login')).toMatchObject({ ok: true });
    expect(await invoke('readers', undefined, 'http://localhost:5174/')).toMatchObject({ ok: false, error: { code: 'FORBIDDEN_SENDER' } });
  });

  it('turns errors into plain ApiFailures: typed ones keep code and tries left, others are INTERNAL without stack or detail', async () => {
    const { invoke, logged } = setup();
    const pin = await invoke('loginWithCard', VALID_INPUTS.loginWithCard);
    expect(pin).toEqual({ ok: false, error: { code: 'PIN_INCORRECT', message: 'Wrong PIN. 2 tries left.', retriesLeft: 2 } });
    const internal = await invoke('terms');
    expect(internal).toEqual({ ok: false, error: { code: 'INTERNAL', message: expect.any(String) } });
    expect(JSON.stringify(internal)).not.toMatch(/stack|boom|secret|hunter2|at /);
    expect(Object.getPrototypeOf(internal.error)).toBe(Object.prototype);
    expect(logged).toEqual(['ekort: unexpected error in terms: TypeError']);
  });
});
