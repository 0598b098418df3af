import { toBase64 } from "../bytes.ts";
import type { ServiceConfig } from "../config/index.ts";
import { formatChallenge } from "../l402/index.ts";
import type { Charge } from "./decision.ts";
import type { Later } from "./issue-challenge.ts";
import { offerFor } from "./offer.ts";
import type { Paywall } from "./paywall.ts";
import type { PaywallRequest } from "./request.ts";
import { outlastsTopUp } from "./reserve-balance.ts";
import type { ExhaustedEvent } from "./settle.ts";

/**
 * The last event of a metered stream whose balance ran out: why, and a
 * top-up for the token (an invoice, and the top-up token minted over it), so
 * a client pays and goes on without another round trip. In an event stream,
 * an SSE `error` event with an `error` member, which OpenAI's and Anthropic's
 * SDKs raise as an error; in an NDJSON stream, a line with `error` (the
 * message) as Ollama writes its own stream errors, which ollama-js and
 * ollama-python raise; `l402` beside it either way (a stream that stops short
 * without saying why would read as a complete answer). Without an invoice
 * (the node cannot make one now), the event says to send the token again for
 * a top-up offer; for a token that expires before a top-up could be paid and
 * sent, it offers none and says to buy a new token; on a paused service, it
 * offers none and says so (`service_paused`).
 */
export function exhaustedEvent(paywall: Paywall, service: ServiceConfig, charge: Charge, request: PaywallRequest, later: Later): ExhaustedEvent {
  return async () => {
    // A token expiring before a top-up could be paid and sent is offered none (reserve-balance.ts): its client buys a new one. Now, not the request's time: a stream runs dry later.
    const lasts = outlastsTopUp(charge.validUntil, { now: Math.floor(Date.now() / 1000), invoiceExpirySeconds: paywall.settings.invoiceExpirySeconds });
    // A paused service sells nothing new, a top-up neither (decide.ts): its token is told so, and shown no offer.
    const paused = service.mode === "paused";
    const l402: Record<string, unknown> = { reason: "balance_exhausted", ...(paused ? { service_paused: true } : lasts ? { topup_for: charge.tokenId } : {}) };
    const topup = lasts && !paused ? { tokenId: charge.tokenId, validUntil: charge.validUntil, capabilities: charge.capabilities, shortMsat: charge.reservedMsat } : undefined;
    const offer = topup === undefined ? undefined : offerFor(service, charge.priceMsat, { headers: new Headers() }, paywall.settings.backend.wholeSats === true, { topup });
    const issued = offer?.ok !== true ? undefined : await paywall.challenger.mintFresh({ service, request, paidHash: undefined, later, offer: offer.value });
    if (issued?.ok === true) {
      const { parts } = issued.value;
      Object.assign(l402, { invoice: parts.invoice, macaroon: toBase64(parts.macaroon), payment_hash: parts.paymentHash, expires_at: parts.expiresAt, www_authenticate: formatChallenge(parts.macaroon, parts.invoice)[0] });
    }
    const message = paused
      ? "the balance ran out, and this service sells nothing now (paused): no top-up is offered until it sells again"
      : !lasts
        ? "the balance ran out, and this token expires too soon for a top-up: buy a new token"
        : issued?.ok === true
          ? "the balance ran out: pay the top-up invoice, send the top-up token once, then go on with your token"
          : "the balance ran out: send your token again for a top-up offer";
    return (framing, balanceMsat) => {
      // The balance first among the facts, as before the offer was made.
      const facts = { reason: l402["reason"], balance_msat: String(balanceMsat), ...l402 };
      if (framing === "ndjson") return `${JSON.stringify({ error: message, l402: facts })}\n`;
      return `event: error\ndata: ${JSON.stringify({ type: "error", error: { type: "balance_exhausted", code: "balance_exhausted", message }, l402: facts })}\n\n`;
    };
  };
}
