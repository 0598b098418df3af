export { l402Paywall, paywallMiddleware, type CorsOptions, type HonoEdge, type PaywallOptions } from "./middleware.ts";
export { PaywallConfigError, resolvePaywall, type PaywallOptionsBase } from "./options.ts";
export { BUILT_IN_SCHEMES } from "./paywall.ts";
export { l402Scheme } from "./schemes/l402.ts";
export { paymentScheme } from "./schemes/payment.ts";
export { x402Scheme } from "./schemes/x402.ts";
export { quoteEndpoint, type QuoteHandler } from "./quote.ts";
export type { PaywallSettings } from "./settings.ts";
export type { ChallengeContext, Completion, CompletionContext, InvoiceAnswer, PaymentScheme, Presented, Problem, Reading, SchemeContext, SchemeTools, SettledInvoices, WrittenChallenge } from "./schemes/scheme.ts";
export type { ChallengeParts } from "./challenge-parts.ts";
export { isPaywallCookieName } from "./browser/cookie-names.ts";
export { matchService } from "./match.ts";
export { offersPayment } from "./passed.ts";
export { LOOKUP_INTERVAL_MS, METER_FORGET_MARGIN_SECONDS, SPENT_RETENTION_MARGIN_SECONDS } from "./ports.ts";
export { rememberedSpends } from "./remembered-spends.ts";
export { rememberingExhausted } from "./exhausted-freebies.ts";
export type {
  CachedChallenge,
  ChallengeCache,
  DailyRevenue,
  BalanceOpening,
  Balances,
  Freebies,
  InvoicePool,
  Ledger,
  LookupLimiter,
  Meter,
  MintLimiter,
  MintRecord,
  PaywallPorts,
  PooledInvoice,
  PoolTake,
  Reservation,
  Revocations,
  SettlementRecord,
  SpentCharges,
  TokenRecord,
  TopUp,
} from "./ports.ts";
export type { L402Access, L402Outcome, L402Route, L402Variables, Outcome, PaywallEnv, PaywallLogEntry } from "./types.ts";
export { addressPrefix, CLIENT_NETWORK } from "./client-network.ts";
