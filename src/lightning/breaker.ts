import { LightningError, type InvoiceBackend, type LightningFailureReason } from "./backend.ts";

/**
 * A circuit breaker around an invoice backend. After `threshold` failures in a
 * row it opens: calls fail at once (`breaker_open`, with a retry-after) for
 * `cooldownMs`, instead of piling timeouts onto a sick node. Then one probe call
 * is let through (half-open): success closes the breaker, failure opens it
 * again. Only a node that does not answer counts (`unavailable`, `timeout`):
 * a refusal (`bad_request`, `node_error`, `auth`) or an answer found wrong
 * (`invalid_response`: an invoice for another amount) may be that request's
 * alone — one route priced beyond what the node takes must not close the
 * paywall for every route — and comes back at once, piling nothing up; it is
 * neither counted nor taken for health, but a probe answered so closes
 * the breaker. A `not_found` answer is a healthy node answering. `getInfo`
 * (health's) passes through, unguarded and uncounted.
 * The probe holds its turn for one cooldown at most: a probe that never ends
 * (its request cancelled when its client went away, in Workers: the code after
 * its `await` never runs) lets the next call probe after that.
 * State lives in the wrapper, so per isolate in a Worker: each isolate protects
 * the node from its own traffic.
 */
export interface BreakerOptions {
  readonly threshold: number;
  readonly cooldownMs: number;
  readonly now?: () => number;
}

/** The failures of a node that does not answer: the only ones counted. */
const UNANSWERED: ReadonlySet<LightningFailureReason> = new Set(["unavailable", "timeout"]);

export function withBreaker(backend: InvoiceBackend, options: BreakerOptions): InvoiceBackend {
  const now = options.now ?? Date.now;
  let failures = 0;
  let openUntil = 0;
  /** Until when the probe out holds its turn (0: none out). */
  let probeUntil = 0;

  const guarded = async <T>(call: () => Promise<T>): Promise<T> => {
    let probe = false;
    if (failures >= options.threshold) {
      const wait = openUntil - now();
      if (wait > 0 || now() < probeUntil) {
        throw new LightningError("breaker_open", "the node failed repeatedly; not asking it for now", Math.max(1, Math.ceil(Math.max(wait, 1000) / 1000)));
      }
      probe = true;
      probeUntil = now() + options.cooldownMs;
    }
    try {
      const result = await call();
      failures = 0;
      return result;
    } catch (error) {
      const reason = error instanceof LightningError ? error.reason : "unavailable";
      // Answered: a not_found is a healthy node's answer; and a probe answered at all closes the breaker (the node is back).
      if (reason === "not_found" || (probe && !UNANSWERED.has(reason))) {
        failures = 0;
      } else if (UNANSWERED.has(reason)) {
        failures++;
        if (failures >= options.threshold) openUntil = now() + options.cooldownMs;
      }
      throw error;
    } finally {
      if (probe) probeUntil = 0;
    }
  };

  return {
    createInvoice: (request) => guarded(() => backend.createInvoice(request)),
    lookupInvoice: (paymentHash) => guarded(() => backend.lookupInvoice(paymentHash)),
    // Health's call, open to anyone: neither counted nor a probe, so asking it cannot open the breaker for invoices (a
    // credential may lack getinfo while invoices work), nor its success hide a node that refuses them.
    getInfo: () => backend.getInfo(),
    ...(backend.wholeSats === true ? { wholeSats: true } : {}),
  };
}
