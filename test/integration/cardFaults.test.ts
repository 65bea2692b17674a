/**
 * The card failing at every step of a login, for real: the demo card in pcscd's vpcd reader
 * behind a relay (test/support/cutRelay.ts) that cuts the line at the Nth command, as a card
 * pulled out mid-exchange, or swallows it, as a card that stops answering. Every failure is
 * typed (CARD_REMOVED, TRANSMIT_TIMEOUT; never APDU_MALFORMED or INTERNAL), nobody is logged
 * in, a PIN that was on its way is said to perhaps have spent a try, and the tries shown after
 * are the card's own. And another program's command between two of ours, which makes the card
 * drop the rest of a chained answer: RESPONSE_INTERRUPTED, the holder read made again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Agent, createAgent } from '../../src/client/agent.ts';
import type { AgentEvent, CardHolder, DemoInfo } from '../../src/client/api.ts';
import { type CutRelay, startCutRelay } from '../support/cutRelay.ts';
import { toApiFailure } from '../../src/client/failure.ts';
import { ekort } from '../support/ekortCli.ts';
import { failureOf } from '../support/failures.ts';
import { requireSystem, vpcdPorts, vpcdReaders } from '../support/pcscd.ts';

const available = await requireSystem('pcscd');
const READER = vpcdReaders[0];
const CARD_TIMEOUT_MS = 600;

/** VERIFY with a PIN in it (not the P1 FF reset, not a status query without data). */
const isPinVerify = (apdu: Buffer): boolean => apdu[1] === 0x20 && apdu[2] === 0x00 && apdu.length > 5;

