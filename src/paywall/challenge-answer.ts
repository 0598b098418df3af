import type { Context } from "hono";
import { accepts } from "hono/accepts";
import type { ServiceConfig } from "../config/index.ts";
import { formatChallenge, formatSats, toBase64, type Failure } from "../l402/index.ts";
import { answer } from "./answer.ts";
import { challengePage } from "./page.ts";

/** What a 402 carries: one invoice and the macaroon minted over its payment hash. */
export interface ChallengeParts {
  readonly macaroon: Uint8Array;
  readonly invoice: string;
  readonly paymentHash: string;
  /** Unix seconds. */
  readonly expiresAt: number;
}

/**
 * The 402: the challenge headers (L402 then LSAT; see l402/www-authenticate.ts),
 * and a body saying why the request was refused — JSON, or a page for a browser
 * that asks for HTML first. gRPC clients get the reference's form (answer.ts).
 */
export function challengeAnswer(c: Context, service: ServiceConfig, failure: Failure, parts: ChallengeParts): Response {
  // One header value per scheme; workerd writes them as one line (see www-authenticate.ts), Node as two.
  const challenges = formatChallenge(parts.macaroon, parts.invoice);
  const priceSats = formatSats(service.priceMsat);
  const detail = failure.reason === "missing" ? "payment required" : failure.detail;
  const wantsPage = accepts(c, { header: "Accept", supports: ["application/json", "text/html"], default: "application/json" }) === "text/html";
  if (wantsPage && c.req.header("content-type") === undefined) {
    const page = challengePage({ service: service.name, priceSats, invoice: parts.invoice, detail });
    return c.html(page, 402, { "WWW-Authenticate": challenges, "Cache-Control": "no-store" });
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
