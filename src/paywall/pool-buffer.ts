import type { InvoicePool, PooledInvoice } from "./ports.ts";

/** Invoices a buffer holds per pool, at most: what a few challenges in a row take before the buffer is topped up again. */
export const BUFFERED_PER_POOL = 3;
/** A buffer is topped up once it holds no more than this: one take from the pool for every two challenges, not one each. */
const LOW = 1;

/** What a take from the pool gave: invoices for the taker, and the refills the pool granted. */
export interface Drawn {
  readonly invoices: readonly PooledInvoice[];
  readonly refill: number;
}

/**
 * Invoices at hand: a few per pool, taken from the pool (one call) ahead of
 * this paywall's own demand, so that a challenge takes one from memory and
 * does not wait even for the pool. The pool hands each invoice out once, here
 * to a buffer; the buffer hands it to one challenge (a shift, with no await
 * between looking and taking), and never one past its hand-out time. It fills
 * from the second take on: a buffer is for isolates that answer a few. A buffer
 * that goes away (its isolate ends) takes its invoices with it: they expire
 * unpaid, as a pool's do, and cost nothing. So a pool and its buffers hold at
 * most its size plus BUFFERED_PER_POOL per buffer (one per isolate).
 */
export interface PoolBuffer {
  /** An invoice at hand that may still be handed out at `now` (unix s), gone from the buffer. */
  next(pool: string, now: number): PooledInvoice | undefined;
  /** Takes from the pool `wanted` invoices for the caller, and what fills the buffer (counting takes under way); buffers all beyond `wanted`. */
  draw(pool: string, wanted: number, now: number): Promise<Drawn>;
  /** Whether the buffer is low: held and asked for no more than LOW. */
  low(pool: string): boolean;
}

interface Held {
  invoices: PooledInvoice[];
  /** Invoices asked of the pool for the buffer, not yet given: room they will fill. */
  asked: number;
  /** Takes from the pool so far: the first takes the caller's alone. */
  draws: number;
}

export function poolBuffer(pool: InvoicePool): PoolBuffer {
  const held = new Map<string, Held>();
  const heldFor = (name: string): Held => {
    let at = held.get(name);
    if (at === undefined) held.set(name, (at = { invoices: [], asked: 0, draws: 0 }));
    return at;
  };
  return {
    next(name, now) {
      const at = held.get(name);
      if (at === undefined) return undefined;
      at.invoices = at.invoices.filter((invoice) => invoice.handOutBy >= now);
      return at.invoices.shift();
    },
    low(name) {
      const at = held.get(name);
      return at === undefined || at.invoices.length + at.asked <= LOW;
    },
    async draw(name, wanted, now) {
      const at = heldFor(name);
      // Not on a first take: an isolate that answers one challenge and ends (most do) would lose what it buffered, made for nothing.
      const room = at.draws++ === 0 ? 0 : Math.max(0, BUFFERED_PER_POOL - at.invoices.length - at.asked);
      if (wanted + room === 0) return { invoices: [], refill: 0 };
      at.asked += room;
      try {
        const taken = await pool.take(name, wanted + room, now);
        // The first for the caller; no more than asked kept, so the buffer stays within its bound whatever the pool gives.
        at.invoices.push(...taken.invoices.slice(wanted, wanted + room));
        return { invoices: taken.invoices.slice(0, wanted), refill: taken.refill };
      } finally {
        at.asked -= room;
      }
    },
  };
}
