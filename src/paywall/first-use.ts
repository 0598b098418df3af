/**
 * Token ids this isolate has already forwarded, so the work a token needs once
 * (the ledger's settlement, dropping its payer's cached challenge) runs on its
 * first paid use here and never again on the hot path. Bounded: when full it
 * starts over, which only repeats that work once per token.
 */
const seen = new Set<string>();
const CAPACITY = 50_000;

/** True the first time this isolate sees `tokenId` paid (and remembers it). */
export function isFirstUseHere(tokenId: string): boolean {
  if (seen.has(tokenId)) return false;
  if (seen.size >= CAPACITY) seen.clear();
  seen.add(tokenId);
  return true;
}
