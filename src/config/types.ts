/**
 * A compiled URL pattern (WHATWG URLPattern), as far as the paywall uses one.
 * Declared here so that the package's types name no global (TypeScript's DOM
 * lib has no URLPattern).
 */
export interface UrlPattern {
  readonly hostname: string;
  readonly pathname: string;
  test(input: { readonly hostname?: string; readonly pathname?: string }): boolean;
  /** The path's named groups when it matches (a price rule's `params`). */
  exec(input: { readonly hostname?: string; readonly pathname?: string }): { readonly pathname: { readonly groups: Readonly<Record<string, string | undefined>> } } | null;
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
  /** How long the origin may take to send its answer's headers (its body may take longer); undefined: `forwardToOrigin`'s `headersTimeoutMs`, or 30 s. */
  readonly headersTimeoutMs?: number | undefined;
}

/** A service's mode (`mode` in its definition; the admin API may override it at run time). */
export type ServiceMode = "enforce" | "shadow" | "paused";

export interface ServiceConfig {
  readonly name: string;
  readonly patterns: readonly UrlPattern[];
  /** Patterns and capability rules match case-sensitively (default: they ignore case); free paths always do. */
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
  /**
   * `enforce` (default): the paywall blocks what is unpaid. `shadow`: nothing is
   * blocked, every request goes on as if auth were off, and the decision the
   * paywall would have made is logged and counted (paywall/shadow.ts). `paused`:
   * sells nothing new (no challenge, no free allowance: 503 `service_paused`),
   * tokens already sold still pass.
   */
  readonly mode: ServiceMode;
  /** Metered: one payment buys this many requests (counted in a Durable Object); undefined: unlimited until expiry. */
  readonly uses: number | undefined;
  /** With `uses`: the answers that keep the use they took (`charge_on`); any other gives it back (a `meter` port that can). */
  readonly usesChargeOn: ChargeOn;
  /** Free requests per client address prefix (/24, /48) per period before a challenge; undefined: none. */
  readonly freebies: { readonly count: number; readonly periodSeconds: number } | undefined;
  /** Refuse tokens on the revocation list (one cached D1 read per token and colo). */
  readonly revocable: boolean;
  /** Record this service's challenges and settlements in the D1 ledger (default: when bound). */
  readonly ledger: boolean;
  /** People in browsers may pay on the 402 page and hold the credential in a cookie (paywall/browser/); false: header credentials only. */
  readonly browser: boolean;
  /** The 402 offers L402 (and LSAT), the Payment scheme's lightning charge, x402's Lightning entry, or several; one invoice serves them all. */
  readonly schemes: readonly string[];
  /** What the service is, in a few words: the 402 page's heading (default: its name). */
  readonly title: string | undefined;
  /** What the service sells, in a sentence, for the 402 page and discovery documents. */
  readonly description: string | undefined;
  readonly origin: OriginConfig;
  /** What a request costs, when it depends on the request (rules, a pricer, the app's function); else `priceMsat`. */
  readonly pricing: Pricing;
  /** Prepaid balances: the 402 sells credit, each request debits it (a `balances` port); undefined: each token buys access. */
  readonly balance: BalanceConfig | undefined;
  /** The service sold as an MCP tool too (the template Worker's MCP endpoint); undefined: over HTTP only. */
  readonly mcp: McpToolConfig | undefined;
}

/** An MCP tool: a call is a request to `path` with `method`, its arguments in the query (GET, DELETE) or a JSON body. */
export interface McpToolConfig {
  readonly name: string;
  /** As listed; default the service's description. */
  readonly description: string | undefined;
  /** A JSON Schema with `type: "object"`; default any object. */
  readonly inputSchema: Readonly<Record<string, unknown>>;
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  readonly path: string;
}

/** A request as a price rule, a pricer or a price function reads it: the canonical URL. */
export interface PriceRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: { get(name: string): string | null };
}

/**
 * What the app's price function is given: the request, and the methods the
 * origin may carry it out as (`methods`: the one sent first, then an override
 * header's or `_method`'s, upper case), and whether its body may claim any
 * (`anyMethod`: a form or JSON body a framework reads `_method` from). A
 * function that prices by method prices the dearest of them.
 */
export interface PricedRequest extends PriceRequest {
  readonly methods: readonly string[];
  readonly anyMethod: boolean;
}

/** The app's own price (the middleware's `price` option): millisatoshis, a positive integer. */
export type PriceFunction = (request: PricedRequest) => bigint | number | Promise<bigint | number>;

/** A rule pricing the requests it matches; every condition it names must hold. */
export interface PriceRule {
  readonly methods: readonly string[] | undefined;
  readonly path: UrlPattern | undefined;
  /** The path pattern's named groups, and the values they must have. */
  readonly params: ReadonlyMap<string, string>;
  readonly query: ReadonlyMap<string, string>;
  /** Lowercase names. */
  readonly headers: ReadonlyMap<string, string>;
  /** Bytes, from the request's `Content-Length` (a body without one counts as endless). */
  readonly contentLength: { readonly min: number; readonly max: number } | undefined;
  readonly priceMsat: bigint;
}

/** An external pricer (a pricesrpc-like JSON contract): asked what a request costs, over HTTPS or a Service Binding. */
export interface PricerConfig {
  readonly fetch: (request: Request) => Promise<Response>;
  readonly url: URL;
  /** Request headers it is told (lowercase); no others, so no credential reaches it. */
  readonly headers: readonly string[];
  /** Seconds an answer is kept per isolate (0: asked each time). */
  readonly cacheSeconds: number;
}

export interface Pricing {
  /** First match wins; then the pricer or the function; then the service's price. */
  readonly rules: readonly PriceRule[];
  readonly pricer: PricerConfig | undefined;
  readonly price: PriceFunction | undefined;
  /** Each token is bound to the one request it was priced for (method, path, query, body). */
  readonly bindRequest: boolean;
}

/** What a balance's 402 sells: `amountMsat` paid buys `creditMsat` of balance (the amount, plus any bonus). */
export interface CreditOffer {
  readonly amountMsat: bigint;
  readonly creditMsat: bigint;
}

/** Prices of a streamed answer (metering/), in millisatoshis. */
export interface StreamMeterConfig {
  readonly perKibMsat?: bigint;
  readonly perThousandInputTokensMsat?: bigint;
  readonly perThousandOutputTokensMsat?: bigint;
}

/** When a request's cost is debited: below 500, on success (2xx, 3xx), or whatever the answer. */
export type ChargeOn = "below_500" | "success" | "always";

export interface BalanceConfig {
  /** The first is the default; `X-L402-Credit` names another. */
  readonly offers: readonly CreditOffer[];
  /** The origin's response header reporting a request's cost in msat (taken off the answer). */
  readonly costHeader: string | undefined;
  /** Reserved before the request when its cost comes after (a cost header, the app's `charge`, a metered stream); default: its price. */
  readonly maxCostMsat: bigint | undefined;
  readonly chargeOn: ChargeOn;
  /** A streamed answer's cost, counted as it passes. */
  readonly meter: StreamMeterConfig | undefined;
}

/** What 1 BTC costs in a currency, for the 402 page's estimate of a price: `{ currency: "USD", perBitcoin: 95000 }`. */
export interface FiatRate {
  /** ISO 4217, e.g. "USD", "EUR". */
  readonly currency: string;
  readonly perBitcoin: number;
}
