/**
 * The state the paywall needs, as interfaces. The middleware receives them; the
 * template Worker implements them on Cloudflare (src/worker/ports.ts), tests and
 * Node hosts in memory (memory-ports.ts). A port left out switches its feature
 * off, and a service that needs it is a configuration error.
 *
 * None of them is on the path of a paid request to a service that uses none of
 * their features: such a request costs no I/O but what the app's handler does.
 */

/** A client's recent challenge, kept so its repeat unpaid requests get it back instead of a new invoice. */
export interface CachedChallenge {
  readonly invoice: string;
  /** Standard base64 of the minted macaroon. */
  readonly macaroon: string;
  /** Hex, and the expiry minted into the token (unix s; absent: none). */
  readonly tokenId: string;
  readonly tokenValidUntil?: number;
  /** What the invoice asks, in msat (decimal text). */
  readonly amountMsat: string;
  readonly paymentHash: string;
  /** Unix seconds. */
  readonly expiresAt: number;
  /** Unix seconds of the last check that the invoice is still open. */
  readonly checkedAt: number;
}

export interface ChallengeCache {
  read(key: string): Promise<CachedChallenge | undefined>;
  /** Keeps `entry` for `ttlSeconds`. */
  store(key: string, entry: CachedChallenge, ttlSeconds: number): Promise<void>;
  drop(key: string): Promise<void>;
}

/** Caps the challenges (invoices) one client, or one client network, may have minted in a period. */
export interface MintLimiter {
  /** False when `client` is over its limit. */
  allow(client: string): Promise<boolean>;
}

/** The uses of metered tokens, counted atomically per token id. */
export interface Meter {
  /**
   * Takes one use out of `limit`. `forgetAt` (unix s): the token's minted
   * expiry, after which no credential naming it is accepted; the count is kept
   * `METER_FORGET_MARGIN_SECONDS` longer. Undefined: keep it for good.
   * Throws when the count cannot be reached (the request is then refused, 503).
   */
  consume(tokenId: string, limit: number, forgetAt: number | undefined): Promise<{ readonly allowed: boolean; readonly remaining: number }>;
  /** Gives back one use taken (never below none): its answer was one the service does not charge (`charge_on`). Without it, a use taken is kept. */
  giveBack?(tokenId: string): Promise<void>;
}

/**
 * How long a meter keeps a count past its token's expiry: the isolate that
 * refuses an expired credential and the place that forgets the count read
 * different clocks, and a count forgotten while one of them still accepts the
 * token would start it over.
 */
export const METER_FORGET_MARGIN_SECONDS = 300;

/** Free requests per client network and service, in fixed windows. */
export interface Freebies {
  take(key: string, allowance: { readonly count: number; readonly periodSeconds: number }, now: number): Promise<{ readonly allowed: boolean; readonly remaining: number }>;
}

export interface MintRecord {
  readonly paymentHash: string;
  readonly tokenId: string;
  readonly service: string;
  readonly priceMsat: bigint;
  readonly createdAt: number;
}

export interface SettlementRecord {
  readonly tokenId: string;
  readonly paymentHash: string;
  readonly service: string;
  readonly priceMsat: bigint;
  readonly usedAt: number;
}

export interface DailyRevenue {
  readonly service: string;
  /** UTC, YYYY-MM-DD. */
  readonly day: string;
  readonly challenges: number;
  readonly settlements: number;
  readonly revenueMsat: number;
}

export interface TokenRecord {
  readonly tokenId: string;
  readonly challenge: Record<string, unknown> | null;
  readonly settlement: Record<string, unknown> | null;
  readonly revocation: Record<string, unknown> | null;
}

/**
 * The payment ledger. Writes happen after the response and must never fail a
 * request: an implementation logs its own failures and resolves, but for a
 * settlement, which it may reject once logged (the paywall then books it
 * again on the token's next use).
 */
export interface Ledger {
  recordMint(mint: MintRecord): Promise<void>;
  /** A token's first paid use: its preimage proved the payment. Idempotent. Rejects (or resolves) when it could not be written. */
  recordSettlement(settlement: SettlementRecord): Promise<void>;
  revenueByDay(since: number): Promise<readonly DailyRevenue[]>;
  lookupToken(tokenId: string): Promise<TokenRecord>;
  /**
   * Forgets challenges minted before `before` (unix s) and never paid (as far
   * as it knows: none of its tokens used yet), still counting them in
   * `revenueByDay`; how many it forgot. A ledger kept for good has none.
   */
  forgetUnpaid?(before: number): Promise<number>;
}

/** Tokens the operator has revoked. */
export interface Revocations {
  /**
   * Throws when the list cannot be read (the request is then refused, 503: fail
   * closed). `later` runs work after the response (e.g. caching the answer).
   */
  isRevoked(tokenId: string, later: (work: Promise<unknown>) => void): Promise<boolean>;
  revoke(tokenId: string, reason: string, now: number): Promise<void>;
}

/**
 * At most one node lookup per invoice per second, across every isolate: what
 * keeps browsers polling for their payment (or anyone replaying their poll)
 * from making the node do unbounded work.
 */
