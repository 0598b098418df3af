import { pricedByRequest } from "../config/index.ts";
import { capabilitiesCondition, creditCondition, priceCondition, requestCondition, usesCondition, validUntilCondition } from "../l402/index.ts";
import type { Seller } from "./l402-services.ts";
import { openApiPath } from "./openapi.ts";
import { msatJson, type SoldRoute } from "./route-info.ts";
import { publishedBalance, publishedPrice, usageTerms } from "./usage-terms.ts";

/** Where the manifest's documents are, absolute from the request's origin (a Link header's target must be resolvable alone). */
export interface ManifestPlaces {
  readonly origin: string;
  readonly openapiPath: string;
  /** The quote endpoint, when one is served (the template Worker's). */
  readonly quotePath?: string | undefined;
}

export const MANIFEST_PATH = "/.well-known/l402.json";
export const QUOTE_PATH = "/l402/quote";

/**
 * `/.well-known/l402.json` in the shape L402 PR #27 proposes (version "1.0"):
 * the services that take L402, each with its resources (a path template per
 * pattern, a method per operation the OpenAPI document lists) and their
 * pricing; the caveats their tokens carry. Only tier 0 exists here.
 *
 * The proposal's pricing models: `fixed` (one price), and `dynamic` for a
 * price the request decides (rules, a pricer) or a balance's credit — the
 * quote endpoint or a 402 names it. What the proposal has no slot for is in
 * `x-` members (ignored by readers that do not know them): `x-price` (the
 * l402-services price: rules, pricer), `x-balance` (the credit on offer and
 * how requests are debited), `x-schemes`, `x-usage`.
 */
export function l402Manifest(routes: readonly SoldRoute[], seller: Seller, places: ManifestPlaces): object {
  const sold = routes.filter((route) => route.schemes.includes("l402"));
  const names = [...new Set(sold.map((route) => route.service))];
  return {
    version: "1.0",
    provider: { name: seller.name ?? new URL(places.origin).host, uri: places.origin },
    currencies: ["msat"],
    macaroon_versions: [0],
    payment_methods: ["bolt11"],
    ...(places.quotePath === undefined ? {} : { quote_endpoint: `${places.origin}${places.quotePath}` }),
    openapi: `${places.origin}${places.openapiPath}`,
    services: names.map((name) => {
      const own = sold.filter((route) => route.service === name);
      const first = own[0] as SoldRoute;
      const usage = usageTerms(first);
      return {
        name,
        ...(first.description === undefined ? {} : { description: first.description }),
        tiers: [{ tier: 0, name: "base" }],
        ...(first.capabilities === undefined ? {} : { capabilities: first.capabilities }),
        resources: own.flatMap((route) => resourceMethods(route).map((method) => ({ path: openApiPath(route.pattern), method, ...(route.host === undefined ? {} : { "x-host": route.host }), pricing: pricingOf(route) }))),
        "x-schemes": first.schemes,
        ...(first.mode === "enforce" ? {} : { "x-mode": first.mode }),
        ...(usage === undefined ? {} : { "x-usage": usage }),
      };
    }),
    caveats: caveatsOf(sold),
  };
}

/** The methods a resource is listed under: GET and every method a capability rule names, as the generated OpenAPI document lists them. */
export const resourceMethods = (route: SoldRoute): string[] => [...new Set(["GET", ...route.methods.map((method) => method.toUpperCase())])];

/** A route's `pricing`: fixed at its price, else dynamic with what decides it. */
export function pricingOf(route: SoldRoute): Record<string, unknown> {
  const balance = publishedBalance(route);
  if (balance === undefined && !pricedByRequest(route)) return { model: "fixed", price_msat: msatJson(route.priceMsat) };
  return { model: "dynamic", "x-price": publishedPrice(route), ...(balance === undefined ? {} : { "x-balance": balance }) };
}

/** The caveats the services' tokens carry (l402/caveats.ts), described as the proposal's `caveats` member wants. */
function caveatsOf(routes: readonly SoldRoute[]): Record<string, unknown> {
  const caveats: Record<string, unknown> = { services: { type: "service_list", description: "the services (and tier, always 0) the token pays for", attenuation: "subset" } };
  for (const route of routes) {
    const { service } = route;
    if (route.capabilities !== undefined) caveats[capabilitiesCondition(service)] = { type: "string", description: "comma-separated capabilities the token grants", attenuation: "subset" };
    if (route.timeoutSeconds !== undefined) caveats[validUntilCondition(service)] = { type: "timestamp", description: "unix time the token expires", attenuation: "earlier" };
    if (route.uses !== undefined) caveats[usesCondition(service)] = { type: "integer", description: "requests the token pays for", attenuation: "decreasing" };
    if (route.balance !== undefined) caveats[creditCondition(service)] = { type: "integer", description: "msat of credit the token was sold with" };
    else if (pricedByRequest(route)) {
      caveats[priceCondition(service)] = { type: "integer", description: "the most a request may cost, in msat: the price the token was bought at", attenuation: "decreasing" };
      if (route.pricing.bindRequest) caveats[requestCondition(service)] = { type: "string", description: "the one request the token is bound to (a digest)" };
    }
  }
  return caveats;
}
