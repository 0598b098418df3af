import { formatSats } from "../l402/index.ts";
import { chargeTermsOf, literalPath, pricedByRequest, termsOf, type ServiceConfig } from "../config/index.ts";
import { chargeTerms, msatJson, type SoldRoute } from "./route-info.ts";
import type { Seller } from "./l402-services.ts";
import { publishedBalance, publishedPrice, usageTerms } from "./usage-terms.ts";
import { withoutServers } from "./without-servers.ts";

/**
 * `/openapi.json` as draft-payment-discovery describes it: every paid
 * operation carries `x-payment-info` (an offer per Payment-scheme charge it
 * takes), a `402` response, the security schemes it accepts, and `x-l402`
 * (this paywall's terms: price, schemes, validity, uses, capabilities; a
 * price that depends on the request, a balance service's credit and debits:
 * usage-terms.ts).
 *
 * With a base document (the operator's own description of the API), its
 * operations are annotated where a paid service matches their path; without
 * one, a document is made from the services' patterns.
 */
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
type Operation = Record<string, unknown> & { responses?: Record<string, unknown> };
type PathItem = Partial<Record<(typeof METHODS)[number], Operation>> & Record<string, unknown>;
export interface OpenApiDocument {
  readonly openapi: string;
  readonly info: Record<string, unknown>;
  readonly paths?: Record<string, PathItem>;
  readonly components?: Record<string, unknown>;
  readonly [extension: string]: unknown;
}

const SECURITY_SCHEMES = {
  L402: { type: "http", scheme: "L402", description: "Authorization: L402 <macaroon>:<preimage>, from the 402's WWW-Authenticate: L402 challenge (LSAT is read too)." },
  Payment: { type: "http", scheme: "Payment", description: "Authorization: Payment <credential>, the HTTP Payment authentication scheme's lightning charge." },
  x402: { type: "apiKey", in: "header", name: "PAYMENT-SIGNATURE", description: "x402 v2: the Lightning entry of the 402's PAYMENT-REQUIRED, paid, with its preimage (or its invoice); one request per payment." },
};
/** A service's schemes as the security schemes above name them. */
const SECURITY_NAMES: Readonly<Record<string, string>> = { l402: "L402", mpp: "Payment", x402: "x402" };

/**
 * The OpenAPI document of `routes` (the caller picks those sold on one host),
 * generated or the operator's `base` annotated; `host`, the host it is served
 * from, is the one its paths are matched on (absent: each route's own).
 */
export function openApiDocument(routes: readonly SoldRoute[], services: readonly ServiceConfig[], seller: Seller, base?: OpenApiDocument, host?: string): OpenApiDocument {
  const made = base === undefined ? generated(routes, seller) : undefined;
  const document = made?.document ?? withoutServers(structuredClone(base) as OpenApiDocument);
  const paths = document.paths ?? {};
  for (const [path, item] of Object.entries(paths)) {
    // The route a request there is sold under (the first that matches a sample of it), else the pattern's own that made the path.
    const route = routesFor(routes, services, path, host)[0] ?? made?.routesOf.get(path)?.[0];
    if (route === undefined) continue;
    // A new item: the document may share one object between paths (structuredClone keeps that).
    const annotated: PathItem = { ...item };
    for (const method of METHODS) {
      const operation = item[method];
      if (operation !== undefined) annotated[method] = annotate(operation, route);
    }
    paths[path] = annotated;
  }
  const components = (document.components ?? {}) as Record<string, Record<string, unknown>>;
  return { ...document, paths, components: { ...components, securitySchemes: { ...(components["securitySchemes"] ?? {}), ...SECURITY_SCHEMES } } };
}

/** A document made from the routes' patterns, and by path the routes that made it (a fancier pattern's template matches no sample of its own). */
function generated(routes: readonly SoldRoute[], seller: Seller): { readonly document: OpenApiDocument; readonly routesOf: ReadonlyMap<string, readonly SoldRoute[]> } {
  const paths: Record<string, PathItem> = {};
  const routesOf = new Map<string, SoldRoute[]>();
  for (const route of routes) {
    const path = openApiPath(route.pattern);
    routesOf.set(path, [...(routesOf.get(path) ?? []), route]);
    const item: PathItem = paths[path] ?? {};
    const parameters = [...path.matchAll(/\{(\w+)\}/g)].map((match) => ({ name: match[1], in: "path", required: true, schema: { type: "string" }, ...(match[1] === "rest" ? { description: "the rest of the path (the service's pattern ends in *)" } : {}) }));
    for (const method of ["get", ...route.methods.map((m) => m.toLowerCase())]) {
      if ((METHODS as readonly string[]).includes(method)) {
        item[method as (typeof METHODS)[number]] = { summary: route.description ?? `${route.service} (paid)`, ...(parameters.length === 0 ? {} : { parameters }), responses: { "200": { description: "The paid content" } } };
      }
    }
    paths[path] = item;
  }
  return { document: { openapi: "3.1.0", info: { title: seller.name ?? "Paid API", version: "1", ...(seller.description === undefined ? {} : { description: seller.description }) }, paths }, routesOf };
}

