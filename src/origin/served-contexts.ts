/**
 * The contexts an origin has served, by `jti`, so that one is served once: a
 * payment context is good until its `exp` for the request it names, and a
 * `uses: 1` service's request or a one-shot action must not be served twice
 * from one context. `verifyPaymentContext`'s `once` asks `add` last, after
 * every other check, so a context refused for another reason keeps its jti.
 */
export interface ServedContexts {
  /**
   * Records `jti`, to be kept until `keepUntil` (Unix seconds): `added`, or
   * `seen` if it was recorded before and is still kept, or `full` when it
   * cannot be kept (the context is then refused: served twice would be worse).
   * A store shared by the origin's instances (Redis's `SET jti 1 NX EXAT
   * keepUntil`, a database's unique key) answers across all of them
   * (`keepUntil` is a minute past the context's last second, for a store whose
   * clock runs ahead of the origin's). A throw or rejection
   * refuses the context (`replay_store_unavailable`).
   */
  add(jti: string, keepUntil: number): ServedAnswer | Promise<ServedAnswer>;
}

export type ServedAnswer = "added" | "seen" | "full";

export interface MemoryServedContextsOptions {
  /** The most jtis kept at once (default 1,000,000: on the order of 100 MB); past it, until some expire, a new context is refused (`replay_cache_full`). */
  readonly maxEntries?: number;
  /** Unix seconds now (default the clock). */
  readonly now?: () => number;
}

/** How often, at most, the expired jtis are swept out when the store is not full (seconds). */
const SWEEP_EVERY_SECONDS = 10;

/**
 * ServedContexts in this process's memory: for an origin that runs as one
 * process (several instances need a store they share). Each jti is kept
 * until its `keepUntil`, swept out every few seconds as contexts come.
 */
export function memoryServedContexts(options: MemoryServedContextsOptions = {}): ServedContexts {
  const maxEntries = options.maxEntries ?? 1_000_000;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError("maxEntries must be a whole number of at least 1");
  const now = options.now ?? (() => Date.now() / 1000);
  const kept = new Map<string, number>();
  let sweptAt = -Infinity;
  // When the first kept jti may be let go: a full store sweeps only once one may, so a flood of refusals costs no sweep each.
  let soonest = Infinity;
  const sweep = (at: number) => {
    sweptAt = at;
    soonest = Infinity;
    for (const [jti, until] of kept) {
      if (until < at) kept.delete(jti);
      else soonest = Math.min(soonest, until);
    }
  };
  return {
    add(jti, keepUntil) {
      if (!Number.isFinite(keepUntil)) throw new RangeError("keepUntil must be a number of Unix seconds");
      const at = now();
      const until = kept.get(jti);
      if (until !== undefined && until >= at) return "seen";
      if (at - sweptAt >= SWEEP_EVERY_SECONDS || (until === undefined && kept.size >= maxEntries && soonest < at)) sweep(at);
      if (!kept.has(jti) && kept.size >= maxEntries) return "full";
      kept.set(jti, keepUntil);
      soonest = Math.min(soonest, keepUntil);
      return "added";
    },
  };
}
