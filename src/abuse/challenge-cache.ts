import { sha256 } from "@noble/hashes/sha2.js";
import { hex } from "@scure/base";
import { addressPrefix, CLIENT_NETWORK } from "../stateful/address-prefix.ts";

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
 * A cached invoice is offered only while it may still be unpaid. It is dropped
 * as soon as a request proves it paid: its token's first use in this isolate
 * (after the response), or a refused credential whose preimage is the cached
 * invoice's. Otherwise the node is asked, at most once a second per entry,
 * whether it is still open; so an invoice paid but not yet used can be offered
 * for at most that second.
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

/**
 * The client: its network (the address; an IPv6 /64, which one customer holds
 * whole) and its user agent (so different programs behind one address differ).
 */
export function clientKey(request: Request, service: string, priceMsat: bigint): Request {
  const network = addressPrefix(request.headers.get("cf-connecting-ip"), CLIENT_NETWORK);
  const client = `${network}\u0000${request.headers.get("user-agent") ?? ""}`;
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
