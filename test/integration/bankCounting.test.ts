/**
 * Counting what an attacker tries, on both stores (SQLite and PostgreSQL): wrong CVCs lock an
 * e-nummer until the holder unlocks it; dosa codes have a growing wait between wrong tries and
 * a right code sent again is a replay, never a wrong one; an e-nummer past its validity is
 * expired at the moment of use, before the sweep runs. The clock is injected: nothing sleeps.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { enrolDosa } from '../../src/bank/customers.ts';
import { buildServer, startServer } from '../../src/bank/api/server.ts';
import { saveSession } from '../../src/cli/sessionFile.ts';
import { EkortService } from '../../src/bank/service.ts';
import type { ActiveSession } from '../../src/bank/sessions.ts';
import { svarskod } from '../../src/token/dosaCodes.ts';
import { hotp, totp } from '../../src/token/hotp.ts';
import { createDosa, type DosaFile } from '../../src/virtual/dosa.ts';
import { runMain } from '../support/memoryIo.ts';
import { openBankPair } from '../support/bankPair.ts';
import { requirePostgres, storeTargets } from '../support/postgres.ts';

const START = Date.UTC(2026, 10, 22, 10, 0, 0);
const SECOND = 1000;
const HOUR = 3_600_000;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ekort-count-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

await requirePostgres();

describe.each(storeTargets(tmp, 'count'))('counting attempts on $name', (store) => {
  let service: EkortService;
  let other: EkortService;
  let now = START;
  const clock = () => now;
  let anna: ActiveSession;
  let cardId: string;
  let dosa: DosaFile;

  beforeEach(async () => {
    now = START;
    const bank = await openBankPair(store, { now: clock, sweepIntervalMs: 0, serviceId: 'test-bank' }, { limits: { limitPerPurchase: 5_000_00, limitPerMonth: 8_000_00 } });
    ({ service, other, anna, cardId } = bank);
    dosa = createDosa();
    await enrolDosa(service.ctx, anna.customerId, { serial: dosa.serial, suite: dosa.suite, secret: dosa.secret, kind: 'hotp', counter: 0, digits: 8, algorithm: 'sha1' });
    return bank.close;
  });

  const wrongCvc = (cvc: string): string => String((Number(cvc) + 1) % 1000).padStart(3, '0');
  const wrongExpiry = (expiry: string): string => (expiry.startsWith('01') ? `02${expiry.slice(2)}` : `01${expiry.slice(2)}`);
  const buy = (on: EkortService, secret: { pan: string; expiry: string; cvc: string }, change: { cvc?: string; expiry?: string } = {}) => {
    now += 1;
    return on.authorize({ pan: secret.pan, expiry: change.expiry ?? secret.expiry, cvc: change.cvc ?? secret.cvc, merchant: 'Webbutiken', amount: 10_00 });
  };

  describe('wrong CVCs and expiry dates', () => {
    it('locks the e-nummer at the fifth wrong one in 24 hours, across instances; the right CVC is then declined CVC_LOCKED too', async () => {
      const { secret, enummer } = await service.createEnummer(anna, { cardId, merchant: 'Webbutiken', recurring: true, months: 6 });
      const bad = wrongCvc(secret.cvc);
      for (let i = 0; i < 3; i++) expect(await buy(i % 2 ? other : service, secret, { cvc: bad })).toMatchObject({ approved: false, declineCode: 'CVC_MISMATCH' });
      expect(await buy(other, secret, { expiry: wrongExpiry(secret.expiry) })).toMatchObject({ declineCode: 'EXPIRY_MISMATCH' });
      expect((await service.enummer(anna, enummer.id)).lock).toBeNull();
      expect(await buy(service, secret, { cvc: bad })).toMatchObject({ approved: false, declineCode: 'CVC_MISMATCH' });
      expect(await buy(other, secret)).toMatchObject({ approved: false, declineCode: 'CVC_LOCKED' });
      const locked = await service.enummer(anna, enummer.id);
      expect(locked).toMatchObject({ state: 'open', lock: { reason: 'wrong_cvc' } });
      expect((await service.enummers(anna)).find((e) => e.id === enummer.id)?.lock).toEqual(locked.lock);
      // A locked attempt is not a wrong one, and the lock does not lapse with the window.
      now += 25 * HOUR;
      expect(await buy(service, secret)).toMatchObject({ declineCode: 'CVC_LOCKED' });
    });

    it('counts concurrent wrong CVCs atomically: five at once lock it', async () => {
      const { secret, enummer } = await service.createEnummer(anna, { cardId, merchant: 'Webbutiken', recurring: true, months: 6 });
      const bad = wrongCvc(secret.cvc);
      now += 1;
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? other : service).authorize({ ...secret, cvc: bad, merchant: 'Webbutiken', amount: 10_00 })));
      expect(answers.filter((a) => a.declineCode === 'CVC_MISMATCH')).toHaveLength(5);
      expect(answers.filter((a) => a.declineCode === 'CVC_LOCKED')).toHaveLength(3);
      expect((await service.enummer(anna, enummer.id)).lock).not.toBeNull();
    });

    it('forgets wrong tries older than 24 hours', async () => {
      const { secret, enummer } = await service.createEnummer(anna, { cardId, merchant: 'Webbutiken', recurring: true, months: 6 });
      const bad = wrongCvc(secret.cvc);
      for (let i = 0; i < 4; i++) await buy(service, secret, { cvc: bad });
      now += 24 * HOUR;
      expect(await buy(service, secret, { cvc: bad })).toMatchObject({ declineCode: 'CVC_MISMATCH' });
      expect((await service.enummer(anna, enummer.id)).lock).toBeNull();
      expect(await buy(service, secret)).toMatchObject({ approved: true });
    });

    it('is unlocked by the holder (POST /v1/enummer/{id}/unlock); the count starts again', async () => {
      const { secret, enummer } = await service.createEnummer(anna, { cardId, merchant: 'Webbutiken', recurring: true, months: 6 });
      const bad = wrongCvc(secret.cvc);
      for (let i = 0; i < 5; i++) await buy(service, secret, { cvc: bad });
      const server = buildServer(service);
      try {
        const session = await service.dosaCodeLogin(dosa.serial, hotp({ secret: Buffer.from(dosa.secret, 'base64'), counter: 0, digits: 8, algorithm: 'sha1' }));
        const unlock = await server.inject({ method: 'POST', url: `/v1/enummer/${enummer.id}/unlock`, headers: { authorization: `Bearer ${session.token}` } });
        expect(unlock.statusCode).toBe(200);
        expect(unlock.json()).toMatchObject({ id: enummer.id, lock: null, state: 'open' });
        const anon = await server.inject({ method: 'POST', url: `/v1/enummer/${enummer.id}/unlock` });
        expect(anon.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
      } finally {
        await server.close();
      }
      expect(await buy(service, secret)).toMatchObject({ approved: true });
      for (let i = 0; i < 4; i++) expect(await buy(service, secret, { cvc: bad })).toMatchObject({ declineCode: 'CVC_MISMATCH' });
      expect((await service.enummer(anna, enummer.id)).lock).toBeNull();
      expect(await buy(service, secret, { cvc: bad })).toMatchObject({ declineCode: 'CVC_MISMATCH' });
      expect(await buy(service, secret)).toMatchObject({ declineCode: 'CVC_LOCKED' });
    });
  });

  it('is shown locked and unlocked by `ekort enummer show|unlock ID`', async () => {
    const { secret, enummer } = await service.createEnummer(anna, { cardId, merchant: 'Webbutiken', recurring: true, months: 6 });
    for (let i = 0; i < 5; i++) await buy(service, secret, { cvc: wrongCvc(secret.cvc) });
    const server = await startServer(service);
    try {
      const session = await service.dosaCodeLogin(dosa.serial, hotp({ secret: Buffer.from(dosa.secret, 'base64'), counter: 0, digits: 8, algorithm: 'sha1' }));
      const file = path.join(tmp, `session-${store.name}.json`);
      await saveSession(file, { server: server.url, token: session.token, customer: session.customer, method: session.method, authenticatedAt: session.authenticatedAt });
      const shown = await runMain(['enummer', 'show', enummer.id, '--session', file]);
      expect(shown.code, shown.err.join('\n')).toBe(0);
      expect(shown.out.join('\n')).toMatch(/locked +after too many wrong CVCs.*ekort enummer unlock/);
      const unlocked = await runMain(['enummer', 'unlock', enummer.id, '--session', file, '--json']);
      expect(unlocked.code, unlocked.err.join('\n')).toBe(0);
      expect(JSON.parse(unlocked.out.join('\n'))).toMatchObject({ id: enummer.id, lock: null });
    } finally {
      await server.close();
    }
    expect(await buy(service, secret)).toMatchObject({ approved: true });
  });

  describe('an e-nummer past its validity, before the sweep', () => {
    it('cannot be revealed, paused, resumed, unlocked or used, and is listed as expired', async () => {
      const { secret, enummer } = await service.createEnummer(anna, { cardId, merchant: 'Webbutiken' });
      const paused = await service.createEnummer(anna, { cardId, merchant: 'Bokhandeln' });
      await service.changeEnummer(anna, paused.enummer.id, 'pause');
      now = Date.parse(enummer.validUntil);
      await expect(service.revealEnummer(anna, enummer.id)).rejects.toMatchObject({ code: 'ENUMMER_EXPIRED', status: 409 });
      await expect(service.changeEnummer(anna, enummer.id, 'pause')).rejects.toMatchObject({ code: 'ENUMMER_EXPIRED' });
      await expect(service.changeEnummer(anna, paused.enummer.id, 'resume')).rejects.toMatchObject({ code: 'ENUMMER_EXPIRED' });
      await expect(service.changeEnummer(anna, enummer.id, 'unlock')).rejects.toMatchObject({ code: 'ENUMMER_EXPIRED' });
      expect(await service.authorize({ ...secret, merchant: 'Webbutiken', amount: 10_00 })).toMatchObject({ approved: false, declineCode: 'EXPIRED' });
      expect(await service.enummer(anna, enummer.id)).toMatchObject({ state: 'closed', closeReason: 'expired', closedAt: enummer.validUntil });
      expect((await service.enummers(anna, { state: 'open' })).map((e) => e.id)).toEqual([]);
      expect((await service.enummers(anna, { state: 'closed' })).map((e) => e.id).sort()).toEqual([enummer.id, paused.enummer.id].sort());
      // One millisecond earlier it was still usable.
      now -= 1;
      expect((await service.revealEnummer(anna, enummer.id)).pan).toBe(secret.pan);
    });
  });

  describe('dosa codes', () => {
    const key = () => Buffer.from(dosa.secret, 'base64');
    const wrongAnswer = (right: string) => (right === '00000000' ? '11111111' : '00000000');
    const wrongTry = async (on: EkortService = service) => {
      const c = await on.dosaChallenge(dosa.serial);
      return on.dosaLogin(c.challengeId, wrongAnswer(svarskod({ key: key(), kontrollnummer: c.kontrollnummer })));
    };

    it('makes each wrong code wait longer before the next try (1 s, 2 s, 4 s, 8 s), answering TRY_LATER without counting', async () => {
      await expect(wrongTry()).rejects.toMatchObject({ code: 'DOSA_CODE_WRONG', triesLeft: 4 });
      for (const [wait, left] of [[1, 3], [2, 2], [4, 1]] as const) {
        // Five quick requests cannot block the dosa: the ones too soon are not tried at all.
        for (let i = 0; i < 5; i++) await expect(wrongTry(i % 2 ? other : service)).rejects.toMatchObject({ code: 'TRY_LATER', retryAfterSeconds: wait, status: 429 });
        now += wait * SECOND - 1;
        await expect(wrongTry()).rejects.toMatchObject({ code: 'TRY_LATER', retryAfterSeconds: 1 });
        now += 1;
        await expect(wrongTry()).rejects.toMatchObject({ code: 'DOSA_CODE_WRONG', triesLeft: left });
      }
      // A challenge fetched during the wait can be answered once the wait is over.
      const c = await service.dosaChallenge(dosa.serial);
      const right = svarskod({ key: key(), kontrollnummer: c.kontrollnummer });
      await expect(service.dosaLogin(c.challengeId, right)).rejects.toMatchObject({ code: 'TRY_LATER', retryAfterSeconds: 8 });
      now += 8 * SECOND;
      expect((await service.dosaLogin(c.challengeId, right)).method).toBe('dosa');
      // The right code starts the count and the wait again.
      await expect(wrongTry()).rejects.toMatchObject({ code: 'DOSA_CODE_WRONG', triesLeft: 4 });
    });

    it('lets only one of many concurrent tries be checked', async () => {
      const challenges = await Promise.all(Array.from({ length: 6 }, () => service.dosaChallenge(dosa.serial)));
      const answers = await Promise.allSettled(
        challenges.map((c, i) => (i % 2 ? other : service).dosaLogin(c.challengeId, wrongAnswer(svarskod({ key: key(), kontrollnummer: c.kontrollnummer })))),
      );
      const codes = answers.map((a) => (a.status === 'rejected' ? (a.reason as { code: string }).code : 'ok'));
      expect(codes.filter((c) => c === 'DOSA_CODE_WRONG')).toHaveLength(1);
      expect(codes.filter((c) => c === 'TRY_LATER')).toHaveLength(5);
    });

    it('answers a right svarskod sent again as CHALLENGE_REPLAYED, not as a wrong code', async () => {
      const c = await service.dosaChallenge(dosa.serial);
      const right = svarskod({ key: key(), kontrollnummer: c.kontrollnummer });
      await service.dosaLogin(c.challengeId, right);
      for (let i = 0; i < 6; i++) await expect((i % 2 ? other : service).dosaLogin(c.challengeId, right)).rejects.toMatchObject({ code: 'CHALLENGE_REPLAYED' });
      await expect(wrongTry()).rejects.toMatchObject({ code: 'DOSA_CODE_WRONG', triesLeft: 4 });
    });

    it('answers a used HOTP login code as CHALLENGE_REPLAYED, not as a wrong code, and gives its wait back', async () => {
      const code = (counter: number) => hotp({ secret: key(), counter, digits: 8, algorithm: 'sha1' });
      expect((await service.dosaCodeLogin(dosa.serial, code(0))).method).toBe('dosa-code');
      expect((await other.dosaCodeLogin(dosa.serial, code(3))).method).toBe('dosa-code');
      for (const used of [0, 3, 0, 2, 3, 1]) await expect(service.dosaCodeLogin(dosa.serial, code(used))).rejects.toMatchObject({ code: 'CHALLENGE_REPLAYED' });
      expect((await service.dosaCodeLogin(dosa.serial, code(4))).method).toBe('dosa-code');
      const wrong = code(4) === '00000000' ? '11111111' : '00000000';
      await expect(service.dosaCodeLogin(dosa.serial, wrong)).rejects.toMatchObject({ code: 'DOSA_CODE_WRONG', triesLeft: 4 });
    });

    it('answers a used TOTP login code as CHALLENGE_REPLAYED', async () => {
      const serial = '99887766';
      const secret = Buffer.alloc(20, 7);
      await enrolDosa(service.ctx, anna.customerId, { serial, suite: dosa.suite, secret: secret.toString('base64'), kind: 'totp', digits: 8, algorithm: 'sha1' });
      const code = totp({ secret, time: new Date(now), digits: 8, algorithm: 'sha1' });
      expect((await service.dosaCodeLogin(serial, code)).method).toBe('dosa-code');
      now += 10 * SECOND;
      await expect(other.dosaCodeLogin(serial, code)).rejects.toMatchObject({ code: 'CHALLENGE_REPLAYED' });
      await expect(service.dosaCodeLogin(serial, code)).rejects.toMatchObject({ code: 'CHALLENGE_REPLAYED' });
    });

    it('answers TRY_LATER over HTTP with 429, Retry-After and retryAfter', async () => {
      await expect(wrongTry()).rejects.toMatchObject({ code: 'DOSA_CODE_WRONG' });
      const server = buildServer(service);
      try {
        const c = await service.dosaChallenge(dosa.serial);
        const res = await server.inject({ method: 'POST', url: '/v1/login/dosa', payload: { challengeId: c.challengeId, svarskod: '12345678' } });
        expect(res.statusCode).toBe(429);
        expect(res.headers['retry-after']).toBe('1');
        expect(res.json()).toEqual({ code: 'TRY_LATER', message: expect.stringContaining('Wait 1 s'), retryAfter: 1 });
      } finally {
        await server.close();
      }
    });
  });
});
