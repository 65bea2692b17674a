/**
 * The IPC handler table, without Electron: electron/main.ts passes its ipcMain (anything with
 * `handle(channel, fn)` does, so tests pass a fake). One channel, 'ekort:call', with
 * (method, input). Each call is checked for its sender frame (the app's own page only), its
 * method (one of API_METHODS) and its input (the method's zod schema) before the agent sees
 * it, and answers `{ok:true, result}` or `{ok:false, error: ApiFailure}`: nothing is thrown
 * across IPC (Electron would turn an Error into a string with the stack in it).
 */
import { API_METHODS } from './api.ts';
import { type AgentHandlers, type CallResult, dispatch } from './dispatch.ts';

export const IPC_CALL_CHANNEL = 'ekort:call';
export const IPC_EVENT_CHANNEL = 'ekort:event';

/** The slice of Electron's IpcMainInvokeEvent looked at here. */
export interface IpcInvokeEventLike {
  senderFrame?: { url?: string } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => unknown): void;
  removeHandler?(channel: string): void;
}

export interface IpcOptions {
  /** True for the app's own page: its file:// URL, or the dev server's origin in development. */
  isTrustedSender(frame: { url?: string } | null | undefined): boolean;
  /** Unexpected errors (INTERNAL): the method and the error's name only. */
  log?: (line: string) => void;
}

export const FOREIGN_SENDER = { code: 'FORBIDDEN_SENDER', message: 'This call did not come from the e-kort app itself and was refused.' } as const;

/**
 * A sender check for the usual setup: the page loaded from `appFileUrl` (file://…/index.html,
 * exactly, any query or hash), or any page of `devServerUrl`'s origin when given.
 */
export function trustedSenderCheck(options: { appFileUrl: string; devServerUrl?: string }): IpcOptions['isTrustedSender'] {
  const app = new URL(options.appFileUrl);
  const devOrigin = options.devServerUrl ? new URL(options.devServerUrl).origin : undefined;
  return (frame) => {
    if (!frame || typeof frame.url !== 'string') return false;
    let url: URL;
    try {
      url = new URL(frame.url);
    } catch {
      return false;
    }
    if (url.protocol === 'file:') return app.protocol === 'file:' && url.pathname === app.pathname && url.host === app.host;
    return devOrigin !== undefined && url.origin === devOrigin;
  };
}

/** Registers the one call channel; returns the unregister function (when ipcMain has removeHandler). */
export function registerIpc(ipcMain: IpcMainLike, agent: AgentHandlers, options: IpcOptions): () => void {
  ipcMain.handle(IPC_CALL_CHANNEL, async (event, method, input): Promise<CallResult> => {
    let trusted: boolean;
    try {
      trusted = options.isTrustedSender(event?.senderFrame);
    } catch {
      trusted = false;
    }
    if (!trusted) return { ok: false, error: { ...FOREIGN_SENDER } };
    return dispatch(agent, method, input, (name, error) => options.log?.(`ekort: unexpected error in ${name}: ${(error as Error)?.name ?? 'error'}`));
  });
  return () => ipcMain.removeHandler?.(IPC_CALL_CHANNEL);
}

/** The methods the table answers: exactly API_METHODS. */
export const IPC_METHODS: readonly string[] = API_METHODS;
