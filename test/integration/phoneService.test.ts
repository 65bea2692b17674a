/**
 * Identification in the telephone service, on both stores (SQLite and PostgreSQL): every
 * branch of the menu, every lock, the code table's one-time and random-order rules, SMS codes
 * (expired, for another call), the app's identification requests (approved, rejected,
 * expired), dropped calls, and two calls for one customer at once on two service instances.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { KeyObject } from 'node:crypto';
import type { PhoneCall } from '../../src/bank/api/schemas.ts';
import { enrolmentProof, newAppKeyPair } from '../../src/bank/approval/appWallet.ts';
import { enrolApp, issueEnrolmentCode } from '../../src/bank/approval/enrolment.ts';
import { signIdentification } from '../../src/bank/approval/identification.ts';
import { buildServer } from '../../src/bank/api/server.ts';
import { addMonths } from '../../src/bank/calendar.ts';
import { bankBlockCard } from '../../src/bank/cardBlocking.ts';
import { addPaymentCard, connectCard, createCustomer, createNetworkKey } from '../../src/bank/customers.ts';
import { APP_REQUEST_LIFE_MS } from '../../src/bank/phone/appIdentifier.ts';
import { CALL_IDLE_MS, SMS_CODE_LIFE_MS } from '../../src/bank/phone/calls.ts';
import { allCells, issueCodeTable } from '../../src/bank/phone/codeTable.ts';
import { changePassword, CODE_MAX_FAILURES, createIvrKey, issueOneTimePassword, oneTimePasswordLetter, PASSWORD_MAX_FAILURES, setPhoneCredentials } from '../../src/bank/phone/credentials.ts';
import { P } from '../../src/bank/phone/prompts.ts';
import { OutboxSmsGateway, readOutbox } from '../../src/bank/phone/sms.ts';
import { EkortService } from '../../src/bank/service.ts';
import type { ActiveSession } from '../../src/bank/sessions.ts';
import { createSession } from '../../src/bank/sessions.ts';
import { requirePostgres, storeTargets } from '../support/postgres.ts';

const START = Date.UTC(2026, 10, 22, 10, 0, 0);
const USER_CODE = '12345678';
const PASSWORD = '4711';
const PHONE = '+46701234567';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ekort-phone-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const stores = storeTargets(tmp, 'phone');

await requirePostgres();

/** The last `n` prompts of an answer (a run of keys hears the questions on the way too). */
const tail = (call: PhoneCall, n: number): string[] => call.prompts.slice(-n);

const cellAsked = (call: PhoneCall): string | undefined => {
  for (const p of call.prompts) {
    const m = /Ange koden ([A-E]) ([0-9]{1,2}) på kodtabellen/.exec(p);
    if (m) return `${m[1]}${m[2]}`;
  }
  return undefined;
};

