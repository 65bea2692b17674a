import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../../src/client/api.ts';
import { createFakeApi, FAKE_DOSA_SERIAL, FAKE_PIN, FAKE_READER } from '../../../renderer/src/api/fakeApi.ts';
import { METHODS } from '../../../renderer/src/api/methods.ts';

describe('the fake agent', () => {
  it('implements every method', () => {
    const api = createFakeApi() as unknown as Record<string, unknown>;
    for (const m of METHODS) expect(typeof api[m], m).toBe('function');
  });

  it('simulates a card login with tries left and a blocked PIN', async () => {
    const api = createFakeApi();
    const events: AgentEvent[] = [];
    api.subscribe((e) => events.push(e));
    const demo = await api.startDemo();
    expect(demo.reader).toBe(FAKE_READER);
    expect(events.some((e) => e.type === 'readers' && e.readers[0]?.state === 'card')).toBe(true);
    const holder = await api.cardHolder({ reader: FAKE_READER });
    expect(holder).toMatchObject({ name: 'Anna Andersson', pinTriesLeft: 3, pinBlocked: false });
    await expect(api.loginWithCard({ reader: FAKE_READER, pin: '000000' })).rejects.toMatchObject({ code: 'PIN_INCORRECT', retriesLeft: 2 });
    await expect(api.loginWithCard({ reader: FAKE_READER, pin: '000000' })).rejects.toMatchObject({ code: 'PIN_INCORRECT', retriesLeft: 1 });
    await expect(api.loginWithCard({ reader: FAKE_READER, pin: '000000' })).rejects.toMatchObject({ code: 'PIN_BLOCKED' });
    await expect(api.loginWithCard({ reader: FAKE_READER, pin: FAKE_PIN })).rejects.toMatchObject({ code: 'PIN_BLOCKED' });
    expect((await api.cardHolder({ reader: FAKE_READER })).pinBlocked).toBe(true);
  });

  it('logs in with the right PIN and ends the session on request', async () => {
    const api = createFakeApi({ cardInserted: true });
    const session = await api.loginWithCard({ reader: FAKE_READER, pin: FAKE_PIN });
    expect(session.method).toBe('card');
    expect(await api.session()).not.toBeNull();
    const events: AgentEvent[] = [];
    api.subscribe((e) => events.push(e));
    api.control.expireSession();
    expect(events).toEqual([{ type: 'session-ended', reason: 'expired' }]);
    await expect(api.paymentCards()).rejects.toMatchObject({ code: 'SESSION_EXPIRED' });
  });

  it('answers a card removed mid-login', async () => {
    const api = createFakeApi({ cardInserted: true });
    api.control.removeCard();
    await expect(api.loginWithCard({ reader: FAKE_READER, pin: FAKE_PIN })).rejects.toMatchObject({ code: 'NO_CARD' });
  });

  it('simulates the dosa: challenge, wrong svarskod with tries left, right svarskod', async () => {
    const api = createFakeApi();
    await expect(api.startDosaLogin({ serial: '999999' })).rejects.toMatchObject({ code: 'DOSA_UNKNOWN' });
    const c = await api.startDosaLogin({ serial: FAKE_DOSA_SERIAL });
    expect(c.kontrollnummer).toMatch(/^[0-9]{8}$/);
    await expect(api.finishDosaLogin({ challengeId: c.challengeId, svarskod: '00000000' })).rejects.toMatchObject({ code: 'DOSA_CODE_WRONG', triesLeft: 4 });
    const s = await api.finishDosaLogin({ challengeId: c.challengeId, svarskod: api.control.svarskodFor(c.kontrollnummer) });
    expect(s.method).toBe('dosa');
  });

  it('simulates a token that waits for a touch, and cancelling it', async () => {
    const api = createFakeApi({ token: true, touchDelayMs: 5 });
    const touches: boolean[] = [];
    api.subscribe((e) => e.type === 'token-touch' && touches.push(e.waiting));
    const [token] = await api.tokens();
    const c = await api.startDosaLogin({ serial: FAKE_DOSA_SERIAL });
    await expect(api.answerWithToken({ challengeId: c.challengeId, token: token!.id })).resolves.toMatchObject({ method: 'dosa' });
    expect(touches).toEqual([true, false]);
    const c2 = await api.startDosaLogin({ serial: FAKE_DOSA_SERIAL });
    const slow = createFakeApi({ token: true, touchDelayMs: 10_000 });
    const c3 = await slow.startDosaLogin({ serial: FAKE_DOSA_SERIAL });
    const pending = slow.answerWithToken({ challengeId: c3.challengeId, token: token!.id });
    await new Promise((r) => setTimeout(r, 0));
    await slow.cancelToken();
    await expect(pending).rejects.toMatchObject({ code: 'TOKEN_CANCELLED' });
    expect(c2.challengeId).not.toBe(c.challengeId);
  });

  it('creates, reveals, pauses and closes e-nummer and authorizes purchases', async () => {
    const api = createFakeApi({ cardInserted: true });
    await api.loginWithCard({ reader: FAKE_READER, pin: FAKE_PIN });
    const [visa, mc] = await api.paymentCards();
    await expect(api.createEnummer({ cardId: mc!.id, merchant: 'Shop' })).rejects.toMatchObject({ code: 'CARD_NOT_CONNECTED' });
    const terms = await api.terms();
    expect((await api.connectCard({ cardId: mc!.id, termsVersion: terms.version })).connected).toBe(true);
    const { enummer, secret } = await api.createEnummer({ cardId: visa!.id, merchant: 'Webbshoppen', recurring: true, months: 6, limit: { amount: 50000, period: 'month' } });
    expect(enummer).toMatchObject({ merchant: 'Webbshoppen', kind: 'recurring', months: 6, state: 'open', last4: secret.pan.slice(-4) });
    expect(await api.revealEnummer({ id: enummer.id })).toEqual(secret);
    await expect(api.authorizePurchase({ pan: secret.pan, expiry: secret.expiry, cvc: secret.cvc, merchant: 'Webbshoppen', amount: 100 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await api.updateSettings({ engineerMode: true });
    expect(await api.authorizePurchase({ pan: secret.pan, expiry: secret.expiry, cvc: secret.cvc, merchant: 'Webbshoppen', amount: 100 })).toMatchObject({ approved: true });
    expect(await api.authorizePurchase({ pan: secret.pan, expiry: secret.expiry, cvc: secret.cvc, merchant: 'Elsewhere', amount: 100 })).toMatchObject({ approved: false, declineCode: 'MERCHANT_MISMATCH' });
    expect((await api.changeEnummer({ id: enummer.id, action: 'pause' })).state).toBe('paused');
    expect((await api.changeEnummer({ id: enummer.id, action: 'resume' })).state).toBe('open');
    expect((await api.transactions({ enummerId: enummer.id })).map((x) => x.decision)).toEqual(['declined', 'approved']);
    await api.blockCard({ cardId: visa!.id });
    expect((await api.enummers())[0]).toMatchObject({ state: 'closed', closeReason: 'card_blocked' });
  });
});
