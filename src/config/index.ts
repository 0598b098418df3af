export { configFor, parseConfig, type ConfigResult } from "./load.ts";
export type { Feature, FeatureSupport, ServiceDefinition } from "./schema.ts";
export { compileServices, type CompileContext, type ServicesFailure } from "./services.ts";
export type { CapabilityRule, Config, LndConfig, OriginConfig, ServiceConfig } from "./types.ts";
