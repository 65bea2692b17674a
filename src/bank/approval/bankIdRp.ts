/**
 * The approval provider for BankID's relying-party API v6.0, written from its public
 * documentation: JSON over HTTPS with the relying party's client certificate (mutual TLS),
 * POST {base}/auth, {base}/collect, {base}/cancel.
 *
 * - auth {endUserIp, userVisibleData (base64 UTF-8)} → {orderRef, autoStartToken,
 *   qrStartToken, qrStartSecret}; the secret stays in the service (ProviderOrders) and only
 *   its HMAC goes out, in the QR code.
 * - collect {orderRef} → {orderRef, status: pending|failed|complete, hintCode?,
 *   completionData?: {user: {personalNumber, name, …}, device: {ipAddress}, signature,
 *   ocspResponse, …}}. A completion is handed to exactly one collect (ProviderOrders).
 * - cancel {orderRef} → {}.
 * - Errors: HTTP 4xx/5xx with {errorCode, details}: 400 alreadyInProgress (an order for the
 *   same user is running), 400 invalidParameters (e.g. "No such order"), 401/403
 *   unauthorized, 404 notFound, 408 requestTimeout, 415 unsupportedMediaType, 500
 *   internalError, 503 maintenance.
 *
 * The base URL is e.g. https://appapi2.test.bankid.com/rp/v6.0 (test) or
 * https://appapi2.bankid.com/rp/v6.0 (production); `ca` is BankID's server CA for it.
 */
import { Agent, request } from 'node:https';
import { BankError } from '../errors.ts';
import { approvalError, noSuchOrder } from './errors.ts';
import { type ApprovalOrderRequest, type ApprovalProvider, type CollectResult, ORDER_LIFE_MS, type StartedOrder } from './provider.ts';
import { MemoryProviderOrders, type ProviderOrders } from './providerOrders.ts';
import { qrContent, qrSeconds } from './qr.ts';

export interface BankIdRpOptions {
  /** e.g. https://appapi2.test.bankid.com/rp/v6.0 (no trailing slash needed). */
  baseUrl: string;
  /** The relying party's certificate and key: a PKCS#12 file's bytes … */
  pfx?: Buffer;
  passphrase?: string;
  /** … or PEM certificate and key. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** The CA that issued BankID's server certificate (PEM). */
  ca: string | Buffer | Array<string | Buffer>;
  /** Per call; default 10 s. */
  timeoutMs?: number;
  now?: () => number;
  /** Default: in this process only; give SqlProviderOrders for several instances. */
  orders?: ProviderOrders;
}

interface RpError {
  errorCode?: string;
  details?: string;
}

const PENDING = new Set(['pending', 'failed', 'complete']);

export class BankIdRpProvider implements ApprovalProvider {
  readonly name = 'bankid-rp' as const;
  private readonly agent: Agent;
  private readonly base: URL;
  private readonly orders: ProviderOrders;
  private readonly now: () => number;
  private readonly timeoutMs: number;

