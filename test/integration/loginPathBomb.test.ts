/**
 * The path-building attack against `ekort serve` itself (issue 16): unauthenticated card
 * logins whose CMS carries 40 CA certificates of one name and one key, each over a real
 * challenge of the service. Before path building was bounded one such request held the event
 * loop for minutes; now each is refused UNTRUSTED_CHAIN at once and /v1/health keeps answering
 * while they come in. The bounds are generous (a hang is minutes); the bench holds the figure.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ekort } from '../support/ekortCli.ts';
import { type ServeProcess, startServe } from '../support/ekortServe.ts';
import { pathBomb } from '../support/pathBomb.ts';

const BOMBS = 6;
let dir: string;
let served: ServeProcess;

async function post(url: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-bomb-'));
  const ca = path.join(dir, 'ca');
  expect((await ekort(['pki', 'init', '--out', ca])).code).toBe(0);
  served = await startServe(['--port', '0', '--db', path.join(dir, 'bank.db'), '--ca', ca], { timeoutMs: 15_000 });
}, 60_000);

afterAll(async () => {
  await served?.stop(5_000);
  await rm(dir, { recursive: true, force: true });
});

describe('ekort serve under the path-building attack', () => {
  it('refuses each bomb with UNTRUSTED_CHAIN while /v1/health keeps answering', async () => {
    // The bombs are built first, each over its own challenge, so the service sees them back to back.
    const bombs = [];
    for (let i = 0; i < BOMBS; i++) {
      const { json } = await post(`${served.url}/v1/login/card/challenge`);
      const bomb = await pathBomb({ count: 40, challenge: Buffer.from(json.challenge as string, 'base64') });
      bombs.push({ challengeId: json.challengeId as string, cms: Buffer.from(bomb.cms).toString('base64') });
    }

    let attacking = true;
    const healthMs: number[] = [];
    const probe = (async () => {
      while (attacking) {
        const t0 = performance.now();
        const res = await fetch(`${served.url}/v1/health`, { signal: AbortSignal.timeout(30_000) });
        expect(res.status).toBe(200);
        healthMs.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const t0 = performance.now();
    const answers = await Promise.all(bombs.map((b) => post(`${served.url}/v1/login/card`, b)));
    const attackMs = performance.now() - t0;
    attacking = false;
    await probe;

    for (const a of answers) expect(a.json.code).toBe('UNTRUSTED_CHAIN');
    expect(attackMs).toBeLessThan(10_000);
    expect(healthMs.length).toBeGreaterThan(0);
    expect(Math.max(...healthMs)).toBeLessThan(2_000);
    // And it still stops on SIGTERM at once.
    expect(await served.stop(5_000)).toBe(0);
  }, 120_000);
});
