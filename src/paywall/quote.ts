import * as v from "valibot";
import { bodyText, toBase64 } from "../bytes.ts";
import { readAtMost } from "../read-at-most.ts";
import { coveringPattern, recordOf, type ServiceConfig } from "../config/index.ts";
import { createPaywall, type Paywall } from "./paywall.ts";
import type { Later } from "./issue-challenge.ts";
import { offerFor } from "./offer.ts";
import type { PaywallRequest } from "./request.ts";
import { PAUSED_RETRY_AFTER_SECONDS } from "./unpayable.ts";
import type { PaywallSettings } from "./settings.ts";

/**
 * `POST /l402/quote` (L402 PR #27): an invoice and a macaroon for a service
 * before any request is made, minted by the paywall's own challenger — the
 * invoice and token a 402 for the service would carry, paid and presented
 * the same way (`Authorization: L402 <macaroon>:<preimage>`). No credential
 * is needed; a quote that mints an invoice is counted by the mint limiter,
 * and one asked again gets the client's recent invoice (the challenge cache;
 * not on a service offering x402, whose invoices go to one answer each).
 *
 * What is quoted: a service at one price, its price; one priced by rules, the
 * price of the requests no rule matches, minted as the most a request may
 * cost (a dearer one gets its own 402); a balance, its first credit offer
 * (or the one `X-L402-Credit` names). A pricer's price (or the app's price
 * function's) belongs to a request the quote does not have: 503 unpriceable,
 * as for a token bound to one request. Only tier 0 exists, no constraints.
 *
 * Errors are `{"error": {code, message, field?}}` with the proposal's codes,
 * and Aperture's where the proposal has none (405 method_not_allowed, 400
 * unknown_tier and unsupported_payment_method).
 */
export type QuoteHandler = (request: Request, client: PaywallRequest["client"], later: Later) => Promise<Response>;

/** The quote endpoint for a paywall's settings (its ports, so its mint limiter and ledger, are the paywall's). */
export function quoteEndpoint(settings: PaywallSettings): QuoteHandler {
  const paywall = createPaywall(settings);
  return async (request, client, later) => {
    if (request.method !== "POST") return quoteError(405, "method_not_allowed", "a quote is asked for with POST", undefined, { Allow: "POST, OPTIONS" });
    const asked = await askedQuote(request);
    if (!asked.ok) return asked.error;
    return quoted(paywall, asked.value, { method: request.method, url: new URL(request.url), headers: request.headers, client, now: Math.floor(Date.now() / 1000) }, later);
  };
}

/** A quote's JSON body is small: anything larger is not one. */
const MAX_BODY_BYTES = 8192;

const QuoteRequest = v.object({
  service: v.pipe(v.string(), v.minLength(1)),
  tier: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(255))),
  capabilities: v.optional(v.array(v.string())),
  constraints: v.optional(recordOf(v.string(), v.unknown(), "must be an object")),
  max_price_msat: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(0))),
  // Read by the proposal's readers; ignored here as Aperture does (one offer, no alternatives, no top-ups by quote).
  optimize: v.optional(v.picklist(["price", "volume", "duration"])),
  token_id: v.optional(v.pipe(v.string(), v.hexadecimal())),
  payment_method: v.optional(v.string()),
});
type QuoteRequest = v.InferOutput<typeof QuoteRequest>;

