/**
 * App-approved login end to end, as an engineer runs it: `ekort serve`, `ekort bank
 * enrol-app` (the bank's one-time code), `ekort app enrol` (the key pair, sealed under the app
 * PIN), then the desktop side of `ekort login --app` (appLogin(), in process) while `ekort app
 * approve` runs as a child with the QR content or the auto-start token it printed.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BankClient } from '../../src/bank/api/client.ts';
import type { AppLoginStarted } from '../../src/bank/api/schemas.ts';
import { createCustomer } from '../../src/bank/customers.ts';
import { EkortService } from '../../src/bank/service.ts';
import { appLogin } from '../../src/cli/appLoginCommand.ts';
import { ekort, type EkortRun } from '../support/ekortCli.ts';
import { memoryIo } from '../support/memoryIo.ts';
import { startServe, type ServeProcess } from '../support/ekortServe.ts';

const PIN = '246810';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ekort-applogin-cli-'));
const db = path.join(tmp, 'bank.db');
const appFile = path.join(tmp, 'anna-app.json');
let serve: ServeProcess;

beforeAll(async () => {
  const service = await EkortService.open(db, { sweepIntervalMs: 0 });
  await createCustomer(service.ctx, '199001012385', 'Anna Andersson');
  await service.close();
  serve = await startServe(['--port', '0', '--db', db, '--login-rate-limit', '0']);

  const issued = await ekort(['bank', 'enrol-app', '--db', db, '--personnummer', '199001012385', '--json']);
  expect(issued.code, issued.stderr).toBe(0);
  const { code } = JSON.parse(issued.stdout) as { code: string };
  expect(code).toMatch(/^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/);

  const enrolled = await ekort(['app', 'enrol', '--server', serve.url, '--code', code, '--out', appFile, '--pin-stdin', '--json'], `${PIN}\n`);
  expect(enrolled.code, enrolled.stderr).toBe(0);
  expect(JSON.parse(enrolled.stdout)).toMatchObject({ customer: { name: 'Anna Andersson', personnummer: '199001012385' } });
  expect(statSync(appFile).mode & 0o777).toBe(0o600);
  // The code was used up.
  const again = await ekort(['app', 'enrol', '--server', serve.url, '--code', code, '--out', path.join(tmp, 'again.json'), '--pin', PIN, '--json']);
  expect(again.code).toBe(1);
  expect(JSON.parse(again.stdout).error.code).toBe('ENROLMENT_CODE_INVALID');
}, 60_000);
afterAll(async () => {
  await serve?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('ekort login --app with ekort app approve', () => {
  it('logs in when the app approves the QR code it read', async () => {
    const client = new BankClient({ baseUrl: serve.url });
    const { io, err } = memoryIo();
    let approver: Promise<EkortRun> | undefined;
    const session = await appLogin(client, io, {
      onStarted: (started: AppLoginStarted) => {
        approver = ekort(['app', 'approve', appFile, '--qr', started.qr, '--pin-stdin', '--json'], `${PIN}\n`);
      },
    });
    const approved = await approver!;
    expect(approved.code, approved.stderr).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ status: 'complete', relyingParty: 'ekort-reference', visibleText: 'Logga in på e-kort' });
    expect(approved.stderr).toContain('ekort-reference asks: Logga in på e-kort');
    expect(`${approved.stdout}${approved.stderr}`).not.toContain(PIN);

    expect(session).toMatchObject({ method: 'app', customer: { name: 'Anna Andersson', personnummer: '199001012385' } });
    expect(await client.session()).toMatchObject({ method: 'app' });
    expect(err[0]).toContain('Open the e-kort app');
    expect(err.some((l) => l.startsWith('  bankid:///?autostarttoken='))).toBe(true);
    expect(err.some((l) => /^QR: bankid\.[0-9a-f-]{36}\.\d+\.[0-9a-f]{64}$/.test(l))).toBe(true);
    expect(err.at(-1)).toContain('Done: you are logged in.');
    expect(err.join('\n')).not.toContain(session.token);
  }, 60_000);

  it('locks the app after three wrong PINs; the order stays unapproved and is cancelled', async () => {
    const client = new BankClient({ baseUrl: serve.url });
    const started = await client.appLoginStart();
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await ekort(['app', 'approve', appFile, '--autostart', started.autoStartToken, '--pin-stdin', '--json'], '999999\n');
      expect(run.code).toBe(1);
      codes.push(JSON.parse(run.stdout).error.code);
    }
    expect(codes).toEqual(['APP_PIN_WRONG', 'APP_PIN_WRONG', 'APP_LOCKED']);
    const status = await ekort(['app', 'status', appFile, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ locked: true, pinTriesLeft: 0, customer: { personnummer: '199001012385' } });
    const right = await ekort(['app', 'approve', appFile, '--autostart', started.autoStartToken, '--pin-stdin', '--json'], `${PIN}\n`);
    expect(JSON.parse(right.stdout).error.code).toBe('APP_LOCKED');
    expect(await client.appLoginCollect(started.orderRef)).toMatchObject({ status: 'pending', phase: 'signing' });
    await client.appLoginCancel(started.orderRef);
    expect(await client.appLoginCollect(started.orderRef)).toMatchObject({ status: 'failed', phase: 'cancelled' });
  }, 60_000);
});
