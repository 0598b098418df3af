import type { DailyRevenue } from "../paywall/index.ts";
import type { DecisionCounts } from "./decision-stats.ts";

/** A counter family: its name without `_total`, what it counts, and one sample per label set. */
export interface CounterFamily {
  readonly name: string;
  readonly help: string;
  readonly samples: readonly { readonly labels: Readonly<Record<string, string>>; readonly value: number | bigint }[];
}

/** The text formats `/metrics` speaks: Prometheus' 0.0.4, and OpenMetrics 1.0.0 for a scraper that asks for it. */
export type MetricsFormat = "prometheus" | "openmetrics";

export const CONTENT_TYPES: Readonly<Record<MetricsFormat, string>> = {
  prometheus: "text/plain; version=0.0.4; charset=utf-8",
  openmetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8",
};

/** OpenMetrics when the scraper's Accept names it (Prometheus does, first, since 2.5), else Prometheus' text format. */
export const formatFor = (accept: string | undefined): MetricsFormat => (/application\/openmetrics-text/i.test(accept ?? "") ? "openmetrics" : "prometheus");

/**
 * The counters `/metrics` serves:
 * - from the decisions this isolate made (its own counters, live), or with
 *   L402_DECISION_FLUSH_SECONDS every isolate's as D1 adds them up:
 *   `l402_decisions_total{service,outcome,reason}` and
 *   `l402_asked_msat_total{service,outcome,reason}` (what 402s asked, or in
 *   shadow would have asked);
 * - from the ledger (every isolate's, exact; services with `ledger` on):
 *   `l402_invoices_issued_total`, `l402_invoices_paid_total`,
 *   `l402_revenue_msat_total`, each `{service}`.
 */
/** Whose decisions the counters hold, as their help text says it. */
const whose = (decisions: DecisionCounts): string => (decisions.scope === "all" ? "every isolate's, as of its last flush to D1" : "this isolate's, since it started");

export function counterFamilies(decisions: DecisionCounts | undefined, ledger: readonly DailyRevenue[] | undefined): CounterFamily[] {
  const families: CounterFamily[] = [];
  if (decisions !== undefined) {
    const labels = (entry: DecisionCounts["counts"][number]) => ({ service: entry.service, outcome: entry.outcome, reason: entry.reason });
    families.push(
      { name: "l402_decisions", help: `Requests the paywall decided, by service, outcome and reason (${whose(decisions)}).`, samples: decisions.counts.map((entry) => ({ labels: labels(entry), value: entry.count })) },
      {
        name: "l402_asked_msat",
        help: `What the 402s answered (or, in shadow mode, withheld) asked, in millisatoshis (${whose(decisions)}).`,
        samples: decisions.counts.filter((entry) => entry.askedMsat > 0n).map((entry) => ({ labels: labels(entry), value: entry.askedMsat })),
      },
    );
  }
  if (ledger !== undefined) {
    const byService = new Map<string, { issued: number; paid: number; revenue: number }>();
    for (const day of ledger) {
      const totals = byService.get(day.service) ?? { issued: 0, paid: 0, revenue: 0 };
      byService.set(day.service, { issued: totals.issued + day.challenges, paid: totals.paid + day.settlements, revenue: totals.revenue + day.revenueMsat });
    }
    const per = (pick: (totals: { issued: number; paid: number; revenue: number }) => number) => [...byService].map(([service, totals]) => ({ labels: { service }, value: pick(totals) }));
    families.push(
      { name: "l402_invoices_issued", help: "Invoices issued with a 402 (the ledger: every isolate).", samples: per((totals) => totals.issued) },
      { name: "l402_invoices_paid", help: "Tokens paid for, counted at their first use (the ledger: every isolate).", samples: per((totals) => totals.paid) },
      { name: "l402_revenue_msat", help: "What paid tokens' invoices asked, in millisatoshis (the ledger: every isolate).", samples: per((totals) => totals.revenue) },
    );
  }
  return families;
}

/** The families as text, in `format`: counters named `<name>_total`, labels escaped, OpenMetrics ended by `# EOF`. */
export function renderMetrics(families: readonly CounterFamily[], format: MetricsFormat): string {
  const lines: string[] = [];
  for (const family of families) {
    // Prometheus' format names the counter's samples in its TYPE line; OpenMetrics names the family, its samples adding `_total`.
    const typed = format === "openmetrics" ? family.name : `${family.name}_total`;
    lines.push(`# HELP ${typed} ${escapeHelp(family.help, format)}`, `# TYPE ${typed} counter`);
    for (const sample of family.samples) lines.push(`${family.name}_total${labelSet(sample.labels)} ${String(sample.value)}`);
  }
  if (format === "openmetrics") lines.push("# EOF");
  return `${lines.join("\n")}\n`;
}

const labelSet = (labels: Readonly<Record<string, string>>): string => {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabel(value)}"`);
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
};

/** A label value: backslash, double quote and line feed escaped (both formats). */
const escapeLabel = (value: string): string => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
/** HELP text: backslash and line feed escaped, and in OpenMetrics the double quote too. */
const escapeHelp = (text: string, format: MetricsFormat): string => {
  const escaped = text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
  return format === "openmetrics" ? escaped.replace(/"/g, '\\"') : escaped;
};