describe.skipIf(!available)('a card that fails mid-login (pcscd + vpcd behind a relay)', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ekort-cardfaults-'));
  let relay: CutRelay;
  let agent: Agent;
  let demo: DemoInfo;
  const events: AgentEvent[] = [];

  /**
   * Waits (bounded) until the card answers again after a cut (the relay's card reconnects by
   * itself, as a card put back): its holder is read on a fresh connection.
   */
  async function cardBack(timeoutMs = 10_000): Promise<CardHolder> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        return await agent.cardHolder({ reader: READER });
      } catch (e) {
        last = e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`the card did not answer again in "${READER}" within ${timeoutMs} ms`, { cause: last });
  }

  beforeAll(async () => {
    relay = await startCutRelay(vpcdPorts[0]);
    agent = await createAgent({ dataDir, vpcdPort: relay.port, hid: false, cardTimeoutMs: CARD_TIMEOUT_MS, log: () => undefined });
    agent.subscribe((e) => events.push(e));
    await agent.updateSettings({ engineerMode: true });
    demo = await agent.startDemo();
    await agent.insertVirtualCard({ reader: READER });
    for (let i = 0; i < 100 && (await agent.readers()).find((r) => r.name === READER)?.state !== 'card'; i++) await new Promise((r) => setTimeout(r, 100));
    // The holder first, as the card login has it: the agent reads the card as it comes in, and
    // the commands counted below are the login's alone.
    await cardBack();
  }, 120_000);

  afterAll(async () => {
    await agent?.close();
    await relay?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  let commands = 0;
  it('a whole login, to count its commands', async () => {
    const since = events.length;
    await expect(agent.loginWithCard({ reader: READER, pin: demo.cardPin })).resolves.toMatchObject({ customer: { name: 'Anna Andersson' } });
    await agent.logout();
    commands = events.slice(since).filter((e) => e.type === 'apdu' && e.line.startsWith('=>')).length;
    expect(commands).toBeGreaterThanOrEqual(4);
  });

  it('cut at each command: CARD_REMOVED, nobody logged in, and "a try may be spent" only when the PIN was on its way', async () => {
    const seen: Array<{ n: number; code: string; verify: boolean; pinMayBeSpent: boolean }> = [];
    for (let n = 1; n <= commands; n++) {
      relay.failAt(n, 'cut');
      const outcome = await agent.loginWithCard({ reader: READER, pin: demo.cardPin }).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (outcome === undefined) {
        // Only the PIN's reset after the signature (VERIFY P1 FF, best effort) may be cut
        // without failing the login: the signature was made.
        expect(relay.cut?.subarray(0, 3).toString('hex'), `login went through a cut at command ${n}`).toBe('0020ff');
        await agent.logout();
        await cardBack();
        continue;
      }
      const failure = toApiFailure(outcome);
      const verify = relay.cut !== undefined && isPinVerify(relay.cut);
      seen.push({ n, code: failure.code, verify, pinMayBeSpent: failure.pinMayBeSpent === true });
      expect(failure.code, `cut at command ${n} (${relay.cut?.toString('hex')}): ${failure.message}`).toBe('CARD_REMOVED');
      expect(failure.pinMayBeSpent === true, `cut at command ${n}`).toBe(verify);
      expect(await agent.session()).toBeNull();
      await cardBack();
    }
    // The PIN's own VERIFY was among the commands cut.
    expect(seen.filter((s) => s.verify)).toHaveLength(1);
    // The relay cut before the card saw the VERIFY: the card's own count is still full, and
    // that is what the app shows once the card is back.
    expect((await cardBack()).pinTriesLeft).toBe(3);
  }, 120_000);

  it('a card that stops answering at the PIN: TRANSMIT_TIMEOUT within its deadline, a try may be spent; the card back, the login works', async () => {
    relay.failAt(1, 'hold', isPinVerify);
    const t0 = Date.now();
    const failure = await failureOf(agent.loginWithCard({ reader: READER, pin: demo.cardPin }));
    const took = Date.now() - t0;
    expect(failure).toMatchObject({ code: 'TRANSMIT_TIMEOUT', pinMayBeSpent: true });
    expect(took).toBeLessThan(CARD_TIMEOUT_MS + 4000);
    expect(await agent.session()).toBeNull();
    relay.release();
    await cardBack();
    await expect(agent.loginWithCard({ reader: READER, pin: demo.cardPin })).resolves.toMatchObject({ customer: { name: 'Anna Andersson' } });
    await agent.logout();
  }, 60_000);

  it("another program's command between two of ours (SELECT before a GET RESPONSE): the holder read is made again and answers", async () => {
    await cardBack();
    const since = events.length;
    relay.failAt(1, 'interleave', (apdu) => apdu[1] === 0xc0);
    await expect(agent.cardHolder({ reader: READER })).resolves.toMatchObject({ name: 'Anna Andersson', pinTriesLeft: 3 });
    expect(relay.cut?.[1]).toBe(0xc0);
    const lines = events.slice(since).flatMap((e) => (e.type === 'apdu' ? [e.line] : []));
    // The card had nothing left for our GET RESPONSE (6985); the read began again with SELECT.
    expect(lines.some((l, i) => l.startsWith('<= 69 85') && lines[i - 1]!.startsWith('=> 00 c0'))).toBe(true);
    expect(lines.filter((l) => l.startsWith('=> 00 a4 04 00'))).toHaveLength(2);
  }, 30_000);

  it("another program's command inside the signature's answer: RESPONSE_INTERRUPTED, nobody logged in, no PIN try spent, and no second signature", async () => {
    await cardBack();
    const since = events.length;
    let signing = false;
    relay.failAt(1, 'interleave', (apdu) => {
      if (apdu[1] === 0x87) signing = true;
      return signing && apdu[1] === 0xc0;
    });
    const failure = await failureOf(agent.loginWithCard({ reader: READER, pin: demo.cardPin }));
    expect(failure).toMatchObject({ code: 'RESPONSE_INTERRUPTED' });
    expect(await agent.session()).toBeNull();
    const sent = events.slice(since).flatMap((e) => (e.type === 'apdu' && e.line.startsWith('=>') ? [e.line] : []));
    expect(sent.filter((l) => l.startsWith('=> 00 87'))).toHaveLength(1);
    expect((await cardBack()).pinTriesLeft).toBe(3);
    await expect(agent.loginWithCard({ reader: READER, pin: demo.cardPin })).resolves.toMatchObject({ customer: { name: 'Anna Andersson' } });
    await agent.logout();
  }, 30_000);

  it('the ekort command and a card that stops answering: TRANSMIT_TIMEOUT after its 10 s deadline, and the process ends', async () => {
    await cardBack();
    relay.failAt(1, 'hold');
    const t0 = Date.now();
    const run = await ekort(['card', 'info', '--reader', READER, '--json'], '', { timeoutMs: 30_000 });
    const took = Date.now() - t0;
    // It answered with the typed error, then ended by itself (the test's bound is 30 s): SIGKILL
    // of its own, as the native transmit it gave up on cannot be joined.
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: 'TRANSMIT_TIMEOUT' } });
    expect(run.stderr).toContain('did not answer within 10 s');
    expect(run.stderr).toContain('still pending; ending without waiting');
    expect(took).toBeGreaterThanOrEqual(10_000);
    expect(took).toBeLessThan(16_000);
    relay.release();
    await cardBack();
  }, 60_000);
});
