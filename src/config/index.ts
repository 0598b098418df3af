export { BACKENDS, readNodeSettings, namedBackend, backendSetting, networkSetting, WHOLE_SAT_BACKENDS, type Backend, type NodeConfig } from "./node-settings.ts";
export { holdsPaywallSettings, readPaywallEnv, type EnvNode } from "./paywall-env.ts";
export {
  breakerCooldownSeconds,
  breakerThreshold,
  challengeCacheSeconds,
  fiatRate,
  invoiceExpirySeconds,
  invoiceMemo,
  macaroonLocation,
  mintRetryAfterSeconds,
  nodeTimeoutMs,
  shadowNotice,
  wholeNumber,
} from "./paywall-settings.ts";
export { problemsOf, settingsFailure, type SettingsFailure, type SettingsResult } from "./problems.ts";
export { recordOf, serviceMode } from "./schema-pieces.ts";
export { HEADER_NAME, literalPath, pathCovers, type ServiceDefinition } from "./schema.ts";
export { covers, coveringPattern } from "./pattern-cover.ts";
export { compileServices, inMode, pricesInPartSats } from "./services.ts";
export type {
  BalanceConfig,
  ChargeOn,
  CreditOffer,
  FiatRate,
  McpToolConfig,
  OriginConfig,
  PriceFunction,
  PriceRequest,
  PricedRequest,
  PriceRule,
  PricerConfig,
  Pricing,
  ServiceConfig,
  ServiceMode,
  StreamMeterConfig,
  UrlPattern,
} from "./types.ts";
export { chargeTermsOf, termsOf } from "./terms.ts";
export { pricedByRequest } from "./usage-config.ts";
export { allPaused, effectiveServices, overridden, overrideFields, patched, OVERRIDABLE, type Effective, type OverrideChange, type OverridesSnapshot, type OverridesStore, type ServiceOverride } from "./service-overrides.ts";
