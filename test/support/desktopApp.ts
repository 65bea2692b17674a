/**
 * The desktop app as the end-to-end tests and the UI bench see it: the renderer's production
 * build (vite build when out/renderer is missing or older than its sources, as `npm run web`
 * does), the REAL agent (createAgent: pcscd + vpcd, the embedded service in a temporary data
 * folder, no HID binding) and the loopback browser bridge serving both. close() stops the
 * bridge and the agent and removes the data folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Agent, createAgent } from '../../src/client/agent.ts';
import type { AgentEvent } from '../../src/client/api.ts';
import { type Bridge, startBridge } from '../../src/client/bridge/server.ts';
import { buildRendererIfStale } from '../../src/client/bridge/webMain.ts';
import { vpcdPorts } from './pcscd.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface DesktopApp {
  agent: Agent;
  bridge: Bridge;
  dataDir: string;
  /** Every agent event since the start. */
  events: AgentEvent[];
  close(): Promise<void>;
}

/**
 * out/renderer, built first when stale. Vite keeps an inherited NODE_ENV, and Vitest sets it to
 * "test": that would be React's development build (StrictMode's double effects, 3× the size).
 * The build here is always the production one.
 */
export function builtRenderer(log: (line: string) => void = () => undefined): string {
  const before = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    return buildRendererIfStale(ROOT, log);
  } finally {
    if (before === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = before;
  }
}

export async function startDesktopApp(options: { prefix?: string; log?: (line: string) => void; idleTimeoutMs?: number; cardTimeoutMs?: number } = {}): Promise<DesktopApp> {
  const staticDir = builtRenderer(options.log);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), options.prefix ?? 'ekort-e2e-'));
  const log = options.log ?? (() => undefined);
  let agent: Agent | undefined;
  try {
    agent = await createAgent({ dataDir, vpcdPort: vpcdPorts[0], hid: false, log, ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }), ...(options.cardTimeoutMs === undefined ? {} : { cardTimeoutMs: options.cardTimeoutMs }) });
    const events: AgentEvent[] = [];
    agent.subscribe((e) => events.push(e));
    const bridge = await startBridge(agent, { staticDir, log });
    const running = agent;
    let closed = false;
    return {
      agent: running,
      bridge,
      dataDir,
      events,
      async close() {
        if (closed) return;
        closed = true;
        await bridge.close().catch(() => undefined);
        await running.close().catch(() => undefined);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await agent?.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}
