import { Hono } from "hono/tiny";
import { cors } from "hono/cors";
import { etag } from "hono/etag";
import { compileServices, type ServiceConfig, type ServiceDefinition, type UrlPattern } from "../config/index.ts";
import { l402Manifest, MANIFEST_PATH } from "./l402-manifest.ts";
import { l402ServicesDocument, type Seller } from "./l402-services.ts";
import { llmsTxt } from "./llms-txt.ts";
import { openApiDocument, type OpenApiDocument } from "./openapi.ts";
import { soldRoutes, type SoldRoute } from "./route-info.ts";
import { URLPattern } from "#url-pattern";

export interface DiscoveryOptions {
  readonly services: readonly ServiceConfig[];
  readonly seller?: Seller;
  /** The operator's own OpenAPI document, annotated rather than replaced. */
  readonly openapi?: OpenApiDocument;
  /** The path of the MCP endpoint selling the services' tools (the template Worker's). */
  readonly mcpPath?: string;
  /** The quote endpoint's path, when the app serves one (the template Worker's): the manifest and llms.txt name it. */
  readonly quotePath?: string;
  /** How long the documents may be cached (default 300): shorter where prices change at run time (the template Worker's overrides). */
  readonly maxAgeSeconds?: number;
}

/** Five minutes, as draft-payment-discovery recommends: prices change rarely, and the 402 stays authoritative. */
const MAX_AGE_SECONDS = 300;

/**
 * `GET /.well-known/l402-services`, `/openapi.json`, `/.well-known/l402.json`
 * (the L402 manifest) and `/llms.txt`: what is for sale, generated from the
 * configuration's one list of sold routes (route-info.ts), so the four cannot
 * disagree; free, cacheable at the edge (ETag, max-age), readable from any
 * origin. The services document is built once, when first asked for, and
 * the OpenAPI one once per set of hosts sold the same (perHost); the manifest
 * and llms.txt name absolute URLs, so are built per request from its origin.
 */
export function discoveryApp(options: DiscoveryOptions): Hono {
  const routes = once(() => soldRoutes(options.services));
  const seller = options.seller ?? {};
  const tools = options.services.flatMap((service) => (service.mcp === undefined ? [] : [service.mcp.name]));
  const mcp = options.mcpPath === undefined || tools.length === 0 ? undefined : { endpoint: options.mcpPath, tools };
  // Written on the first request for each (then kept): an isolate's first request, most often one to be paid or forwarded, does not wait for documents it does not serve.
  const fixed = {
    [SERVICES_PATH]: once(() => JSON.stringify(l402ServicesDocument(routes(), seller, mcp))),
  };
  const openapi = perHost(options.services, routes, (here, host) => JSON.stringify(openApiDocument(here, options.services, seller, options.openapi, host)));
  const places = (url: string) => ({ origin: new URL(url).origin, openapiPath: OPENAPI_PATH, quotePath: options.quotePath });
  const cacheControl = `public, max-age=${options.maxAgeSeconds ?? MAX_AGE_SECONDS}`;
  const app = new Hono();
  // On the documents' own routes, not `use("*")`: mounted at "/" (app.route), a catch-all would reach the app's every route.
  app.on(["GET", "OPTIONS"], [...DISCOVERY_PATHS], cors({ origin: "*", allowMethods: ["GET", "HEAD"] }), etag());
  for (const [path, body] of Object.entries(fixed)) {
    app.get(path, (c) => c.body(body(), 200, { "Content-Type": "application/json", "Cache-Control": cacheControl }));
  }
  // The host as the paywall matches it: a trailing dot is the same host.
  app.get(OPENAPI_PATH, (c) => c.body(openapi(new URL(c.req.url).hostname.replace(/\.+$/, "")), 200, { "Content-Type": "application/json", "Cache-Control": cacheControl }));
  app.get(MANIFEST_PATH, (c) => c.body(JSON.stringify(l402Manifest(routes(), seller, places(c.req.url))), 200, { "Content-Type": "application/json", "Cache-Control": cacheControl }));
  app.get(LLMS_TXT_PATH, (c) =>
    c.body(llmsTxt(routes(), seller, { ...places(c.req.url), manifestPath: MANIFEST_PATH, servicesPath: SERVICES_PATH }), 200, { "Content-Type": "text/markdown; charset=UTF-8", "Cache-Control": cacheControl }),
  );
  return app;
}

const SERVICES_PATH = "/.well-known/l402-services";
const OPENAPI_PATH = "/openapi.json";
const LLMS_TXT_PATH = "/llms.txt";
/** The documents' paths, which the app answers to GET (and a preflight) ahead of any service there. */
export const DISCOVERY_PATHS = [SERVICES_PATH, OPENAPI_PATH, MANIFEST_PATH, LLMS_TXT_PATH] as const;

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

/** Documents kept: one per set of patterns a host falls under, a few in practice (hosts are named in the services' patterns), bounded all the same (a request names any Host). */
const MOST_HOST_DOCUMENTS = 64;

/**
 * A document for each host: OpenAPI's paths name no host, so the one a host
 * serves lists the routes sold there (those of every host, and its own),
 * never another host's price for the same path. Hosts whose requests the same
 * patterns may match (of any service, free ones too: one may take a path from
 * a paid one there) share one document, made once.
 */
function perHost(services: readonly ServiceConfig[], routes: () => readonly SoldRoute[], make: (here: readonly SoldRoute[], host: string) => string): (host: string) => string {
  const made = new Map<string, string>();
  const hostPatterns = new Map<string, UrlPattern>();
  const onHost = (hostname: string, host: string): boolean => {
    if (hostname === "*") return true;
    let pattern = hostPatterns.get(hostname);
    if (pattern === undefined) hostPatterns.set(hostname, (pattern = new URLPattern({ hostname }, { ignoreCase: true })));
    return pattern.test({ hostname: host });
  };
  return (host) => {
    const key = services.map((service) => service.patterns.map((pattern) => (onHost(pattern.hostname, host) ? "1" : "0")).join("")).join(",");
    let document = made.get(key);
    if (document === undefined) {
      if (made.size >= MOST_HOST_DOCUMENTS) made.clear();
      made.set(key, (document = make(routes().filter((route) => onHost(route.host ?? "*", host)), host)));
    }
    return document;
  };
}

/** `make`'s value, made on the first call and kept. */
function once<T extends object | string>(make: () => T): () => T {
  let made: T | undefined;
  return () => (made ??= make());
}