describe.each(stores)('the telephone service on $name', (store) => {
  let target: { target: string; drop(): Promise<void> };
  let service: EkortService;
  let other: EkortService;
  let now = START;
  // Every reading of the clock moves it on 1 ms, so the SMS outbox has one order.
  const clock = () => (now += 1);
  let annaId: string;
  let anna: ActiveSession;
  let codes: Record<string, string>;
  /** Anna's enrolled approval app: it signs her approvals. */
  let annaApp: { deviceId: string; privateKey: KeyObject };

  /** The app's signed approval of a request, as `ekort app approve --request` sends it. */
  const approve = (who: ActiveSession, request: { id: string; requester: string; code: string }, app = annaApp) =>
    service.appIdentifications.decide(who.customerId, request.id, 'approved', signIdentification(request, app, new Date(now)));

  beforeEach(async () => {
    now = START;
    target = await store.open();
    service = await EkortService.open(target.target, { now: clock, sweepIntervalMs: 0 });
    other = await EkortService.open(target.target, { now: clock, sweepIntervalMs: 0 });
    annaId = (await createCustomer(service.ctx, '199001012385', 'Anna Andersson')).id;
    anna = { customerId: annaId, method: 'dosa', authenticatedAt: now };
    await setPhoneCredentials(service.ctx, annaId, { userCode: USER_CODE, phone: PHONE });
    await changePassword(service.ctx, USER_CODE, '010190', PASSWORD);
    codes = (await issueCodeTable(service.ctx, annaId)).codes;
    const { code } = await issueEnrolmentCode(service.ctx, annaId);
    const keys = newAppKeyPair();
    const enrolled = await enrolApp(service.ctx, { code, publicKey: keys.publicKey, proof: enrolmentProof(code, keys.publicKey, keys.privateKey) });
    annaApp = { deviceId: enrolled.deviceId, privateKey: keys.privateKey };
    return async () => {
      await service.close();
      await other.close();
      await target.drop();
    };
  });

  const lastSmsCode = async (): Promise<string> => {
    const sms = await readOutbox(service.ctx, { to: PHONE });
    return /är ([0-9]{6})\./.exec(sms.at(-1)!.text)![1]!;
  };

  /** Up to the SMS step of the code table: the cell asked and answered. */
  async function toSms(svc: EkortService, callId: string): Promise<{ cell: string; call: PhoneCall }> {
    await svc.phoneCallKeys(callId, '2');
    await svc.phoneCallKeys(callId, `${USER_CODE}#`);
    const asked = await svc.phoneCallKeys(callId, `${PASSWORD}#`);
    const cell = cellAsked(asked);
    expect(cell, asked.prompts.join(' | ')).toBeDefined();
    const call = await svc.phoneCallKeys(callId, `${codes[cell!]}#`);
    expect(call.state).toBe('table.sms');
    return { cell: cell!, call };
  }

  async function identifyWithTable(svc: EkortService = service): Promise<{ callId: string; cell: string; call: PhoneCall }> {
    const { callId } = await svc.phoneCallStart();
    const { cell } = await toSms(svc, callId);
    const call = await svc.phoneCallKeys(callId, `${await lastSmsCode()}#`);
    return { callId, cell, call };
  }

  it('adds schema version 3 for the telephone service', async () => {
    const rows = await service.db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => Number(r.version))).toContain(3);
  });

  it('the bank blocks a card for a reason of §9 and tells the customer by SMS', async () => {
    const { id: cardId, pan } = await addPaymentCard(service.ctx, annaId);
    const { card, smsTo } = await bankBlockCard(service.ctx, new OutboxSmsGateway(service.ctx), cardId, 'fraud_suspected');
    expect(card.state).toBe('blocked');
    expect(smsTo).toBe(PHONE);
    const [sms] = await readOutbox(service.ctx, { to: PHONE, limit: 1 });
    expect(sms!.text).toBe(
      `Banken har spärrat ditt kort som slutar på ${pan.slice(-4)} (kortvillkor punkt 9): misstanke om icke godkänd eller bedräglig användning av kortet. Kortets e-nummer fungerar inte längre. Frågor? Ring banken.`,
    );
    await expect(bankBlockCard(service.ctx, new OutboxSmsGateway(service.ctx), 'no-such-card', 'security')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // The message in the app says the same, with the reason, in both languages.
    const [message] = await service.notifications(anna);
    expect(message).toMatchObject({ kind: 'card_blocked', refId: cardId, title: { sv: `Banken har spärrat ditt kort som slutar på ${pan.slice(-4)}` } });
    expect(message!.text.sv).toContain('kortvillkoren punkt 9: misstanke om icke godkänd eller bedräglig användning av kortet');
    expect(message!.text.en).toContain('unauthorised or fraudulent use of the card is suspected');
  });

  describe('Spärrservice (card terms §8): blocking a card by phone, before any identification', () => {
    const PNR = '199001012385';

    it('9, the personnummer, the last four digits, 1: the card and its e-nummer stop at once; an SMS and a message confirm', async () => {
      const { id: cardId, pan } = await addPaymentCard(service.ctx, annaId);
      const last4 = pan.slice(-4);
      await connectCard(service.ctx, annaId, cardId, (await service.terms()).version);
      const { secret } = await service.createEnummer(anna, { cardId, merchant: 'Webbutiken', recurring: true, months: 6 });
      const { callId, prompts } = await service.phoneCallStart();
      expect(prompts[1]).toMatch(/^Vill du spärra ett kort, tryck 9\. Spärrservice är öppen dygnet runt\./);
      expect(tail(await service.phoneCallKeys(callId, '9'), 1)).toEqual([P.blockPersonnummer]);
      expect(tail(await service.phoneCallKeys(callId, `${PNR}#`), 1)).toEqual([P.blockLast4]);
      // Another instance takes the next keys: the call is in the database.
      const asked = await other.phoneCallKeys(callId, `${last4}#`);
      expect(asked.state).toBe('block.confirm');
      expect(tail(asked, 1)).toEqual([`Vill du spärra kortet som slutar på ${last4.split('').join(' ')}? Spärren kan inte hävas i telefontjänsten. Tryck 1 för att spärra. Tryck stjärna för att avbryta.`]);
      expect((await service.paymentCards(anna)).find((c) => c.id === cardId)!.state).toBe('active');
      const done = await service.phoneCallKeys(callId, '1');
      expect(done.identified).toBe(false);
      expect(done.state).toBe('menu');
      expect(tail(done, 2)).toEqual([P.cardBlocked(last4, true), P.menu]);
      expect((await service.paymentCards(anna)).find((c) => c.id === cardId)!.state).toBe('blocked');
      now += 1;
      expect(await service.authorize({ pan: secret.pan, expiry: secret.expiry, cvc: secret.cvc, merchant: 'Webbutiken', amount: 10_00 })).toMatchObject({ approved: false });
      expect((await service.enummers(anna)).every((e) => e.state === 'closed')).toBe(true);
      const [sms] = await readOutbox(service.ctx, { to: PHONE, limit: 1 });
      expect(sms!.text).toBe(
        `Ditt kort som slutar på ${last4} spärrades den 22 november 2026 kl. 11:00 genom ett samtal till Spärrservice. Kortets e-nummer fungerar inte längre. Var det inte du som ringde? Ring Spärrservice, 00-000 00 00, dygnet runt.`,
      );
      const [message] = await service.notifications(anna);
      expect(message).toMatchObject({ kind: 'card_blocked', refId: cardId, title: { sv: `Ditt kort som slutar på ${last4} är spärrat` } });
    });

    it('refuses what is not a personnummer, says so when no card matches, and goes back to the menu after three misses', async () => {
      const { pan } = await addPaymentCard(service.ctx, annaId);
      const { callId } = await service.phoneCallStart();
      await service.phoneCallKeys(callId, '9');
      expect(tail(await service.phoneCallKeys(callId, '199001012386#'), 2)).toEqual([P.personnummerFormat, P.blockPersonnummer]);
      expect(tail(await service.phoneCallKeys(callId, `${PNR}#12#`), 2)).toEqual([P.last4Format, P.blockLast4]);
      const wrong4 = pan.slice(-4) === '0000' ? '0001' : '0000';
      expect(tail(await service.phoneCallKeys(callId, `${wrong4}#`), 2)).toEqual([P.noCardToBlock, P.blockPersonnummer]);
      // Someone else's personnummer with Anna's digits finds nothing either.
      expect(tail(await service.phoneCallKeys(callId, `198507153990#${pan.slice(-4)}#`), 2)).toEqual([P.noCardToBlock, P.blockPersonnummer]);
      const third = await service.phoneCallKeys(callId, `${PNR}#${wrong4}#`);
      expect(third.state).toBe('menu');
      expect(tail(third, 4)).toEqual([P.noCardToBlock, P.tooManyTries, P.failed, P.menu]);
      expect((await service.paymentCards(anna)).every((c) => c.state === 'active')).toBe(true);
    });

    it('* at the confirmation blocks nothing; a card already blocked is not offered', async () => {
      const { id: cardId, pan } = await addPaymentCard(service.ctx, annaId);
      const { callId } = await service.phoneCallStart();
      const cancelled = await service.phoneCallKeys(callId, `9${PNR}#${pan.slice(-4)}#*`);
      expect(tail(cancelled, 2)).toEqual([P.blockCancelled, P.menu]);
      expect((await service.paymentCards(anna)).find((c) => c.id === cardId)!.state).toBe('active');
      await service.phoneCallKeys(callId, `9${PNR}#${pan.slice(-4)}#1`);
      expect(tail(await service.phoneCallKeys(callId, `9${PNR}#${pan.slice(-4)}#`), 2)).toEqual([P.noCardToBlock, P.blockPersonnummer]);
      expect(await readOutbox(service.ctx, { to: PHONE })).toHaveLength(1);
    });
  });

  it('a forgotten password: a one-time password by letter, changed at the first login, then the new one works (seed 002)', async () => {
    const { password } = await issueOneTimePassword(service.ctx, annaId);
    expect(password).toMatch(/^[0-9]{6}$/);
    const letter = oneTimePasswordLetter(password, { name: 'Anna Andersson', personnummer: '199001012385' }).join('\n');
    expect(letter).toContain(`Engångslösenord: ${password}`);
    expect(letter).toContain('Vid första inloggningen på webbanken ber systemet dig byta det');
    expect(letter).toContain('Spara inte lösenordet på datorn');
    // The old password is gone; the one-time one is not accepted on the phone until changed.
    const call = (await service.phoneCallStart()).callId;
    expect(cellAsked(await service.phoneCallKeys(call, `2${USER_CODE}#${PASSWORD}#`))).toBeUndefined();
    await expect(changePassword(service.ctx, USER_CODE, PASSWORD, '8042')).rejects.toMatchObject({ code: 'LOGIN_FAILED' });
    await changePassword(service.ctx, USER_CODE, password, '8042');
    await expect(changePassword(service.ctx, USER_CODE, password, '5310')).rejects.toMatchObject({ code: 'LOGIN_FAILED' }); // used once
    const next = (await service.phoneCallStart()).callId;
    expect(cellAsked(await service.phoneCallKeys(next, `2${USER_CODE}#8042#`))).toBeDefined();
  });

  it('refuses a web bank password that is easy to guess, saying why (card terms §7b), and keeps the old one', async () => {
    await setPhoneCredentials(service.ctx, annaId, { userCode: USER_CODE, phone: PHONE });
    const tries: Array<[string, string]> = [
      ['1234', 'sequence'],
      ['0000', 'repeated'],
      ['1212', 'pattern'],
      ['010190', 'birth_date'],
      ['1990', 'birth_date'],
      ['2385', 'personnummer'],
      ['701234', 'phone_number'],
    ];
    for (const [password, reason] of tries) {
      await expect(changePassword(service.ctx, USER_CODE, '010190', password), password).rejects.toMatchObject({ code: 'CODE_TOO_EASY', reason, status: 400 });
    }
    await changePassword(service.ctx, USER_CODE, '010190', PASSWORD);
  });

  it('2: identifies with user code, password, the cell asked and the SMS code; then the reason', async () => {
    const started = await service.phoneCallStart();
    expect(started.prompts).toEqual([P.welcome, P.menu]);
    expect(started.identified).toBe(false);
    const { callId, cell, call } = await identifyWithTable();
    expect(call).toMatchObject({ state: 'reason', identified: true, method: 'codetable', customer: { name: 'Anna Andersson', personnummer: '199001012385' } });
    expect(call.prompts).toEqual([P.identified, P.reasonMenu]);
    const queued = await service.phoneCallKeys(callId, '1');
    expect(queued).toMatchObject({ state: 'queued', queue: 'identified', reason: 'cards', identified: true });
    const [used] = await service.db.query<{ used_call_id: string }>('SELECT used_call_id FROM phone_code_cells WHERE cell = ? AND used_at IS NOT NULL', [cell]);
    expect(used?.used_call_id).toBe(callId);
    const sms = await readOutbox(service.ctx);
    expect(sms).toHaveLength(1);
    expect(sms[0]).toMatchObject({ to: PHONE, customerId: annaId });
    expect(sms[0]!.text).toMatch(/bekräftelsekod.*gäller i 5 minuter/);
  });

  it('5: not identified, queued for general questions only', async () => {
    const { callId } = await service.phoneCallStart();
    const call = await service.phoneCallKeys(callId, '5');
    expect(call).toMatchObject({ state: 'queued', queue: 'general', identified: false, prompts: [P.queuedGeneral] });
    expect(call.customer).toBeUndefined();
  });

  it('keys may come one at a time, as a phone sends them', async () => {
    const { callId } = await service.phoneCallStart();
    for (const k of `2${USER_CODE}#`) await service.phoneCallKeys(callId, k);
    let last: PhoneCall | undefined;
    for (const k of `${PASSWORD}#`) last = await service.phoneCallKeys(callId, k);
    expect(cellAsked(last!)).toBeDefined();
  });

  describe('1: the app', () => {
    async function askApp(svc: EkortService = service): Promise<{ callId: string; call: PhoneCall }> {
      const { callId } = await svc.phoneCallStart();
      await svc.phoneCallKeys(callId, '1');
      const call = await svc.phoneCallKeys(callId, `${USER_CODE}#`);
      expect(call.state).toBe('app.waiting');
      expect(call.identificationCode).toMatch(/^[0-9]{4}$/);
      expect(call.prompts[0]).toContain(call.identificationCode!.split('').join(' '));
      return { callId, call };
    }

    it('approved: the app shows S-Bankens kundtjänst and the code read out; the call is identified', async () => {
      const { callId, call } = await askApp();
      const pending = await service.pendingAppIdentifications(anna);
      expect(pending).toHaveLength(1);
      expect(pending[0]).toMatchObject({ requester: 'S-Bankens kundtjänst', code: call.identificationCode });
      expect((await service.phoneCallKeys(callId, '')).prompts).toEqual([]);
      expect((await service.phoneCallKeys(callId, '#')).prompts).toEqual([P.appWaiting]);
      // Unsigned, or signed by another key or for another code: refused, nothing changes.
      await expect(service.decideAppIdentification(anna, pending[0]!.id, 'approved')).rejects.toMatchObject({ code: 'APPROVAL_SIGNATURE_REQUIRED' });
      await expect(approve(anna, pending[0]!, { ...annaApp, privateKey: newAppKeyPair().privateKey })).rejects.toMatchObject({ code: 'APPROVAL_SIGNATURE_INVALID' });
      const forged = signIdentification({ ...pending[0]!, code: '0000' }, annaApp, new Date(now));
      await expect(service.appIdentifications.decide(annaId, pending[0]!.id, 'approved', forged)).rejects.toMatchObject({ code: 'APPROVAL_SIGNATURE_INVALID' });
      await expect(approve(anna, pending[0]!, { ...annaApp, deviceId: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({ code: 'APP_DEVICE_UNKNOWN' });
      expect((await service.phoneCallKeys(callId, '')).state).toBe('app.waiting');
      expect(await approve(anna, pending[0]!)).toEqual({ id: pending[0]!.id, state: 'approved' });
      const done = await service.phoneCallKeys(callId, '');
      expect(done).toMatchObject({ state: 'reason', identified: true, method: 'app', customer: { name: 'Anna Andersson' } });
      expect(done.prompts).toEqual([P.identified, P.reasonMenu]);
      await expect(approve(anna, pending[0]!)).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
    });

    it('rejected: the identification failed, back to the menu', async () => {
      const { callId } = await askApp();
      const [request] = await service.pendingAppIdentifications(anna);
      await service.decideAppIdentification(anna, request!.id, 'rejected');
      const call = await service.phoneCallKeys(callId, '');
      expect(call).toMatchObject({ state: 'menu', identified: false });
      expect(call.prompts).toEqual([P.failed, P.appRejected, P.menu]);
    });

    it('expired: not approved in time; a late approval is refused', async () => {
      const { callId } = await askApp();
      const [request] = await service.pendingAppIdentifications(anna);
      now += APP_REQUEST_LIFE_MS;
      expect(await service.pendingAppIdentifications(anna)).toEqual([]);
      await expect(approve(anna, request!)).rejects.toMatchObject({ code: 'IDENTIFICATION_EXPIRED' });
      const call = await service.phoneCallKeys(callId, '');
      expect(call.prompts).toEqual([P.failed, P.appExpired, P.menu]);
    });

    it("only the customer's own app can answer a request", async () => {
      await askApp();
      const [request] = await service.pendingAppIdentifications(anna);
      const svenId = (await createCustomer(service.ctx, '198507153990', 'Sven Svensson')).id;
      const sven = { customerId: svenId, method: 'dosa' as const, authenticatedAt: now };
      await expect(approve(sven, request!)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('an unknown user code sends nothing', async () => {
      const { callId } = await service.phoneCallStart();
      await service.phoneCallKeys(callId, '1');
      const call = await service.phoneCallKeys(callId, '87654321#');
      expect(call.prompts).toEqual([P.unknownUser, P.userCode]);
      expect(await service.db.query('SELECT id FROM phone_app_identifications')).toEqual([]);
    });

    it('two calls for one customer: approving one request identifies that call only', async () => {
      const a = await askApp(service);
      const b = await askApp(other);
      const pending = await service.pendingAppIdentifications(anna);
      expect(pending).toHaveLength(2);
      // Oldest first: a's request, showing the code read out on a's call.
      const forA = pending[0]!;
      expect(forA.code).toBe(a.call.identificationCode);
      expect(pending[1]!.code).toBe(b.call.identificationCode);
      await approve(anna, forA);
      const [ra, rb] = [await service.phoneCallKeys(a.callId, ''), await other.phoneCallKeys(b.callId, '')];
      expect(ra.identified).toBe(true);
      expect(rb).toMatchObject({ state: 'app.waiting', identified: false });
    });
  });

  describe('locks', () => {
    it(`${PASSWORD_MAX_FAILURES} wrong passwords lock the codes; then every identification fails with the branch advice`, async () => {
      const { callId } = await service.phoneCallStart();
      await service.phoneCallKeys(callId, '2');
      for (let i = 1; i < PASSWORD_MAX_FAILURES; i++) {
        const call = await service.phoneCallKeys(callId, `${USER_CODE}#0000#`);
        expect(tail(call, 2)).toEqual([P.wrongCredentials, P.userCode]);
      }
      const locked = await service.phoneCallKeys(callId, `${USER_CODE}#0000#`);
      expect(tail(locked, 3)).toEqual([P.failed, P.locked, P.menu]);
      const [row] = await service.db.query<{ lock_reason: string }>('SELECT lock_reason FROM phone_credentials WHERE customer_id = ?', [annaId]);
      expect(row?.lock_reason).toBe('password');
      // The right password, the app: all fail now, in a new call too.
      const next = (await service.phoneCallStart()).callId;
      expect(tail(await service.phoneCallKeys(next, `2${USER_CODE}#${PASSWORD}#`), 3)).toEqual([P.failed, P.locked, P.menu]);
      expect(tail(await service.phoneCallKeys(next, `1${USER_CODE}#`), 3)).toEqual([P.failed, P.locked, P.menu]);
      // New codes at the branch: set again (first password again, to be changed).
      await setPhoneCredentials(service.ctx, annaId, { userCode: USER_CODE });
      await changePassword(service.ctx, USER_CODE, '010190', '8042');
      const again = await service.phoneCallKeys(next, `2${USER_CODE}#8042#`);
      expect(cellAsked(again)).toBeDefined();
    });

    it(`${CODE_MAX_FAILURES} wrong code-table codes lock the codes`, async () => {
      const { callId } = await service.phoneCallStart();
      const asked = await service.phoneCallKeys(callId, `2${USER_CODE}#${PASSWORD}#`);
      const cell = cellAsked(asked)!;
      const wrong = String((Number(codes[cell]) + 1) % 10_000).padStart(4, '0');
      for (let i = 1; i < CODE_MAX_FAILURES; i++) {
        expect((await service.phoneCallKeys(callId, `${wrong}#`)).prompts).toEqual([P.wrongCell, P.cell(cell)]);
      }
      expect(tail(await service.phoneCallKeys(callId, `${wrong}#`), 3)).toEqual([P.failed, P.locked, P.menu]);
      const next = (await service.phoneCallStart()).callId;
      expect(tail(await service.phoneCallKeys(next, `1${USER_CODE}#`), 3)).toEqual([P.failed, P.locked, P.menu]);
    });

    it('wrong SMS codes count towards the same lock', async () => {
      const { callId } = await service.phoneCallStart();
      await toSms(service, callId);
      const right = await lastSmsCode();
      const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
      expect((await service.phoneCallKeys(callId, `${wrong}#`)).prompts).toEqual([P.wrongSms, P.smsSent]);
      expect((await service.phoneCallKeys(callId, `${wrong}#`)).prompts).toEqual([P.wrongSms, P.smsSent]);
      expect(tail(await service.phoneCallKeys(callId, `${wrong}#`), 3)).toEqual([P.failed, P.locked, P.menu]);
    });

    it('the first password is refused until changed; unused 3 months after activation it locks', async () => {
      const svenId = (await createCustomer(service.ctx, '198507153990', 'Sven Svensson')).id;
      const { activatedAt } = await setPhoneCredentials(service.ctx, svenId, { userCode: '7654321', phone: '+46709999999' });
      await issueCodeTable(service.ctx, svenId);
      const { callId } = await service.phoneCallStart();
      expect(tail(await service.phoneCallKeys(callId, `2${'7654321'}#150785#`), 3)).toEqual([P.failed, P.initialPassword, P.menu]);
      now = addMonths(activatedAt, 3) - 1000;
      const before = (await service.phoneCallStart()).callId;
      expect((await service.phoneCallKeys(before, '1' + '7654321#')).state).toBe('app.waiting');
      now = addMonths(activatedAt, 3);
      const after = (await service.phoneCallStart()).callId;
      expect(tail(await service.phoneCallKeys(after, '1' + '7654321#'), 3)).toEqual([P.failed, P.locked, P.menu]);
      expect(tail(await service.phoneCallKeys(after, `2${'7654321'}#150785#`), 3)).toEqual([P.failed, P.locked, P.menu]);
      const [row] = await service.db.query<{ lock_reason: string }>('SELECT lock_reason FROM phone_credentials WHERE customer_id = ?', [svenId]);
      expect(row?.lock_reason).toBe('unused');
      await expect(changePassword(service.ctx, '7654321', '150785', '2468')).rejects.toMatchObject({ code: 'CODES_LOCKED' });
      // Anna changed hers at the first login: no lock after 3 months.
      const anna3 = (await service.phoneCallStart()).callId;
      expect(cellAsked(await service.phoneCallKeys(anna3, `2${USER_CODE}#${PASSWORD}#`))).toBeDefined();
    });
  });

  describe('the code table', () => {
    it('asks cells in random order and never a used one again', async () => {
      const asked: string[] = [];
      for (let i = 0; i < 12; i++) {
        const { cell, call } = await identifyWithTable();
        expect(call.identified).toBe(true);
        asked.push(cell);
      }
      expect(new Set(asked).size).toBe(asked.length);
      const order = allCells();
      const positions = asked.map((c) => order.indexOf(c));
      expect(positions).not.toEqual([...positions].sort((a, b) => a - b));
      const used = await service.db.query<{ cell: string }>('SELECT cell FROM phone_code_cells WHERE used_at IS NOT NULL');
      expect(used.map((r) => r.cell).sort()).toEqual([...asked].sort());
    });

    it('with one code left it is the one asked; with none, the table is used up', async () => {
      await service.db.run("UPDATE phone_code_cells SET used_at = 1 WHERE cell <> 'C7'");
      const { cell } = await identifyWithTable();
      expect(cell).toBe('C7');
      const { callId } = await service.phoneCallStart();
      expect(tail(await service.phoneCallKeys(callId, `2${USER_CODE}#${PASSWORD}#`), 3)).toEqual([P.failed, P.noTable, P.menu]);
    });

    it('a new code table replaces the old one', async () => {
      const old = codes;
      const fresh = (await issueCodeTable(service.ctx, annaId)).codes;
      const { callId } = await service.phoneCallStart();
      const cell = cellAsked(await service.phoneCallKeys(callId, `2${USER_CODE}#${PASSWORD}#`))!;
      if (old[cell] !== fresh[cell]) expect((await service.phoneCallKeys(callId, `${old[cell]}#`)).prompts).toEqual([P.wrongCell, P.cell(cell)]);
      expect((await service.phoneCallKeys(callId, `${fresh[cell]}#`)).state).toBe('table.sms');
    });
  });

  describe('SMS codes', () => {
    it('expire after 5 minutes', async () => {
      const { callId } = await service.phoneCallStart();
      await toSms(service, callId);
      const code = await lastSmsCode();
      now += SMS_CODE_LIFE_MS;
      const call = await service.phoneCallKeys(callId, `${code}#`);
      expect(call).toMatchObject({ state: 'menu', identified: false });
      expect(call.prompts).toEqual([P.failed, P.smsExpired, P.menu]);
    });

    it("are valid only for their own call, even for the same customer's other call", async () => {
      const a = (await service.phoneCallStart()).callId;
      const b = (await other.phoneCallStart()).callId;
      await toSms(service, a);
      const codeA = await lastSmsCode();
      await toSms(other, b);
      const codeB = await lastSmsCode();
      if (codeA !== codeB) {
        expect((await other.phoneCallKeys(b, `${codeA}#`)).prompts).toEqual([P.wrongSms, P.smsSent]);
      }
      expect((await other.phoneCallKeys(b, `${codeB}#`)).identified).toBe(true);
      expect((await service.phoneCallKeys(a, `${codeA}#`)).identified).toBe(true);
    });
  });

  describe('two calls for one customer at once', () => {
    it('wrong passwords from both calls count atomically towards one lock', async () => {
      const calls = await Promise.all([service.phoneCallStart(), other.phoneCallStart(), service.phoneCallStart()]);
      await Promise.all(calls.map((c, i) => (i % 2 ? other : service).phoneCallKeys(c.callId, `2${USER_CODE}#`)));
      const answers = await Promise.all(calls.map((c, i) => (i % 2 ? other : service).phoneCallKeys(c.callId, '0000#')));
      expect(answers.filter((a) => a.prompts.includes(P.locked))).toHaveLength(1);
      const [row] = await service.db.query<{ password_failures: number; lock_reason: string }>('SELECT password_failures, lock_reason FROM phone_credentials WHERE customer_id = ?', [annaId]);
      expect(Number(row!.password_failures)).toBe(PASSWORD_MAX_FAILURES);
      expect(row!.lock_reason).toBe('password');
    });

    it('one code-table cell cannot serve both calls', async () => {
      await service.db.run("UPDATE phone_code_cells SET used_at = 1 WHERE cell <> 'A1'");
      const [a, b] = await Promise.all([service.phoneCallStart(), other.phoneCallStart()]);
      const [qa, qb] = await Promise.all([service.phoneCallKeys(a.callId, `2${USER_CODE}#${PASSWORD}#`), other.phoneCallKeys(b.callId, `2${USER_CODE}#${PASSWORD}#`)]);
      expect([cellAsked(qa), cellAsked(qb)]).toEqual(['A1', 'A1']);
      const [ra, rb] = await Promise.all([service.phoneCallKeys(a.callId, `${codes.A1}#`), other.phoneCallKeys(b.callId, `${codes.A1}#`)]);
      const states = [ra.state, rb.state].sort();
      expect(states).toEqual(['menu', 'table.sms']);
      const loser = ra.state === 'menu' ? ra : rb;
      expect(loser.prompts).toEqual([P.cellUsed, P.failed, P.noTable, P.menu]);
    });

    it("one call's identification is not the other's", async () => {
      const b = (await other.phoneCallStart()).callId;
      await other.phoneCallKeys(b, '2');
      const { call } = await identifyWithTable();
      expect(call.identified).toBe(true);
      const stillB = await other.phoneCallKeys(b, '*');
      expect(stillB).toMatchObject({ identified: false, state: 'table.userCode' });
    });
  });

  describe('a dropped call must identify again', () => {
    it('hung up: the call takes no more keys; a new call starts unidentified', async () => {
      const { callId } = await identifyWithTable();
      const ended = await service.phoneCallHangup(callId);
      expect(ended).toMatchObject({ state: 'ended', ended: true, identified: false, prompts: [P.goodbye] });
      await expect(service.phoneCallKeys(callId, '1')).rejects.toMatchObject({ code: 'CALL_ENDED', status: 409 });
      expect((await service.phoneCallHangup(callId)).prompts).toEqual([]);
      const again = await service.phoneCallStart();
      expect(again).toMatchObject({ state: 'menu', identified: false });
    });

    it('timed out (no key for the idle time): dropped, and a pending app request can no longer be approved', async () => {
      const { callId } = await service.phoneCallStart();
      await service.phoneCallKeys(callId, `1${USER_CODE}#`);
      const [request] = await service.pendingAppIdentifications(anna);
      now += CALL_IDLE_MS;
      await expect(service.phoneCallKeys(callId, '')).rejects.toMatchObject({ code: 'CALL_ENDED', message: expect.stringMatching(/dropped/) });
      await expect(approve(anna, request!)).rejects.toMatchObject({ code: 'IDENTIFICATION_EXPIRED' });
      const [row] = await service.db.query<{ end_reason: string }>('SELECT end_reason FROM phone_calls WHERE id = ?', [callId]);
      expect(row?.end_reason).toBe('timeout');
    });
  });

  it('the HTTP routes: the IVR key guards the phone routes; the app answers with its session', async () => {
    const app = buildServer(service, { log: () => undefined });
    try {
      const ivrKey = await createIvrKey(service.ctx, 'test IVR');
      const networkKey = await createNetworkKey(service.ctx, 'network');
      const post = (url: string, key: string | undefined, body?: unknown) =>
        app.inject({
          method: 'POST',
          url,
          headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
        });
      expect((await post('/v1/phone/calls', undefined)).json()).toMatchObject({ code: 'UNAUTHENTICATED' });
      const wrongKey = await post('/v1/phone/calls', networkKey);
      expect(wrongKey.statusCode).toBe(401);
      expect(wrongKey.json()).toMatchObject({ code: 'IVR_KEY_INVALID' });
      const started = await post('/v1/phone/calls', ivrKey);
      expect(started.statusCode).toBe(201);
      const callId = started.json().callId as string;
      const bad = await post(`/v1/phone/calls/${callId}/keys`, ivrKey, { keys: '1x' });
      expect(bad.json()).toMatchObject({ code: 'INVALID_INPUT' });
      const waiting = await post(`/v1/phone/calls/${callId}/keys`, ivrKey, { keys: `1${USER_CODE}#` });
      expect(waiting.json()).toMatchObject({ state: 'app.waiting' });
      const session = await createSession(service.ctx, { id: annaId, name: 'Anna Andersson', personnummer: '199001012385' }, 'dosa');
      const list = await app.inject({ method: 'GET', url: '/v1/app/identifications', headers: { authorization: `Bearer ${session.token}` } });
      expect(list.json()).toHaveLength(1);
      const listed = list.json()[0] as { id: string; requester: string; code: string };
      const id = listed.id;
      const signed = signIdentification(listed, annaApp, new Date(now));
      expect((await post(`/v1/app/identifications/${id}/approve`, undefined, signed)).statusCode).toBe(401);
      // An approval without the app's signature is refused.
      const unsigned = await post(`/v1/app/identifications/${id}/approve`, session.token);
      expect(unsigned.statusCode).toBeGreaterThanOrEqual(400);
      expect((await post(`/v1/app/identifications/${id}/approve`, session.token, {})).json()).toMatchObject({ code: 'INVALID_INPUT' });
      expect((await post(`/v1/app/identifications/${id}/approve`, session.token, signed)).json()).toEqual({ id, state: 'approved' });
      expect((await post(`/v1/phone/calls/${callId}/keys`, ivrKey, { keys: '' })).json()).toMatchObject({ identified: true, method: 'app' });
      const hung = await post(`/v1/phone/calls/${callId}/hangup`, ivrKey);
      expect(hung.json()).toMatchObject({ ended: true });
      expect((await post(`/v1/phone/calls/${callId}/keys`, ivrKey, { keys: '1' })).json()).toMatchObject({ code: 'CALL_ENDED' });
      const doc = (await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
      expect(doc.paths['/v1/phone/calls'].post.security).toEqual([{ ivrKey: [] }]);
    } finally {
      await app.close();
    }
  });
});
