/** The one bridge to the renderer: a typed API object, no Node objects (filled in by the desktop-app issue). */
import { contextBridge } from 'electron';

contextBridge.exposeInMainWorld('api', Object.freeze({ version: '0.1.0' }));
