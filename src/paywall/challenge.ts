import type { Config, ServiceConfig } from "../config/index.ts";
import { encodeMacaroon } from "../macaroon/index.ts";
import { formatChallenge, mint, serviceCaveats, toBase64, toHex, type Failure } from "../l402/index.ts";
import { LightningError, type InvoiceBackend } from "../lightning/index.ts";
import { challengePage, prefersHtml } from "./page.ts";
import { respond } from "./respond.ts";

export interface ChallengeOutcome {
  readonly response: Response;
  /** For the log: `challenged`, or why no challenge could be made. */
  readonly outcome: "challenged" | "node_unavailable";
  readonly detail?: string;
}

/** Seconds a client should wait before retrying when the node could not make an invoice. */
export const NODE_RETRY_AFTER_SECONDS = 5;

/**
 * A fresh challenge: an invoice from the node, a macaroon minted over its payment
 * hash, and a 402 saying why the request was refused. No invoice, no access: if
 * the node fails, the answer is 503 and nothing is forwarded.
 */
export async function issueChallenge(params: {
  request: Request;
  config: Config;
  backend: InvoiceBackend;
  service: ServiceConfig;
  failure: Failure;
  now: number;
}): Promise<ChallengeOutcome> {
  const { request, config, service, failure, now } = params;
  let invoice;
  try {
    invoice = await params.backend.createInvoice({
      amountMsat: service.priceMsat,
      memo: config.memo.replaceAll("{service}", service.name),
      expirySeconds: config.invoiceExpirySeconds,
    });
  } catch (error) {
    if (!(error instanceof LightningError)) throw error;
    const response = respond(
      request,
      503,
      { reason: "node_unavailable", detail: "the Lightning node cannot issue an invoice right now; retry shortly" },
      { "Retry-After": String(NODE_RETRY_AFTER_SECONDS) },
    );
    return { response, outcome: "node_unavailable", detail: `${error.kind}: ${error.message}` };
  }

  const minted = mint({
    keyring: config.keyring,
    paymentHash: invoice.paymentHash,
    location: config.location,
    caveats: serviceCaveats({
      service: service.name,
      ...(service.capabilities === undefined ? {} : { capabilities: service.capabilities }),
      ...(service.timeoutSeconds === undefined ? {} : { validUntil: now + service.timeoutSeconds }),
    }),
  });
  const macaroon = encodeMacaroon(minted.macaroon);
  const headers = new Headers({ "Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "WWW-Authenticate" });
  for (const line of formatChallenge(macaroon, invoice.paymentRequest)) headers.append("WWW-Authenticate", line);

  const priceSats = formatSats(service.priceMsat);
  const detail = failure.reason === "missing" ? "payment required" : failure.detail;
  if (prefersHtml(request.headers.get("accept")) && !request.headers.has("content-type")) {
    headers.set("Content-Type", "text/html; charset=utf-8");
    headers.set("Cache-Control", "no-store");
    const page = challengePage({ service: service.name, priceSats, invoice: invoice.paymentRequest, reason: failure.reason, detail });
    return { response: new Response(page, { status: 402, headers }), outcome: "challenged" };
  }
  const body = {
    reason: failure.reason,
    detail,
    service: service.name,
    price_sats: Number(priceSats),
    price_msat: String(service.priceMsat),
    invoice: invoice.paymentRequest,
    macaroon: toBase64(macaroon),
    payment_hash: toHex(invoice.paymentHash),
    expires_at: invoice.expiresAt,
  };
  return { response: respond(request, 402, body, headers), outcome: "challenged" };
}

const formatSats = (msat: bigint): string =>
  msat % 1000n === 0n ? String(msat / 1000n) : `${msat / 1000n}.${String(msat % 1000n).padStart(3, "0").replace(/0+$/, "")}`;
