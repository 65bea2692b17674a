/**
 * Who approves an app login: the `ApprovalProvider`. The service starts an order (no
 * personnummer: whoever approves in their app is who logs in), draws its animated QR code,
 * collects its state and cancels it. Two implementations:
 * - `builtin` (builtin.ts): orders in the service's own database, approved by the customer's
 *   enrolled e-kort app (a P-256 key that signs an approval statement, statement.ts);
 * - `bankid-rp` (bankIdRp.ts): BankID's relying-party API v6.0 over mutual TLS.
 *
 * The statuses and hint codes are BankID's (RP API v6.0, collect), so the desktop shows the
 * same words whichever provider answers. A completed order is handed over by collect exactly
 * once; after that the order is gone (NOT_FOUND "no such order").
 */

export type ApprovalProviderName = 'builtin' | 'bankid-rp';

export interface ApprovalOrderRequest {
  /** The end user's IP address as the service sees it (BankID requires it). */
  endUserIp: string;
  /** What the app shows the user: who asks and what for. */
  visibleText: string;
}

export interface StartedOrder {
  orderRef: string;
  /** For the same-device link `bankid:///?autostarttoken=…&redirect=null`. */
  autoStartToken: string;
  /** Public: the first part of every QR code of the order. */
  qrStartToken: string;
  /** Epoch ms the order started (the QR's seconds count from here). */
  startedAt: number;
  /** Epoch ms after which it has timed out. */
  expiresAt: number;
}

export type OrderStatus = 'pending' | 'complete' | 'failed';

/** BankID's hint codes (pending and failed), and any the provider invents later. */
export type HintCode =
  | 'outstandingTransaction'
  | 'noClient'
  | 'started'
  | 'userMrtd'
  | 'userCallConfirm'
  | 'userSign'
  | 'expiredTransaction'
  | 'certificateErr'
  | 'userCancel'
  | 'cancelled'
  | 'startFailed'
  | 'userDeclinedCall'
  | 'notSupportedByUserApp'
  | 'transactionRiskBlocked'
  | (string & {});

export interface Completion {
  personnummer: string;
  name: string;
  /** base64: the signature the approving app (or BankID) made; kept for the audit trail. */
  signature: string;
  /** ISO time of the approval. */
  signedAt: string;
  /** builtin: the approving device; bankid-rp: the IP address BankID saw. */
  device?: string;
  /** bankid-rp: base64 OCSP response of the user's certificate. */
  ocspResponse?: string;
}

export interface CollectResult {
  orderRef: string;
  status: OrderStatus;
  /** Pending and failed orders only. */
  hintCode?: HintCode;
  /** Complete orders only, and only on the one collect that hands them over. */
  completion?: Completion;
}

export interface ApprovalProvider {
  readonly name: ApprovalProviderName;
  start(request: ApprovalOrderRequest): Promise<StartedOrder>;
  /** The animated QR code's content at `now`: `bankid.<qrStartToken>.<seconds>.<hex HMAC>`. */
  qrContent(orderRef: string, now?: number): Promise<string>;
  collect(orderRef: string): Promise<CollectResult>;
  cancel(orderRef: string): Promise<void>;
}

/** How long an order lives: BankID's orders time out after 3 minutes (expiredTransaction). */
export const ORDER_LIFE_MS = 3 * 60_000;
