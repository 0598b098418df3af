/**
 * l402-edge/fetch: the paywall for any `(Request) => Response` runtime (a
 * Worker without Hono, Deno, Bun, Next route handlers, Node behind a fetch
 * bridge). Nothing here imports Hono.
 *
 *   import { withPaywall } from "l402-edge/fetch";
 *   export default { fetch: withPaywall({ service: { name: "api", price_sats: 10 } }, (request, paid) => Response.json({ paidBy: paid.access?.tokenId })) };
 */
export { withPaywall, type FetchPaywallOptions, type PaidHandler, type PaidRequest, type WaitUntil } from "./paywall/fetch-adapter.ts";
export { memoryPorts } from "./paywall/memory-ports.ts";
export { PaywallConfigError } from "./paywall/options.ts";
export type { L402Access, L402Outcome, L402Route, PaywallLogEntry } from "./paywall/types.ts";
export type { PaymentScheme } from "./paywall/schemes/scheme.ts";
export type { PaywallPorts } from "./paywall/ports.ts";
export { createKeyring, parseMasterKeys, type Keyring } from "./l402/index.ts";
export { clnRestBackend, lnbitsBackend, lndRestBackend, nwcBackend, phoenixdBackend, withBreaker, type InvoiceBackend } from "./lightning/index.ts";
