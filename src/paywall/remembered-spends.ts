import type { SpentCharges } from "./ports.ts";

/** The most spent payment hashes an isolate remembers: some 100 bytes each. */
const REMEMBERED = 4096;

/**
 * Spent charges as `spent` records them, with what this isolate has seen
 * spent remembered until it may be forgotten: a spent credential presented
 * again is refused here, without a call. Replays of one paid credential would
 * otherwise each call its shard, which every payer whose payment hash shares
 * its first byte shares, and a flood of them would make that shard refuse
 * their first spends as unavailable (503). A spend is never undone, so a
 * remembered one is never wrong; a hash not remembered is asked as before.
 */
export function rememberedSpends(spent: SpentCharges, now: () => number = () => Math.floor(Date.now() / 1000)): SpentCharges {
  const seen = new Map<string, number>();
  const remember = (paymentHash: string, until: number) => {
    if (seen.size >= REMEMBERED) {
      const at = now();
      for (const [hash, forgetAt] of seen) if (forgetAt <= at) seen.delete(hash);
      // All still current: the oldest goes (asked again if presented again).
      if (seen.size >= REMEMBERED) seen.delete(seen.keys().next().value as string);
    }
    seen.set(paymentHash, until);
  };
  return {
    async spend(paymentHash, until) {
      const forgetAt = seen.get(paymentHash);
      if (forgetAt !== undefined && forgetAt > now()) return false;
      const first = await spent.spend(paymentHash, until);
      remember(paymentHash, until);
      return first;
    },
  };
}
