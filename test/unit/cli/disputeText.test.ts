/** What `ekort transaction dispute` says the holder risks (card terms §10.2, §10.3). */
import { describe, expect, it } from 'vitest';
import type { Dispute } from '../../../src/bank/api/schemas.ts';
import { printDispute } from '../../../src/cli/disputeCommands.ts';
import { memoryIo } from '../../support/memoryIo.ts';

const claim = (amount: number, gross: number): Dispute =>
  ({
    id: 'dsp-00000001',
    transactionId: 'txn-00000001',
    kind: 'unauthorised',
    state: 'received',
    resolution: null,
    amount,
    merchant: 'Webbutiken',
    liability: { maxSelfRiskOre: Math.min(amount, 400_00), reason: 'self_risk', section: '§10.2', grossNegligenceMaxOre: gross },
  }) as unknown as Dispute;

describe('the self-risk in words', () => {
  it('above 400 kr: at most 400 kr, more only for gross negligence', () => {
    const { io, out } = memoryIo();
    printDispute(io, claim(5_000_00, 5_000_00));
    expect(out.join('\n').replace(/\u00a0/g, ' ')).toContain('Only if the purchase could be made through gross negligence more: at most 5 000,00 kr (§10.3).');
  });

  it('400 kr or less: the whole amount is the most there is, negligent or not', () => {
    const { io, out } = memoryIo();
    printDispute(io, claim(250_00, 250_00));
    const text = out.join('\n').replace(/\u00a0/g, ' ');
    expect(text).toContain('You risk at most the self-risk (card terms §10.2): 250,00 kr.');
    expect(text).toContain('That is the whole amount, no more than the 400 kr self-risk');
    expect(text).not.toContain('gross negligence more');
  });
});
