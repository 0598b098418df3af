import type { Keyring } from "../l402/index.ts";
import type { Network } from "../lightning/index.ts";
import type { NodeConfig } from "./node.ts";

/**
 * A compiled URL pattern (WHATWG URLPattern), as far as the paywall uses one.
 * Declared here so that the package's types name no global (TypeScript's DOM
 * lib has no URLPattern).
 */
export interface UrlPattern {
  readonly hostname: string;
  readonly pathname: string;
  test(input: { readonly hostname?: string; readonly pathname?: string }): boolean;
}

/** A rule mapping requests to the capability they need. First match wins. */
export interface CapabilityRule {
  readonly methods: readonly string[] | undefined;
  readonly path: UrlPattern;
  readonly capability: string;
}

export interface OriginConfig {
  /** Undefined: forward to the request's own URL (the Worker runs on a route in front of the origin). */
  readonly url: URL | undefined;
  /** Removed from the start of the path before forwarding to `url`. */
  readonly stripPrefix: string;
  /** Added toward the origin; values already resolved from secrets. */
  readonly headers: ReadonlyMap<string, string>;
  /** Pass the client's L402 credential on to the origin (the reference does); off by default. */
  readonly forwardAuthorization: boolean;
}

export interface ServiceConfig {
  readonly name: string;
  readonly patterns: readonly UrlPattern[];
  /** Patterns, free paths and capability rules match case-sensitively (default: they ignore case). */
  readonly matchCase: boolean;
  readonly priceMsat: bigint;
  /** Seconds a token stays valid (`<name>_valid_until`); undefined: no expiry. */
  readonly timeoutSeconds: number | undefined;
  /** Minted into `<name>_capabilities`; undefined: no caveat (everything allowed). */
  readonly capabilities: readonly string[] | undefined;
  readonly capabilityRules: readonly CapabilityRule[];
  readonly auth: boolean;
  readonly freePaths: readonly UrlPattern[];
  /** Metered: one payment buys this many requests (counted in a Durable Object); undefined: unlimited until expiry. */
  readonly uses: number | undefined;
  /** Free requests per client address prefix (/24, /48) per period before a challenge; undefined: none. */
  readonly freebies: { readonly count: number; readonly periodSeconds: number } | undefined;
  /** Refuse tokens on the revocation list (one cached D1 read per token and colo). */
  readonly revocable: boolean;
  /** Record this service's challenges and settlements in the D1 ledger (default: when bound). */
  readonly ledger: boolean;
  /** People in browsers may pay on the 402 page and hold the credential in a cookie (paywall/browser/); false: header credentials only. */
  readonly browser: boolean;
  /** The 402 offers L402 (and LSAT), the Payment scheme's lightning charge, or both; one invoice serves them all. */
  readonly schemes: readonly string[];
  /** What the service is, in a few words: the 402 page's heading (default: its name). */
  readonly title: string | undefined;
  /** What the service sells, in a sentence, for the 402 page and discovery documents. */
  readonly description: string | undefined;
  readonly origin: OriginConfig;
}

/** What 1 BTC costs in a currency, for the 402 page's estimate of a price: `{ currency: "USD", perBitcoin: 95000 }`. */
export interface FiatRate {
  /** ISO 4217, e.g. "USD", "EUR". */
  readonly currency: string;
  readonly perBitcoin: number;
}

export interface Config {
  readonly services: readonly ServiceConfig[];
  /** What a request matching no service gets: forwarded free, or 404. */
  readonly unmatched: "pass" | "404";
  readonly keyring: Keyring;
  readonly location: string;
  readonly network: Network;
  /** The node or wallet that makes the invoices (L402_BACKEND and its settings). */
  readonly node: NodeConfig;
  readonly invoiceExpirySeconds: number;
  /** `{service}` is replaced by the service name. */
  readonly memo: string;
  /** The 402 page's price estimate in a currency (L402_FIAT_RATE); undefined: sats only. */
  readonly fiatRate: FiatRate | undefined;
  /** Header carrying `originSecret` to the origin, so it can refuse traffic that skipped the paywall. */
  readonly originAuthHeader: string;
  readonly originSecret: string | undefined;
  /** Seconds a client's unpaid challenge is handed back instead of a new invoice; 0 disables. */
  readonly challengeCacheSeconds: number;
  /** Retry-After of a 429, matching the rate limit binding's period. */
  readonly mintRetryAfterSeconds: number;
  /** Node failures in a row that open the circuit breaker, and how long it stays open. */
  readonly breakerThreshold: number;
  readonly breakerCooldownSeconds: number;
  /** The admin API's path prefix, and its bearer token (undefined: the admin API is off). */
  readonly adminPath: string;
  readonly adminToken: string | undefined;
  /** Seconds a colo may keep a token's revocation answer. */
  readonly revocationTtlSeconds: number;
  /** `/.well-known/l402-services` and `/openapi.json`; undefined: off. */
  readonly discovery: DiscoveryConfig | undefined;
}

export interface DiscoveryConfig {
  readonly sellerName: string | undefined;
  readonly sellerDescription: string | undefined;
  /** The operator's OpenAPI document, to annotate. */
  readonly openapi: { readonly openapi: string; readonly info: Record<string, unknown>; readonly paths?: Record<string, Record<string, unknown>> } | undefined;
}
