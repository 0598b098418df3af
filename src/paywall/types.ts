import type { ServiceConfig } from "../config/index.ts";
import type { Grant } from "../l402/index.ts";

/** What a valid credential bought, for the app's handler: `c.var.l402`. */
export interface L402Access {
  /** Hex; tells paying clients apart. */
  readonly tokenId: string;
  readonly service: string;
  readonly grant: Grant;
  /** How it was presented: `"l402"` (header or cookie), `"payment"` (a Payment-scheme charge), or another scheme's label. */
  readonly scheme: string;
  /** Requests left on a metered token after this one. */
  readonly remaining?: number;
  /** A balance service's request: its balance after this request's reservation, in msat. */
  readonly balanceMsat?: bigint;
  /** …what was reserved for it: the most it can cost. */
  readonly reservedMsat?: bigint;
  /** …and what it cost, told by the app (msat, added up, at most what was reserved); uncharged, it costs its price. */
  readonly charge?: (msat: bigint | number) => void;
}

/** How a request the paywall let through was matched: `c.var.l402Route`, for the forwarder and logs. */
export interface L402Route {
  /** The canonical URL: what was matched, and what an origin must receive. */
  readonly url: URL;
  /** Undefined: no service matched (the app decides: 404, or pass it on). */
  readonly service: ServiceConfig | undefined;
  readonly access: "paid" | "free" | "freebie" | "unmatched";
}

/** What happened to a request, for the one log line it gets. */
export type Outcome =
  | "paid" // valid credential, let through
  | "free" // auth off or a free path, let through
  | "freebie" // no credential, but one of the client's free requests, let through
  | "unmatched" // matched no service, let through to the app
  | "challenged" // 402 with a fresh invoice
  | "challenged_again" // 402 with the client's recent, still unpaid challenge
  | "rate_limited" // 429: too many new challenges for this address
  | "refused" // 4xx without a challenge (an oversized credential, an ambiguous path)
  | "preflight" // a CORS preflight, answered by the paywall
  | "polled" // a browser asked whether its pending challenge is paid; not yet (reason: pending, expired, …)
  | "collected" // a browser's payment became its credential cookie (reason: poll, complete, reload)
  | "already_paid" // a metered page reached from another site by a browser holding its cookie: offered to continue (200), nothing spent
  | "redirected" // a page typed in another case than the service's patterns, sent to their spelling (303)
  | "node_unavailable" // 503: no invoice could be made
  | "paused" // 503: the service is paused, sells nothing new (reason: why the credential, if any, was refused)
  | "error" // 503: a port could not answer (meter, revocation list)
  | "misconfigured" // 500: the options or the env's settings do not hold together (detail names the fields)
  | "not_found" // forwardToOrigin: matched no service, 404
  | "origin_error" // forwardToOrigin: 502/504 from the origin
  | "shadow"; // a service in shadow mode: let through as if auth were off (`would`: what enforcing would have done)

/** `c.var.l402Outcome`: set on every request the paywall sees. Carries no secret. */
export interface L402Outcome {
  readonly outcome: Outcome;
  readonly service?: string;
  /** Why a credential was refused, or why the node failed. */
  readonly reason?: string;
  readonly detail?: string;
  readonly tokenId?: string;
  /** How a paid request presented its credential (its scheme's label). */
  readonly scheme?: string;
  /** A 402's price: what its invoice asks (or would ask, in shadow), msat as decimal text. */
  readonly priceMsat?: string;
  /** Shadow mode: the outcome enforcing would have had (`challenged`, `paid`, `refused`, …); `reason`, `tokenId`, `scheme`, `priceMsat` are its. */
  readonly would?: Outcome;
}

/**
 * The line `l402Paywall()` logs for each refusal it answers on its own side
 * (refused, rate_limited, node_unavailable, error, misconfigured): the
 * outcome, and where. Built from chosen fields only: no header, query or
 * credential has a way in.
 */
export type PaywallLogEntry = L402Outcome & {
  readonly status: number;
  readonly method: string;
  /** The path, without the query (it may carry secrets), at most 512 characters. */
  readonly path: string;
  /** hono/request-id's `c.var.requestId`, when the app has one. */
  readonly requestId?: string;
};

/** The variables `l402Paywall()` sets, for an app's `Hono<{ Variables: L402Variables }>`. */
export type L402Variables = {
  /** Set on a request let through paid; absent on one let through otherwise (a free path, a freebie, a service in shadow or with auth off, one matching no service). */
  l402?: L402Access;
  l402Route: L402Route;
  l402Outcome: L402Outcome;
  /** The request's URL as the paywall read it (canonical-url.ts: what it matched, and what the origin gets), on a request it read, answered or let through: for log lines. */
  l402Url?: URL;
};

export type PaywallEnv = { Variables: L402Variables };
