/** The agent's e-kort calls: each goes to the service for the logged-in holder (terms excepted). */
import type { AgentSession } from './agentSession.ts';
import type { AgentHandlerTable } from './agent.ts';

type EkortCalls = 'terms' | 'paymentCards' | 'connectCard' | 'blockCard' | 'acceptTerms' | 'endAgreement' | 'enummers' | 'createEnummer' | 'revealEnummer' | 'changeEnummer' | 'transactions' | 'disputeTransaction' | 'disputes' | 'requestRefund' | 'refunds' | 'submitPoliceReport' | 'notifications' | 'preferences' | 'setPreferences';

export function ekortHandlers(session: AgentSession): Pick<AgentHandlerTable, EkortCalls> {
  return {
    terms: () => session.withBank((c) => c.terms()),
    paymentCards: () => session.holder((c) => c.cards()),
    connectCard: ({ cardId, termsVersion }) => session.holder((c) => c.connectCard(cardId, termsVersion)),
    blockCard: ({ cardId }) => session.holder((c) => c.blockCard(cardId)),
    acceptTerms: ({ version }) => session.holder((c) => c.acceptTerms(version)),
    endAgreement: () => session.holder((c) => c.endAgreement()),
    enummers: () => session.holder((c) => c.enummers()),
    createEnummer: (request) => session.holder((c) => c.createEnummer(request)),
    revealEnummer: ({ id }) => session.holder((c) => c.revealEnummer(id)),
    changeEnummer: ({ id, action }) => session.holder((c) => c.changeEnummer(id, action)),
    transactions: (input) => {
      const enummerId = input?.enummerId;
      return session.holder((c) => (enummerId === undefined ? c.transactions() : c.enummerTransactions(enummerId)));
    },
    disputeTransaction: ({ transactionId, kind, description }) => session.holder((c) => c.disputeTransaction(transactionId, description === undefined ? { kind } : { kind, description })),
    disputes: () => session.holder((c) => c.disputes()),
    preferences: () => session.holder((c) => c.preferences()),
    setPreferences: (change) => session.holder((c) => c.setPreferences(change)),
    requestRefund: ({ transactionId, expectedAmount, reason }) => session.holder((c) => c.requestRefund(transactionId, reason === undefined ? { expectedAmount } : { expectedAmount, reason })),
    refunds: () => session.holder((c) => c.refunds()),
    submitPoliceReport: ({ id, reference }) => session.holder((c) => c.submitPoliceReport(id, reference)),
    notifications: () => session.holder((c) => c.notifications()),
  };
}
