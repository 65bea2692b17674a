/** The fake e-kort service: terms, payment cards and e-nummer. */
import type { EkortApi, CreateEnummerRequest, Enummer, EnummerSecret, PaymentCard } from '../../../../src/client/api.ts';
import { fail, type FakeKit } from './kit.ts';

export function ekortMethods(kit: FakeKit) {
  const { s, options, nextId, requireSession, respond } = kit;
  return {
    terms: () =>
      respond('terms', undefined, () => ({
        version: '2026-01',
        title: 'Villkor för e-kort',
        text: 'Du betalar på internet med e-nummer som bara gäller hos en handlare.\n\nBanken ansvarar för…',
        effectiveFrom: null,
        upcoming: options.upcomingTerms ?? null,
      })),
    acceptTerms: (input) =>
      respond('acceptTerms', input, () => {
        requireSession();
        if (options.upcomingTerms?.version !== input.version) throw fail('TERMS_OUTDATED', 'No such change is announced.');
        s.cards = s.cards.map((c) => (c.connected ? { ...c, termsVersion: input.version, termsAcceptedAt: new Date().toISOString() } : c));
      }),
    endAgreement: () =>
      respond('endAgreement', undefined, () => {
        requireSession();
        const cards = s.cards.filter((c) => c.connected).length;
        const enummers = s.enummers.filter((e) => e.state !== 'closed').length;
        s.cards = s.cards.map((c) => ({ ...c, connected: false, termsVersion: null, termsAcceptedAt: null }));
        s.enummers = s.enummers.map((e) => (e.state === 'closed' ? e : { ...e, state: 'closed', closeReason: 'agreement_ended', closedAt: new Date().toISOString() }));
        return { cards, enummers };
      }),
    paymentCards: () =>
      respond('paymentCards', undefined, () => {
        requireSession();
        return s.cards.map((c) => ({ ...c }));
      }),
    connectCard: (input) =>
      respond('connectCard', input, () => {
        requireSession();
        const c = s.cards.find((x) => x.id === input.cardId);
        if (!c) throw fail('NOT_FOUND', 'No such card.');
        if (c.state === 'blocked') throw fail('CARD_BLOCKED', 'The card is blocked.');
        const next: PaymentCard = { ...c, connected: true, termsVersion: input.termsVersion, termsAcceptedAt: new Date().toISOString() };
        s.cards = s.cards.map((x) => (x.id === c.id ? next : x));
        return next;
      }),
    blockCard: (input) =>
      respond('blockCard', input, () => {
        requireSession();
        const c = s.cards.find((x) => x.id === input.cardId);
        if (!c) throw fail('NOT_FOUND', 'No such card.');
        const next: PaymentCard = { ...c, state: 'blocked' };
        s.cards = s.cards.map((x) => (x.id === c.id ? next : x));
        s.enummers = s.enummers.map((e) => (e.cardLast4 === c.last4 && e.state !== 'closed' ? { ...e, state: 'closed', closeReason: 'card_blocked', closedAt: new Date().toISOString() } : e));
        return next;
      }),
    enummers: () =>
      respond('enummers', undefined, () => {
        requireSession();
        return s.enummers.map((e) => ({ ...e }));
      }),
    createEnummer: (input: CreateEnummerRequest) =>
      respond('createEnummer', input, () => {
        requireSession();
        const c = s.cards.find((x) => x.id === input.cardId);
        if (!c) throw fail('NOT_FOUND', 'No such card.');
        if (!c.connected) throw fail('CARD_NOT_CONNECTED', 'Connect the card first.');
        if (c.state === 'blocked') throw fail('CARD_BLOCKED', 'The card is blocked.');
        const id = nextId('enr');
        s.counter += 1;
        const pan = `4571${String(s.counter).padStart(4, '0')}${String(s.counter * 31).padStart(8, '0').slice(-8)}`;
        const months = input.recurring ? (input.months ?? 1) : 1;
        // As the service: valid through the last day of the month printed as MM/YY.
        const last = new Date();
        last.setMonth(last.getMonth() + months);
        const until = new Date(last.getFullYear(), last.getMonth() + 1, 1);
        const expiry = `${String(last.getMonth() + 1).padStart(2, '0')}/${String(last.getFullYear() % 100).padStart(2, '0')}`;
        const enummer: Enummer = {
          id,
          last4: pan.slice(-4),
          cardLast4: c.last4,
          merchant: (input.merchant ?? '').trim(),
          kind: input.recurring ? 'recurring' : 'single',
          months,
          expiry,
          validUntil: until.toISOString(),
          nickname: input.nickname ?? null,
          limit: input.limit ?? null,
          state: 'open',
          closeReason: null,
          createdAt: new Date().toISOString(),
          closedAt: null,
          lock: null,
          lockedTo: null,
        };
        const secret: EnummerSecret = { id, pan, expiry, cvc: String(100 + (s.counter % 900)) };
        s.enummers = [enummer, ...s.enummers];
        s.secrets.set(id, secret);
        return { enummer, secret };
      }),
    revealEnummer: (input) =>
      respond('revealEnummer', input, () => {
        requireSession();
        if (options.reauthForReveal) throw fail('REAUTH_REQUIRED', 'Log in again to see the number.');
        const secret = s.secrets.get(input.id);
        if (!secret) throw fail('NOT_FOUND', 'No such e-nummer.');
        return { ...secret };
      }),
    changeEnummer: (input) =>
      respond('changeEnummer', input, () => {
        requireSession();
        const e = s.enummers.find((x) => x.id === input.id);
        if (!e) throw fail('NOT_FOUND', 'No such e-nummer.');
        if (e.state === 'closed') throw fail('STATE_CONFLICT', 'The e-nummer is closed.');
        if (input.action === 'unlock') s.wrongCardData.delete(e.id);
        const next: Enummer =
          input.action === 'close'
            ? { ...e, state: 'closed', closeReason: 'closed_by_holder', closedAt: new Date().toISOString() }
            : input.action === 'unlock'
              ? { ...e, lock: null }
              : { ...e, state: input.action === 'pause' ? 'paused' : 'open' };
        s.enummers = s.enummers.map((x) => (x.id === e.id ? next : x));
        return next;
      }),

  } satisfies Partial<EkortApi>;
}