  constructor(options: BankIdRpOptions) {
    this.base = new URL(options.baseUrl.replace(/\/*$/, '/'));
    if (this.base.protocol !== 'https:') throw new TypeError('the BankID RP API is spoken over https only');
    this.agent = new Agent({
      keepAlive: true,
      ca: options.ca,
      ...(options.pfx ? { pfx: options.pfx } : {}),
      ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
      ...(options.cert ? { cert: options.cert } : {}),
      ...(options.key ? { key: options.key } : {}),
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
    });
    this.orders = options.orders ?? new MemoryProviderOrders();
    this.now = options.now ?? Date.now;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  async start(req: ApprovalOrderRequest): Promise<StartedOrder> {
    const body = await this.post('auth', { endUserIp: req.endUserIp, userVisibleData: Buffer.from(req.visibleText, 'utf8').toString('base64') });
    const { orderRef, autoStartToken, qrStartToken, qrStartSecret } = body as Record<string, unknown>;
    if (![orderRef, autoStartToken, qrStartToken, qrStartSecret].every((v) => typeof v === 'string' && v.length > 0)) {
      throw approvalError('APPROVAL_PROVIDER_REJECTED', 'BankID answered auth without orderRef, autoStartToken, qrStartToken and qrStartSecret.');
    }
    const startedAt = this.now();
    const order = { orderRef: orderRef as string, qrStartToken: qrStartToken as string, qrStartSecret: qrStartSecret as string, startedAt, expiresAt: startedAt + ORDER_LIFE_MS };
    await this.orders.put(order);
    return { orderRef: order.orderRef, autoStartToken: autoStartToken as string, qrStartToken: order.qrStartToken, startedAt, expiresAt: order.expiresAt };
  }

  async qrContent(orderRef: string, now = this.now()): Promise<string> {
    const order = await this.orders.get(orderRef);
    if (!order) throw noSuchOrder();
    if (now >= order.expiresAt) throw approvalError('ORDER_EXPIRED', 'The login was not approved within 3 minutes. Start it again.');
    return qrContent(order.qrStartToken, order.qrStartSecret, qrSeconds(order.startedAt, now));
  }

  async collect(orderRef: string): Promise<CollectResult> {
    const body = (await this.post('collect', { orderRef })) as { status?: string; hintCode?: string; completionData?: Record<string, unknown> };
    if (typeof body.status !== 'string' || !PENDING.has(body.status)) throw approvalError('APPROVAL_PROVIDER_REJECTED', 'BankID answered collect without a known status.');
    if (body.status !== 'complete') {
      return { orderRef, status: body.status as 'pending' | 'failed', ...(typeof body.hintCode === 'string' ? { hintCode: body.hintCode } : {}) };
    }
    const data = body.completionData ?? {};
    const user = (data.user ?? {}) as { personalNumber?: unknown; name?: unknown };
    if (typeof user.personalNumber !== 'string' || typeof user.name !== 'string' || typeof data.signature !== 'string') {
      throw approvalError('APPROVAL_PROVIDER_REJECTED', 'BankID answered complete without the user and the signature.');
    }
    if (!(await this.orders.handOver(orderRef, this.now()))) throw noSuchOrder();
    const device = (data.device ?? {}) as { ipAddress?: unknown };
    return {
      orderRef,
      status: 'complete',
      completion: {
        personnummer: user.personalNumber,
        name: user.name,
        signature: data.signature,
        signedAt: new Date(this.now()).toISOString(),
        ...(typeof device.ipAddress === 'string' ? { device: device.ipAddress } : {}),
        ...(typeof data.ocspResponse === 'string' ? { ocspResponse: data.ocspResponse } : {}),
      },
    };
  }

  async cancel(orderRef: string): Promise<void> {
    await this.post('cancel', { orderRef });
  }

  private post(method: 'auth' | 'collect' | 'cancel', payload: Record<string, string>): Promise<unknown> {
    const url = new URL(method, this.base);
    const data = Buffer.from(JSON.stringify(payload), 'utf8');
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': String(data.length), accept: 'application/json' },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => reject(unavailable(e)));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text === '' ? {} : JSON.parse(text);
            } catch {
              json = undefined;
            }
            const status = res.statusCode ?? 0;
            if (status === 200 && json !== undefined && typeof json === 'object' && json !== null) return resolve(json);
            reject(rpError(method, status, (json ?? {}) as RpError));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (e) => reject(unavailable(e)));
      req.end(data);
    });
  }
}

function unavailable(e: Error): BankError {
  const code = (e as NodeJS.ErrnoException).code;
  return approvalError('APPROVAL_PROVIDER_UNAVAILABLE', `BankID cannot be reached (${code ?? e.message}). Try again in a moment.`, { cause: e });
}

/** An RP API error answer as our error. */
export function rpError(method: string, status: number, body: RpError): BankError {
  const code = typeof body.errorCode === 'string' ? body.errorCode : `http${status}`;
  const details = typeof body.details === 'string' ? body.details.slice(0, 200) : '';
  if (code === 'alreadyInProgress') {
    return approvalError('APPROVAL_ALREADY_IN_PROGRESS', 'A BankID login for this user is already in progress. Finish or cancel it in the BankID app, then try again.', { providerCode: code });
  }
  if (code === 'invalidParameters' && method !== 'auth' && /no such order/i.test(details)) return noSuchOrder();
  if (code === 'maintenance' || code === 'internalError' || code === 'requestTimeout' || status === 503 || status >= 500) {
    return approvalError('APPROVAL_PROVIDER_UNAVAILABLE', `BankID is not available at the moment (${code}). Try again in a moment.`, { providerCode: code });
  }
  return approvalError('APPROVAL_PROVIDER_REJECTED', `BankID refused ${method} (${code}${details ? `: ${details}` : ''}).`, { providerCode: code });
}
