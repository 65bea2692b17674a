/**
 * Mobilt BankID through the desktop agent: the embedded service (SQLite in the agent's data
 * folder), an approval app enrolled with `ekort bank enrol-app` + appWallet, approving while
 * the agent polls (waiting → signing → done, the token kept by the agent and never handed to
 * the renderer), cancel, and a timeout against a service whose clock the test moves.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type StartedServer } from '../../src/bank/api/server.ts';
import { ORDER_LIFE_MS } from '../../src/bank/approval/provider.ts';
import { createCustomer } from '../../src/bank/customers.ts';
import { EkortService } from '../../src/bank/service.ts';
import { type Agent, createAgent } from '../../src/client/agent.ts';
import type { AgentEvent, AppLoginStatus } from '../../src/client/api.ts';
import { approveWithApp, enrolTestApp, lookUp } from '../support/approvalApp.ts';
import { failureOf } from '../support/failures.ts';

const ANNA = { personnummer: '199001012385', name: 'Anna Andersson' };
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ekort-app-agent-'));
const dataDir = path.join(tmp, 'agent');
const db = path.join(dataDir, 'ekort.db');
const appFile = path.join(tmp, 'anna-app.json');
let agent: Agent;
/** The approving app's own view of the bank's database. */
let bank: EkortService;
const events: AgentEvent[] = [];

beforeAll(async () => {
  // The customer first, in the database the agent's embedded service will open.
  const seed = await EkortService.open(db, { sweepIntervalMs: 0 });
  await createCustomer(seed.ctx, ANNA.personnummer, ANNA.name);
  await seed.close();
  agent = await createAgent({ dataDir, hid: false, log: () => undefined });
  agent.subscribe((e) => events.push(e));
  bank = await EkortService.open(db, { sweepIntervalMs: 0 });
  await enrolTestApp(bank, db, ANNA.personnummer, appFile);
}, 60_000);

afterAll(async () => {
  await agent?.close();
  await bank?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('Mobilt BankID through the agent (embedded service)', () => {
  it('waiting → signing → done while the agent polls; the agent keeps the session', async () => {
    const order = await agent.startAppLogin();
    expect(order).toEqual({ orderRef: expect.any(String), autoStartToken: expect.any(String), qr: expect.stringMatching(/^bankid\.[0-9a-f-]+\.0\.[0-9a-f]{64}$/), expiresAt: expect.any(String) });
    expect(Date.parse(order.expiresAt) - Date.now()).toBeGreaterThan(170_000);
    expect(await agent.session()).toBeNull();

    const waiting = await agent.appLoginStatus({ orderRef: order.orderRef });
    expect(waiting).toMatchObject({ phase: 'waiting', hintCode: 'outstandingTransaction', qr: expect.stringMatching(/^bankid\./) });
    expect(waiting.statusText.sv).toBeTruthy();
    expect(waiting).not.toHaveProperty('session');

    // The app scans the code on the screen now: who asks and what for.
    const seen = { kind: 'qr' as const, value: waiting.qr };
    const lookup = await lookUp(bank, seen);
    expect(lookup).toMatchObject({ orderRef: order.orderRef, visibleText: 'Logga in på e-kort' });
    const signing = await agent.appLoginStatus({ orderRef: order.orderRef });
    expect(signing).toMatchObject({ phase: 'signing', hintCode: 'userSign' });

    // The customer approves with the app PIN.
    await approveWithApp(bank, appFile, seen, lookup);
    const done: AppLoginStatus = await agent.appLoginStatus({ orderRef: order.orderRef });
    expect(done).toMatchObject({ phase: 'done', qr: '', session: { method: 'app', customer: ANNA } });
    expect(JSON.stringify(done)).not.toMatch(/token/i);

    // The order is over at the service; the agent answers from memory, and is logged in.
    expect(await agent.appLoginStatus({ orderRef: order.orderRef })).toMatchObject({ phase: 'done' });
    expect(await agent.session()).toMatchObject({ method: 'app', customer: ANNA });
    expect(await agent.paymentCards()).toEqual([]);
    await agent.logout();
    expect(events.filter((e) => e.type === 'session-ended')).toEqual([{ type: 'session-ended', reason: 'logged-out' }]);
  }, 30_000);

  it('the auto-start token works the same way', async () => {
    const order = await agent.startAppLogin();
    const seen = { kind: 'autostart' as const, value: order.autoStartToken };
    await approveWithApp(bank, appFile, seen, await lookUp(bank, seen));
    expect(await agent.appLoginStatus({ orderRef: order.orderRef })).toMatchObject({ phase: 'done', session: { method: 'app' } });
    await agent.logout();
  }, 30_000);

  it('cancel: the order ends, the app can no longer approve it', async () => {
    const order = await agent.startAppLogin();
    expect((await agent.appLoginStatus({ orderRef: order.orderRef })).phase).toBe('waiting');
    await agent.cancelAppLogin({ orderRef: order.orderRef });
    expect(await agent.appLoginStatus({ orderRef: order.orderRef })).toMatchObject({ phase: 'cancelled', qr: '' });
    await expect(lookUp(bank, { kind: 'autostart', value: order.autoStartToken })).rejects.toMatchObject({ code: 'ORDER_CANCELLED' });
    expect(await agent.session()).toBeNull();
  }, 30_000);

  it('refuses orders it did not start', async () => {
    const started = await bank.appLoginStart('127.0.0.1');
    expect(await failureOf(agent.appLoginStatus({ orderRef: started.orderRef }))).toMatchObject({ code: 'APP_ORDER_UNKNOWN' });
    expect(await failureOf(agent.cancelAppLogin({ orderRef: started.orderRef }))).toMatchObject({ code: 'APP_ORDER_UNKNOWN' });
  });
});

describe('Mobilt BankID timing out (a remote service with a moved clock)', () => {
  let skew = 0;
  let service: EkortService;
  let server: StartedServer;
  let remote: Agent;

  beforeAll(async () => {
    service = await EkortService.open(path.join(tmp, 'remote.db'), { sweepIntervalMs: 0, now: () => Date.now() + skew });
    await createCustomer(service.ctx, ANNA.personnummer, ANNA.name);
    server = await startServer(service, { loginRateLimit: false, log: () => undefined });
    remote = await createAgent({ dataDir: path.join(tmp, 'remote-agent'), service: { mode: 'remote', url: server.url }, hid: false, log: () => undefined });
  }, 30_000);
  afterAll(async () => {
    await remote?.close();
    await server?.close();
    await service?.close();
  });

  it('after 3 minutes the order times out; the QR code is gone', async () => {
    const order = await remote.startAppLogin();
    expect((await remote.appLoginStatus({ orderRef: order.orderRef })).phase).toBe('waiting');
    skew += 60_000;
    const later = await remote.appLoginStatus({ orderRef: order.orderRef });
    expect(later.phase).toBe('waiting');
    expect(later.qr).not.toBe(order.qr); // the animated code moved on with the seconds
    expect(Number(later.qr.split('.')[2])).toBeGreaterThanOrEqual(60);
    skew += ORDER_LIFE_MS;
    expect(await remote.appLoginStatus({ orderRef: order.orderRef })).toMatchObject({ phase: 'timeout', hintCode: 'expiredTransaction', qr: '' });
    expect(await remote.session()).toBeNull();
  }, 30_000);
});
