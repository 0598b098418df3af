import { hex } from "@scure/base";
import { sha256 } from "../macaroon/index.ts";
import { addressPrefix, CLIENT_NETWORK } from "./client-network.ts";
import type { CachedChallenge, ChallengeCache } from "./ports.ts";

/**
 * Repeat unpaid requests from one client get the same challenge back for a short
 * window instead of a new invoice each, so a loop of unpaid requests cannot fill
 * the node's invoice database. (The Cloudflare port keeps entries in the Cache
 * API; why, in src/worker/ports.ts.)
 *
 * A cached invoice is offered only while it may still be unpaid. It is dropped
 * as soon as a request proves it paid: its token's first use in this isolate
 * (after the response), or a refused credential whose preimage is the cached
 * invoice's. Otherwise the node is asked, at most once a second per entry,
 * whether it is still open; so an invoice paid but not yet used can be offered
 * for at most that second.
 */

/** How often a cached invoice's state is re-checked with the node. */
export const RECHECK_SECONDS = 1;

/**
 * The client: its network (the address; an IPv6 /64, which one customer holds
 * whole) and its user agent (so different programs behind one address differ),
 * for one service at one price.
 */
export function clientKey(client: { readonly address: string | null; readonly userAgent: string | null }, service: string, priceMsat: bigint): string {
  const network = addressPrefix(client.address, CLIENT_NETWORK);
  const who = `${network}\u0000${client.userAgent ?? ""}`;
  return hex.encode(sha256(new TextEncoder().encode(`${who}\u0000${service}\u0000${priceMsat}`)));
}

/** Stored for the window, never past the invoice's own expiry. */
export function storeChallenge(cache: ChallengeCache, key: string, entry: CachedChallenge, windowSeconds: number, now: number): Promise<void> {
  const ttl = Math.min(windowSeconds, entry.expiresAt - now - 5);
  return ttl > 0 ? cache.store(key, entry, ttl) : Promise.resolve();
}
