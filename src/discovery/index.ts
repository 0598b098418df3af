export { discoveryApp, l402Discovery, type DiscoveryOptions } from "./app.ts";
export type { Seller } from "./l402-services.ts";
export { openApiPath, type OpenApiDocument } from "./openapi.ts";
