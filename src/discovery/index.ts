export { discoveryApp, l402Discovery, type DiscoveryOptions } from "./app.ts";
export { l402ServicesDocument, type Seller } from "./l402-services.ts";
export { openApiDocument, openApiPath, type OpenApiDocument } from "./openapi.ts";
export { soldRoutes, type SoldRoute } from "./route-info.ts";
