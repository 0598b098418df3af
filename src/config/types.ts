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
  /**
   * The origin may let a request claim another method (a header, `_method`),
   * so capability rules judge every method one may claim (paywall/claimed-methods.ts);
   * false: it never does, and the method sent is the one judged.
   */
  readonly methodOverride: boolean;
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
