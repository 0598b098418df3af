/**
 * Token ids a paywall has already let through, so the work a token needs once
 * (the ledger's settlement, dropping its payer's cached challenge) runs on its
 * first paid use and never again on the hot path. One per paywall (per
 * isolate): two paywalls in one isolate keep their own. Bounded: when full it
 * starts over, which only repeats that work once per token.
 */
const CAPACITY = 50_000;

export interface FirstUse {
  /** True the first time `tokenId` is seen paid (and remembered). */
  seen(tokenId: string): boolean;
  /** Forgets it: its once-only work failed (the ledger could not be written), and is done again on its next use. */
  forget(tokenId: string): void;
}

export function firstUseTracker(): FirstUse {
  const seen = new Set<string>();
  return {
    seen(tokenId) {
      if (seen.has(tokenId)) return false;
      if (seen.size >= CAPACITY) seen.clear();
      seen.add(tokenId);
      return true;
    },
    forget: (tokenId) => void seen.delete(tokenId),
  };
}
