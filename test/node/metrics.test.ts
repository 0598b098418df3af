import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { isolateDecisionCounts } from "../../src/admin/decision-stats.ts";
import { counterFamilies, formatFor, renderMetrics } from "../../src/admin/metrics.ts";

describe("the metrics' text (admin/metrics.ts)", () => {
  it("escapes label values and HELP so a parser reads them back as they were", () => {
    const awkward = 'a "quoted" back\\slash and a\nline feed';
    const text = renderMetrics([{ name: "l402_test", help: "help with a \\ and a\nline feed", samples: [{ labels: { service: awkward, outcome: "x" }, value: 3n }] }], "prometheus");
    const [family] = parsePrometheusTextFormat(text);
    expect(family).toEqual({ name: "l402_test_total", help: "help with a \\ and a\nline feed", type: "COUNTER", metrics: [{ labels: { service: awkward, outcome: "x" }, value: "3" }] });
  });

  it("counts decisions per service, outcome and reason; shadow's under what enforcing would have done, with the price it would have asked", async () => {
    const counts = isolateDecisionCounts(() => 1_800_000_000);
    counts.record({ outcome: "challenged", service: "api", reason: "missing", priceMsat: "1000" });
    counts.record({ outcome: "challenged", service: "api", reason: "missing", priceMsat: "2500" });
    counts.record({ outcome: "shadow", would: "challenged", service: "api", reason: "expired", priceMsat: "1000" });
    counts.record({ outcome: "shadow", would: "paid", service: "api", tokenId: "ab".repeat(32), scheme: "l402" });
    counts.record({ outcome: "unmatched" });
    const read = await counts.read();
    expect(read).toEqual({
      since: 1_800_000_000,
      scope: "isolate",
      counts: [
        { service: "api", outcome: "challenged", reason: "missing", count: 2, askedMsat: 3500n },
        { service: "api", outcome: "shadow_would_challenged", reason: "expired", count: 1, askedMsat: 1000n },
        { service: "api", outcome: "shadow_would_paid", reason: "", count: 1, askedMsat: 0n },
        { service: "", outcome: "unmatched", reason: "", count: 1, askedMsat: 0n },
      ],
    });
    const families = parsePrometheusTextFormat(renderMetrics(counterFamilies(read, undefined), "prometheus"));
    expect(families.map((family) => [family.name, family.metrics.length])).toEqual([["l402_decisions_total", 4], ["l402_asked_msat_total", 2]]);
  });

  it("OpenMetrics only when the scraper asks for it", () => {
    expect([formatFor(undefined), formatFor("text/plain"), formatFor("application/openmetrics-text; version=1.0.0")]).toEqual(["prometheus", "prometheus", "openmetrics"]);
    const text = renderMetrics([{ name: "l402_x", help: 'says "so"', samples: [] }], "openmetrics");
    expect(text).toBe('# HELP l402_x says \\"so\\"\n# TYPE l402_x counter\n# EOF\n');
  });
});