async function askedQuote(request: Request): Promise<{ ok: true; value: QuoteRequest } | { ok: false; error: Response }> {
  const malformed = (message: string, field?: string) => ({ ok: false as const, error: quoteError(400, "malformed_request", message, field) });
  // Read no further than the limit: a body of any length costs no more memory than that.
  const { bytes, truncated } = await readAtMost(request.body, MAX_BODY_BYTES);
  if (truncated) return malformed(`the request body is limited to ${MAX_BODY_BYTES} bytes`);
  const text = bodyText(bytes);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return malformed("the request body is not JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return malformed("the request body must be a JSON object");
  const read = v.safeParse(QuoteRequest, body);
  if (read.success) return { ok: true, value: read.output };
  const issue = read.issues[0];
  const field = v.getDotPath(issue) ?? undefined;
  return malformed(field === undefined ? issue.message : `${field} is malformed (${issue.expected ?? "a different value"} expected)`, field);
}

async function quoted(paywall: Paywall, asked: QuoteRequest, request: PaywallRequest, later: Later): Promise<Response> {
  const { settings } = paywall;
  const index = settings.services.findIndex((candidate) => candidate.name === asked.service && candidate.auth && candidate.schemes.includes("l402"));
  const service = settings.services[index];
  if (service === undefined) return quoteError(400, "unknown_service", "no paid service of that name takes L402", "service");
  // A token for a service whose every path a service listed before takes would be refused wherever it is sent.
  if (service.patterns.every((pattern) => coveringPattern(settings.services, index, pattern) !== undefined)) {
    return quoteError(400, "unknown_service", "every path of this service is taken by a service listed before it: nothing is sold at its terms", "service");
  }
  if (service.mode === "paused") return quoteError(503, "service_paused", "this service sells no new access for now", undefined, { "Retry-After": String(PAUSED_RETRY_AFTER_SECONDS) });
  // Shadow mode sells nothing (no invoice, token or ledger row): its requests pass as they would unpaid.
  if (service.mode === "shadow") return quoteError(503, "service_in_shadow", "this service is in shadow mode: its requests pass without payment, and nothing is sold");
  if ((asked.tier ?? 0) !== 0) return quoteError(400, "unknown_tier", "only tier 0 exists", "tier");
  if (asked.payment_method !== undefined && asked.payment_method !== "bolt11") return quoteError(400, "unsupported_payment_method", "invoices are BOLT 11 only", "payment_method");
  const unknown = asked.capabilities?.find((capability) => !(service.capabilities ?? []).includes(capability));
  if (unknown !== undefined) return quoteError(400, "unknown_capability", `the service grants no capability "${unknown}"`, "capabilities");
  const constraint = Object.keys(asked.constraints ?? {})[0];
  if (constraint !== undefined) return quoteError(400, "invalid_constraint", "this service takes no constraints", `constraints.${constraint}`);
  const unpriceable = unpriceableReason(service);
  if (unpriceable !== undefined) return quoteError(503, "unpriceable", unpriceable);

  const offer = offerFor(service, service.priceMsat, request, settings.backend.wholeSats === true, {});
  if (!offer.ok) return quoteError(400, "malformed_request", offer.detail, "X-L402-Credit");
  const { amountMsat } = offer.value;
  if (asked.max_price_msat !== undefined && amountMsat > BigInt(asked.max_price_msat)) {
    return quoteError(409, "unsatisfiable_budget", `the price is ${amountMsat} msat, above max_price_msat`, "max_price_msat");
  }
  const sold = asked.capabilities === undefined ? offer.value : { ...offer.value, capabilities: asked.capabilities };
  const need = { service, request, paidHash: undefined, later, offer: sold };
  // As the 402's: a client asking again gets its recent invoice (the challenge cache, where the service allows it), not one more from the node. A token
  // narrowed to some capabilities is its own (the cache knows offers by price).
  const issued = await (asked.capabilities === undefined ? paywall.challenger.issue(need) : paywall.challenger.mintFresh(need));
  if (!issued.ok) {
    const retry = { "Retry-After": String(issued.retryAfterSeconds) };
    if (issued.reason === "rate_limited") return quoteError(429, "rate_limited", issued.detail, undefined, retry);
    return quoteError(503, "unpriceable", "the Lightning node cannot issue an invoice right now; retry shortly", undefined, retry);
  }
  const { parts } = issued.value;
  const price = amountMsat <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(amountMsat) : String(amountMsat);
  return json(200, { price_msat: price, quote_expiry: parts.expiresAt, macaroon: toBase64(parts.macaroon), invoice: parts.invoice });
}

/** Why a service cannot be quoted without its request, if it cannot. */
function unpriceableReason(service: ServiceConfig): string | undefined {
  const { pricing } = service;
  if (pricing.pricer !== undefined || pricing.price !== undefined) return "this service's price is decided per request: request it, and its 402 names the price";
  if (pricing.bindRequest) return "this service's tokens are bound to the one request they were priced for: request it, and its 402 sells one";
  return undefined;
}

function quoteError(status: number, code: string, message: string, field?: string, headers: Record<string, string> = {}): Response {
  return json(status, { error: { code, message, ...(field === undefined ? {} : { field }) } }, headers);
}

const json = (status: number, body: object, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", "Cache-Control": "no-store", ...headers } });
