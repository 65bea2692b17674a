/**
 * Which web permissions the Electron window gets: none, except writing to the clipboard
 * ('clipboard-sanitized-write', for the e-nummer copy buttons), and that only for the app's own
 * page in the main frame (the same check as the IPC sender: the app's index.html over file://,
 * or the Vite dev server in development). Plain functions, tested without Electron; main.ts
 * wires them into setPermissionRequestHandler / setPermissionCheckHandler.
 */
import { trustedSenderCheck } from './ipcTable.ts';

export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

export interface PermissionDetails {
  /** The last URL the requesting frame loaded (absent for cross-origin subframes' checks). */
  requestingUrl?: string;
  isMainFrame?: boolean;
}

export interface PermissionPolicy {
  /** setPermissionRequestHandler: grant or refuse. */
  request(permission: string, details: PermissionDetails | undefined): boolean;
  /** setPermissionCheckHandler: what `navigator.permissions` and the clipboard ask first. */
  check(permission: string, requestingOrigin: string, details: PermissionDetails | undefined): boolean;
}

export function permissionPolicy(options: { appFileUrl: string; devServerUrl?: string }): PermissionPolicy {
  const isAppPage = trustedSenderCheck(options);
  const devOrigin = options.devServerUrl ? new URL(options.devServerUrl).origin : undefined;
  const fromApp = (details: PermissionDetails | undefined): boolean =>
    details?.isMainFrame === true && typeof details.requestingUrl === 'string' && isAppPage({ url: details.requestingUrl });
  return {
    request: (permission, details) => ALLOWED_PERMISSIONS.has(permission) && fromApp(details),
    check: (permission, requestingOrigin, details) => {
      if (!ALLOWED_PERMISSIONS.has(permission) || !fromApp(details)) return false;
      // The origin must agree with the page: Chromium serializes a file:// page's origin as "file://".
      const url = new URL(details!.requestingUrl!);
      if (url.protocol === 'file:') return requestingOrigin === 'file://' || requestingOrigin === 'file:///';
      return devOrigin !== undefined && requestingOrigin === devOrigin;
    },
  };
}
