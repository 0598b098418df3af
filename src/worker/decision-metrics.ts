import { countedOutcome } from "../admin/decision-stats.ts";
import type { L402Outcome } from "../paywall/index.ts";

/** Where a request was answered, as Cloudflare tells it (`request.cf`); empty where it is not known (local runs). */
export interface AnsweredAt {
  readonly country: string;
  readonly colo: string;
}

/** What the Analytics Engine binding is to the metrics: somewhere to write a data point, never awaited. */
export interface DataPointSink {
  writeDataPoint(point: AnalyticsEngineDataPoint): void;
}

/**
 * One data point per decision, for the Analytics Engine dataset
 * (`L402_ANALYTICS`); the README's queries read these columns:
 *
 *   index1  service ("" when none matched)
 *   blob1   service          blob2 outcome (`shadow_would_*` in shadow)
 *   blob3   scheme (paid)    blob4 reason
 *   blob5   country          blob6 colo
 *   blob7   mode: "shadow" or "enforce"
 *   blob8   token id (paid, or in shadow the token that would have paid)
 *   double1 what a 402 asked, or in shadow would have asked (msat; 0 otherwise)
 *
 * A request's actual cost (a balance or metered service's) is settled after
 * the answer and is not in it: the balance and the ledger hold it.
 */
export function decisionPoint(outcome: L402Outcome, at: AnsweredAt): AnalyticsEngineDataPoint {
  const service = outcome.service ?? "";
  return {
    indexes: [service],
    blobs: [service, countedOutcome(outcome), outcome.scheme ?? "", outcome.reason ?? "", at.country, at.colo, outcome.outcome === "shadow" ? "shadow" : "enforce", outcome.tokenId ?? ""],
    doubles: [outcome.priceMsat === undefined ? 0 : Number(outcome.priceMsat)],
  };
}

/**
 * Records a decision: the counters (in memory; flushed to D1 after the answer
 * with L402_DECISION_FLUSH_SECONDS), and a data point
 * to Analytics Engine when bound, written and not awaited (the binding
 * buffers it; no I/O on the request's path). A sink that throws is ignored:
 * metrics never fail a request.
 */
export function decisionRecorder(counts: { record(outcome: L402Outcome, later: (work: Promise<unknown>) => void): void }, analytics: DataPointSink | undefined): (outcome: L402Outcome, at: () => AnsweredAt, later: (work: Promise<unknown>) => void) => void {
  return (outcome, at, later) => {
    counts.record(outcome, later);
    if (analytics === undefined) return;
    try {
      analytics.writeDataPoint(decisionPoint(outcome, at()));
    } catch {
      // A dataset refusing a point loses that point, never the request.
    }
  };
}

/** Where `request.cf` says the request was answered. */
export function answeredAt(request: Request): AnsweredAt {
  const cf = (request as { cf?: { country?: unknown; colo?: unknown } }).cf;
  return { country: typeof cf?.country === "string" ? cf.country : "", colo: typeof cf?.colo === "string" ? cf.colo : "" };
}
