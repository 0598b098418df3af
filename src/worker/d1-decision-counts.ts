import { countedOutcome, type DecisionCounts, type DecisionStats } from "../admin/decision-stats.ts";
import type { L402Outcome } from "../paywall/index.ts";

/** Keeps work alive after the answer (waitUntil). */
type Later = (work: Promise<unknown>) => void;

interface Pending {
  readonly day: string;
  readonly service: string;
  readonly outcome: string;
  readonly reason: string;
  count: number;
  askedMsat: bigint;
}

/**
 * The decision counts of every isolate, added up in D1 (`decision_counts`,
 * migrations/0003): an isolate counts in memory, as isolateDecisionCounts
 * does, and the first decision after a flush schedules the next one
 * `flushSeconds` later, after the answer (waitUntil): one batch of upserts
 * for everything counted meanwhile. Nothing on a request's path waits for
 * D1. A batch that fails is put back and added at the next flush.
 *
 * What `read` gives is every isolate's counts as of their last flush: an
 * isolate's latest decisions reach it within `flushSeconds` (and the write's
 * time). Counts of an isolate ended before its flush ran are lost; Workers
 * lets waitUntil work run up to 30 s after the answer, so the period is at
 * most 25 s.
 */
export function d1DecisionCounts(db: D1Database, flushSeconds: number, now: () => number = Date.now): DecisionStats & { record(outcome: L402Outcome, later: Later): void } {
  let pending = new Map<string, Pending>();
  let scheduled = false;

  const add = (into: Map<string, Pending>, entry: Omit<Pending, "count" | "askedMsat">, count: number, askedMsat: bigint) => {
    const key = `${entry.day}\n${entry.service}\n${entry.outcome}\n${entry.reason}`;
    const sum = into.get(key) ?? { ...entry, count: 0, askedMsat: 0n };
    sum.count += count;
    sum.askedMsat += askedMsat;
    into.set(key, sum);
  };

  const flush = async () => {
    const batch = pending;
    pending = new Map();
    scheduled = false;
    if (batch.size === 0) return;
    const upsert = db.prepare(
      "INSERT INTO decision_counts (day, service, outcome, reason, count, asked_msat) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (day, service, outcome, reason) DO UPDATE SET count = count + excluded.count, asked_msat = asked_msat + excluded.asked_msat",
    );
    try {
      await db.batch([...batch.values()].map((row) => upsert.bind(row.day, row.service, row.outcome, row.reason, row.count, Number(row.askedMsat))));
    } catch (error) {
      // Put back: the next decision schedules the next flush, which adds them.
      for (const row of batch.values()) add(pending, row, row.count, row.askedMsat);
      console.error(JSON.stringify({ metrics: "the decision counts could not be written to D1; kept for the next flush", error: String(error) }));
    }
  };

  return {
    record(outcome, later) {
      const day = new Date(now()).toISOString().slice(0, 10);
      add(pending, { day, service: outcome.service ?? "", outcome: countedOutcome(outcome), reason: outcome.reason ?? "" }, 1, outcome.priceMsat === undefined ? 0n : BigInt(outcome.priceMsat));
      if (scheduled) return;
      scheduled = true;
      later(new Promise((resolve) => setTimeout(resolve, flushSeconds * 1000)).then(flush));
    },
    async read(): Promise<DecisionCounts> {
      const rows = await db
        .prepare("SELECT MIN(day) AS first_day, service, outcome, reason, SUM(count) AS count, SUM(asked_msat) AS asked_msat FROM decision_counts GROUP BY service, outcome, reason ORDER BY service, outcome, reason")
        .all<{ first_day: string; service: string; outcome: string; reason: string; count: number; asked_msat: number }>();
      const firstDay = rows.results.reduce<string | undefined>((first, row) => (first === undefined || row.first_day < first ? row.first_day : first), undefined);
      return {
        since: Math.floor(Date.parse(firstDay ?? new Date(now()).toISOString().slice(0, 10)) / 1000),
        scope: "all",
        counts: rows.results.map((row) => ({ service: row.service, outcome: row.outcome, reason: row.reason, count: row.count, askedMsat: BigInt(row.asked_msat) })),
      };
    },
  };
}
