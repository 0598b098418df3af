import { toBase64, toBase64Url, randomBytes } from "../bytes.ts";
import type { FiatRate } from "../config/index.ts";
import { formatSats } from "../l402/index.ts";
import { refusal } from "../refusal.ts";
import type { Answer, Challenge, Pass, Reply } from "./decision.ts";
import { setCookie } from "./browser/cookies.ts";
import { fiatEstimate } from "./fiat-estimate.ts";
import { challengePage, pagePolicy } from "./page.ts";
import type { PaywallRequest } from "./request.ts";
import { wantsPage } from "./wants-page.ts";
import { termsOf } from "../config/index.ts";

/** What rendering needs beyond the answer: the request it answers, and the paywall's settings the page shows. */
export interface RenderContext {
  readonly request: PaywallRequest;
  readonly invoiceExpirySeconds: number;
  readonly fiatRate: FiatRate | undefined;
  /** The request's id (a Worker's ray id), for 5xx answers. */
  readonly requestId?: string | undefined;
  /** The L402 manifest's absolute URL, when one is served: a 402 links it (`rel="l402-manifest"`, L402 PR #27). */
  readonly manifestUrl?: string | undefined;
}

/**
 * Every answer the paywall gives itself, rendered in one place: a challenge
 * (402: JSON, RFC 9457 problem details where an offered scheme wants them, a
 * page for a browser), a refusal (4xx), unavailability (503 with
 * Retry-After), and the browser payments' replies; each with the cookies it
 * sets. gRPC clients get the reference's form (src/refusal.ts).
 */
export function respond(answer: Exclude<Answer, Pass>, context: RenderContext): Response {
  const { request } = context;
  let response: Response;
  switch (answer.kind) {
    case "challenge":
      // The template Worker's build may leave the page out (src/worker/build.ts): a browser then gets the JSON a program does. The define is read here, where the bundler folds it.
      response = globalThis.L402_BUILD_PAGE !== false && wantsPage(request.headers) ? challengePageResponse(answer, context) : challengeResponse(answer, context);
      break;
    case "refuse":
      response = refusal(answer.status, { reason: answer.reason, detail: answer.detail }, { headers: request.headers, requestId: context.requestId }, retryAfter(answer.retryAfterSeconds));
      break;
    case "unavailable":
      response = refusal(503, { reason: answer.reason, detail: answer.detail }, { headers: request.headers, requestId: context.requestId }, retryAfter(answer.retryAfterSeconds));
      break;
    case "reply":
      response = replyResponse(answer);
      break;
  }
  // Only browser payments set cookies: a template Worker built without them (src/worker/build.ts) has none to write.
  if (globalThis.L402_BUILD_BROWSER !== false) for (const cookie of answer.cookies) response.headers.append("Set-Cookie", setCookie(cookie));
  return response;
}

function replyResponse(answer: Reply): Response {
  const { body } = answer;
  const headers = new Headers({ ...answer.headers, "Cache-Control": "no-store" });
  if (body === undefined) return new Response(null, { status: answer.status, headers });
  // Only browser payments' steps reply with a page: a build without the page has none of them (build.ts).
  if (globalThis.L402_BUILD_PAGE !== false && "page" in body && typeof body.page === "string" && typeof body.nonce === "string") {
    for (const [name, value] of Object.entries(pageHeaders(body.nonce))) headers.set(name, value);
    return new Response(body.page, { status: answer.status, headers });
  }
  headers.set("Content-Type", "application/json");
  return new Response(JSON.stringify(body), { status: answer.status, headers });
}

/** A page's headers: HTML, never stored, its own CSP (page.ts), no sniffing, no referrer. */
const pageHeaders = (nonce: string): Record<string, string> => ({
  "Content-Type": "text/html; charset=UTF-8",
  "Cache-Control": "no-store",
  "Content-Security-Policy": pagePolicy(nonce),
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
});

const retryAfter = (seconds: number | undefined): Record<string, string> => (seconds === undefined ? {} : { "Retry-After": String(seconds) });


