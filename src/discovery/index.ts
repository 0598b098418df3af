export { DISCOVERY_PATHS, discoveryApp, l402Discovery, type DiscoveryOptions } from "./app.ts";
export type { Seller } from "./l402-services.ts";
export { MANIFEST_PATH, QUOTE_PATH } from "./l402-manifest.ts";
export { openApiPath, type OpenApiDocument } from "./openapi.ts";
