import { sha256 } from "@noble/hashes/sha2.js";
import { hex } from "@scure/base";

/**
 * Repeat unpaid requests from one client get the same challenge back for a short
 * window instead of a new invoice each, so a loop of unpaid requests cannot fill
 * the node's invoice database.
 *
 * Why the Cache API and not a Durable Object: it costs nothing per call and
 * answers within the colo, while a Durable Object adds a billed round trip,
 * possibly to another continent, to every unpaid request. Its consistency is per
 * colo, which is what a client's repeats see (they land on the same colo); at
 * worst a client roaming across colos gets one more invoice.
 *
 * A paid request never touches the cache: the paid path stays free of I/O.
 * Instead a cache hit asks the node, at most once a second per entry, whether
 * the cached invoice is still open; once it is paid (by this client or by
 * another behind the same address) the entry is dropped and a fresh challenge
 * made, so nobody is handed an invoice someone else already paid.
 */
export interface CachedChallenge {
  readonly invoice: string;
  /** Standard base64 of the minted macaroon. */
  readonly macaroon: string;
  readonly paymentHash: string;
  readonly expiresAt: number;
  /** Unix seconds of the last check that the invoice is still open. */
  readonly checkedAt: number;
}

/** How often a cached invoice's state is re-checked with the node. */
export const RECHECK_SECONDS = 1;

/** The client: its address and its user agent (so different programs behind one address differ). */
export function clientKey(request: Request, service: string, priceMsat: bigint): Request {
  const client = `${request.headers.get("cf-connecting-ip") ?? "unknown"}\u0000${request.headers.get("user-agent") ?? ""}`;
  const digest = hex.encode(sha256(new TextEncoder().encode(`${client}\u0000${service}\u0000${priceMsat}`)));
  return new Request(`https://challenge-cache.l402-edge.invalid/${digest}`);
}

export async function readChallenge(cache: Cache, key: Request): Promise<CachedChallenge | undefined> {
  const hit = await cache.match(key);
  if (hit === undefined) return undefined;
  try {
    return (await hit.json()) as CachedChallenge;
  } catch {
    return undefined;
  }
}

/** Stored for the window, never past the invoice's own expiry. */
export function storeChallenge(cache: Cache, key: Request, entry: CachedChallenge, windowSeconds: number, now: number): Promise<void> {
  const ttl = Math.min(windowSeconds, entry.expiresAt - now - 5);
  if (ttl <= 0) return Promise.resolve();
  return cache.put(key, new Response(JSON.stringify(entry), { headers: { "Cache-Control": `max-age=${ttl}`, "Content-Type": "application/json" } }));
}

export const dropChallenge = (cache: Cache, key: Request): Promise<boolean> => cache.delete(key);
