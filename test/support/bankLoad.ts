/** Data for load and durability runs against a service database: bench and tests share it. */
import { addPaymentCard, connectCard, createCustomer, createNetworkKey } from '../../src/bank/customers.ts';
import { EkortService } from '../../src/bank/service.ts';
import { createSession } from '../../src/bank/sessions.ts';

export interface LoadData {
  sessionToken: string;
  networkKey: string;
  cardIds: string[];
  enummer: Array<{ pan: string; expiry: string; cvc: string; merchant: string }>;
}

/**
 * A customer with `cards` connected cards (limits out of the way) and `enummer` e-nummer spread
 * over them: recurring ones (24 months), or single-purchase ones with `single`.
 */
export async function seedLoad(db: string, counts: { cards: number; enummer: number; single?: boolean }): Promise<LoadData> {
  const service = await EkortService.open(db, { sweepIntervalMs: 0 });
  try {
    const { id } = await createCustomer(service.ctx, '199001012385', 'Bench Holder');
    const cardIds: string[] = [];
    for (let i = 0; i < counts.cards; i++) {
      const card = await addPaymentCard(service.ctx, id, { limitPerPurchase: 1_000_000_00, limitPerMonth: 1_000_000_000_00 });
      await connectCard(service.ctx, id, card.id, (await service.terms()).version);
      cardIds.push(card.id);
    }
    const session = await createSession(service.ctx, { id, name: 'Bench Holder', personnummer: '199001012385' }, 'card');
    const active = await service.session(session.token);
    const enummer: LoadData['enummer'] = [];
    for (let i = 0; i < counts.enummer; i++) {
      const merchant = `merchant-${i}`;
      const cardId = cardIds[i % counts.cards]!;
      const { secret } = await service.createEnummer(active, counts.single ? { cardId, merchant } : { cardId, merchant, recurring: true, months: 24 });
      enummer.push({ ...secret, merchant });
    }
    return { sessionToken: session.token, networkKey: await createNetworkKey(service.ctx, 'bench'), cardIds, enummer };
  } finally {
    await service.close();
  }
}

