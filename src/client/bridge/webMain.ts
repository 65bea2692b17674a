/**
 * `npm run web` (bin/web.js): the app in a normal browser. Builds the renderer with Vite when
 * out/renderer is missing or older than its sources, starts the agent (the data folder:
 * --data-dir, else $XDG_DATA_HOME/ekort-desktop or ~/.local/share/ekort-desktop) and the
 * browser bridge on 127.0.0.1, prints the URL to open in one line, and stops cleanly on
 * SIGINT/SIGTERM.
 *
 *   web [--data-dir DIR] [--port N] [--dev-origin URL] [--no-build]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createAgent, defaultDataDir } from '../agent.ts';
import { startBridge } from './server.ts';

/** The newest modification time under `dir` (files only), 0 when missing. */
function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return latest;
}

/** Runs `vite build` when out/renderer is missing or older than renderer/ and src/client/api.ts. */
export function buildRendererIfStale(root: string, log: (line: string) => void): string {
  const outDir = path.join(root, 'out', 'renderer');
  const built = existsSync(path.join(outDir, 'index.html')) ? newest(outDir) : 0;
  const sources = Math.max(newest(path.join(root, 'renderer')), statSync(path.join(root, 'src', 'client', 'api.ts')).mtimeMs, statSync(path.join(root, 'vite.config.ts')).mtimeMs);
  if (built >= sources) return outDir;
  log('Building the renderer (vite build)...');
  const vite = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'vite.cmd' : 'vite');
  // Always React's production build: an inherited NODE_ENV=test/development would give the dev build.
  const result = spawnSync(vite, ['build', '--logLevel', 'warn'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } });
  if (result.status !== 0) throw new Error(`vite build failed (exit ${result.status ?? result.signal})`);
  return outDir;
}

export async function webMain(argv: string[], root: string): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      'dev-origin': { type: 'string' },
      'no-build': { type: 'boolean' },
    },
    strict: true,
  });
  const err = (line: string): void => void process.stderr.write(`${line}\n`);
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    err('web: --port must be 0 to 65535');
    return 2;
  }
  const staticDir = values['no-build'] ? path.join(root, 'out', 'renderer') : buildRendererIfStale(root, err);
  const agent = await createAgent({ dataDir: values['data-dir'] ?? defaultDataDir(), log: err });
  // What this machine lacks for real readers and tokens, a line each (the demo needs none of it).
  for (const note of await agent.platform()) err(`e-kort: ${note.line}`);
  let bridge;
  try {
    bridge = await startBridge(agent, { port, staticDir, ...(values['dev-origin'] ? { devOrigin: values['dev-origin'] } : {}), log: err });
  } catch (error) {
    await agent.close();
    throw error;
  }
  process.stdout.write(`e-kort: open ${bridge.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await bridge.close();
  await agent.close();
  return 0;
}
