import { defineConfig } from 'vite';

// The renderer: built to out/renderer, loaded by electron/main.ts (or the browser bridge).
// For `npx vite` (dev server) against a running bridge, set EKORT_BRIDGE_URL to the bridge's
// http://127.0.0.1:PORT and start the bridge with --dev-origin set to the dev server's origin;
// /api is then proxied there (open the dev server with the bridge's ?token=…).
const bridge = process.env.EKORT_BRIDGE_URL;

export default defineConfig({
  root: 'renderer',
  base: './',
  build: { outDir: '../out/renderer', emptyOutDir: true },
  esbuild: { jsx: 'automatic' },
  ...(bridge ? { server: { proxy: { '/api': { target: bridge, changeOrigin: true } } } } : {}),
});
