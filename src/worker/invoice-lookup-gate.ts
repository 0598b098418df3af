import { DurableObject } from "cloudflare:workers";
import { LOOKUP_INTERVAL_MS } from "../paywall/index.ts";

/**
 * The paywall's `LookupLimiter` port for one invoice (keyed by payment hash):
 * whether the node may be asked about it now. Every poller of the invoice, in every colo, reaches this one object,
 * so the node sees at most one lookup a second per invoice. In memory only: an
 * evicted object forgets, which costs at most one extra lookup.
 */
export class InvoiceLookupGate extends DurableObject {
  #lastAllowedAt = Number.NEGATIVE_INFINITY;

  allow(): boolean {
    const now = Date.now();
    if (now - this.#lastAllowedAt < LOOKUP_INTERVAL_MS) return false;
    this.#lastAllowedAt = now;
    return true;
  }
}
