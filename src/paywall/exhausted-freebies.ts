import type { Freebies } from "./ports.ts";

/** How many used-up allowances one isolate remembers: past it, the oldest is forgotten (and asked about again). */
export const REMEMBERED_EXHAUSTED = 4096;

/**
 * A free-request counter that remembers, until its window ends, each allowance
 * it was told is used up, and answers "none left" for it without asking again.
 * A client that has spent its free requests and keeps asking (the usual unpaid
 * flood) costs one call to the counter per window and isolate, not one a
 * request. Safe because windows are fixed: what is used up stays used up until
 * the window's end, and an allowance changed meanwhile (its count or period) is
 * another entry.
 */
export function rememberingExhausted(counter: Freebies, limit = REMEMBERED_EXHAUSTED): Freebies {
  /** Entry → the second its window ends; in insertion order, so the first is the oldest. */
  const usedUp = new Map<string, number>();
  return {
    async take(key, allowance, now) {
      const entry = `${allowance.count}|${allowance.periodSeconds}|${key}`;
      const until = usedUp.get(entry);
      if (until !== undefined) {
        if (now < until) return { allowed: false, remaining: 0 };
        usedUp.delete(entry);
      }
      const answer = await counter.take(key, allowance, now);
      if (!answer.allowed) {
        if (usedUp.size >= limit) usedUp.delete(usedUp.keys().next().value as string);
        usedUp.set(entry, (Math.floor(now / allowance.periodSeconds) + 1) * allowance.periodSeconds);
      }
      return answer;
    },
  };
}
