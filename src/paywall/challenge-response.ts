import type { ServiceConfig } from "../config/index.ts";
import { formatChallenge, formatSats, toBase64, type Failure } from "../l402/index.ts";
import { challengePage, prefersHtml } from "./page.ts";
import { respond } from "./respond.ts";

/** What a 402 carries: one invoice and the macaroon minted over its payment hash. */
export interface ChallengeParts {
  readonly macaroon: Uint8Array;
  readonly invoice: string;
  readonly paymentHash: string;
  readonly expiresAt: number;
}

/**
 * The 402: the challenge headers (L402 then LSAT), and a body saying why the
 * request was refused — JSON, or a page for browsers. gRPC clients get the
 * reference's form (see respond.ts).
 */
export function challengeResponse(request: Request, service: ServiceConfig, failure: Failure, parts: ChallengeParts): Response {
  const headers = new Headers({ "Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "WWW-Authenticate" });
  for (const line of formatChallenge(parts.macaroon, parts.invoice)) headers.append("WWW-Authenticate", line);
  const priceSats = formatSats(service.priceMsat);
  const detail = failure.reason === "missing" ? "payment required" : failure.detail;
  if (prefersHtml(request.headers.get("accept")) && !request.headers.has("content-type")) {
    headers.set("Content-Type", "text/html; charset=utf-8");
    headers.set("Cache-Control", "no-store");
    const page = challengePage({ service: service.name, priceSats, invoice: parts.invoice, reason: failure.reason, detail });
    return new Response(page, { status: 402, headers });
  }
  return respond(
    request,
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
    headers,
  );
}
