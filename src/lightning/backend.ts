/**
 * What the paywall needs from a Lightning node. LND REST is the first
 * implementation; LNbits, phoenixd, Core Lightning or NWC fit the same shape.
 */
export interface InvoiceRequest {
  readonly amountMsat: bigint;
  readonly memo: string;
  readonly expirySeconds: number;
  /** When set, the invoice commits to this hash instead of carrying the memo. */
  readonly descriptionHash?: Uint8Array;
}

export interface Invoice {
  readonly paymentRequest: string;
  readonly paymentHash: Uint8Array;
  readonly amountMsat: bigint;
  /** Unix seconds. */
  readonly expiresAt: number;
}

export type InvoiceState = "open" | "accepted" | "settled" | "canceled";

/** A lookup's answer. */
export interface InvoiceStatus {
  readonly state: InvoiceState;
  readonly amountPaidMsat: bigint;
  /**
   * Unix seconds. LND cancels an invoice when it expires, but not every node
   * does, nor at once: an `open` invoice past this time is expired all the same.
   */
  readonly expiresAt: number;
  /**
   * The preimage, once `settled` (checked against the payment hash), else
   * undefined. It is the payment's proof: the paywall hands it only to the
   * browser holding the challenge (paywall/browser/), never to anyone else.
   */
  readonly preimage: Uint8Array | undefined;
}

export interface NodeInfo {
  readonly alias: string;
  readonly network: string;
  readonly syncedToChain: boolean;
  readonly blockHeight: number;
}

export interface InvoiceBackend {
  createInvoice(request: InvoiceRequest): Promise<Invoice>;
  lookupInvoice(paymentHash: Uint8Array): Promise<InvoiceStatus>;
  /** Reachability and identity, for health checks. */
  getInfo(): Promise<NodeInfo>;
  /** Its invoices name whole sats (LNbits, phoenixd): a price from a pricer is rounded up to one. */
  readonly wholeSats?: boolean;
}

/**
 * Why a backend call failed, in terms the paywall acts on:
 * - `auth`: the node refused our credentials (operator misconfiguration);
 * - `unavailable`: the node or the path to it is down;
 * - `timeout`: no answer in time;
 * - `bad_request`: the node says our request is malformed (gRPC code 3);
 * - `node_error`: the node answered with an error of its own (gRPC code 2, "Unknown");
 * - `not_found`: no such invoice;
 * - `invalid_response`: an answer we cannot trust (garbage, or an invoice that
 *   does not match the request, or is stamped at the wrong time); its detail
 *   is in our own words, never the node's (the template's health shows it);
 * - `breaker_open`: the node was not asked (see breaker.ts); `retryAfterSeconds` says when to try.
 * `detail` is for operators' logs; it never carries secrets but may quote the node.
 */
export type LightningFailureReason =
  | "auth"
  | "unavailable"
  | "timeout"
  | "bad_request"
  | "node_error"
  | "not_found"
  | "invalid_response"
  | "breaker_open";

export class LightningError extends Error {
  override readonly name = "LightningError";
  readonly reason: LightningFailureReason;
  readonly retryAfterSeconds: number | undefined;
  constructor(reason: LightningFailureReason, detail: string, retryAfterSeconds?: number) {
    super(detail);
    this.reason = reason;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
