export { configFor, parseConfig } from "./load.ts";
export type { Backend, NodeConfig } from "./node.ts";
export { holdsPaywallSettings, readPaywallEnv, type EnvNode } from "./paywall-env.ts";
export { BACKENDS, fiatRateProblem, literalPath, pathCovers, WHOLE_SAT_BACKENDS, type ServiceDefinition } from "./schema.ts";
export { compileServices, type ServicesFailure } from "./services.ts";
export type { Config, FiatRate, OriginConfig, ServiceConfig, UrlPattern } from "./types.ts";
export { termsOf } from "./terms.ts";
