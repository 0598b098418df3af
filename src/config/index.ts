export { configFor, parseConfig } from "./load.ts";
export { literalPath, type ServiceDefinition } from "./schema.ts";
export { compileServices, type ServicesFailure } from "./services.ts";
export type { Config, OriginConfig, ServiceConfig } from "./types.ts";