export interface LookupLimiter {
  /** True when the caller may ask the node about this invoice now; false when someone did within the last second. */
  allow(paymentHash: string): Promise<boolean>;
}

/** The interval a `LookupLimiter` keeps between two lookups of one invoice. */
export const LOOKUP_INTERVAL_MS = 1000;

/**
 * Payment-scheme charges already spent, until their challenges expire: a
 * charge credential buys one request (draft-lightning-charge: consumed
 * atomically, exactly one of concurrent presentations succeeds).
 */
export interface SpentCharges {
  /** True for the first spend of this payment hash; false ever after (until `until`, unix s, plus SPENT_RETENTION_MARGIN_SECONDS, when it may be forgotten). */
  spend(paymentHash: string, until: number): Promise<boolean>;
}

/**
 * How long a spent payment hash is kept past its `until`: one invoice behind
 * several schemes is accepted for different times (x402's grace after the
 * invoice expires, beyond the Payment scheme's), and clocks disagree; a hash
 * forgotten while any of them still takes it could be spent again.
 */
export const SPENT_RETENTION_MARGIN_SECONDS = 3600;

/** How a token's balance is opened the first time it is used: the credit its payment bought, and when it may be forgotten (unix s). */
export interface BalanceOpening {
  readonly creditMsat: bigint;
  readonly forgetAt: number | undefined;
}

/** A top-up to apply before reserving: its token id (applied once, ever), the credit it adds, and its target's `forgetAt`. */
export interface TopUp {
  readonly tokenId: string;
  readonly creditMsat: bigint;
  readonly forgetAt: number | undefined;
}

/** `balanceMsat`: what is left once this call is done (after the reservation, when one was made). */
export type Reservation =
  | { readonly status: "reserved"; readonly balanceMsat: bigint }
  | { readonly status: "short"; readonly balanceMsat: bigint }
  | { readonly status: "topup_spent"; readonly balanceMsat: bigint };

/**
 * Prepaid balances, one per token id, in millisatoshis. Each call is atomic:
 * concurrent requests on one token never take more than its balance. A
 * request's cost is reserved, taken out of the balance at once, before it is
 * let through; once its actual cost is known, the paywall releases the rest
 * (settle.ts, once per request). A reservation never released (the request's
 * Worker stopped) stays charged as reserved: the origin did the work. Every
 * method throws when the balance cannot be reached (the request is then
 * refused, 503).
 */
export interface Balances {
  /**
   * Applies `topup` (each top-up token once, ever), then takes `amountMsat`
   * if the balance holds it. `opening`: the token's own credit, added the first
   * time the token is seen (a top-up token's target may be opened by its top-up).
   */
  reserve(tokenId: string, amountMsat: bigint, opening: BalanceOpening | undefined, topup?: TopUp): Promise<Reservation>;
  /** Gives back what a reservation took beyond its request's cost. */
  release(tokenId: string, amountMsat: bigint): Promise<{ readonly balanceMsat: bigint }>;
}

/**
 * An open invoice made ahead of demand (invoice-pool.ts), as a pool keeps it:
 * text, so that any store (SQL, JSON) holds it as it is.
 */
export interface PooledInvoice {
  readonly paymentRequest: string;
  /** Hex. */
  readonly paymentHash: string;
  /** What the invoice asks, in msat (decimal text). */
  readonly amountMsat: string;
  /** Unix seconds. */
  readonly expiresAt: number;
  /** Unix seconds after which it is no longer handed out, so a buyer always has time to pay it. */
  readonly handOutBy: number;
}

/** What a take gives: the invoices (as many as asked, fewer or none as the pool holds), and how many the taker may make and put back. */
export interface PoolTake {
  readonly invoices: readonly PooledInvoice[];
  readonly refill: number;
}

/**
 * Pools of open invoices, one per invoice request (amount, memo, expiry), kept
 * filled ahead of demand so a challenge need not wait for the node. Each take
 * is atomic: an invoice leaves the pool for good when taken, and an invoice
 * once taken is never put back. The pool bounds itself: its size, and the
 * refills it grants per second.
 */
export interface InvoicePool {
  /** Takes the `count` oldest invoices still to be handed out (`now`: unix s), and grants refills (a take is demand). */
  take(pool: string, count: number, now: number): Promise<PoolTake>;
  /** Adds invoices made on a take's grant (`granted`: how many were granted, made or not); what is over the bound, or was ever taken, is dropped. */
  put(pool: string, invoices: readonly PooledInvoice[], granted: number, now: number): Promise<void>;
}

export interface PaywallPorts {
  readonly challengeCache?: ChallengeCache;
  readonly invoicePool?: InvoicePool;
  /** Keyed per IPv4 address and IPv6 /64 (client-network.ts). */
  readonly mintLimiter?: MintLimiter;
  /** Keyed per IPv4 /24 and IPv6 /48: one holder of many addresses, under a wider limit. */
  readonly networkMintLimiter?: MintLimiter;
  readonly meter?: Meter;
  readonly freebies?: Freebies;
  readonly ledger?: Ledger;
  readonly revocations?: Revocations;
  readonly lookupLimiter?: LookupLimiter;
  readonly spentCharges?: SpentCharges;
  readonly balances?: Balances;
}
