/** The fake purchases: transactions, disputes, the bank's messages and the card network's authorizations. */
import type { EkortApi, Dispute, RefundRequest, Transaction } from '../../../../src/client/api.ts';
import { fail, FAKE_EEA, FAKE_RATES, type FakeKit } from './kit.ts';

export function purchaseMethods(kit: FakeKit) {
  const { s, nextId, requireSession, requireEngineer, respond } = kit;
  return {
    transactions: (input) =>
      respond('transactions', input, () => {
        requireSession();
        return s.transactions.filter((x) => !input.enummerId || x.enummerId === input.enummerId);
      }),
    disputeTransaction: (input) =>
      respond('disputeTransaction', input, (): Dispute => {
        requireSession();
        const tx = s.transactions.find((x) => x.id === input.transactionId);
        if (!tx) throw fail('NOT_FOUND', 'There is no such transaction among yours.');
        if (tx.decision !== 'approved') throw fail('TRANSACTION_DECLINED', 'The purchase was declined and never charged: there is nothing to dispute.');
        const existing = s.disputes.find((d) => d.transactionId === tx.id && d.kind !== 'goods' && input.kind !== 'goods');
        if (existing) throw fail('ALREADY_DISPUTED', 'This purchase is disputed already.');
        const enr = s.enummers.find((e) => e.id === tx.enummerId);
        const paymentCard = s.cards.find((c) => c.last4 === enr?.cardLast4);
        const now = new Date().toISOString();
        const liability: Dispute['liability'] =
          input.kind === 'unauthorised'
            ? paymentCard?.state === 'blocked'
              ? { maxSelfRiskOre: 0, reason: 'after_card_block', section: '10.5' }
              : { maxSelfRiskOre: Math.min(400_00, tx.amount), reason: 'self_risk', section: '10.2', grossNegligenceMaxOre: Math.min(12_000_00, tx.amount) }
            : input.kind === 'incorrect'
              ? { maxSelfRiskOre: 0, reason: 'incorrect_execution', section: '11.1' }
              : { maxSelfRiskOre: tx.amount, reason: 'goods_merchant_first', section: '11.2' };
        const dispute: Dispute = {
          id: nextId('dsp'),
          transactionId: tx.id,
          kind: input.kind,
          state: input.kind === 'goods' ? 'referred_to_merchant' : 'received',
          resolution: null,
          description: input.description ?? null,
          createdAt: now,
          updatedAt: now,
          merchant: tx.merchant,
          amount: tx.amount,
          liability,
          ...(input.kind === 'unauthorised' && paymentCard && paymentCard.state !== 'blocked' ? { offerCardBlock: true, cardId: paymentCard.id } : {}),
        };
        s.disputes = [dispute, ...s.disputes];
        return dispute;
      }),
    requestRefund: (input) =>
      respond('requestRefund', input, () => {
        requireSession();
        const tx = s.transactions.find((x) => x.id === input.transactionId);
        if (!tx) throw fail('NOT_FOUND', 'There is no such transaction among yours.');
        if (tx.decision !== 'approved') throw fail('TRANSACTION_DECLINED', 'Nothing to refund.');
        if ((tx.originalAmount ?? tx.amount) <= input.expectedAmount) throw fail('REFUND_NOT_DUE', 'Not above what you expected.');
        if (s.refunds.some((r) => r.transactionId === tx.id)) throw fail('ALREADY_REQUESTED', 'Asked for already.');
        const now = new Date().toISOString();
        const request: RefundRequest = {
          id: nextId('rfd'),
          transactionId: tx.id,
          merchant: tx.merchant,
          amount: tx.amount,
          expectedAmount: input.expectedAmount,
          reason: input.reason ?? null,
          state: 'received',
          answerBy: new Date(Date.now() + 14 * 86_400_000).toISOString(),
          answerReason: null,
          createdAt: now,
          answeredAt: null,
        };
        s.refunds = [request, ...s.refunds];
        return request;
      }),
    refunds: () =>
      respond('refunds', undefined, () => {
        requireSession();
        return s.refunds.map((r) => ({ ...r }));
      }),
    preferences: () =>
      respond('preferences', undefined, () => {
        requireSession();
        return { currencyNotices: s.currencyNotices };
      }),
    setPreferences: (input) =>
      respond('setPreferences', input, () => {
        requireSession();
        s.currencyNotices = input.currencyNotices;
        return { currencyNotices: s.currencyNotices };
      }),
    submitPoliceReport: (input) =>
      respond('submitPoliceReport', input, () => {
        requireSession();
        const d = s.disputes.find((x) => x.id === input.id);
        if (!d) throw fail('NOT_FOUND', 'No such dispute.');
        if (!d.policeReport || d.state === 'resolved') throw fail('STATE_CONFLICT', 'No police report is asked for.');
        const next = { ...d, policeReport: { ...d.policeReport, reference: input.reference, submittedAt: new Date().toISOString() } };
        s.disputes = s.disputes.map((x) => (x.id === d.id ? next : x));
        return next;
      }),
    disputes: () =>
      respond('disputes', undefined, () => {
        requireSession();
        return s.disputes.map((d) => ({ ...d }));
      }),
    notifications: () =>
      respond('notifications', undefined, () => {
        requireSession();
        return s.notifications.map((n) => ({ ...n }));
      }),
    authorizePurchase: (input) =>
      respond('authorizePurchase', { ...input, pan: '***', cvc: '***' }, () => {
        requireEngineer();
        const entry = [...s.secrets.values()].find((secret) => secret.pan === input.pan);
        const e = entry ? s.enummers.find((x) => x.id === entry.id) : undefined;
        let declineCode: Transaction['declineCode'] = null;
        if (!entry || !e) declineCode = 'UNKNOWN_NUMBER';
        else if (e.state === 'closed') declineCode = 'CLOSED';
        else if (e.lock) declineCode = 'CVC_LOCKED';
        else if (e.state === 'paused') declineCode = 'PAUSED';
        else if (entry.expiry !== input.expiry) declineCode = 'EXPIRY_MISMATCH';
        else if (entry.cvc !== input.cvc) declineCode = 'CVC_MISMATCH';
        else if (e.merchant.toLowerCase() !== input.merchant.trim().toLowerCase()) declineCode = 'MERCHANT_MISMATCH';
        if (e && (declineCode === 'EXPIRY_MISMATCH' || declineCode === 'CVC_MISMATCH')) {
          const wrong = (s.wrongCardData.get(e.id) ?? 0) + 1;
          s.wrongCardData.set(e.id, wrong);
          const lock = wrong >= 5 ? { reason: 'wrong_cvc' as const, lockedAt: new Date().toISOString() } : null;
          if (lock) s.enummers = s.enummers.map((x) => (x.id === e.id ? { ...x, lock } : x));
        }
        const currency = input.currency && input.currency !== 'SEK' ? input.currency : null;
        const rate = currency ? FAKE_RATES[currency] : undefined;
        // Another currency: converted at the reference rate (cents × SEK/unit = öre), plus the 1,65 % markup.
        const converted = rate === undefined ? input.amount : Math.round(input.amount * rate);
        const fee = rate === undefined ? 0 : Math.round((converted * 165) / 10_000);
        const amount = converted + fee;
        if (declineCode === null && currency && rate === undefined) declineCode = 'CURRENCY_NOT_SUPPORTED';
        else if (e && e.limit && amount > e.limit.amount && declineCode === null) declineCode = 'LIMIT_EXCEEDED';
        const tx: Transaction = {
          id: nextId('txn'),
          enummerId: e?.id ?? null,
          last4: input.pan.slice(-4),
          merchant: input.merchant,
          amount,
          decision: declineCode ? 'declined' : 'approved',
          declineCode,
          createdAt: new Date().toISOString(),
          ...(currency && rate !== undefined ? { originalAmount: input.amount, currency, rate, rateDate: '2026-11-20', fee } : {}),
        };
        s.transactions = [tx, ...s.transactions];
        if (currency && rate !== undefined && FAKE_EEA.has(currency) && !s.notifications.some((n) => n.currency === currency)) {
          const shown = String(rate).replace('.', ',');
          s.notifications = [
            {
              id: nextId('ntf'),
              kind: 'currency_conversion',
              title: { sv: `Växlingsavgift för köp i ${currency}`, en: `Currency conversion charge for ${currency}` },
              refId: null,
              currency,
              month: tx.createdAt.slice(0, 7),
              transactionId: tx.id,
              markupPercent: '1.65',
              rate,
              rateDate: '2026-11-20',
              text: {
                sv: `Du har handlat med ditt kort i ${currency}. Valutaväxlingspåslaget är 1,65 % över referensväxelkursen (${shown} kr per ${currency} den 2026-11-20). Vi skickar detta meddelande en gång per valuta och månad (kortvillkor punkt 17).`,
                en: `You paid with your card in ${currency}. The currency conversion markup is 1.65 % over the reference exchange rate (SEK ${rate} per ${currency} on 2026-11-20). We send this message once per currency and month (card terms §17).`,
              },
              createdAt: tx.createdAt,
            },
            ...s.notifications,
          ];
        }
        if (!declineCode && e && e.kind === 'single') {
          s.enummers = s.enummers.map((x) => (x.id === e.id ? { ...x, state: 'closed', closeReason: 'used', closedAt: tx.createdAt } : x));
        }
        return { approved: !declineCode, declineCode, transactionId: tx.id };
      }),
  } satisfies Partial<EkortApi>;
}
