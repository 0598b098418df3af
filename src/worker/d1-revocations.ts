import type { Revocations } from "../paywall/index.ts";
import { bounded } from "./bounded-call.ts";

/**
 * Revoked tokens: a table in D1, read through the Cache API. A token's answer
 * ("revoked" or not) is cached in the colo for `ttlSeconds`, so a revocable
 * service costs at most one D1 read per token per colo per TTL.
 *
 * Staleness bound: a token revoked after its "not revoked" answer was cached
 * keeps working in that colo for at most `ttlSeconds` (the colo where the admin
 * call lands is told at once, and again REVOKED_AGAIN_AFTER_MS later, before
 * the call answers). Services that do not enable revocation never
 * read it.
 */
export function d1Revocations(db: D1Database, cache: Cache, ttlSeconds: number): Revocations {
  const cacheKey = (tokenId: string) => new Request(`https://revocations.l402-edge.invalid/${tokenId}`);
  return {
    async isRevoked(tokenId, later) {
      const cached = await cache.match(cacheKey(tokenId));
      if (cached !== undefined) return (await cached.text()) === "revoked";
      const revoked = (await bounded(db.prepare("SELECT 1 FROM revocations WHERE token_id = ?").bind(tokenId).first(), "L402_LEDGER")) !== null;
      later(cache.put(cacheKey(tokenId), new Response(revoked ? "revoked" : "valid", { headers: { "Cache-Control": `max-age=${ttlSeconds}` } })));
      return revoked;
    },
    async revoke(tokenId, reason, now) {
      await db.prepare("INSERT OR REPLACE INTO revocations (token_id, revoked_at, reason) VALUES (?, ?, ?)").bind(tokenId, now, reason).run();
      // The colo's answer is "revoked" at once, and again a moment later: a request that read "valid" from D1 just before the revocation caches that after it, and would keep the token working here for the TTL.
      const revoked = () => cache.put(cacheKey(tokenId), new Response("revoked", { headers: { "Cache-Control": `max-age=${ttlSeconds}` } }));
      await revoked();
      await new Promise((resolve) => setTimeout(resolve, REVOKED_AGAIN_AFTER_MS));
      await revoked();
    },
  };
}

/** How long after a revocation the colo's cache is told "revoked" again: a D1 read that began before the revocation and is cached later than this (rare: a read takes milliseconds to a few hundred) leaves "valid" for the TTL, as in any other colo. */
export const REVOKED_AGAIN_AFTER_MS = 2000;
