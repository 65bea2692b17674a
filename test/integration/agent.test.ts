/**
 * The desktop agent against the real parts: pcscd + vpcd with the virtual card, the embedded
 * e-kort service (SQLite in a temporary data folder), the virtual dosa and the virtual HID
 * token. Every wait is bounded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Agent, createAgent } from '../../src/client/agent.ts';
import type { AgentEvent, DemoInfo, ReaderInfo } from '../../src/client/api.ts';
import { IN_APP_READER } from '../../src/client/readers.ts';
import { VirtualDosa } from '../../src/virtual/dosa.ts';
import { requireSystem, vpcdPorts, vpcdReaders } from '../support/pcscd.ts';
import { failureOf } from '../support/failures.ts';

const available = await requireSystem('pcscd');

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ekort-agent-'));
let agent: Agent;
const events: AgentEvent[] = [];
let demo: DemoInfo;
/** The agent events up to the moment startDemo resolved, and the reader list then. */
let eventsAtDemo: AgentEvent[] = [];
let readersAtDemo: ReaderInfo[] = [];

/** Resolves with the first event (already seen from `since`, or later) that matches. */
function waitForEvent(match: (e: AgentEvent) => boolean, since: number, timeoutMs?: number): Promise<AgentEvent>;
function waitForEvent(match: (e: AgentEvent) => boolean, since: number, timeoutMs = 10_000): Promise<AgentEvent> {
  return new Promise((resolve, reject) => {
    const seen = events.slice(since).find(match);
    if (seen) return resolve(seen);
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching agent event within ${timeoutMs} ms; last: ${JSON.stringify(events.slice(-3))}`));
    }, timeoutMs);
    const off = agent.subscribe((e) => {
      if (!match(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

const readerWithCard = (reader: string) => (e: AgentEvent) => e.type === 'readers' && e.readers.some((r: ReaderInfo) => r.name === reader && r.state === 'card');

describe.skipIf(!available)('desktop agent (pcscd + vpcd, embedded service)', () => {
  beforeAll(async () => {
    agent = await createAgent({ dataDir, vpcdPort: vpcdPorts[0], hid: false, log: () => undefined });
    agent.subscribe((e) => events.push(e));
    await agent.updateSettings({ engineerMode: true });
    const since = events.length;
    demo = await agent.startDemo();
    eventsAtDemo = events.slice(since);
    readersAtDemo = await agent.readers();
  }, 120_000);

  afterAll(async () => {
    await agent?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts the demo: the virtual card in the app’s own reader, the virtual token plugged in', async () => {
    expect(demo).toMatchObject({ customer: { name: 'Anna Andersson', personnummer: '199001012385' }, cardPin: '123456', cardPuk: '12345678', dosaPin: '1234', reader: IN_APP_READER });
    const readers = await agent.readers();
    const inApp = readers.find((r) => r.name === IN_APP_READER);
    expect(inApp).toMatchObject({ state: 'card', pinPad: false, cardKind: 'e-kort virtual PIV card', virtual: true, source: 'in-app' });
    expect(inApp!.atr).toMatch(/^[0-9A-F]+$/i);
    const tokens = await agent.tokens();
    expect(tokens).toEqual([expect.objectContaining({ virtual: true, id: expect.stringMatching(/^virtual:\d+$/) })]);
  });

  it('resolves startDemo only once the readers show the virtual card (the event has gone out)', () => {
    expect(eventsAtDemo.some(readerWithCard(IN_APP_READER))).toBe(true);
    expect(readersAtDemo.find((r) => r.name === IN_APP_READER)).toMatchObject({ state: 'card' });
  });

  it('lists pcscd’s readers beside the app’s own, each marked by kind', async () => {
    const readers = await agent.readers();
    expect(readers[0]).toMatchObject({ name: IN_APP_READER, virtual: true, source: 'in-app' });
    for (const name of vpcdReaders) expect(readers.find((r) => r.name === name)).toMatchObject({ state: 'empty', virtual: true, source: 'pcsc' });
    expect(await agent.platform()).toEqual([]);
  });

  it('moves the virtual card into pcscd’s virtual reader (engineers’ view), where the rest of these tests use it', async () => {
    const since = events.length;
    expect(await agent.insertVirtualCard({ reader: vpcdReaders[0] })).toEqual({ reader: vpcdReaders[0] });
    await waitForEvent(readerWithCard(vpcdReaders[0]), since);
    const readers = await agent.readers();
    expect(readers.find((r) => r.name === IN_APP_READER)).toMatchObject({ state: 'empty' });
    expect(readers.find((r) => r.name === vpcdReaders[0])).toMatchObject({ state: 'card', cardKind: 'e-kort virtual PIV card' });
  });

  it('reads the holder as the card comes in, unasked, and answers the first holder call with that read', async () => {
    await agent.removeVirtualCard();
    let since = events.length;
    await waitForEvent((e) => e.type === 'readers' && e.readers.some((r) => r.name === vpcdReaders[0] && r.state === 'empty'), since);
    const before = (await agent.apduTrace()).length;
    since = events.length;
    await agent.insertVirtualCard({ reader: vpcdReaders[0] });
    await waitForEvent(readerWithCard(vpcdReaders[0]), since);
    // Nobody asked: SELECT PIV, the 9A certificate and the PIN's state go to the card anyway.
    const verifyStatus = (l: string) => /^=> 00 20 00 80$/.test(l);
    await waitForEvent((e) => e.type === 'apdu' && verifyStatus(e.line), since);
    const read = (await agent.apduTrace()).slice(before).filter((l) => l.startsWith('=>'));
    expect(read[0]).toMatch(/^=> 00 a4 04 00/);
    expect(read.some((l) => l.startsWith('=> 00 cb 3f ff'))).toBe(true);

    const sent = (await agent.apduTrace()).length;
    expect(await agent.cardHolder({ reader: vpcdReaders[0] })).toMatchObject({ name: 'Anna Andersson', pinTriesLeft: 3 });
    expect((await agent.apduTrace()).slice(sent).filter((l) => l.startsWith('=>'))).toEqual([]);
    // Any later call reads the card.
    expect(await agent.cardHolder({ reader: vpcdReaders[0] })).toMatchObject({ name: 'Anna Andersson', pinTriesLeft: 3 });
    expect((await agent.apduTrace()).slice(sent).filter((l) => l.startsWith('=> 00 a4 04 00'))).toHaveLength(1);
  });

  it('reads the card holder from the certificate, with the PIN tries left', async () => {
    const holder = await agent.cardHolder({ reader: vpcdReaders[0] });
    expect(holder).toMatchObject({ reader: vpcdReaders[0], name: 'Anna Andersson', personnummer: '199001012385', pinTriesLeft: 3, pinBlocked: false, pinPad: false, expiresInDays: null });
    expect(new Date(holder.validUntil).getTime()).toBeGreaterThan(Date.now());
  });

  it('answers two card-holder calls at once on one reader (the second shares the handle being connected)', async () => {
    const both = await Promise.all([agent.cardHolder({ reader: vpcdReaders[0] }), agent.cardHolder({ reader: vpcdReaders[0] })]);
    expect(both.map((h) => h.name)).toEqual(['Anna Andersson', 'Anna Andersson']);
  });

  it('refuses a wrong PIN with the tries left, then logs in with the right one', async () => {
    const wrong = await failureOf(agent.loginWithCard({ reader: vpcdReaders[0], pin: '654321' }));
    expect(wrong).toMatchObject({ code: 'PIN_INCORRECT', retriesLeft: 2 });
    expect(await agent.session()).toBeNull();
    // The PIN never reaches the trace: VERIFY data is masked.
    const trace = await agent.apduTrace();
    expect(trace.some((l) => l.startsWith('=> 00 20 00 80 <masked>'))).toBe(true);
    expect(trace.join('\n')).not.toMatch(/36 35 34 33 32 31/);

    const session = await agent.loginWithCard({ reader: vpcdReaders[0], pin: demo.cardPin });
    expect(session).toMatchObject({ customer: { name: 'Anna Andersson', personnummer: '199001012385' }, method: 'card' });
    expect(session).not.toHaveProperty('token');
    expect(await agent.session()).toMatchObject({ method: 'card' });
    // The PIN was for that one signature: the card's PIN state is reset (tries left readable again).
    expect((await agent.cardHolder({ reader: vpcdReaders[0] })).pinTriesLeft).toBe(3);
  });

  it('connects a card, creates an e-nummer and authorizes purchases at the right and the wrong merchant', async () => {
    const terms = await agent.terms();
    const cards = await agent.paymentCards();
    const unconnected = cards.find((c) => !c.connected)!;
    expect(unconnected).toBeDefined();
    const connected = await agent.connectCard({ cardId: unconnected.id, termsVersion: terms.version });
    expect(connected.connected).toBe(true);

    const created = await agent.createEnummer({ cardId: connected.id, merchant: 'Webbhandeln AB' });
    expect(created.enummer).toMatchObject({ merchant: 'Webbhandeln AB', state: 'open', kind: 'single' });
    expect((await agent.enummers()).map((e) => e.id)).toContain(created.enummer.id);

    const { pan, expiry, cvc } = created.secret;
    // A single-purchase e-nummer is used up by its first approved purchase: the wrong merchant first.
    const declined = await agent.authorizePurchase({ pan, expiry, cvc, merchant: 'Någon annan AB', amount: 12_50 });
    expect(declined).toMatchObject({ approved: false, declineCode: 'MERCHANT_MISMATCH' });
    const approved = await agent.authorizePurchase({ pan, expiry, cvc, merchant: 'Webbhandeln AB', amount: 12_50 });
    expect(approved).toMatchObject({ approved: true, declineCode: null });

    const transactions = await agent.transactions({ enummerId: created.enummer.id });
    expect(transactions.map((t) => t.decision).sort()).toEqual(['approved', 'declined']);
    expect(transactions.find((t) => t.decision === 'declined')?.declineCode).toBe('MERCHANT_MISMATCH');
  });

  it('logs out with a session-ended event', async () => {
    const since = events.length;
    await agent.logout();
    await waitForEvent((e) => e.type === 'session-ended' && e.reason === 'logged-out', since);
    expect(await agent.session()).toBeNull();
    expect(await failureOf(agent.paymentCards())).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('logs in with the demo dosa (the holder types the svarskod)', async () => {
    const challenge = await agent.startDosaLogin({ serial: demo.dosaSerial });
    expect(challenge.kontrollnummer).toMatch(/^[0-9]{8}$/);
    const dosa = await VirtualDosa.open(path.join(dataDir, 'demo', 'dosa.json'));
    await dosa.unlock(demo.dosaPin);
    const session = await agent.finishDosaLogin({ challengeId: challenge.challengeId, svarskod: dosa.respond(challenge.kontrollnummer) });
    expect(session).toMatchObject({ method: 'dosa', customer: { name: 'Anna Andersson' } });
    await agent.logout();
  });

  it('refuses the connected token for a kontrollnummer of another dosa (TOKEN_NOT_FOR_THIS_DOSA), spending no try', async () => {
    const info = (await agent.tokens()).find((t) => t.virtual)!;
    expect(info.serial).not.toBe(demo.dosaSerial);
    const challenge = await agent.startDosaLogin({ serial: demo.dosaSerial });
    const written = agent.virtualToken()!.written.length;
    const refused = await failureOf(agent.answerWithToken({ challengeId: challenge.challengeId, token: info.id }));
    expect(refused).toMatchObject({ code: 'TOKEN_NOT_FOR_THIS_DOSA' });
    expect(refused.message).toContain(demo.dosaSerial);
    // Nothing was sent to the token, nor a svarskod to the bank: the same kontrollnummer still logs in.
    expect(agent.virtualToken()!.written.length).toBe(written);
    expect(await agent.session()).toBeNull();
    const dosa = await VirtualDosa.open(path.join(dataDir, 'demo', 'dosa.json'));
    await dosa.unlock(demo.dosaPin);
    const session = await agent.finishDosaLogin({ challengeId: challenge.challengeId, svarskod: dosa.respond(challenge.kontrollnummer) });
    expect(session).toMatchObject({ method: 'dosa' });
    await agent.logout();
  });

  it('logs in with the virtual HID token answering by itself after a touch', async () => {
    const info = await agent.plugVirtualToken({ touch: true });
    expect(info).toMatchObject({ virtual: true, serial: expect.stringMatching(/^\d+$/) });
    const challenge = await agent.startDosaLogin({ serial: info.serial! });
    const since = events.length;
    const login = agent.answerWithToken({ challengeId: challenge.challengeId, token: info.id });
    await waitForEvent((e) => e.type === 'token-touch' && e.waiting, since);
    const token = agent.virtualToken()!;
    expect(token.waitingForTouch).toBe(true);
    token.touch();
    const session = await login;
    expect(session).toMatchObject({ method: 'dosa', customer: { name: 'Anna Andersson' } });
    await waitForEvent((e) => e.type === 'token-touch' && !e.waiting, since);
    await agent.logout();
  });

  it('cancels a token waiting for a touch (TOKEN_CANCELLED) and says TOKEN_REMOVED when it is pulled out', async () => {
    const info = (await agent.tokens()).find((t) => t.virtual)!;
    const first = await agent.startDosaLogin({ serial: info.serial! });
    let since = events.length;
    const cancelled = failureOf(agent.answerWithToken({ challengeId: first.challengeId, token: info.id }));
    await waitForEvent((e) => e.type === 'token-touch' && e.waiting, since);
    await agent.cancelToken();
    expect(await cancelled).toMatchObject({ code: 'TOKEN_CANCELLED' });

    since = events.length;
    const removed = failureOf(agent.answerWithToken({ challengeId: first.challengeId, token: info.id }));
    await waitForEvent((e) => e.type === 'token-touch' && e.waiting, since);
    await agent.unplugVirtualToken();
    expect(await removed).toMatchObject({ code: 'TOKEN_REMOVED' });
    expect(await agent.tokens()).toEqual([]);
  });

  it('says CARD_REMOVED when the card is pulled out mid-login, and nobody is logged in', async () => {
    let since = events.length;
    let pulled: Promise<void> | undefined;
    const off = agent.subscribe((e) => {
      // Pull the card out as soon as the login talks to it (the first APDU).
      if (e.type === 'apdu' && e.line.startsWith('=>') && !pulled) pulled = agent.removeVirtualCard();
    });
    const failure = await failureOf(agent.loginWithCard({ reader: vpcdReaders[0], pin: demo.cardPin }));
    off();
    await pulled;
    expect(failure.code).toBe('CARD_REMOVED');
    expect(await agent.session()).toBeNull();
    await waitForEvent((e) => e.type === 'readers' && e.readers.some((r) => r.name === vpcdReaders[0] && r.state === 'empty'), since);

    since = events.length;
    expect(await agent.insertVirtualCard({ reader: vpcdReaders[0] })).toEqual({ reader: vpcdReaders[0] });
    await waitForEvent(readerWithCard(vpcdReaders[0]), since);
    // No PIN try was spent by the interrupted login (it never reached VERIFY) or is kept.
    expect((await agent.cardHolder({ reader: vpcdReaders[0] })).pinTriesLeft).toBe(3);
  });

  it('refuses the engineers\u2019 calls when the engineers\u2019 view is off', async () => {
    await agent.updateSettings({ engineerMode: false });
    expect(await failureOf(agent.apduTrace())).toMatchObject({ code: 'ENGINEER_MODE_OFF' });
    expect(await failureOf(agent.removeVirtualCard())).toMatchObject({ code: 'ENGINEER_MODE_OFF' });
    await agent.updateSettings({ engineerMode: true });
  });
});

describe.skipIf(!available)('desktop agent session expiry', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ekort-agent-idle-'));
  let idle: Agent;
  afterAll(async () => {
    await idle?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ends the session with session-ended {reason: expired} after the idle timeout', async () => {
    // Another data folder and no card: this agent logs in with the demo dosa only.
    idle = await createAgent({ dataDir: dir, vpcdPort: vpcdPorts[1], hid: false, idleTimeoutMs: 300, log: () => undefined });
    const seen: AgentEvent[] = [];
    idle.subscribe((e) => seen.push(e));
    const { seedDemo } = await import('../../src/demo/index.ts');
    const { EkortService } = await import('../../src/bank/service.ts');
    // Seed straight into this agent's database (as `ekort bank seed-demo --db` would).
    const service = await EkortService.open(path.join(dir, 'ekort.db'), { sweepIntervalMs: 0 });
    const seed = await seedDemo({ service, outDir: path.join(dir, 'demo') }).finally(() => service.close());
    const dosa = await VirtualDosa.open(seed.dosa.file);
    await dosa.unlock(seed.dosa.pin);
    const challenge = await idle.startDosaLogin({ serial: seed.dosa.serial });
    await idle.finishDosaLogin({ challengeId: challenge.challengeId, svarskod: dosa.respond(challenge.kontrollnummer) });
    expect(await idle.session()).toMatchObject({ method: 'dosa' });
    const deadline = Date.now() + 5000;
    while (!seen.some((e) => e.type === 'session-ended') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(seen).toContainEqual({ type: 'session-ended', reason: 'expired' });
    expect(await idle.session()).toBeNull();
    expect(await failureOf(idle.paymentCards())).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
