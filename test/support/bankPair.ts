/**
 * The start most service suites share: two service instances on one fresh database (as a
 * deployment runs them) and Anna Andersson with one payment card connected to e-kort.
 */
import { beforeEach } from 'vitest';
import type { AuthorizationResult } from '../../src/bank/api/schemas.ts';
import { addPaymentCard, connectCard, createCustomer } from '../../src/bank/customers.ts';
import { EkortService, type EkortServiceOptions } from '../../src/bank/service.ts';
import type { ActiveSession } from '../../src/bank/sessions.ts';
import type { StoreTarget } from './postgres.ts';

export interface BankPair {
  service: EkortService;
  /** A second instance on the same database. */
  other: EkortService;
  /** The database both use (a --db target), for a third instance. */
  target: string;
  anna: ActiveSession;
  annaId: string;
  /** Anna's card, connected under the current terms. */
  cardId: string;
  close(): Promise<void>;
}

export async function openBankPair(
  store: StoreTarget,
  options: EkortServiceOptions,
  extra: { otherOptions?: EkortServiceOptions; limits?: { limitPerPurchase: number; limitPerMonth: number } } = {},
): Promise<BankPair> {
  const target = await store.open();
  const service = await EkortService.open(target.target, options);
  const other = await EkortService.open(target.target, extra.otherOptions ?? options);
  const { id } = await createCustomer(service.ctx, '199001012385', 'Anna Andersson');
  const cardId = (await addPaymentCard(service.ctx, id, extra.limits)).id;
  await connectCard(service.ctx, id, cardId, (await service.terms()).version);
  return {
    service,
    other,
    target: target.target,
    anna: { customerId: id, method: 'card', authenticatedAt: service.ctx.config.now() },
    annaId: id,
    cardId,
    async close() {
      await service.close();
      await other.close();
      await target.drop();
    },
  };
}

export interface PairEach {
  /** The clock of both instances (epoch ms); a test moves it. */
  now: number;
  bank: BankPair;
  service: EkortService;
  anna: ActiveSession;
  /** A purchase of 10 kr at `merchant` with the e-nummer's data, a millisecond after the last. */
  buy(secret: { pan: string; expiry: string; cvc: string }, merchant?: string): Promise<AuthorizationResult>;
}

/** A fresh pair before each test of the suite (closed after it), its clock set to `start`. */
export function eachBankPair(store: StoreTarget, start: number): PairEach {
  const t = { now: start } as PairEach;
  beforeEach(async () => {
    t.now = start;
    t.bank = await openBankPair(store, { now: () => t.now, sweepIntervalMs: 0 });
    t.service = t.bank.service;
    t.anna = t.bank.anna;
    return t.bank.close;
  });
  t.buy = (secret, merchant = 'Webbutiken') => {
    t.now += 1;
    return t.service.authorize({ pan: secret.pan, expiry: secret.expiry, cvc: secret.cvc, merchant, amount: 10_00 });
  };
  return t;
}
