/**
 * The Worker's bindings. Vars live in wrangler.toml; secrets (marked) in
 * `wrangler secret put` or .dev.vars. load-config.ts validates all of them; see the
 * README's configuration reference. Exported, not a global `Env`: the package's
 * types name it, and a Worker of its own declares its own `Env`.
 */
export interface WorkerBindings {
  /** Secret. Comma-separated hex master keys; the first mints, the others only verify. */
  L402_MASTER_KEYS?: string;
  /** lnd (default), nwc, lnbits, phoenixd or cln: the node or wallet that makes invoices. */
  L402_BACKEND?: string;
  L402_NODE_TIMEOUT_MS?: string;
  /** Secret. Hex of the LND macaroon (invoices:read, invoices:write, info:read). */
  LND_MACAROON?: string;
  /** Secret. nostr+walletconnect://… (make_invoice, lookup_invoice, get_info). */
  L402_NWC_URI?: string;
  L402_NWC_CONNECTION?: string;
  LNBITS_URL?: string;
  /** Secret. The LNbits wallet's invoice/read key. */
  LNBITS_INVOICE_KEY?: string;
  PHOENIXD_URL?: string;
  /** Secret. phoenixd's http password (the limited-access one suffices). */
  PHOENIXD_PASSWORD?: string;
  CLN_REST_URL?: string;
  /** Secret. A rune allowing invoice, listinvoices and getinfo. */
  CLN_RUNE?: string;
  /** Secret. Sent to the origin in L402_ORIGIN_AUTH_HEADER. */
  L402_ORIGIN_SECRET?: string;
  LND_REST_URL?: string;
  LND_TIMEOUT_MS?: string;
  L402_SERVICES?: unknown;
  L402_NETWORK?: string;
  L402_UNMATCHED?: string;
  L402_LOCATION?: string;
  L402_INVOICE_EXPIRY?: string;
  L402_MEMO?: string;
  L402_ORIGIN_AUTH_HEADER?: string;
  L402_CHALLENGE_CACHE_SECONDS?: string;
  L402_MINT_RETRY_AFTER?: string;
  L402_BREAKER_THRESHOLD?: string;
  L402_BREAKER_COOLDOWN?: string;
  /** Rate Limiting binding: challenges minted per client address. Optional. */
  L402_MINT_LIMITER?: RateLimit;
  /** Rate Limiting binding: challenges minted per client network (IPv4 /24, IPv6 /48). Optional. */
  L402_MINT_NETWORK_LIMITER?: RateLimit;
  /** Durable Objects counting metered tokens' uses and free allowances. */
  L402_METER?: DurableObjectNamespace<import("./token-meter.ts").TokenMeter>;
  L402_FREEBIES?: DurableObjectNamespace<import("./freebie-counter.ts").FreebieCounter>;
  /** Durable Object limiting node lookups per invoice: browser payments (`browser: true`) poll through it, x402 payments naming their invoice only are checked through it. */
  L402_LOOKUPS?: DurableObjectNamespace<import("./invoice-lookup-gate.ts").InvoiceLookupGate>;
  /** Durable Object remembering spent Payment-scheme charges and x402 payments: services with the "mpp" or "x402" scheme. */
  L402_SPENT?: DurableObjectNamespace<import("./spent-charge-shard.ts").SpentChargeShard>;
  /** Durable Object keeping prepaid balances: services with `balance`. */
  L402_BALANCES?: DurableObjectNamespace<import("./token-balance.ts").TokenBalance>;
  /** Durable Object pools of invoices made ahead of demand (L402_INVOICE_POOL_SIZE > 0). */
  L402_INVOICE_POOL?: DurableObjectNamespace<import("./invoice-pool-shard.ts").InvoicePoolShard>;
  L402_INVOICE_POOL_SIZE?: string;
  L402_INVOICE_POOL_RATE?: string;
  /** Durable Object holding the NWC relay connection (L402_NWC_CONNECTION = "held"). */
  L402_NWC?: DurableObjectNamespace<import("./nwc-relay.ts").NwcRelay>;
  /** D1: the payment ledger and the revocation list (schema in migrations/). */
  L402_LEDGER?: D1Database;
  /** Secret. Bearer token of the admin API; unset, the admin API is off. */
  L402_ADMIN_TOKEN?: string;
  L402_ADMIN_PATH?: string;
  L402_REVOCATION_TTL?: string;
  /** "shadow": every service in shadow mode (nothing blocked, would-be decisions logged and counted); "enforce" (default): each service's own mode. */
  L402_MODE?: string;
  /** What services in shadow mode tell clients, in an X-L402-Notice header. */
  L402_SHADOW_NOTICE?: string;
  /** Analytics Engine dataset: a data point per decision (service, outcome, scheme, reason, country, colo, price). Optional. */
  L402_ANALYTICS?: AnalyticsEngineDataset;
  /** "on": services' prices, modes and free paths may be changed at run time through the admin API (kept in L402_LEDGER). */
  L402_OVERRIDES?: string;
  L402_OVERRIDES_TTL?: string;
  /** Seconds (1–25): each isolate adds its decision counts to D1 (L402_LEDGER) at most this often; /metrics and the dashboard read every isolate's. */
  L402_DECISION_FLUSH_SECONDS?: string;
  /** Where the MCP endpoint answers (default /mcp), when a service is sold as a tool. */
  L402_MCP_PATH?: string;
  /** Secret. JSON of Ed25519 private JWKs signing the payment context; the first signs, the others are only published. */
  L402_CONTEXT_KEYS?: string;
  /** The payment context's header toward the origin (default Payment-Context). */
  L402_CONTEXT_HEADER?: string;
  /** Seconds a payment context is valid (default 120). */
  L402_CONTEXT_TTL?: string;
  /** Which requests let through get a log line: all (default), none, or sample:<share>. */
  L402_LOG_PASSES?: string;
}
