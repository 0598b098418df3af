import type { L402Outcome } from "../paywall/index.ts";

/**
 * How many requests the paywall decided each way, per service, outcome and
 * reason: the counters behind `/metrics` and the dashboard. `outcome` is the
 * paywall's (`paid`, `challenged`, `refused`, …), or for a service in shadow
 * mode `shadow_would_<what enforcing would have done>` (`shadow_would_challenged`,
 * `shadow_would_paid`, `shadow_would_refused`, …).
 */
export interface DecisionCount {
  /** "" when the request matched no service. */
  readonly service: string;
  readonly outcome: string;
  /** Why (a refusal's or challenge's reason code); "" when there is none. */
  readonly reason: string;
  readonly count: number;
  /** What the 402s among them asked, added up (msat): for `shadow_would_challenged`, what shadow mode would have charged. */
  readonly askedMsat: bigint;
}

export interface DecisionCounts {
  /** Unix seconds since when these were counted. */
  readonly since: number;
  /**
   * Whose counts they are: `isolate`, this isolate's alone (live; other
   * isolates' are not in them); `all`, every isolate's as of its last flush
   * to D1 (worker/d1-decision-counts.ts).
   */
  readonly scope: "isolate" | "all";
  readonly counts: readonly DecisionCount[];
}

/** Reads the decision counters (the port `/metrics` and the dashboard read). */
export interface DecisionStats {
  read(): Promise<DecisionCounts>;
}

/** The label a decision is counted under: its outcome, or in shadow, what enforcing would have done. */
export const countedOutcome = (outcome: L402Outcome): string => (outcome.outcome === "shadow" && outcome.would !== undefined ? `shadow_would_${outcome.would}` : outcome.outcome);

/**
 * The isolate's own counters, in memory: `record` is a map lookup and two
 * additions (what the paid path pays for metrics), never I/O.
 */
export function isolateDecisionCounts(now: () => number = () => Math.floor(Date.now() / 1000)): DecisionStats & { record(outcome: L402Outcome): void } {
  const since = now();
  const counts = new Map<string, { service: string; outcome: string; reason: string; count: number; askedMsat: bigint }>();
  return {
    record(outcome) {
      const service = outcome.service ?? "";
      const counted = countedOutcome(outcome);
      const reason = outcome.reason ?? "";
      const key = `${service}\n${counted}\n${reason}`;
      let entry = counts.get(key);
      if (entry === undefined) {
        entry = { service, outcome: counted, reason, count: 0, askedMsat: 0n };
        counts.set(key, entry);
      }
      entry.count++;
      if (outcome.priceMsat !== undefined) entry.askedMsat += BigInt(outcome.priceMsat);
    },
    read: async () => ({ since, scope: "isolate" as const, counts: [...counts.values()].map((entry) => ({ ...entry })) }),
  };
}
