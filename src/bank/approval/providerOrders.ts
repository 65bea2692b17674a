/**
 * Where an external provider's orders are remembered between calls: the qrStartSecret (so
 * the service can draw the QR code; it never leaves the service) and the one hand-over of a
 * completion. BankID answers "complete" to every collect for a while after the user signed;
 * the hand-over makes sure only one collect (one session) gets it.
 * - SqlProviderOrders: the provider_orders table, for several service instances;
 * - MemoryProviderOrders: one process (tests, a single instance).
 */
import type { SqlExecutor } from '../store/sql.ts';

export interface ProviderOrder {
  orderRef: string;
  qrStartToken: string;
  qrStartSecret: string;
  startedAt: number;
  expiresAt: number;
}

export interface ProviderOrders {
  put(order: ProviderOrder): Promise<void>;
  /** The order while it has not been handed over. */
  get(orderRef: string): Promise<ProviderOrder | undefined>;
  /** True for exactly one caller per order; false when handed over already or unknown. */
  handOver(orderRef: string, now: number): Promise<boolean>;
}

export class MemoryProviderOrders implements ProviderOrders {
  private readonly orders = new Map<string, ProviderOrder & { collected: boolean }>();

  async put(order: ProviderOrder): Promise<void> {
    for (const [ref, o] of this.orders) if (o.expiresAt + 60_000 < order.startedAt) this.orders.delete(ref);
    this.orders.set(order.orderRef, { ...order, collected: false });
  }

  async get(orderRef: string): Promise<ProviderOrder | undefined> {
    const o = this.orders.get(orderRef);
    if (!o || o.collected) return undefined;
    const { collected: _collected, ...order } = o;
    return order;
  }

  async handOver(orderRef: string): Promise<boolean> {
    const o = this.orders.get(orderRef);
    if (!o || o.collected) return false;
    o.collected = true;
    return true;
  }
}

export class SqlProviderOrders implements ProviderOrders {
  constructor(
    private readonly db: SqlExecutor,
    private readonly provider: string,
  ) {}

  async put(order: ProviderOrder): Promise<void> {
    await this.db.run('INSERT INTO provider_orders (order_ref, provider, qr_start_token, qr_start_secret, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)', [
      order.orderRef,
      this.provider,
      order.qrStartToken,
      order.qrStartSecret,
      order.startedAt,
      order.expiresAt,
    ]);
  }

  async get(orderRef: string): Promise<ProviderOrder | undefined> {
    const [row] = await this.db.query<{ qr_start_token: string; qr_start_secret: string; created_at: number; expires_at: number }>(
      'SELECT qr_start_token, qr_start_secret, created_at, expires_at FROM provider_orders WHERE order_ref = ? AND provider = ? AND collected_at IS NULL',
      [orderRef, this.provider],
    );
    if (!row) return undefined;
    return { orderRef, qrStartToken: row.qr_start_token, qrStartSecret: row.qr_start_secret, startedAt: Number(row.created_at), expiresAt: Number(row.expires_at) };
  }

  async handOver(orderRef: string, now: number): Promise<boolean> {
    return (await this.db.run('UPDATE provider_orders SET collected_at = ? WHERE order_ref = ? AND provider = ? AND collected_at IS NULL', [now, orderRef, this.provider])) === 1;
  }
}
