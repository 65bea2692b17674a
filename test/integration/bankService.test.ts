/**
 * The e-kort service's rules, one suite run against both stores: SQLite (a WAL file) and
 * PostgreSQL (a schema of its own). The concurrency cases use two service instances on one
 * database, as a deployment would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isValidPan } from '../../src/bank/cardNumbers.ts';
import { luhnCheckDigit } from '../../src/identity/index.ts';
import type { TrustConfig } from '../../src/bank/context.ts';
import { addPaymentCard, blockCard, createCustomer, enrolDosa, unblockDosa } from '../../src/bank/customers.ts';
import { EkortService } from '../../src/bank/service.ts';
import type { ActiveSession } from '../../src/bank/sessions.ts';
import { MIGRATIONS, migrate } from '../../src/bank/store/migrations.ts';
import { InProcessTransport } from '../../src/pcsc/inProcessTransport.ts';
import { PivSession } from '../../src/piv/pivSession.ts';
import { pivSigner } from '../../src/piv/pivSigner.ts';
import { signChallenge } from '../../src/pki/loginSignature.ts';
import { initTestPki, issuerFor, loadTestPki } from '../../src/pki/testPki.ts';
import { hotp } from '../../src/token/hotp.ts';
import { svarskod } from '../../src/token/dosaCodes.ts';
import { createCardImage, type CardImage } from '../../src/virtual/cardImage.ts';
import { createDosa, type DosaFile } from '../../src/virtual/dosa.ts';
import { VirtualPivCard } from '../../src/virtual/pivCard.ts';
import { openBankPair } from '../support/bankPair.ts';
import { requirePostgres, storeTargets } from '../support/postgres.ts';

const START = Date.UTC(2026, 10, 22, 10, 0, 0);
const MINUTE = 60_000;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ekort-bank-'));
const pkiDir = path.join(tmp, 'pki');
let trust: TrustConfig;
let annaCard: CardImage;
let strangerCard: CardImage;

beforeAll(async () => {
  await initTestPki(pkiDir);
  const pki = await loadTestPki(pkiDir);
  trust = { trustAnchors: [pki.root], intermediates: pki.intermediates, crls: pki.crls };
  annaCard = await createCardImage({ name: 'Anna Andersson', personnummer: '199001012385', keyType: 'p256', issue: issuerFor(pkiDir) });
  strangerCard = await createCardImage({ name: 'Sven Svensson', personnummer: '198507153990', keyType: 'p256', issue: issuerFor(pkiDir) });
}, 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function cardSignature(image: CardImage, challenge: Uint8Array): Promise<Uint8Array> {
  const piv = await PivSession.open(new InProcessTransport(new VirtualPivCard(image)));
  await piv.verifyPin('123456');
  return signChallenge(challenge, await pivSigner(piv, '9a'));
}

const dosaRecord = (d: DosaFile) => ({ serial: d.serial, suite: d.suite, secret: d.secret, kind: 'hotp' as const, counter: 0, digits: 8 as const, algorithm: 'sha1' as const });

const stores = storeTargets(tmp, 'bank');

await requirePostgres();

describe.each(stores)('the e-kort service on $name', (store) => {
  let service: EkortService;
  let other: EkortService;
  let now = START;
  const clock = () => now;
  let anna: ActiveSession;
  let cardId: string;
  let otherCardId: string;
  let dosa: DosaFile;

  beforeEach(async () => {
    now = START;
    const bank = await openBankPair(store, { now: clock, trust, sweepIntervalMs: 0, serviceId: 'test-bank' }, { limits: { limitPerPurchase: 5_000_00, limitPerMonth: 8_000_00 } });
    ({ service, other, anna, cardId } = bank);
    otherCardId = (await addPaymentCard(service.ctx, anna.customerId)).id;
    dosa = createDosa();
    await enrolDosa(service.ctx, anna.customerId, dosaRecord(dosa));
    return bank.close;
  });

  // Each purchase a millisecond after the last, so the holder's history has one order.
  const purchase = (secret: { pan: string; expiry: string; cvc: string }, merchant: string, amount: number, extra: { requestId?: string } = {}) => {
    now += 1;
    return service.authorize({ pan: secret.pan, expiry: secret.expiry, cvc: secret.cvc, merchant, amount, ...extra });
  };

  it('migrates once: opening again applies nothing', async () => {
    expect(await migrate(service.db)).toEqual([]);
    const rows = await service.db.query<{ version: number }>('SELECT version FROM schema_migrations');
    expect(rows.map((r) => Number(r.version))).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('makes 16-digit Luhn numbers in the issuer range, valid one month, unique across instances', async () => {
    const made = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? other : service).createEnummer(anna, { cardId, merchant: `shop-${i}` })),
    );
    const pans = made.map((m) => m.secret.pan);
    expect(new Set(pans).size).toBe(40);
    for (const pan of pans) {
      expect(pan).toMatch(/^222300[0-9]{10}$/);
      expect(isValidPan(pan)).toBe(true);
    }
    const first = made[0]!;
    expect(first.enummer).toMatchObject({ kind: 'single', months: 1, state: 'open', expiry: '12/26', validUntil: '2026-12-31T23:00:00.000Z', cardLast4: expect.stringMatching(/^\d{4}$/) });
    expect(first.secret.cvc).toMatch(/^[0-9]{3}$/);
    expect(JSON.stringify(await service.enummers(anna))).not.toContain(first.secret.pan);
  });

  it('checks the Luhn digit the way ISO/IEC 7812 does', () => {
    expect(luhnCheckDigit('7992739871')).toBe('3');
    expect(isValidPan('4111111111111111')).toBe(true);
    expect(isValidPan('4111111111111112')).toBe(false);
  });

  it('lets the holder choose 1 to 24 months for a recurring e-nummer, and only then', async () => {
    const yearly = await service.createEnummer(anna, { cardId, merchant: 'Tidningen', recurring: true, months: 24 });
    expect(yearly.enummer).toMatchObject({ kind: 'recurring', months: 24, expiry: '11/28' });
    await expect(service.createEnummer(anna, { cardId, merchant: 'x', recurring: true, months: 25 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(service.createEnummer(anna, { cardId, merchant: 'x', months: 3 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('works until the month printed on it has ended, Swedish time (card terms §12): 01/27 through 31 January 2027', async () => {
    now = Date.UTC(2026, 11, 20, 10); // 20 December 2026
    const single = await service.createEnummer(anna, { cardId, merchant: 'Januari', recurring: true, months: 1 });
    expect(single.enummer).toMatchObject({ expiry: '01/27', validUntil: '2027-01-31T23:00:00.000Z' }); // midnight CET starting 1 February
    now = Date.UTC(2027, 0, 3, 9); // early January: long before the end
    expect((await purchase(single.secret, 'Januari', 1_00)).approved).toBe(true);
    now = Date.parse('2027-01-31T22:59:59.000Z'); // 23:59:59 on 31 January in Stockholm
    expect((await purchase(single.secret, 'Januari', 1_00)).approved).toBe(true);
    now = Date.parse('2027-01-31T23:00:00.000Z'); // 00:00 on 1 February in Stockholm
    expect((await purchase(single.secret, 'Januari', 1_00)).declineCode).toBe('EXPIRED');
    expect(await service.expireDue()).toBeGreaterThanOrEqual(1);

    now = Date.UTC(2027, 4, 10, 10); // summer time: June ends at 22:00 UTC
    const summer = await service.createEnummer(anna, { cardId, merchant: 'Juni' });
    expect(summer.enummer).toMatchObject({ expiry: '06/27', validUntil: '2027-06-30T22:00:00.000Z' });
    now = Date.UTC(2026, 8, 15, 10); // October changes back to CET on the 25th: its end is at 23:00 UTC
    const autumn = await service.createEnummer(anna, { cardId, merchant: 'Oktober', recurring: true, months: 1 });
    expect(autumn.enummer).toMatchObject({ expiry: '10/26', validUntil: '2026-10-31T23:00:00.000Z' });
  });

  it('makes e-nummer only for the holder’s own connected, unblocked cards', async () => {
    await expect(service.createEnummer(anna, { cardId: otherCardId, merchant: 'x' })).rejects.toMatchObject({ code: 'CARD_NOT_CONNECTED' });
    const { id: svenId } = await createCustomer(service.ctx, '198507153990', 'Sven Svensson');
    const sven: ActiveSession = { customerId: svenId, method: 'card', authenticatedAt: now };
    await expect(service.createEnummer(sven, { cardId, merchant: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(service.connectCard(anna, otherCardId, 'old-version')).rejects.toMatchObject({ code: 'TERMS_OUTDATED' });
    const connected = await service.connectCard(anna, otherCardId, (await service.terms()).version);
    expect(connected).toMatchObject({ connected: true, termsVersion: (await service.terms()).version, termsAcceptedAt: new Date(START).toISOString() });
  });

  it('knows the approved merchant however the network writes it, and no other (seed 000)', async () => {
    const { secret } = await service.createEnummer(anna, { cardId, merchant: 'Webbutiken', recurring: true, months: 3 });
    for (const descriptor of ['WEBBUTIKEN AB STOCKHOLM', 'WWW.WEBBUTIKEN.SE', 'WEBBUTIKEN*ORDER 1234']) {
      expect(await purchase(secret, descriptor, 10_00), descriptor).toMatchObject({ approved: true, declineCode: null });
    }
    for (const descriptor of ['WEBBUTIKEN2', 'ANNAN BUTIK', 'MIN WEBBUTIKEN AB']) {
      expect(await purchase(secret, descriptor, 10_00), descriptor).toMatchObject({ approved: false, declineCode: 'MERCHANT_MISMATCH' });
    }
  });

  it('gives an e-nummer without a clear merchant to the first merchant that uses it, by the network\'s merchant id (seed 000)', async () => {
    const at = (secret: { pan: string; expiry: string; cvc: string }, merchant: string, merchantId?: string) =>
      service.authorize({ pan: secret.pan, expiry: secret.expiry, cvc: secret.cvc, merchant, amount: 10_00, ...(merchantId ? { merchantId } : {}) });
    const unnamed = await service.createEnummer(anna, { cardId, merchant: '', recurring: true, months: 3 });
    expect(unnamed.enummer).toMatchObject({ merchant: '', lockedTo: null });
    expect(await at(unnamed.secret, 'WEBBUTIKEN AB STOCKHOLM')).toMatchObject({ declineCode: 'MERCHANT_MISMATCH' }); // no id: nothing to lock to
    expect(await at(unnamed.secret, 'WEBBUTIKEN AB STOCKHOLM', 'MID-1001')).toMatchObject({ approved: true });
    const [locked] = (await service.enummers(anna)).filter((e) => e.id === unnamed.enummer.id);
    expect(locked!.lockedTo).toEqual({ merchantId: 'MID-1001', descriptor: 'WEBBUTIKEN AB STOCKHOLM' });
    expect(await at(unnamed.secret, 'WEBBUTIKEN*ORDER 77', 'MID-1001')).toMatchObject({ approved: true });
    expect(await at(unnamed.secret, 'ANNAN BUTIK', 'MID-2002')).toMatchObject({ declineCode: 'MERCHANT_MISMATCH' });
    expect(await at(unnamed.secret, 'WEBBUTIKEN AB STOCKHOLM', 'MID-2002')).toMatchObject({ declineCode: 'MERCHANT_MISMATCH' });

    const unclear = await service.createEnummer(anna, { cardId, merchant: 'Webbutiken', recurring: true, months: 3 });
    expect(await at(unclear.secret, 'MIN WEBBUTIKEN AB')).toMatchObject({ declineCode: 'MERCHANT_MISMATCH' });
    expect(await at(unclear.secret, 'MIN WEBBUTIKEN AB', 'MID-3003')).toMatchObject({ approved: true });
    expect(await at(unclear.secret, 'WEBBUTIKEN', 'MID-4004')).toMatchObject({ declineCode: 'MERCHANT_MISMATCH' });
    expect(await at(unclear.secret, 'MIN WEBBUTIKEN AB', 'MID-3003')).toMatchObject({ approved: true });
  });

  it('approves a single-purchase e-nummer once, at its own merchant after normalisation', async () => {
    const { secret } = await service.createEnummer(anna, { cardId, merchant: 'Webbutiken AB' });
    expect(await purchase(secret, 'Annan Butik', 100_00)).toMatchObject({ approved: false, declineCode: 'MERCHANT_MISMATCH' });
    expect(await purchase(secret, '  WEBBUTIKEN AB ', 100_00)).toMatchObject({ approved: true, declineCode: null });
    expect(await purchase(secret, 'Webbutiken AB', 100_00)).toMatchObject({ approved: false, declineCode: 'CLOSED' });
    const [e] = await service.enummers(anna);
    expect(e).toMatchObject({ state: 'closed', closeReason: 'used' });
  });

  it('has a decline code for every reason', async () => {
    const { secret, enummer } = await service.createEnummer(anna, { cardId, merchant: 'M', recurring: true, months: 2, limit: { amount: 500_00, period: 'purchase' } });
    const wrongDigit = secret.pan.slice(0, -1) + String((Number(secret.pan.slice(-1)) + 1) % 10);
    expect((await purchase({ ...secret, pan: wrongDigit }, 'M', 1)).declineCode).toBe('UNKNOWN_NUMBER');
    expect((await purchase({ ...secret, expiry: '01/30' }, 'M', 1)).declineCode).toBe('EXPIRY_MISMATCH');
    const otherCvc = String((Number(secret.cvc) + 1) % 1000).padStart(3, '0');
    expect((await purchase({ ...secret, cvc: otherCvc }, 'M', 1)).declineCode).toBe('CVC_MISMATCH');
    expect((await purchase(secret, 'M', 500_01)).declineCode).toBe('LIMIT_EXCEEDED');
    expect((await purchase(secret, 'M', 500_00)).approved).toBe(true);
    await service.changeEnummer(anna, enummer.id, 'pause');
    expect((await purchase(secret, 'M', 1)).declineCode).toBe('PAUSED');
    await service.changeEnummer(anna, enummer.id, 'resume');
    expect((await purchase(secret, 'M', 1)).approved).toBe(true);
    now = Date.parse(enummer.validUntil) + 1;
    expect((await purchase(secret, 'M', 1)).declineCode).toBe('EXPIRED');
    const history = await service.transactions(anna, enummer.id);
    expect(history.map((t) => t.declineCode).reverse()).toEqual(['EXPIRY_MISMATCH', 'CVC_MISMATCH', 'LIMIT_EXCEEDED', null, 'PAUSED', null, 'EXPIRED']);
  });

  it('keeps the per-month limits of the e-nummer and of the card', async () => {
    const { secret } = await service.createEnummer(anna, { cardId, merchant: 'Gym', recurring: true, months: 3, limit: { amount: 300_00, period: 'month' } });
    expect((await purchase(secret, 'Gym', 200_00)).approved).toBe(true);
    expect((await purchase(secret, 'Gym', 200_00)).declineCode).toBe('LIMIT_EXCEEDED');
    expect((await purchase(secret, 'Gym', 100_00)).approved).toBe(true);
    // The card: 5 000 kr per purchase, 8 000 kr per month (3 000 kr already spent above).
    const big = (await service.createEnummer(anna, { cardId, merchant: 'Resor', recurring: true, months: 3 })).secret;
    expect((await purchase(big, 'Resor', 5_000_01)).declineCode).toBe('LIMIT_EXCEEDED');
    expect((await purchase(big, 'Resor', 5_000_00)).approved).toBe(true);
    expect((await purchase(big, 'Resor', 2_700_01)).declineCode).toBe('LIMIT_EXCEEDED');
    expect((await purchase(big, 'Resor', 2_700_00)).approved).toBe(true);
    now = Date.UTC(2026, 11, 2, 12); // December in Stockholm: a new month
    expect((await purchase(secret, 'Gym', 300_00)).approved).toBe(true);
  });

  it('stops the card and every e-nummer on it at once when it is blocked', async () => {
    const a = await service.createEnummer(anna, { cardId, merchant: 'A', recurring: true, months: 6 });
    const b = await service.createEnummer(anna, { cardId, merchant: 'B' });
    const blocked = await blockCard(other.ctx, anna.customerId, cardId);
    expect(blocked.state).toBe('blocked');
    expect((await purchase(a.secret, 'A', 1)).declineCode).toBe('CARD_BLOCKED');
    expect((await purchase(b.secret, 'B', 1)).declineCode).toBe('CARD_BLOCKED');
    expect((await service.enummers(anna)).map((e) => [e.state, e.closeReason])).toEqual([
      ['closed', 'card_blocked'],
      ['closed', 'card_blocked'],
    ]);
    await expect(service.createEnummer(anna, { cardId, merchant: 'C' })).rejects.toMatchObject({ code: 'CARD_BLOCKED' });
  });

  it('erases the link to the card at expiry and never issues the number again', async () => {
    const { secret, enummer } = await service.createEnummer(anna, { cardId, merchant: 'Kort Tid' });
    now = Date.parse(enummer.validUntil);
    expect(await service.expireDue()).toBe(1);
    expect(await service.expireDue()).toBe(0);
    const [row] = await service.db.query<Record<string, unknown>>('SELECT pan, card_id, cvc, state, close_reason FROM enummers WHERE id = ?', [enummer.id]);
    expect(row).toEqual({ pan: null, card_id: null, cvc: null, state: 'closed', close_reason: 'expired' });
    expect(await service.db.query('SELECT pan FROM issued_numbers WHERE pan = ?', [secret.pan])).toHaveLength(1);
    expect((await purchase(secret, 'Kort Tid', 1)).declineCode).toBe('EXPIRED');
    await expect(service.revealEnummer(anna, enummer.id)).rejects.toMatchObject({ code: 'ENUMMER_EXPIRED' });
    // The holder keeps the history, without the card.
    expect(await service.enummer(anna, enummer.id)).toMatchObject({ last4: secret.pan.slice(-4), cardLast4: null, closeReason: 'expired' });
  });

  it('answers a retried network request with its first answer', async () => {
    const { secret } = await service.createEnummer(anna, { cardId, merchant: 'Retry' });
    const first = await purchase(secret, 'Retry', 10_00, { requestId: 'net-1' });
    const again = await Promise.all([purchase(secret, 'Retry', 10_00, { requestId: 'net-1' }), other.authorize({ ...secret, merchant: 'Retry', amount: 10_00, requestId: 'net-1' })]);
    expect(again).toEqual([first, first]);
    expect(await service.transactions(anna)).toHaveLength(1);
  });

  it("decides a recurring e-nummer's next purchase on its last look (PostgreSQL: one statement), and still sees what the other instance changed since", async () => {
    const { secret, enummer } = await service.createEnummer(anna, { cardId, merchant: 'Gym', recurring: true, months: 6 });
    const statements = () => {
      let n = 0;
      const db = service.db as { query: (...args: never[]) => unknown; run: (...args: never[]) => unknown; transaction: (...args: never[]) => unknown };
      for (const m of ['query', 'run', 'transaction'] as const) {
        const real = db[m].bind(db);
        db[m] = (...args: never[]) => {
          n++;
          return real(...args);
        };
      }
      return () => n;
    };
    expect((await purchase(secret, 'Gym', 100_00)).approved).toBe(true);
    const count = statements();
    expect((await purchase(secret, 'Gym', 100_00)).approved).toBe(true);
    if (store.name === 'postgres') expect(count()).toBe(1);
    // Paused, then resumed, on the other instance: a new version of the row each time.
    await other.changeEnummer(anna, enummer.id, 'pause');
    expect((await purchase(secret, 'Gym', 100_00)).declineCode).toBe('PAUSED');
    await other.changeEnummer(anna, enummer.id, 'resume');
    expect((await purchase(secret, 'Gym', 100_00)).approved).toBe(true);
    // A retried request: its first answer, whether the look was kept or not.
    const first = await purchase(secret, 'Gym', 100_00, { requestId: 'net-kept' });
    expect(await purchase(secret, 'Gym', 100_00, { requestId: 'net-kept' })).toEqual(first);
    // The month's total grown on the other instance past what the kept look read.
    expect((await other.authorize({ ...secret, merchant: 'Gym', amount: 5_000_00 })).approved).toBe(true);
    expect((await purchase(secret, 'Gym', 3_000_00)).declineCode).toBe('LIMIT_EXCEEDED');
    // The card blocked on the other instance.
    await blockCard(other.ctx, anna.customerId, cardId);
    expect((await purchase(secret, 'Gym', 1)).declineCode).toBe('CARD_BLOCKED');
    expect((await service.transactions(anna)).filter((t) => t.decision === 'approved')).toHaveLength(5);
  });

  it('approves a single-purchase e-nummer at most once under concurrent authorizations on two instances', async () => {
    const { secret } = await service.createEnummer(anna, { cardId, merchant: 'Race' });
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? other : service).authorize({ ...secret, merchant: 'Race', amount: 1_00 })));
    expect(answers.filter((a) => a.approved)).toHaveLength(1);
    expect(answers.filter((a) => !a.approved).every((a) => a.declineCode === 'CLOSED')).toBe(true);
    expect((await service.transactions(anna)).length).toBe(30);
  });

  it('keeps the per-month limits under concurrent authorizations on two instances', async () => {
    const race = (secret: { pan: string; expiry: string; cvc: string }, merchant: string, n: number) =>
      Promise.all(Array.from({ length: n }, (_, i) => (i % 2 ? other : service).authorize({ ...secret, merchant, amount: 300_00 })));
    const declinedForLimit = (answers: Array<{ approved: boolean; declineCode: string | null }>) => answers.filter((a) => !a.approved).every((a) => a.declineCode === 'LIMIT_EXCEEDED');
    // The e-nummer's 1 000 kr a month: 3 purchases of 300 kr.
    const capped = (await service.createEnummer(anna, { cardId, merchant: 'Capped', recurring: true, months: 2, limit: { amount: 1_000_00, period: 'month' } })).secret;
    const first = await race(capped, 'Capped', 12);
    expect(first.filter((a) => a.approved)).toHaveLength(3);
    expect(declinedForLimit(first)).toBe(true);
    // The card's 8 000 kr a month, 900 kr of it spent: 23 more.
    const open = (await service.createEnummer(anna, { cardId, merchant: 'Rush', recurring: true, months: 2 })).secret;
    const second = await race(open, 'Rush', 40);
    expect(second.filter((a) => a.approved)).toHaveLength(23);
    expect(declinedForLimit(second)).toBe(true);
    const spend = await service.db.query<{ amount: number }>('SELECT amount FROM monthly_spend ORDER BY amount');
    expect(spend.map((r) => Number(r.amount))).toEqual([900_00, 7_800_00]);
  });

  it('ends a session after 15 minutes without use and asks for a fresh login to reveal', async () => {
    const challenge = await service.dosaChallenge(dosa.serial);
    const session = await service.dosaLogin(challenge.challengeId, svarskod({ key: Buffer.from(dosa.secret, 'base64'), kontrollnummer: challenge.kontrollnummer }));
    const { enummer } = await service.createEnummer(await service.session(session.token), { cardId, merchant: 'Fresh' });
    now += 4 * MINUTE;
    expect((await service.revealEnummer(await service.session(session.token, { fresh: true }), enummer.id)).pan).toMatch(/^\d{16}$/);
    now += 2 * MINUTE;
    await expect(service.session(session.token, { fresh: true })).rejects.toMatchObject({ code: 'REAUTH_REQUIRED' });
    now += 14 * MINUTE;
    await service.session(session.token);
    now += 15 * MINUTE + 1;
    await expect(service.session(session.token)).rejects.toMatchObject({ code: 'SESSION_EXPIRED' });
    await expect(service.session('x'.repeat(43))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(service.session(undefined)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('logs in with the dosa: svarskod once per kontrollnummer, within 2 minutes', async () => {
    const key = Buffer.from(dosa.secret, 'base64');
    const c1 = await service.dosaChallenge(dosa.serial);
    expect(c1.kontrollnummer).toMatch(/^[0-9]{8}$/);
    const answer = svarskod({ key, kontrollnummer: c1.kontrollnummer });
    const session = await service.dosaLogin(c1.challengeId, answer);
    expect(session).toMatchObject({ method: 'dosa', customer: { name: 'Anna Andersson', personnummer: '199001012385' }, idleTimeoutSeconds: 900 });
    await expect(other.dosaLogin(c1.challengeId, answer)).rejects.toMatchObject({ code: 'CHALLENGE_REPLAYED' });
    const c2 = await service.dosaChallenge(dosa.serial);
    now += 2 * MINUTE;
    await expect(service.dosaLogin(c2.challengeId, svarskod({ key, kontrollnummer: c2.kontrollnummer }))).rejects.toMatchObject({ code: 'CHALLENGE_EXPIRED' });
    await expect(service.dosaLogin('unknown-challenge', '12345678')).rejects.toMatchObject({ code: 'CHALLENGE_UNKNOWN' });
  });

  it('blocks the dosa at the fifth wrong answer in a row, until the bank unblocks it', async () => {
    const key = Buffer.from(dosa.secret, 'base64');
    const wrong = async () => {
      now += MINUTE; // past the growing wait after a wrong code (login.ts)
      const c = await service.dosaChallenge(dosa.serial);
      const right = svarskod({ key, kontrollnummer: c.kontrollnummer });
      return service.dosaLogin(c.challengeId, right === '00000000' ? '11111111' : '00000000');
    };
    for (const left of [4, 3, 2]) await expect(wrong()).rejects.toMatchObject({ code: 'DOSA_CODE_WRONG', triesLeft: left });
    now += MINUTE;
    const c = await service.dosaChallenge(dosa.serial);
    await service.dosaLogin(c.challengeId, svarskod({ key, kontrollnummer: c.kontrollnummer })); // resets the count
    for (const left of [4, 3, 2, 1]) await expect(wrong()).rejects.toMatchObject({ code: 'DOSA_CODE_WRONG', triesLeft: left });
    await expect(wrong()).rejects.toMatchObject({ code: 'DOSA_BLOCKED' });
    await expect(service.dosaChallenge(dosa.serial)).rejects.toMatchObject({ code: 'DOSA_BLOCKED' });
    await unblockDosa(service.ctx, dosa.serial);
    const after = await service.dosaChallenge(dosa.serial);
    expect((await service.dosaLogin(after.challengeId, svarskod({ key, kontrollnummer: after.kontrollnummer }))).method).toBe('dosa');
  });

  it('accepts a response-only HOTP code once, with look-ahead, even when two instances race', async () => {
    const secret = Buffer.from(dosa.secret, 'base64');
    const code = (counter: number) => hotp({ secret, counter, digits: 8, algorithm: 'sha1' });
    const raced = await Promise.allSettled([service.dosaCodeLogin(dosa.serial, code(0)), other.dosaCodeLogin(dosa.serial, code(0))]);
    expect(raced.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    await expect(service.dosaCodeLogin(dosa.serial, code(0))).rejects.toMatchObject({ code: 'CHALLENGE_REPLAYED' });
    expect((await service.dosaCodeLogin(dosa.serial, code(5))).method).toBe('dosa-code');
    await expect(service.dosaCodeLogin(dosa.serial, code(3))).rejects.toMatchObject({ code: 'CHALLENGE_REPLAYED' });
  });

  it('logs in with BankID på kort: the card signs this service’s challenge once', async () => {
    now = Date.now(); // the card puts the real time in signingTime
    const c = await service.cardChallenge();
    const challenge = Buffer.from(c.challenge, 'base64');
    expect(challenge.toString('utf8')).toContain('service: test-bank');
    const cms = await cardSignature(annaCard, challenge);
    const session = await service.cardLogin(c.challengeId, cms);
    expect(session).toMatchObject({ method: 'card', customer: { personnummer: '199001012385' } });
    await expect(other.cardLogin(c.challengeId, cms)).rejects.toMatchObject({ code: 'CHALLENGE_REPLAYED' });

    const c2 = await service.cardChallenge();
    await expect(service.cardLogin(c2.challengeId, await cardSignature(annaCard, challenge))).rejects.toMatchObject({ code: 'WRONG_CHALLENGE', status: 401 });
    const c3 = await service.cardChallenge();
    await expect(service.cardLogin(c3.challengeId, await cardSignature(strangerCard, Buffer.from(c3.challenge, 'base64')))).rejects.toMatchObject({
      code: 'CUSTOMER_UNKNOWN',
    });
    const c4 = await service.cardChallenge();
    await expect(service.cardLogin(c4.challengeId, new Uint8Array([0x30, 0x03, 0x02, 0x01]))).rejects.toMatchObject({ code: 'CMS_MALFORMED' });
  });
});