/** The operation with this paywall's terms, in place of any the operator's document wrote (`x-payment-info`, `x-l402`: clients read them as the price). */
function annotate(given: Operation, route: SoldRoute): Operation {
  const { "x-payment-info": _offers, "x-l402": _terms, ...operation } = given;
  const price = publishedPrice(route);
  const usage = usageTerms(route);
  // A price a pricer decides is known only from the 402; one the rules decide is the service's for requests no rule matches.
  const amount = price["priced_by"] === undefined ? { amount: formatSats(route.priceMsat) } : {};
  const offers = route.schemes.includes("mpp") ? [{ intent: "charge", method: "lightning", ...amount, currency: "sat", description: usage === undefined ? chargeTermsOf(route) : `${chargeTermsOf(route)} ${usage}` }] : [];
  const balance = publishedBalance(route);
  return {
    ...operation,
    security: route.schemes.flatMap((scheme) => {
      const name = SECURITY_NAMES[scheme];
      return name === undefined ? [] : [{ [name]: [] }];
    }),
    responses: { ...(operation.responses ?? {}), "402": { description: "Payment Required: pay the invoice of the WWW-Authenticate challenge (or PAYMENT-REQUIRED's Lightning entry), then retry with its credential" } },
    ...(offers.length === 0 ? {} : { "x-payment-info": { offers } }),
    "x-l402": {
      service: route.service,
      ...(route.mode === "enforce" ? {} : { mode: route.mode }),
      ...(price["priced_by"] === undefined ? { price_msat: msatJson(route.priceMsat) } : {}),
      ...(pricedByRequest(route) ? { price } : {}),
      ...(balance === undefined ? {} : { balance }),
      schemes: route.schemes,
      terms: termsOf(route),
      ...chargeTerms(route),
      ...(usage === undefined ? {} : { usage }),
      ...(route.timeoutSeconds === undefined ? {} : { timeout_secs: route.timeoutSeconds }),
      ...(route.uses === undefined ? {} : { uses: route.uses, charge_on: route.usesChargeOn }),
      ...(route.capabilities === undefined ? {} : { capabilities: route.capabilities }),
    },
  };
}

/** URLPattern path → OpenAPI path template: `:id` → `{id}`, a trailing `/*` → `/{rest}`; anything fancier keeps its literal start. */
export function openApiPath(pattern: string): string {
  if (/^(?:\/(?:[\w.~-]+|:\w+))*(?:\/\*)?$/.test(pattern)) return pattern.replace(/:(\w+)/g, "{$1}").replace(/\/\*$/, "/{rest}") || "/";
  const literal = literalPath(pattern);
  return `${literal === "/" ? "" : literal}/{rest}`;
}

/** Sample values for an OpenAPI path's parameters: a word, a number, a name with a dot (a pattern may take only some). */
const SAMPLES = ["x", "1", "x.x"];

/**
 * The paid routes an OpenAPI path falls under: its template filled with each
 * sample, matched as a request would be: the first service that matches takes
 * it, so a path a free service (listed before) or a free path takes is not sold.
 */
function routesFor(routes: readonly SoldRoute[], services: readonly ServiceConfig[], path: string, host: string | undefined): SoldRoute[] {
  return SAMPLES.flatMap((sample) => {
    const pathname = path.replace(/\{[^}]*\}/g, sample);
    const route = routes.find((candidate) => candidate.matcher.test({ hostname: host ?? candidate.host ?? "any.example", pathname }));
    if (route === undefined) return [];
    const input = { hostname: host ?? route.host ?? "any.example", pathname };
    const taker = services.find((service) => service.patterns.some((pattern) => pattern.test(input)));
    return taker?.name === route.service && !taker.freePaths.some((pattern) => pattern.test(input)) ? [route] : [];
  });
}
