/**
 * The start most service suites share: two service instances on one fresh database (as a
 * deployment runs them) and Anna Andersson with one payment card connected to e-kort.
 */
import { addPaymentCard, connectCard, createCustomer } from '../../src/bank/customers.ts';
import { EkortService, type EkortServiceOptions } from '../../src/bank/service.ts';
import type { ActiveSession } from '../../src/bank/sessions.ts';
import type { StoreTarget } from './postgres.ts';

export interface BankPair {
  service: EkortService;
  /** A second instance on the same database. */
  other: EkortService;
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
  await connectCard(service.ctx, id, cardId, service.terms().version);
  return {
    service,
    other,
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
