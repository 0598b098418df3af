import { base64urlnopad } from "@scure/base";
import type { Context } from "hono";
import { accepts } from "hono/accepts";
import type { ServiceConfig } from "../config/index.ts";
import { formatChallenge, formatSats, toBase64, type Failure } from "../l402/index.ts";
import { answer } from "./answer.ts";
import { challengePage, pagePolicy } from "./page.ts";

/** What a 402 carries: one invoice and the macaroon minted over its payment hash. */
export interface ChallengeParts {
  readonly macaroon: Uint8Array;
  readonly invoice: string;
  readonly paymentHash: string;
  /** Unix seconds. */
  readonly expiresAt: number;
}

/** A browser asking for a page (HTML first in Accept, no request body): it gets the 402 page. */
export const wantsPage = (c: Context): boolean =>
  c.req.header("content-type") === undefined && accepts(c, { header: "Accept", supports: ["application/json", "text/html"], default: "application/json" }) === "text/html";

/**
 * The 402: the challenge headers (L402 then LSAT; see l402/www-authenticate.ts),
 * and a body saying why the request was refused — JSON, or a page for a browser
 * (interactive on a browser-payments service). gRPC clients get the reference's
 * form (answer.ts).
 */
export function challengeAnswer(c: Context, service: ServiceConfig, failure: Failure, parts: ChallengeParts, clock: { readonly now: number; readonly invoiceExpirySeconds: number }): Response {
  // One header value per scheme; workerd writes them as one line (see www-authenticate.ts), Node as two.
  const challenges = formatChallenge(parts.macaroon, parts.invoice);
  const priceSats = formatSats(service.priceMsat);
  const detail = failure.reason === "missing" ? "payment required" : failure.detail;
  if (wantsPage(c)) {
    const nonce = base64urlnopad.encode(crypto.getRandomValues(new Uint8Array(16)));
    const page = challengePage({
      service: service.name,
      priceSats,
      terms: termsOf(service),
      invoice: parts.invoice,
      paymentHash: parts.paymentHash,
      macaroon: toBase64(parts.macaroon),
      // The node stamps the invoice a moment after `now`, maybe in the next second: never more than its expiry.
      expiresInSeconds: Math.max(0, Math.min(parts.expiresAt - clock.now, clock.invoiceExpirySeconds)),
      detail: failure.reason === "missing" ? undefined : failure.detail,
      browserPayments: service.browser !== undefined,
      nonce,
    });
    return c.html(page, 402, {
      "WWW-Authenticate": challenges,
      "Cache-Control": "no-store",
      "Content-Security-Policy": pagePolicy(nonce),
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
    });
  }
  return answer(
    c,
    402,
    {
      reason: failure.reason,
      detail,
      service: service.name,
      price_sats: Number(priceSats),
      price_msat: String(service.priceMsat),
      invoice: parts.invoice,
      macaroon: toBase64(parts.macaroon),
      payment_hash: parts.paymentHash,
      expires_at: parts.expiresAt,
    },
    { "WWW-Authenticate": challenges },
  );
}

/** What one payment buys, in words. */
function termsOf(service: ServiceConfig): string {
  const within = service.timeoutSeconds === undefined ? undefined : duration(service.timeoutSeconds);
  if (service.uses !== undefined) return `${service.uses} ${service.uses === 1 ? "request" : "requests"}${within === undefined ? "." : `, within ${within}.`}`;
  return within === undefined ? "Access without expiry." : `Access for ${within}.`;
}

function duration(seconds: number): string {
  const [size, unit] = seconds % 86_400 === 0 ? [seconds / 86_400, "day"] : seconds % 3600 === 0 ? [seconds / 3600, "hour"] : seconds % 60 === 0 ? [seconds / 60, "minute"] : [seconds, "second"];
  return `${size} ${unit}${size === 1 ? "" : "s"}`;
}
