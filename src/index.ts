/**
 * l402-edge: turn any HTTP API into a paid one over Lightning with L402.
 *
 *   import { l402Paywall, type L402Variables } from "l402-edge";
 *   const app = new Hono<{ Variables: L402Variables }>();
 *   app.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 10 } }));
 *   app.get("/api/data", (c) => c.json({ paidBy: c.var.l402?.tokenId }));
 *
 * (the keys and the node from the Worker's env: L402_MASTER_KEYS, L402_BACKEND
 * and the backend's settings; or given as `keyring` and `backend`).
 *
 * Other entry points: `l402-edge/client` (paying L402 APIs), `l402-edge/l402` and
 * `l402-edge/macaroon` (the protocol core), `l402-edge/worker` (the template
 * Worker and its Cloudflare ports).
 */
import type { Handler } from "hono";
import { isPaywallCookieName, type PaywallEnv } from "./paywall/index.ts";
import { forwardToOrigin as proxyForward, type ForwardToOriginOptions as ProxyOptions } from "./proxy/forward-to-origin.ts";

export { l402Paywall, METER_FORGET_MARGIN_SECONDS, PaywallConfigError, SPENT_RETENTION_MARGIN_SECONDS, type PaywallOptions } from "./paywall/index.ts";
export type { ChallengeContext, ChallengeParts, Completion, CompletionContext, InvoiceAnswer, PaymentScheme, Presented, Problem, Reading, SchemeContext, SettledInvoices, WrittenChallenge } from "./paywall/index.ts";
export type {
  CachedChallenge,
  ChallengeCache,
  DailyRevenue,
  Freebies,
  L402Access,
  L402Outcome,
  L402Route,
  L402Variables,
  Ledger,
  LookupLimiter,
  Meter,
  MintLimiter,
  MintRecord,
  Outcome,
  PaywallEnv,
  PaywallLogEntry,
  PaywallPorts,
  Revocations,
  SettlementRecord,
  TokenRecord,
} from "./paywall/index.ts";
export { memoryPorts } from "./paywall/memory-ports.ts";
/** The forwarder's options, as the package offers it: the paywall's own cookies withheld from the origin unless said otherwise. */
export type ForwardToOriginOptions = Omit<ProxyOptions, "withholdCookie"> & Partial<Pick<ProxyOptions, "withholdCookie">>;
/** `forwardToOrigin()` after `l402Paywall()` (proxy/ knows nothing of the paywall: the package composes them here). */
export const forwardToOrigin = <E extends PaywallEnv = PaywallEnv>(options: ForwardToOriginOptions): Handler<E> =>
  proxyForward({ withholdCookie: isPaywallCookieName, ...options }) as unknown as Handler<E>;
export { adminApp, type AdminOptions } from "./admin/app.ts";
export { l402Discovery, type OpenApiDocument, type Seller } from "./discovery/index.ts";
export type { ServiceConfig, ServiceDefinition, UrlPattern } from "./config/index.ts";
export { createKeyring, parseMasterKeys, type Keyring } from "./l402/index.ts";
export {
  clnRestBackend,
  LightningError,
  lnbitsBackend,
  lndRestBackend,
  nwcBackend,
  phoenixdBackend,
  platformWebSocket,
  withBreaker,
  type BreakerOptions,
  type ClnRestConfig,
  type Invoice,
  type InvoiceBackend,
  type InvoiceRequest,
  type InvoiceStatus,
  type LightningFailureReason,
  type LnbitsConfig,
  type LndRestConfig,
  type NodeInfo,
  type NwcBackendConfig,
  type PhoenixdConfig,
} from "./lightning/index.ts";
