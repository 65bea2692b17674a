/**
 * The one bridge to the renderer: `window.ekort`, the typed API of src/client/api.ts over IPC
 * (see preloadApi.ts). Nothing else is exposed: no ipcRenderer, no Node object.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { buildPreloadApi } from './preloadApi.ts';

contextBridge.exposeInMainWorld('ekort', buildPreloadApi(ipcRenderer));
