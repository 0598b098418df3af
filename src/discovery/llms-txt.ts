import { formatSats } from "../l402/index.ts";
import { pricedByRequest, termsOf } from "../config/index.ts";
import type { Seller } from "./l402-services.ts";
import { resourceMethods, type ManifestPlaces } from "./l402-manifest.ts";
import { openApiPath } from "./openapi.ts";
import type { SoldRoute } from "./route-info.ts";
import { publishedBalance, usageTerms } from "./usage-terms.ts";

/**
 * `/llms.txt` (llmstxt.org): the paid API described for a language model, in
 * Markdown — an H1 with the name, a `>` summary, how to pay in three steps,
 * then a section listing every paid endpoint with its price and terms, and
 * one linking the machine-readable documents.
 */
export function llmsTxt(routes: readonly SoldRoute[], seller: Seller, places: ManifestPlaces & { readonly manifestPath: string; readonly servicesPath: string }): string {
  const { origin } = places;
  const summary = seller.description ?? "An HTTP API whose requests are paid over Bitcoin Lightning, with L402 (or the Payment HTTP authentication scheme).";
  const lines = [
    `# ${oneLine(seller.name ?? new URL(origin).host)}`,
    "",
    `> ${oneLine(summary)}`,
    "",
    "To pay for a request (L402):",
    "1. Send the request: the answer is `402 Payment Required` with `WWW-Authenticate: L402 macaroon=\"…\", invoice=\"…\"` (and the invoice in its JSON body).",
    "2. Pay the BOLT 11 invoice with a Lightning wallet; its preimage is the proof of payment.",
    "3. Send the request again with `Authorization: L402 <macaroon>:<preimage>`; the token is reused until its terms run out.",
    "",
    "## Paid endpoints",
    "",
    ...routes.flatMap((route) => resourceMethods(route).map((method) => `- [${route.service}: ${method} ${openApiPath(route.pattern)}](${originOf(route, origin)}${openApiPath(route.pattern)}): ${priceWords(route)}; ${schemeWords(route.schemes)}. ${oneLine(termsOf(route))}${describe(route)}`)),
    "",
    "## Discovery",
    "",
    `- [L402 manifest](${origin}${places.manifestPath}): services, resources, pricing and caveats (L402 PR #27)`,
    `- [OpenAPI](${origin}${places.openapiPath}): every paid operation, with its price in \`x-l402\``,
    `- [L402 services](${origin}${places.servicesPath}): routes and prices (ngx_l402's shape)`,
    ...(places.quotePath === undefined ? [] : [`- [Quote](${origin}${places.quotePath}): POST \`{"service": "<name>", "max_price_msat": <n>}\` for an invoice and macaroon before the request`]),
    "",
  ];
  return lines.join("\n");
}

/** Where a route is served: its own host when its pattern names one (a plain name, not a pattern), else the origin serving this file. */
const originOf = (route: SoldRoute, origin: string): string => (route.host !== undefined && /^[a-z0-9.-]+$/i.test(route.host) ? `https://${route.host}` : origin);

function priceWords(route: SoldRoute): string {
  const balance = publishedBalance(route);
  if (balance !== undefined) {
    // Its price a request only where every request costs that: no rules, pricer, meter or reported cost.
    const flat = balance["debited"] === "price" && route.pricing.pricer === undefined && route.pricing.price === undefined && !pricedByRequest(route);
    return `prepaid credit (buy ${(balance["credit_offers"] as { amount_sats: number }[]).map((offer) => `${offer.amount_sats} sats`).join(" or ")}), ${flat ? `${formatSats(route.priceMsat)} sats a request` : "each request debited as its terms say"}`;
  }
  if (route.pricing.pricer !== undefined || route.pricing.price !== undefined) return "priced per request (the 402 names the price)";
  if (route.pricing.rules.length > 0) return `${formatSats(route.priceMsat)} sats, or as its price rules say (the 402 names the price)`;
  return `${formatSats(route.priceMsat)} sats`;
}

const schemeWords = (schemes: readonly string[]): string => `pay with ${schemes.map((scheme) => ({ l402: "L402", mpp: "Payment" })[scheme] ?? scheme).join(" or ")}`;

function describe(route: SoldRoute): string {
  const usage = usageTerms(route);
  return [route.description, usage].filter((text) => text !== undefined).map((text) => ` ${oneLine(text)}`).join("");
}

/** Operator text on one line: a newline could start a heading of its own. */
const oneLine = (text: string): string => text.replace(/\s+/g, " ").trim();