/** The 402's challenge headers: every offered scheme's, in order (one value per challenge); the balance it found, if any; the manifest's Link. */
function challengeHeaders(answer: Challenge, context: RenderContext): Headers {
  const headers = new Headers();
  if (context.manifestUrl !== undefined) headers.set("Link", `<${context.manifestUrl}>; rel="l402-manifest"`);
  if (answer.failure.balanceMsat !== undefined) headers.set("X-L402-Balance", String(answer.failure.balanceMsat));
  for (const written of answer.written) {
    // One header value per challenge; workerd writes them as one line (l402/www-authenticate.ts says why that parses), Node as several.
    for (const value of written.wwwAuthenticate) headers.append("WWW-Authenticate", value);
    for (const [name, value] of Object.entries(written.headers ?? {})) headers.set(name, value);
  }
  return headers;
}

/** The 402 for programs: the invoice and its terms in JSON, as problem details when an offered scheme reads them. */
function challengeResponse(answer: Challenge, context: RenderContext): Response {
  const { service, failure, parts } = answer;
  const members = {
    reason: failure.reason,
    detail: failure.reason === "missing" ? "payment required" : failure.detail,
    service: service.name,
    ...priceMembers(answer),
    ...failure.facts,
    invoice: parts.invoice,
    ...Object.assign({}, ...answer.written.map((written) => written.members ?? {})),
    payment_hash: parts.paymentHash,
    expires_at: parts.expiresAt,
  };
  const headers = challengeHeaders(answer, context);
  if (answer.problem === undefined) return refusal(402, members, { headers: context.request.headers }, headers);
  headers.set("Content-Type", "application/problem+json");
  return refusal(402, { type: answer.problem.type, title: answer.problem.title, status: 402, ...members }, { headers: context.request.headers }, headers);
}

/**
 * What the request costs, in sats (rounded up) and msat: the price the token
 * is minted for; on a balance service, what the request debits, beside the
 * credit the invoice sells and every credit on offer.
 */
function priceMembers({ service, offer, priceMsat }: Challenge): Record<string, unknown> {
  const { credit } = offer;
  if (service.balance === undefined || credit === undefined) return { price_sats: Number(formatSats(offer.amountMsat)), price_msat: String(offer.amountMsat) };
  const asSats = (offered: { readonly amountMsat: bigint; readonly creditMsat: bigint }) => ({ amount_sats: Number(offered.amountMsat / 1000n), credit_sats: Number(offered.creditMsat / 1000n) });
  return { price_sats: Number(formatSats(priceMsat)), price_msat: String(priceMsat), credit: asSats(credit), credit_offers: service.balance.offers.map(asSats) };
}

/** The 402 for a person: the page (page.ts), interactive on a browser-payments service. */
function challengePageResponse(answer: Challenge, context: RenderContext): Response {
  const { service, failure, parts } = answer;
  const nonce = toBase64Url(randomBytes(16));
  const page = challengePage({
    title: service.title ?? service.name,
    description: service.description,
    payee: context.request.url.host,
    priceSats: formatSats(answer.offer.amountMsat),
    fiat: context.fiatRate === undefined ? undefined : fiatEstimate(answer.offer.amountMsat, context.fiatRate),
    terms: termsOf(service),
    detail: failure.reason === "missing" ? undefined : failure.detail,
    browserPayments: service.browser,
    metered: service.uses !== undefined,
    nonce,
    offer:
      answer.probe === undefined
        ? {
            kind: "invoice",
            invoice: parts.invoice,
            paymentHash: parts.paymentHash,
            macaroon: toBase64(parts.macaroon),
            // The node stamps the invoice a moment after `now`, maybe in the next second: never more than its expiry.
            expiresInSeconds: Math.max(0, Math.min(parts.expiresAt - context.request.now, context.invoiceExpirySeconds)),
          }
        : { kind: "probe", returned: answer.probe.returned },
  });
  const headers = challengeHeaders(answer, context);
  for (const [name, value] of Object.entries(pageHeaders(nonce))) headers.set(name, value);
  return new Response(page, { status: 402, headers });
}
