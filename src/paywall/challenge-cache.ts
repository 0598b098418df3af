import { fromBase64Lenient, sha256, toBase64, toHex, utf8 } from "../bytes.ts";
import type { ChallengeParts } from "./challenge-parts.ts";
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
 * for one service and one offer (offer.ts: its price, or what its token says),
 * under one master key (the id of the key its macaroon is minted under: a key
 * taken out of the keyring leaves no cached challenge a buyer would pay for a
 * token then refused).
 */
export function clientKey(client: { readonly address: string | null; readonly userAgent: string | null }, service: string, offer: string, keyId: number): string {
  const network = addressPrefix(client.address, CLIENT_NETWORK);
  const who = `${network}\u0000${client.userAgent ?? ""}`;
  return toHex(sha256(utf8(`${who}\u0000${service}\u0000${offer}\u0000${keyId}`)));
}

/**
 * The cache with its failures taken as misses (a read), or as nothing done (a
 * store, a drop): it is there to save invoices, and one that cannot answer
 * must not stop the 402 (the node makes a fresh invoice, within the mint limit).
 */
export function forgivingCache(cache: ChallengeCache): ChallengeCache {
  const quietly = <T>(call: () => Promise<T>): Promise<T | undefined> => Promise.resolve().then(call).catch(() => undefined);
  return {
    read: (key) => quietly(() => cache.read(key)),
    store: async (key, entry, ttlSeconds) => void (await quietly(() => cache.store(key, entry, ttlSeconds))),
    drop: async (key) => void (await quietly(() => cache.drop(key))),
  };
}

/** Stored for the window, never past the invoice's own expiry. */
export function storeChallenge(cache: ChallengeCache, key: string, entry: CachedChallenge, windowSeconds: number, now: number): Promise<void> {
  const ttl = Math.min(windowSeconds, entry.expiresAt - now - 5);
  return ttl > 0 ? cache.store(key, entry, ttl) : Promise.resolve();
}

/** A challenge as the cache keeps it (text, JSON-ready), checked open with the node at `checkedAt`. */
export const cachedFrom = (parts: ChallengeParts, checkedAt: number): CachedChallenge => ({
  invoice: parts.invoice,
  macaroon: toBase64(parts.macaroon),
  tokenId: parts.tokenId,
  ...(parts.tokenValidUntil === undefined ? {} : { tokenValidUntil: parts.tokenValidUntil }),
  amountMsat: String(parts.amountMsat),
  paymentHash: parts.paymentHash,
  expiresAt: parts.expiresAt,
  checkedAt,
});

/** The challenge a cache entry holds; undefined for an entry of another shape (an older version's, or damaged): a miss. */
export function partsFrom(entry: CachedChallenge): ChallengeParts | undefined {
  const macaroon = typeof entry.macaroon === "string" ? fromBase64Lenient(entry.macaroon) : undefined;
  const validUntil = entry.tokenValidUntil;
  if (macaroon === undefined || typeof entry.invoice !== "string" || typeof entry.paymentHash !== "string" || typeof entry.expiresAt !== "number") return undefined;
  if (typeof entry.tokenId !== "string" || !/^[0-9a-f]{64}$/.test(entry.tokenId) || (validUntil !== undefined && typeof validUntil !== "number")) return undefined;
  if (typeof entry.amountMsat !== "string" || !/^[1-9]\d{0,18}$/.test(entry.amountMsat)) return undefined;
  return { macaroon, tokenId: entry.tokenId, tokenValidUntil: validUntil, amountMsat: BigInt(entry.amountMsat), invoice: entry.invoice, paymentHash: entry.paymentHash, expiresAt: entry.expiresAt };
}
