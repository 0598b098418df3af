export { configFor, parseConfig, type ConfigResult } from "./load.ts";
export type { CapabilityRule, Config, LndConfig, OriginConfig, ServiceConfig } from "./types.ts";
