export { l402Paywall, paywallMiddleware } from "./middleware.ts";
export { PaywallConfigError, type PaywallOptions } from "./options.ts";
export { isPaywallCookieName } from "./browser/cookies.ts";
export { LOOKUP_INTERVAL_MS, METER_FORGET_MARGIN_SECONDS } from "./ports.ts";
export { termsOf } from "./terms.ts";
export type {
  CachedChallenge,
  ChallengeCache,
  DailyRevenue,
  Freebies,
  Ledger,
  LookupLimiter,
  Meter,
  MintLimiter,
  MintRecord,
  PaywallPorts,
  Revocations,
  SettlementRecord,
  TokenRecord,
} from "./ports.ts";
export type { L402Access, L402Outcome, L402Route, L402Variables, Outcome, PaywallEnv, PaywallLogEntry } from "./types.ts";
