/**
 * A circuit breaker on the node. After `threshold` failures in a row it opens:
 * calls are refused at once for `cooldownMs`, instead of piling timeouts onto a
 * sick node. Then one probe call is let through (half-open): success closes the
 * breaker, failure opens it again. State is per isolate, as all Worker memory
 * is; each isolate protects the node from its own traffic.
 */
export interface Breaker {
  /** Whether a call may go to the node now; when not, how long until it may. */
  admit(): { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };
  success(): void;
  failure(): void;
}

export function createBreaker(options: { threshold: number; cooldownMs: number; now?: () => number }): Breaker {
  const now = options.now ?? Date.now;
  let failures = 0;
  let openUntil = 0;
  let probing = false;
  return {
    admit() {
      if (failures < options.threshold) return { ok: true };
      const wait = openUntil - now();
      if (wait > 0 || probing) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(Math.max(wait, 1000) / 1000)) };
      probing = true;
      return { ok: true };
    },
    success() {
      failures = 0;
      probing = false;
    },
    failure() {
      failures++;
      probing = false;
      if (failures >= options.threshold) openUntil = now() + options.cooldownMs;
    },
  };
}
