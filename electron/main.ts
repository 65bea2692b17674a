/**
 * The Electron main process: one window, locked down per Electron's security checklist, and
 * the agent (src/client) behind one IPC channel. It stays thin: the IPC handler table, the
 * sender check and the input schemas live in src/client and are tested without Electron.
 *
 * - contextIsolation, sandbox, no nodeIntegration, webSecurity; the preload exposes only
 *   `window.ekort` (preloadApi.ts).
 * - A strict Content-Security-Policy header on every answer (the renderer's meta tag holds the
 *   same for file://); nothing remote is loaded; navigation, new windows and webviews are
 *   refused, and every permission but clipboard writing for the app's own page
 *   (src/client/permissions.ts: the copy buttons use navigator.clipboard.writeText).
 * - Every IPC call is checked for its sender frame (the app's own file:// page, or the Vite
 *   dev server in development) and validated before the agent sees it.
 * - A tray icon shows the card state; quitting closes the agent (readers, tokens, the
 *   embedded service) before the process ends.
 */
import { app, BrowserWindow, ipcMain, Menu, nativeImage, session, Tray } from 'electron';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { type Agent, type AgentEvent, createAgent, IPC_EVENT_CHANNEL, permissionPolicy, registerIpc, RENDERER_CSP, trustedSenderCheck } from '../src/client/index.ts';
import { TRAY_ICON_SIZE, trayIconBitmap, trayTooltip } from './trayIcon.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const indexHtml = path.join(here, '..', 'renderer', 'index.html');
/** Development only: the Vite dev server (`EKORT_DEV_SERVER_URL=http://localhost:5173`). */
const devServerUrl = !app.isPackaged ? process.env.EKORT_DEV_SERVER_URL : undefined;

let agent: Agent | undefined;
let win: BrowserWindow | undefined;
let tray: Tray | undefined;
let quitting = false;

function lockDown(): void {
  const ses = session.defaultSession;
  const permissions = permissionPolicy({ appFileUrl: pathToFileURL(indexHtml).href, ...(devServerUrl ? { devServerUrl } : {}) });
  ses.setPermissionRequestHandler((_wc, permission, callback, details) => callback(permissions.request(permission, details)));
  ses.setPermissionCheckHandler((_wc, permission, requestingOrigin, details) => permissions.check(permission, requestingOrigin, details));
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [RENDERER_CSP], 'X-Content-Type-Options': ['nosniff'] } });
  });
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1000,
    height: 720,
    title: 'e-kort',
    show: false,
    webPreferences: {
      preload: path.join(here, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  window.once('ready-to-show', () => window.show());
  window.on('closed', () => {
    if (win === window) win = undefined;
  });
  if (devServerUrl) void window.loadURL(devServerUrl);
  else void window.loadFile(indexHtml);
  return window;
}

function updateTray(event: AgentEvent): void {
  if (event.type !== 'readers' || !tray) return;
  const present = event.readers.some((r) => r.state === 'card');
  tray.setImage(nativeImage.createFromBitmap(trayIconBitmap(present), { width: TRAY_ICON_SIZE, height: TRAY_ICON_SIZE }));
  tray.setToolTip(trayTooltip(present));
}

function createTray(): void {
  try {
    tray = new Tray(nativeImage.createFromBitmap(trayIconBitmap(false), { width: TRAY_ICON_SIZE, height: TRAY_ICON_SIZE }));
  } catch {
    return; // no system tray on this desktop
  }
  tray.setToolTip(trayTooltip(false));
  tray.setContextMenu(
    Menu.buildFromTemplate([
      { label: 'Öppna e-kort', click: () => (win ? win.show() : (win = createWindow())) },
      { type: 'separator' },
      { label: 'Avsluta', click: () => app.quit() },
    ]),
  );
}

async function start(): Promise<void> {
  lockDown();
  agent = await createAgent({ dataDir: app.getPath('userData') });
  for (const note of await agent.platform()) console.error(`e-kort: ${note.line}`);
  registerIpc(ipcMain, agent, {
    isTrustedSender: trustedSenderCheck({ appFileUrl: pathToFileURL(indexHtml).href, ...(devServerUrl ? { devServerUrl } : {}) }),
    log: (line) => console.error(line),
  });
  agent.subscribe((event) => {
    updateTray(event);
    if (win && !win.isDestroyed()) win.webContents.send(IPC_EVENT_CHANNEL, event);
  });
  createTray();
  win = createWindow();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.whenReady().then(start, (error: unknown) => {
    console.error(`e-kort could not start: ${(error as Error)?.message ?? String(error)}`);
    app.exit(1);
  });
  app.on('window-all-closed', () => app.quit());
  // Close the agent (pcscd context, tokens, the embedded service's database) before exiting.
  app.on('before-quit', (event) => {
    if (quitting || !agent) return;
    event.preventDefault();
    quitting = true;
    const closing = agent;
    agent = undefined;
    tray?.destroy();
    void closing
      .close()
      .catch(() => undefined)
      .finally(() => app.quit());
  });
}
