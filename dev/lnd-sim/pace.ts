/**
 * How fast a simulated node answers, for measuring the paywall with the node
 * far away (bench/invoice-pool.ts): a delay per call (latency, plus or minus
 * up to `jitterMs`, uniformly), and a node that makes at most
 * `invoicesPerSecond` invoices. Over that rate, invoice calls queue, each
 * waiting for its turn: what a real node does (LND, Core Lightning and
 * phoenixd write each invoice to their database one after another and refuse
 * none; the caller's timeout is what gives up). LNbits' own rate limiter
 * answers 429 instead, per client address and per minute, well above what
 * one paywall asks of it; the queue stands for the node behind it.
 */
export function callDelayMs(latencyMs: number, jitterMs: number): number {
  return Math.max(0, latencyMs + (jitterMs > 0 ? (Math.random() * 2 - 1) * jitterMs : 0));
}

/** Waits the call's delay, when there is one. */
export async function pause(latencyMs: number, jitterMs: number): Promise<void> {
  const delay = callDelayMs(latencyMs, jitterMs);
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
}

/** Invoice calls in turn, `1000 / rate` ms apart; `rate()` read at each call (0: no limit). */
export function invoiceQueue(rate: () => number): () => Promise<void> {
  let nextSlotMs = 0;
  return async () => {
    const perSecond = rate();
    if (perSecond <= 0) return;
    const now = performance.now();
    const slot = Math.max(now, nextSlotMs);
    nextSlotMs = slot + 1000 / perSecond;
    if (slot > now) await new Promise((resolve) => setTimeout(resolve, slot - now));
  };
}

/** Checks a pace setting: a number within `max`, from 0. */
export function paceSetting(name: string, value: unknown, max: number): number {
  if (typeof value !== "number" || !(value >= 0) || value > max) throw new Error(`${name} must be 0..${max}`);
  return value;
}
