/**
 * Revoked tokens: a table in D1, read through the Cache API. A token's answer
 * ("revoked" or not) is cached in the colo for `ttlSeconds`, so a revocable
 * service costs at most one D1 read per token per colo per TTL.
 *
 * Staleness bound: a token revoked after its "not revoked" answer was cached
 * keeps working in that colo for at most `ttlSeconds` (the colo where the admin
 * call lands is purged at once). Services that do not enable revocation never
 * read it.
 */
const cacheKey = (tokenId: string) => new Request(`https://revocations.l402-edge.invalid/${tokenId}`);

export async function isRevoked(db: D1Database, cache: Cache, tokenId: string, ttlSeconds: number, waitUntil: (p: Promise<unknown>) => void): Promise<boolean> {
  const cached = await cache.match(cacheKey(tokenId));
  if (cached !== undefined) return (await cached.text()) === "revoked";
  const row = await db.prepare("SELECT 1 FROM revocations WHERE token_id = ?").bind(tokenId).first();
  const revoked = row !== null;
  waitUntil(cache.put(cacheKey(tokenId), new Response(revoked ? "revoked" : "valid", { headers: { "Cache-Control": `max-age=${ttlSeconds}` } })));
  return revoked;
}

export async function revoke(db: D1Database, cache: Cache, tokenId: string, reason: string, now: number): Promise<void> {
  await db.prepare("INSERT OR REPLACE INTO revocations (token_id, revoked_at, reason) VALUES (?, ?, ?)").bind(tokenId, now, reason).run();
  await cache.delete(cacheKey(tokenId));
}
