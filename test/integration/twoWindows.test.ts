/**
 * Two app windows on one data folder (two agents, as two app instances are): a setting changed
 * in one is merged into the file, not overwritten by the other's, and the other window follows
 * (a `settings` event). The embedded service is shared through its SQLite file.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Agent, createAgent } from '../../src/client/agent.ts';
import type { AgentEvent, Settings } from '../../src/client/api.ts';

describe('two app windows on one data folder', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ekort-two-'));
  let a: Agent;
  let b: Agent;
  const seenByB: AgentEvent[] = [];
  const seenByA: AgentEvent[] = [];

  const settingsEvent = (events: AgentEvent[], match: (s: Settings) => boolean, timeoutMs = 5000): Promise<Settings> =>
    new Promise((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      const look = () => {
        const found = events.find((e): e is Extract<AgentEvent, { type: 'settings' }> => e.type === 'settings' && match(e.settings));
        if (found) return resolve(found.settings);
        if (Date.now() > deadline) return reject(new Error(`no matching settings event within ${timeoutMs} ms: ${JSON.stringify(events.filter((e) => e.type === 'settings'))}`));
        setTimeout(look, 25);
      };
      look();
    });

  beforeAll(async () => {
    a = await createAgent({ dataDir, hid: false, log: () => undefined });
    b = await createAgent({ dataDir, hid: false, log: () => undefined });
    a.subscribe((e) => seenByA.push(e));
    b.subscribe((e) => seenByB.push(e));
  }, 60_000);

  afterAll(async () => {
    await a?.close();
    await b?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a change in one window reaches the other, which then saves its own without undoing it', async () => {
    await a.updateSettings({ language: 'en' });
    expect(await settingsEvent(seenByB, (s) => s.language === 'en')).toMatchObject({ language: 'en' });
    expect((await b.settings()).language).toBe('en');

    await b.updateSettings({ engineerMode: true });
    expect(await settingsEvent(seenByA, (s) => s.engineerMode)).toMatchObject({ language: 'en', engineerMode: true });
    expect(JSON.parse(readFileSync(path.join(dataDir, 'settings.json'), 'utf8'))).toMatchObject({ language: 'en', engineerMode: true });
  });

  it('changes made at the same moment in both are all kept (merged under a lock)', async () => {
    // Each window flips its own field many times at once with the other; the last values win per field.
    const rounds = 15;
    await Promise.all([
      (async () => {
        for (let i = 0; i < rounds; i++) await a.updateSettings({ language: i % 2 === 0 ? 'sv' : 'en' });
      })(),
      (async () => {
        for (let i = 0; i < rounds; i++) await b.updateSettings({ engineerMode: i % 2 === 1 });
      })(),
    ]);
    const saved = JSON.parse(readFileSync(path.join(dataDir, 'settings.json'), 'utf8')) as Settings;
    expect(saved).toMatchObject({ language: 'sv', engineerMode: false });
    // Each window follows the other's last change.
    await expect.poll(async () => (await a.settings()).engineerMode, { timeout: 5000 }).toBe(false);
    await expect.poll(async () => (await b.settings()).language, { timeout: 5000 }).toBe('sv');
  }, 30_000);
});
