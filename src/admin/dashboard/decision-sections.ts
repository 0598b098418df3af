import { html } from "hono/html";
import type { ServiceMode } from "../../config/index.ts";
import type { DecisionCounts } from "../decision-stats.ts";
import { sats, time, type FormContext, type Markup } from "./sections.ts";

/**
 * The sections read from the decision counters (admin/decision-stats.ts) and
 * the services' modes: what shadow mode would have earned, the refusals by
 * reason, and the switch between shadow and enforcing. Values escaped by
 * hono/html, as in sections.ts.
 */

/** Whose counts these are, in words: this isolate's since it started, or every isolate's as flushed to D1. */
const scopeNote = (stats: DecisionCounts): string =>
  stats.scope === "all"
    ? `Counted by every isolate since ${time(stats.since)} UTC, each as of its last flush to D1 (L402_DECISION_FLUSH_SECONDS).`
    : `Counted by the isolate that drew this page since ${time(stats.since)} UTC; other isolates (other colos, or this one's restarts) count apart.`;

/** Shadow's withheld challenges per service: how many, and what they would have asked. */
export function shadowEarningsSection(stats: DecisionCounts): Markup {
  const byService = new Map<string, { count: number; askedMsat: bigint }>();
  for (const row of stats.counts) {
    if (row.outcome !== "shadow_would_challenged") continue;
    const sum = byService.get(row.service) ?? { count: 0, askedMsat: 0n };
    byService.set(row.service, { count: sum.count + row.count, askedMsat: sum.askedMsat + row.askedMsat });
  }
  const services = [...byService].sort(([a], [b]) => a.localeCompare(b));
  return html`<section id="shadow"><h2>Shadow mode: would have earned</h2>
${services.length === 0
  ? html`<p class="empty">No service is in shadow mode here, or none was asked for anything yet.</p>`
  : html`<table><thead><tr><th>Service</th><th class="n">Would have challenged</th><th class="n">Would have asked</th></tr></thead><tbody>
${services.map(([service, sum]) => html`<tr data-service="${service}"><td>${service}</td><td class="n">${sum.count}</td><td class="n">${sats(Number(sum.askedMsat))}</td></tr>`)}
</tbody></table>`}
<p class="note">An upper bound: what the 402s shadow mode withheld would have asked, had every one been paid (a client asked twice is counted twice; most never pay). ${scopeNote(stats)}</p>
</section>`;
}

/**
 * A refusal: a request turned down (`refused`), or a credential presented and
 * not accepted (a challenge with a reason other than `missing`, which is a
 * client that has not paid yet, not one refused).
 */
const isRefusal = (outcome: string, reason: string): boolean => outcome === "refused" || ((outcome === "challenged" || outcome === "challenged_again") && reason !== "missing" && reason !== "");

/** Refusals per service and reason, the most frequent first. */
export function refusalsSection(stats: DecisionCounts): Markup {
  const rows = new Map<string, { service: string; reason: string; outcomes: Set<string>; count: number }>();
  for (const row of stats.counts) {
    if (!isRefusal(row.outcome, row.reason)) continue;
    const key = `${row.service}\n${row.reason}`;
    const sum = rows.get(key) ?? { service: row.service, reason: row.reason, outcomes: new Set<string>(), count: 0 };
    sum.outcomes.add(row.outcome === "challenged_again" ? "challenged" : row.outcome);
    sum.count += row.count;
    rows.set(key, sum);
  }
  const sorted = [...rows.values()].sort((a, b) => b.count - a.count || a.service.localeCompare(b.service) || a.reason.localeCompare(b.reason));
  return html`<section id="refusals"><h2>Refusals by reason</h2>
${sorted.length === 0
  ? html`<p class="empty">No request refused here yet.</p>`
  : html`<table><thead><tr><th>Service</th><th>Reason</th><th>Answered</th><th class="n">Requests</th></tr></thead><tbody>
${sorted.map((row) => html`<tr data-service="${row.service}" data-reason="${row.reason}"><td>${row.service === "" ? "–" : row.service}</td><td>${row.reason}</td><td>${[...row.outcomes].sort().join(", ")}</td><td class="n">${row.count}</td></tr>`)}
</tbody></table>`}
<p class="note">Requests refused, or whose credential was not accepted (answered with a new challenge): an expired, revoked, exhausted or malformed token, another service's. A request without a credential is not one. ${scopeNote(stats)}</p>
</section>`;
}

/** A service as the switch shows it. */
export interface ServiceModeRow {
  readonly name: string;
  readonly mode: ServiceMode;
}

/**
 * Each service's mode, with a switch between enforcing and shadow when
 * run-time overrides are on (`switching`: how soon every isolate serves a
 * change). A paused service is unpaused through the admin API, not here.
 */
export function serviceModesSection(services: readonly ServiceModeRow[], form: FormContext, switching: { readonly visibleWithinSeconds: number } | undefined): Markup {
  return html`<section id="modes"><h2>Service modes</h2>
<table><thead><tr><th>Service</th><th>Mode</th>${switching === undefined ? "" : html`<th>Switch</th>`}</tr></thead><tbody>
${services.map((service) => html`<tr data-service="${service.name}"><td>${service.name}</td><td class="mode">${service.mode}</td>${switching === undefined ? "" : html`<td>${switchForm(service, form)}</td>`}</tr>`)}
</tbody></table>
${switching === undefined
  ? html`<p class="note">Run-time overrides are off (L402_OVERRIDES): a service's mode is its <code>mode</code> in L402_SERVICES, changed with a deploy.</p>`
  : html`<p class="note">Shadow lets every request through and counts what enforcing would have done; a token already sold stays valid either way. Every isolate serves a switch within ${switching.visibleWithinSeconds} s; the audit trail records it.</p>`}
</section>`;
}

function switchForm(service: ServiceModeRow, form: FormContext): Markup | string {
  if (service.mode === "paused") return "paused (the admin API unpauses it)";
  const to = service.mode === "shadow" ? "enforce" : "shadow";
  return html`<form method="post" action="${form.basePath}/services/${service.name}/mode" class="mode"><input type="hidden" name="csrf" value="${form.csrfToken}"><input type="hidden" name="mode" value="${to}"><button type="submit">Switch to ${to}</button></form>`;
}
