/**
 * Token ids a paywall has already let through, so the work a token needs once
 * (the ledger's settlement, dropping its payer's cached challenge) runs on its
 * first paid use and never again on the hot path. One per paywall (per
 * isolate): two paywalls in one isolate keep their own. Bounded: when full it
 * starts over, which only repeats that work once per token.
 */
const CAPACITY = 50_000;

/** How long after a failed once-only work (the ledger down) it is tried again: once a minute a token, not on every request. */
export const RETRY_AFTER_SECONDS = 60;

export interface FirstUse {
  /** True the first time `tokenId` is seen paid (and remembered), and the first time after its retry is due. */
  seen(tokenId: string, now: number): boolean;
  /** Its once-only work failed (the ledger could not be written): done again on its next use from RETRY_AFTER_SECONDS on. */
  failed(tokenId: string, now: number): void;
}

export function firstUseTracker(): FirstUse {
  // Each token id seen: 0 once its work is done, else when it may be tried again (unix s).
  const seen = new Map<string, number>();
  return {
    seen(tokenId, now) {
      const retryAt = seen.get(tokenId);
      if (retryAt !== undefined && (retryAt === 0 || now < retryAt)) return false;
      if (retryAt === undefined && seen.size >= CAPACITY) seen.clear();
      seen.set(tokenId, 0);
      return true;
    },
    failed: (tokenId, now) => void seen.set(tokenId, now + RETRY_AFTER_SECONDS),
  };
}
