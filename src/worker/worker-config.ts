import type { ContextKeySpec } from "../context/index.ts";
import type { FiatRate, NodeConfig, ServiceConfig, SettingsResult } from "../config/index.ts";
import type { Keyring } from "../l402/index.ts";
import type { Network } from "../lightning/index.ts";

/** The template Worker's whole configuration, read from its env once per env object (load-config.ts). */
export interface WorkerConfig {
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
  /** Invoices made ahead of demand per pool (0: no pool), and the refills a pool grants per second. */
  readonly invoicePool: { readonly size: number; readonly refillPerSecond: number };
  /** The admin API's path prefix, and its bearer token (undefined: the admin API is off). */
  readonly adminPath: string;
  readonly adminToken: string | undefined;
  /** Seconds a colo may keep a token's revocation answer. */
  readonly revocationTtlSeconds: number;
  /** `/.well-known/l402-services` and `/openapi.json`; undefined: off. */
  readonly discovery: DiscoveryConfig | undefined;
  /** Where the MCP endpoint answers, when a service is sold as a tool (L402_MCP_PATH). */
  readonly mcpPath: string;
  /** The header carrying the payment context to the origin; a client's own is always removed. */
  readonly contextHeader: string;
  /** The signed payment context (L402_CONTEXT_KEYS: the first key signs); undefined: none is sent. */
  readonly paymentContext: { readonly keys: readonly ContextKeySpec[]; readonly ttlSeconds: number } | undefined;
  /** What services in shadow mode tell clients (`X-L402-Notice`, L402_SHADOW_NOTICE); undefined: nothing. Every service is in shadow with L402_MODE=shadow. */
  readonly shadowNotice: string | undefined;
  /** `L402_SERVICES` as given: what run-time overrides are laid over. */
  readonly serviceDefinitions: readonly Readonly<Record<string, unknown>>[];
  /** Checks and compiles service definitions as `L402_SERVICES` is (its bindings, secrets and node): the effective ones, with overrides. */
  readonly compileServices: (definitions: unknown) => SettingsResult<ServiceConfig[]>;
  /** Run-time overrides (L402_OVERRIDES = "on"): seconds within which every isolate picks a change up; undefined: off. */
  readonly overridesTtlSeconds: number | undefined;
  /** The share of requests let through that get a log line (L402_LOG_PASSES): 1 all, 0 none. */
  readonly logPasses: number;
  /** L402_DECISION_FLUSH_SECONDS: each isolate adds its decision counts to D1 at most this often; undefined: the counts stay the isolate's. */
  readonly decisionFlushSeconds: number | undefined;
}

export interface DiscoveryConfig {
  readonly sellerName: string | undefined;
  readonly sellerDescription: string | undefined;
  /** The operator's OpenAPI document, to annotate. */
  readonly openapi: { readonly openapi: string; readonly info: Record<string, unknown>; readonly paths?: Record<string, Record<string, unknown>> } | undefined;
}
