import { defineConfig } from 'vite';

// The renderer: built to out/renderer, loaded by electron/main.ts (or the browser bridge).
export default defineConfig({
  root: 'renderer',
  base: './',
  build: { outDir: '../out/renderer', emptyOutDir: true },
  esbuild: { jsx: 'automatic' },
});
