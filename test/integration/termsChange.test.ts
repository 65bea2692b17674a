/**
 * A change of the e-kort terms (card terms §21) on both stores: announced at least two months
 * ahead, every connected holder told, accepted early or by silence on its day, or e-kort ended
 * before it (every card disconnected, every e-nummer closed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addMonths } from '../../src/bank/calendar.ts';
import { addPaymentCard } from '../../src/bank/customers.ts';
import { announceTerms, TERMS } from '../../src/bank/terms.ts';
import { eachBankPair } from '../support/bankPair.ts';
import { requirePostgres, storeTargets } from '../support/postgres.ts';

const START = Date.UTC(2026, 10, 22, 10, 0, 0); // 22 November 2026, 11:00 in Stockholm
const EFFECTIVE = Date.UTC(2027, 0, 31, 23, 0, 0); // 1 February 2027, 00:00 in Stockholm
const NEW_TERMS = { version: '2027-02', title: 'Villkor för e-kort', text: 'De nya villkoren.\n\nMed ett andra stycke.' };
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ekort-terms-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

await requirePostgres();

describe.each(storeTargets(tmp, 'terms'))('a change of the terms on $name', (store) => {
  const t = eachBankPair(store, START);

  it('is refused less than two months ahead, and while another change is pending', async () => {
    await expect(announceTerms(t.service.ctx, { ...NEW_TERMS, effectiveAt: addMonths(START, 2) - 1 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await announceTerms(t.service.ctx, { ...NEW_TERMS, effectiveAt: addMonths(START, 2) })).toEqual({ told: 1 });
    await expect(announceTerms(t.service.ctx, { ...NEW_TERMS, version: '2027-03', effectiveAt: EFFECTIVE })).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
    await expect(announceTerms(t.service.ctx, { ...NEW_TERMS, version: TERMS.version, effectiveAt: EFFECTIVE })).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
  });

  it('tells the holder, shows the new terms and their day, and binds a silent holder from that day: the card stays connected', async () => {
    const { secret } = await t.service.createEnummer(t.anna, { cardId: t.bank.cardId, merchant: 'Webbutiken', recurring: true, months: 6 });
    await announceTerms(t.service.ctx, { ...NEW_TERMS, effectiveAt: EFFECTIVE });
    const [message] = await t.service.notifications(t.anna);
    expect(message).toMatchObject({ kind: 'terms_change', refId: '2027-02', title: { sv: 'Villkoren för e-kort ändras den 1 februari 2027' } });
    expect(message!.text.sv).toContain('Du kan godkänna dem redan nu, eller säga upp e-kort utan kostnad före den dagen.');
    const before = await t.bank.other.terms();
    expect(before).toMatchObject({ version: TERMS.version, effectiveFrom: null, upcoming: { version: '2027-02', text: NEW_TERMS.text, effectiveFrom: new Date(EFFECTIVE).toISOString() } });

    t.now = EFFECTIVE - 1;
    expect((await t.service.terms()).version).toBe(TERMS.version);
    t.now = EFFECTIVE;
    expect(await t.service.terms()).toMatchObject({ version: '2027-02', effectiveFrom: new Date(EFFECTIVE).toISOString(), upcoming: null });
    const [card] = await t.service.paymentCards(t.anna);
    expect(card).toMatchObject({ connected: true, termsVersion: TERMS.version });
    expect(await t.buy(secret)).toMatchObject({ approved: true });
    expect((await t.service.createEnummer(t.anna, { cardId: t.bank.cardId, merchant: 'Bokhandeln', recurring: false })).enummer.state).toBe('open');
    // A card connected from now on is connected under the new version only.
    const second = (await addPaymentCard(t.service.ctx, t.anna.customerId)).id;
    await expect(t.service.connectCard(t.anna, second, TERMS.version)).rejects.toMatchObject({ code: 'TERMS_OUTDATED' });
    expect(await t.service.connectCard(t.anna, second, '2027-02')).toMatchObject({ connected: true, termsVersion: '2027-02' });
  });

  it('accepted now: every connected card is under the new version at once', async () => {
    await announceTerms(t.service.ctx, { ...NEW_TERMS, effectiveAt: EFFECTIVE });
    await expect(t.service.acceptTerms(t.anna, '2027-03')).rejects.toMatchObject({ code: 'TERMS_OUTDATED' });
    t.now += 1000;
    await t.bank.other.acceptTerms(t.anna, '2027-02');
    const [card] = await t.service.paymentCards(t.anna);
    expect(card).toMatchObject({ connected: true, termsVersion: '2027-02', termsAcceptedAt: new Date(t.now).toISOString() });
  });

  it('ending e-kort disconnects every card and closes every e-nummer at once', async () => {
    const { secret } = await t.service.createEnummer(t.anna, { cardId: t.bank.cardId, merchant: 'Webbutiken', recurring: true, months: 6 });
    await announceTerms(t.service.ctx, { ...NEW_TERMS, effectiveAt: EFFECTIVE });
    expect(await t.service.endAgreement(t.anna)).toEqual({ cards: 1, enummers: 1 });
    expect((await t.service.paymentCards(t.anna))[0]).toMatchObject({ connected: false, termsVersion: null });
    expect((await t.service.enummers(t.anna))[0]).toMatchObject({ state: 'closed', closeReason: 'agreement_ended' });
    expect(await t.buy(secret)).toMatchObject({ approved: false });
    await expect(t.service.createEnummer(t.anna, { cardId: t.bank.cardId, merchant: 'Webbutiken', recurring: false })).rejects.toMatchObject({ code: 'CARD_NOT_CONNECTED' });
    expect(await t.service.endAgreement(t.anna)).toEqual({ cards: 0, enummers: 0 });
  });
});
