import type { Offer, Scheme } from "./challenge-offer.ts";
import type { SpendLedger, SpendLimits } from "./spend-windows.ts";
import type { TokenStore, Wallet } from "./types.ts";

export interface L402FetchOptions {
  readonly wallet: Wallet;
  /**
   * The most one payment may cost (a token, a top-up of a token's balance, a
   * charge), routing fee included: a challenge priced above it is refused
   * unpaid (`over_budget`), and the wallet may spend at most the rest on routing.
   */
  readonly maxCostSats: number;
  readonly store?: TokenStore;
  /** The schemes to pay (default all three; L402 preferred where a server offers it beside another, since its token is reused). */
  readonly schemes?: readonly Scheme[];
  readonly fetch?: typeof fetch;
  /** Progress, e.g. for a command line: called before and after each payment. */
  readonly onPayment?: (event: PaymentEvent) => void;
  /**
   * On a service selling prepaid credit: the amount to buy, in sats (one of its
   * 402's `credit_offers`), sent as `X-L402-Credit` unless the request names one.
   * Absent: the service's first offer (for a top-up, the smallest that covers the request).
   */
  readonly creditSats?: number;
  /** Spend windows (per hour, per day, per host): a payment that would exceed one is refused unpaid (`over_window`). */
  readonly limits?: SpendLimits;
  /**
   * Where payments are counted for the windows (default: this client's memory).
   * Clients sharing one (the command line's file ledger) share the windows.
   */
  readonly ledger?: SpendLedger;
  /** Pay and send tokens over plain `http://` to other hosts than this machine (default no: `insecure_origin`; anyone on the path could take the token or swap the invoice). */
  readonly allowHttp?: boolean;
}

/**
 * Before a payment: the routing fee the budget leaves (`maxFeeMsat`) and the limit
 * the wallet sends for it (`feeLimitMsat`, lower where the wallet has its own;
 * absent where it can send none). After: the fee paid.
 */
export type PaymentEvent =
  | { readonly phase: "paying"; readonly offer: Offer; readonly url: string; readonly maxFeeMsat: bigint; readonly feeLimitMsat: bigint | undefined }
  | { readonly phase: "paid"; readonly offer: Offer; readonly url: string; readonly feeMsat: bigint };
