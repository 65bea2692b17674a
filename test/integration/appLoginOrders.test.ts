/**
 * App-approved login's order state machine with the built-in provider, on SQLite and on
 * PostgreSQL, with two service instances on one database as a deployment runs them:
 * pending → userSign → complete (one session, once), cancel, expiry after 3 minutes,
 * replayed and misdirected approvals, and two approvals racing on two instances.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { approvalStatement, enrolmentProof, newAppKeyPair } from '../../src/bank/approval/appWallet.ts';
import type { SeenCode } from '../../src/bank/approval/builtin.ts';
import { issueEnrolmentCode } from '../../src/bank/approval/enrolment.ts';
import { signStatement } from '../../src/bank/approval/statement.ts';
import type { AppLoginStarted } from '../../src/bank/api/schemas.ts';
import { createCustomer } from '../../src/bank/customers.ts';
import { EkortService } from '../../src/bank/service.ts';
import { requirePostgres, storeTargets } from '../support/postgres.ts';

const START = Date.UTC(2026, 10, 22, 10, 0, 0);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ekort-applogin-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const stores = storeTargets(tmp, 'applogin');
await requirePostgres();

describe.each(stores)('app-approved login on $name', (store) => {
  let now = START;
  let service: EkortService;
  let other: EkortService;
  let app: { deviceId: string; privateKey: ReturnType<typeof newAppKeyPair>['privateKey'] };

  beforeEach(async () => {
    now = START;
    const target = await store.open();
    const options = { now: () => now, sweepIntervalMs: 0, serviceId: 'test-bank' };
    service = await EkortService.open(target.target, options);
    other = await EkortService.open(target.target, options);
    const { id } = await createCustomer(service.ctx, '199001012385', 'Anna Andersson');
    const { code } = await issueEnrolmentCode(service.ctx, id);
    const keys = newAppKeyPair();
    const enrolled = await service.appEnrol({ code, publicKey: keys.publicKey, proof: enrolmentProof(code, keys.publicKey, keys.privateKey) });
    expect(enrolled.customer).toEqual({ name: 'Anna Andersson', personnummer: '199001012385' });
    app = { deviceId: enrolled.deviceId, privateKey: keys.privateKey };
    return async () => {
      await service.close();
      await other.close();
      await target.drop();
    };
  });

  /** What the app sends for `order` having read `seen`, signed at the service's now. */
  const approval = (order: { orderRef: string; visibleText?: string }, seen: SeenCode, overrides: { deviceId?: string; relyingParty?: string } = {}) => {
    const statement = approvalStatement({
      orderRef: order.orderRef,
      relyingParty: overrides.relyingParty ?? 'test-bank',
      visibleText: order.visibleText ?? 'Logga in på e-kort',
      seen,
      deviceId: overrides.deviceId ?? app.deviceId,
      time: new Date(now),
    });
    return { deviceId: statement.deviceId, seen, time: statement.time, signature: signStatement(statement, app.privateKey) };
  };
  const qrSeen = (started: AppLoginStarted | { qr: string }): SeenCode => ({ kind: 'qr', value: started.qr });

  it('goes pending → userSign → complete; the session is handed to one collect, then the order is gone', async () => {
    const started = await service.appLoginStart('203.0.113.5');
    expect(started.orderRef).toMatch(/^[0-9a-f-]{36}$/);
    expect(started).not.toHaveProperty('qrStartSecret');
    expect(await service.appLoginCollect(started.orderRef)).toMatchObject({ status: 'pending', hintCode: 'outstandingTransaction', phase: 'waiting', statusText: { sv: expect.stringContaining('Väntar'), en: expect.stringContaining('Waiting') } });

    now += 2_000;
    const { qr } = await other.appLoginQr(started.orderRef); // any instance draws the code
    expect(qr).toMatch(/\.2\.[0-9a-f]{64}$/);
    const lookup = await other.appLookup({ kind: 'qr', value: qr });
    expect(lookup).toMatchObject({ orderRef: started.orderRef, relyingParty: 'test-bank', visibleText: 'Logga in på e-kort', qr: { seconds: 2, ageSeconds: 0 } });
    expect(await service.appLoginCollect(started.orderRef)).toMatchObject({ status: 'pending', hintCode: 'userSign', phase: 'signing' });

    now += 40_000; // the customer types the PIN slowly: the code seen at lookup stays good
    await other.appApprove(started.orderRef, approval(started, { kind: 'qr', value: qr }));
    const done = await service.appLoginCollect(started.orderRef);
    expect(done).toMatchObject({ status: 'complete', phase: 'done', hintCode: null, session: { method: 'app', customer: { name: 'Anna Andersson', personnummer: '199001012385' } } });
    const session = await other.session(done.session!.token);
    expect(session.method).toBe('app');
    for (const s of [service, other]) await expect(s.appLoginCollect(started.orderRef)).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
    await expect(service.appLoginQr(started.orderRef)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const sessions = await service.db.query<{ n: number }>("SELECT COUNT(*) AS n FROM sessions WHERE method = 'app'");
    expect(Number(sessions[0]!.n)).toBe(1);
  });

  it('approves by the auto-start token too (same device), which does not age like a QR code', async () => {
    const started = await service.appLoginStart();
    now += 100_000;
    const seen: SeenCode = { kind: 'autostart', value: started.autoStartToken };
    expect((await service.appLookup(seen)).orderRef).toBe(started.orderRef);
    await service.appApprove(started.orderRef, approval(started, seen));
    expect((await service.appLoginCollect(started.orderRef)).status).toBe('complete');
  });

  it('refuses a QR code older than 30 s at approval unless the service judged it fresh at lookup', async () => {
    const started = await service.appLoginStart();
    now += 31_000;
    await expect(service.appApprove(started.orderRef, approval(started, qrSeen(started)))).rejects.toMatchObject({ code: 'APPROVAL_CODE_STALE' });
    await expect(service.appLookup(qrSeen(started))).rejects.toMatchObject({ code: 'APPROVAL_CODE_STALE' });
    const fresh = await service.appLoginQr(started.orderRef);
    await service.appApprove(started.orderRef, approval(started, qrSeen(fresh)));
    expect((await service.appLoginCollect(started.orderRef)).status).toBe('complete');
  });

  it('cancels: the status says so, the app can no longer approve', async () => {
    const started = await service.appLoginStart();
    await other.appLoginCancel(started.orderRef);
    expect(await service.appLoginCollect(started.orderRef)).toMatchObject({ status: 'failed', hintCode: 'cancelled', phase: 'cancelled', statusText: { en: 'The login was cancelled.' } });
    await expect(service.appApprove(started.orderRef, approval(started, qrSeen(started)))).rejects.toMatchObject({ code: 'ORDER_CANCELLED', status: 409 });
    await expect(service.appLookup({ kind: 'autostart', value: started.autoStartToken })).rejects.toMatchObject({ code: 'ORDER_CANCELLED' });
    await expect(service.appLoginCancel('no-such-order-1234')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('times out after 3 minutes (expiredTransaction), with the clock moved', async () => {
    const started = await service.appLoginStart();
    const seen: SeenCode = { kind: 'autostart', value: started.autoStartToken };
    await service.appLookup(seen);
    now += 3 * 60_000 - 1;
    expect((await service.appLoginCollect(started.orderRef)).status).toBe('pending');
    now += 1;
    await expect(other.appApprove(started.orderRef, approval(started, seen))).rejects.toMatchObject({ code: 'ORDER_EXPIRED' });
    expect(await service.appLoginCollect(started.orderRef)).toMatchObject({ status: 'failed', hintCode: 'expiredTransaction', phase: 'timeout', statusText: { sv: expect.stringContaining('gick ut') } });
    await expect(service.appLoginQr(started.orderRef)).rejects.toMatchObject({ code: 'ORDER_EXPIRED' });
  });

  it('refuses a replayed approval, an approval for another order, a tampered text, an unknown app', async () => {
    const a = await service.appLoginStart();
    const b = await service.appLoginStart();
    const forA = approval(a, qrSeen(a));
    // A's approval sent for B: the statement names A, so B's signature check fails.
    await expect(service.appApprove(b.orderRef, forA)).rejects.toMatchObject({ code: 'APPROVAL_SIGNATURE_INVALID', status: 401 });
    // Signed for B but with A's code: not B's code.
    await expect(service.appApprove(b.orderRef, approval(b, qrSeen(a)))).rejects.toMatchObject({ code: 'APPROVAL_CODE_INVALID' });
    // Another text or another relying party than the service's: no.
    await expect(service.appApprove(b.orderRef, approval({ ...b, visibleText: 'Överför 10 000 kr' }, qrSeen(b)))).rejects.toMatchObject({ code: 'APPROVAL_SIGNATURE_INVALID' });
    await expect(service.appApprove(b.orderRef, approval(b, qrSeen(b), { relyingParty: 'evil-bank' }))).rejects.toMatchObject({ code: 'APPROVAL_SIGNATURE_INVALID' });
    await expect(service.appApprove(b.orderRef, approval(b, qrSeen(b), { deviceId: '00000000-0000-0000-0000-000000000000' }))).rejects.toMatchObject({ code: 'APP_DEVICE_UNKNOWN' });

    await service.appApprove(a.orderRef, forA);
    await expect(other.appApprove(a.orderRef, forA)).rejects.toMatchObject({ code: 'APPROVAL_REPLAYED', status: 409 });
    await service.appLoginCollect(a.orderRef);
    await expect(other.appApprove(a.orderRef, forA)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await service.appLoginCollect(b.orderRef)).status).toBe('pending');
  });

  it('lets exactly one of two approvals racing on two instances win, and one of two collects', async () => {
    for (let round = 0; round < 5; round++) {
      const started = await service.appLoginStart();
      const seen: SeenCode = { kind: 'autostart', value: started.autoStartToken };
      const results = await Promise.allSettled([service.appApprove(started.orderRef, approval(started, seen)), other.appApprove(started.orderRef, approval(started, qrSeen(started)))]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ code: 'APPROVAL_REPLAYED' });
      const collects = await Promise.allSettled([service.appLoginCollect(started.orderRef), other.appLoginCollect(started.orderRef)]);
      const sessions = collects.filter((r) => r.status === 'fulfilled' && r.value.session);
      expect(sessions).toHaveLength(1);
      expect(collects.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['NOT_FOUND']);
    }
  });

  it('uses an enrolment code once; a wrong or stale code enrols nothing', async () => {
    const id = (await service.db.query<{ id: string }>('SELECT id FROM customers'))[0]!.id;
    const { code } = await issueEnrolmentCode(service.ctx, id);
    const keys = newAppKeyPair();
    const request = { code: code.toLowerCase().replace(/-/g, ' '), publicKey: keys.publicKey, proof: '' };
    request.proof = enrolmentProof(request.code, keys.publicKey, keys.privateKey);
    const results = await Promise.allSettled([service.appEnrol(request), other.appEnrol(request)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    await expect(service.appEnrol({ ...request, proof: enrolmentProof('AAAA-BBBB-CCCC-DDDD', keys.publicKey, keys.privateKey), code: 'AAAA-BBBB-CCCC-DDDD' })).rejects.toMatchObject({ code: 'ENROLMENT_CODE_INVALID' });
    // A proof by another key than the one enrolled.
    const { code: code2 } = await issueEnrolmentCode(service.ctx, id);
    await expect(service.appEnrol({ code: code2, publicKey: keys.publicKey, proof: enrolmentProof(code2, keys.publicKey, newAppKeyPair().privateKey) })).rejects.toMatchObject({ code: 'ENROLMENT_CODE_INVALID' });
    now += 24 * 60 * 60_000;
    await expect(service.appEnrol({ code: code2, publicKey: keys.publicKey, proof: enrolmentProof(code2, keys.publicKey, keys.privateKey) })).rejects.toMatchObject({ code: 'ENROLMENT_CODE_INVALID' });
  });
});
