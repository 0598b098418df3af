import { LightningError, type InvoiceBackend } from "./backend.ts";

/**
 * A circuit breaker around an invoice backend. After `threshold` failures in a
 * row it opens: calls fail at once (`breaker_open`, with a retry-after) for
 * `cooldownMs`, instead of piling timeouts onto a sick node. Then one probe call
 * is let through (half-open): success closes the breaker, failure opens it
 * again. A `not_found` answer is a healthy node answering, not a failure.
 * State lives in the wrapper, so per isolate in a Worker: each isolate protects
 * the node from its own traffic.
 */
export interface BreakerOptions {
  readonly threshold: number;
  readonly cooldownMs: number;
  readonly now?: () => number;
}

export function withBreaker(backend: InvoiceBackend, options: BreakerOptions): InvoiceBackend {
  const now = options.now ?? Date.now;
  let failures = 0;
  let openUntil = 0;
  let probing = false;

  const guarded = async <T>(call: () => Promise<T>): Promise<T> => {
    if (failures >= options.threshold) {
      const wait = openUntil - now();
      if (wait > 0 || probing) {
        throw new LightningError("breaker_open", "the node failed repeatedly; not asking it for now", Math.max(1, Math.ceil(Math.max(wait, 1000) / 1000)));
      }
      probing = true;
    }
    try {
      const result = await call();
      failures = 0;
      return result;
    } catch (error) {
      if (error instanceof LightningError && error.reason === "not_found") {
        failures = 0;
      } else {
        failures++;
        if (failures >= options.threshold) openUntil = now() + options.cooldownMs;
      }
      throw error;
    } finally {
      probing = false;
    }
  };

  return {
    createInvoice: (request) => guarded(() => backend.createInvoice(request)),
    lookupInvoice: (paymentHash) => guarded(() => backend.lookupInvoice(paymentHash)),
    getInfo: () => guarded(() => backend.getInfo()),
    ...(backend.wholeSats === true ? { wholeSats: true } : {}),
  };
}
