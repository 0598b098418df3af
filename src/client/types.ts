/** A way to pay BOLT 11 invoices: `lndWallet` (LND REST) and `nwcWallet` (Nostr Wallet Connect) are two; any wallet that can pay one fits. */
export interface Wallet {
  /**
   * Pays the invoice, spending at most `maxFeeMsat` on routing, and returns its
   * preimage and the fee paid; throws L402Error (`payment_failed`, `network`) otherwise.
   */
  pay(invoice: string, limits: { readonly maxFeeMsat: bigint }): Promise<{ readonly preimage: Uint8Array; readonly feeMsat: bigint }>;
  /**
   * The routing fee limit `pay` sends to the node for these limits, for progress
   * reports; absent where the wallet's protocol carries none (NWC).
   */
  feeLimitMsat?(limits: { readonly maxFeeMsat: bigint }): bigint;
  /**
   * What became of an earlier payment (by the invoice's hex payment hash) whose
   * outcome `pay` could not tell: `paid` with its preimage, `unpaid` (failed
   * for certain, or never made), `pending` (still in flight), `unknown` (this
   * wallet cannot look payments up: no permission, no such method). Throws
   * L402Error where it cannot answer now (unreachable, a node restarting).
   * Absent: a token whose payment is in doubt is not kept (see
   * StoredToken.paymentInDoubt).
   */
  lookup?(paymentHash: string): Promise<PaymentLookup>;
}

export type PaymentLookup = { readonly status: "paid"; readonly preimage: Uint8Array } | { readonly status: "unpaid" } | { readonly status: "pending" } | { readonly status: "unknown" };

/** What the client keeps of a paid token. */
export interface StoredToken {
  /** Standard base64 of the V2 macaroon. */
  readonly macaroon: string;
  readonly preimage: string;
  /** Services named by the token's `services` caveat. */
  readonly services: readonly string[];
  /** What was paid for it: its invoice and every top-up of its balance (routing fees not counted). */
  readonly paidMsat: string;
  /** Unix seconds. */
  readonly createdAt: number;
  /** A balance token's: the credit bought, its own and its top-ups' (bonuses included). */
  readonly creditMsat?: string;
  /** A balance token's: the balance its service last reported (`X-L402-Balance`). */
  readonly balanceMsat?: string;
  /** A balance token's: the top-ups paid for it and answered. */
  readonly topUps?: number;
  /**
   * A balance token's: a top-up paid whose token (`<base64 macaroon>:<hex
   * preimage>`) has not been answered (its sending failed); the next request
   * on the token sends it, so that what was paid is credited.
   */
  readonly pendingTopUp?: string;
  /**
   * A token whose payment's outcome is not known (the wallet's answer was
   * lost, its wait ran out, or the process stopped while paying): its
   * `preimage` is empty, and it is never sent. Kept from before the payment,
   * so that what may have been paid is not lost: the next purchase at the
   * same origin asks the wallet (`Wallet.lookup`) and completes it, drops it,
   * or, while the payment is in flight, pays nothing more for its service.
   */
  readonly paymentInDoubt?: true;
  /** A token in doubt's: its payment's record in the spend windows (`Reservation.id`), uncounted if it was never made. */
  readonly spendRecord?: string;
  /**
   * A balance token's: a top-up whose payment's outcome is not known, kept
   * before the wallet was asked: its token's macaroon (base64) and what it was
   * to add to `paidMsat` and `creditMsat`. The next top-up of the token asks
   * the wallet first: paid, it becomes `pendingTopUp` and is sent; never
   * made, it is forgotten (and uncounted in the spend windows: `spendRecord`);
   * in flight, nothing more is paid.
   */
  readonly topUpInDoubt?: { readonly macaroon: string; readonly paidMsat: string; readonly creditMsat?: string; readonly spendRecord?: string };
}

/** Tokens by key (the client keys them by origin: scheme, host and port). */
export interface TokenStore {
  get(key: string): Promise<readonly StoredToken[]>;
  put(key: string, token: StoredToken): Promise<void>;
  /** Removes one token (by macaroon) or, without one, every token of the key. */
  remove(key: string, macaroon?: string): Promise<void>;
  keys(): Promise<readonly string[]>;
  /**
   * Changes one token (by macaroon) in a single step, nothing if it is not
   * kept (false): where several clients share a store, a change read and written back
   * whole (`get`, then `put`) could undo another's made meanwhile (a top-up
   * kept in doubt, a balance noted). Absent: `get`, then `put`.
   */
  update?(key: string, macaroon: string, change: (token: StoredToken) => StoredToken): Promise<boolean>;
  /**
   * Runs `buy`, a purchase (named by `purchase`: the origin's, for any
   * token it sells, or the token topped up, for a top-up), while no other
   * client of this store runs one of the same name: where several clients
   * share a store (the memory store, in one process; the file store, across
   * processes), so that clients racing to one service pay once, and a token
   * in doubt is settled only while no payment is under way. The client looks
   * in the store again once inside, for a token another bought, or topped up,
   * meanwhile. Absent: one `createL402Fetch` runs its own purchases one at a
   * time, and racing clients of this store each pay.
   */
  purchasing?<T>(purchase: string, buy: () => Promise<T>): Promise<T>;
}

/**
 * Why the client gave up, as a machine-readable code (the CLI maps each to its
 * own exit code):
 * - `over_budget`: the price (of a token, a top-up or a charge) is above the caller's limit; nothing was paid;
 * - `over_window`: the payment would exceed a spend window (per hour, per day, per host); nothing was paid;
 * - `payment_failed`: the wallet could not pay;
 * - `bad_challenge`: a 402 without a usable L402 challenge, or offering a top-up of a token not sent;
 * - `foreign_challenge`: a redirect led to another origin asking for payment; nothing was paid;
 * - `insecure_origin`: a 402 over plain `http://` from a host that is not this machine (`allowHttp` off); nothing was paid;
 * - `network`: the wallet's node could not be reached.
 */
export type L402ErrorCode = "over_budget" | "over_window" | "payment_failed" | "bad_challenge" | "foreign_challenge" | "insecure_origin" | "network";

export class L402Error extends Error {
  override readonly name = "L402Error";
  readonly code: L402ErrorCode;
  /** A wallet's failure that certainly paid nothing (refused, no route): its payment leaves the spend windows. */
  readonly unpaid: boolean;
  constructor(code: L402ErrorCode, message: string, options: { readonly unpaid?: boolean } = {}) {
    super(message);
    this.code = code;
    this.unpaid = options.unpaid ?? false;
  }
}
