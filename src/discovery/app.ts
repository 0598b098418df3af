import { Hono } from "hono";
import { cors } from "hono/cors";
import { etag } from "hono/etag";
import { compileServices, type ServiceConfig, type ServiceDefinition } from "../config/index.ts";
import { l402ServicesDocument, type Seller } from "./l402-services.ts";
import { openApiDocument, type OpenApiDocument } from "./openapi.ts";
import { soldRoutes } from "./route-info.ts";

export interface DiscoveryOptions {
  readonly services: readonly ServiceConfig[];
  readonly seller?: Seller;
  /** The operator's own OpenAPI document, annotated rather than replaced. */
  readonly openapi?: OpenApiDocument;
  /** The path of the MCP endpoint selling the services' tools (the template Worker's). */
  readonly mcpPath?: string;
}

/** Five minutes, as draft-payment-discovery recommends: prices change rarely, and the 402 stays authoritative. */
const CACHE_CONTROL = "public, max-age=300";

/**
 * `GET /.well-known/l402-services` and `GET /openapi.json`: what is for sale,
 * generated from the configuration, free, cacheable at the edge (ETag,
 * max-age), readable from any origin. Built once: the documents change only
 * with the configuration.
 */
export function discoveryApp(options: DiscoveryOptions): Hono {
  const routes = soldRoutes(options.services);
  const seller = options.seller ?? {};
  const tools = options.services.flatMap((service) => (service.mcp === undefined ? [] : [service.mcp.name]));
  const mcp = options.mcpPath === undefined || tools.length === 0 ? undefined : { endpoint: options.mcpPath, tools };
  const documents = {
    "/.well-known/l402-services": JSON.stringify(l402ServicesDocument(routes, seller, mcp)),
    "/openapi.json": JSON.stringify(openApiDocument(routes, seller, options.openapi)),
  };
  const app = new Hono();
  // On the documents' own routes, not `use("*")`: mounted at "/" (app.route), a catch-all would reach the app's every route.
  app.on(["GET", "OPTIONS"], Object.keys(documents), cors({ origin: "*", allowMethods: ["GET", "HEAD"] }), etag());
  for (const [path, body] of Object.entries(documents)) {
    app.get(path, (c) => c.body(body, 200, { "Content-Type": "application/json", "Cache-Control": CACHE_CONTROL }));
  }
  return app;
}

/**
 * The discovery app for a Worker of one's own: the same services the paywall
 * is given (each with its `match`), compiled and checked the same way.
 */
export function l402Discovery(options: { readonly services: readonly ServiceDefinition[]; readonly seller?: Seller; readonly openapi?: OpenApiDocument }): Hono {
  const all = { meter: true, freebies: true, ledger: true, revocations: true, lookups: true, spent: true, balances: true, describe: () => "" };
  // Origins (and their secret headers) are never published: not even compiled here.
  const withoutOrigins = options.services.map(({ origin: _origin, ...service }) => service);
  const compiled = compileServices(withoutOrigins, { field: "services", secrets: {}, matchRequired: true, servesMcp: true, features: all, describing: true });
  if (!compiled.ok) throw new Error(`l402Discovery: ${compiled.problems.join("; ")}`);
  return discoveryApp({ ...options, services: compiled.value });
}
