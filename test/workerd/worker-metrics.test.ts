import { env } from "cloudflare:test";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN } from "../fixtures/worker-env.ts";
import { callWithEnv, originUrl, payChallenge } from "./support/paywall-client.ts";

/**
 * The Worker's metrics: `GET <admin>/metrics`, read with a Prometheus
 * text-format parser after a scripted run, and the Analytics Engine data
 * point each decision writes (through a recording dataset in the Worker's
 * env; the local binding itself stores nothing a test can read back).
 */
const run = crypto.randomUUID().slice(0, 8);
const SERVICE = `metrics-${run}`;
const PRICE_MSAT = 7000;

interface Recorded {
  readonly indexes?: unknown[];
  readonly blobs?: unknown[];
  readonly doubles?: number[];
}

function scriptedEnv(analytics: { writeDataPoint(point: Recorded): void } | undefined) {
  const services = [{ name: SERVICE, match: [`/m-${run}/*`], price_sats: PRICE_MSAT / 1000, timeout: 3600, origin: { url: originUrl() } }];
  return { ...env, L402_SERVICES: JSON.stringify(services), L402_ANALYTICS: analytics };
}

const metricsOf = async (workerEnv: object, accept?: string) =>
  callWithEnv(workerEnv, "/.well-known/l402/admin/metrics", { headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, ...(accept === undefined ? {} : { Accept: accept }) } });

/** The value of one sample, by family (as the TYPE line names it) and labels; undefined if absent. */
function sample(families: ReturnType<typeof parsePrometheusTextFormat>, name: string, labels: Record<string, string>): number | undefined {
  const family = families.find((found) => found.name === name);
  const found = family?.metrics.find((metric) => Object.entries(labels).every(([key, value]) => metric.labels?.[key] === value) && Object.keys(metric.labels ?? {}).length === Object.keys(labels).length);
  return found === undefined ? undefined : Number(found.value);
}

describe("GET <admin>/metrics", () => {
  it("parses as Prometheus text, and its counters match a scripted run exactly (challenges, payments, refusals by reason, revenue)", async () => {
    const points: Recorded[] = [];
    const workerEnv = scriptedEnv({ writeDataPoint: (point) => void points.push(point) });
    const path = (rest: string) => `/m-${run}/${rest}`;
    // Three unpaid requests, each a fresh challenge.
    for (let i = 0; i < 3; i++) expect((await callWithEnv(workerEnv, path(`unpaid-${i}`))).status).toBe(402);
    // Two tokens bought (a challenge each) and used twice each.
    for (let i = 0; i < 2; i++) {
      const token = await payChallenge(await callWithEnv(workerEnv, path(`buy-${i}`)));
      for (let use = 0; use < 2; use++) expect((await callWithEnv(workerEnv, path(`use-${i}-${use}`), { headers: { Authorization: token.authorization } })).status).toBe(200);
    }
    // Refusals: two oversized credentials (431, no challenge), one malformed credential (a 402 naming why).
    for (let i = 0; i < 2; i++) expect((await callWithEnv(workerEnv, path("big"), { headers: { Authorization: `L402 ${"a".repeat(9000)}` } })).status).toBe(431);
    expect((await callWithEnv(workerEnv, path("bad"), { headers: { Authorization: "L402 bm90IGEgbWFjYXJvb24=:00" } })).status).toBe(402);

    const answer = await metricsOf(workerEnv);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const families = parsePrometheusTextFormat(await answer.text());
    expect(families.filter((family) => family.name.startsWith("l402_")).map((family) => [family.name, family.type])).toEqual([
      ["l402_decisions_total", "COUNTER"],
      ["l402_asked_msat_total", "COUNTER"],
      ["l402_invoices_issued_total", "COUNTER"],
      ["l402_invoices_paid_total", "COUNTER"],
      ["l402_revenue_msat_total", "COUNTER"],
    ]);
    const decisions = (outcome: string, reason: string) => sample(families, "l402_decisions_total", { service: SERVICE, outcome, reason });
    expect([decisions("challenged", "missing"), decisions("paid", ""), decisions("refused", "header_too_large"), decisions("challenged", "malformed")]).toEqual([5, 4, 2, 1]);
    expect(families.find((family) => family.name === "l402_decisions_total")?.metrics.filter((metric) => metric.labels?.["service"] === SERVICE)).toHaveLength(4);
    expect(sample(families, "l402_asked_msat_total", { service: SERVICE, outcome: "challenged", reason: "missing" })).toBe(5 * PRICE_MSAT);
    // The ledger's: six invoices issued (3 unpaid, 2 bought, 1 for the malformed credential), two paid, their price earned.
    expect([sample(families, "l402_invoices_issued_total", { service: SERVICE }), sample(families, "l402_invoices_paid_total", { service: SERVICE }), sample(families, "l402_revenue_msat_total", { service: SERVICE })]).toEqual([6, 2, 2 * PRICE_MSAT]);

    // One data point per decision (the metrics request is the admin API's, not a decision).
    expect(points).toHaveLength(12);
    const paid = points.filter((point) => point.blobs?.[1] === "paid");
    expect(paid).toHaveLength(4);
    expect(paid[0]).toEqual({ indexes: [SERVICE], blobs: [SERVICE, "paid", "l402", "", "", "", "enforce", expect.stringMatching(/^[0-9a-f]{64}$/)], doubles: [0] });
    expect(points.filter((point) => point.blobs?.[1] === "challenged" && point.blobs[3] === "missing").map((point) => point.doubles)).toEqual(Array.from({ length: 5 }, () => [PRICE_MSAT]));
    expect(points.filter((point) => point.blobs?.[1] === "refused").map((point) => point.blobs?.[3])).toEqual(["header_too_large", "header_too_large"]);
  });

  it("speaks OpenMetrics when asked: family names in TYPE, samples with _total, # EOF last", async () => {
    const workerEnv = scriptedEnv(undefined);
    await callWithEnv(workerEnv, `/m-${run}/om`);
    const answer = await metricsOf(workerEnv, "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5");
    expect(answer.headers.get("content-type")).toBe("application/openmetrics-text; version=1.0.0; charset=utf-8");
    const text = await answer.text();
    expect(text.endsWith("# EOF\n")).toBe(true);
    expect(text).toContain("# TYPE l402_decisions counter\n");
    expect(text).toContain(`l402_decisions_total{service="${SERVICE}",outcome="challenged",reason="missing"} 1\n`);
  });

  it("is the admin's alone: no token or a wrong one is a 401 naming no counter", async () => {
    const workerEnv = scriptedEnv(undefined);
    for (const headers of [{}, { Authorization: "Bearer not-the-admin-token-0123456789abcdef0123" }]) {
      const answer = await callWithEnv(workerEnv, "/.well-known/l402/admin/metrics", { headers });
      expect(answer.status).toBe(401);
      expect(await answer.text()).not.toContain("l402_");
    }
  });

  it("the Analytics Engine binding is accepted, and a dataset that throws never fails a request", async () => {
    // The binding wrangler.toml declares, as workerd gives it to the Worker.
    expect(typeof (env as { L402_ANALYTICS?: { writeDataPoint?: unknown } }).L402_ANALYTICS?.writeDataPoint).toBe("function");
    expect((await callWithEnv({ ...scriptedEnv(undefined), L402_ANALYTICS: env.L402_ANALYTICS }, `/m-${run}/bound`)).status).toBe(402);
    const throwing = scriptedEnv({ writeDataPoint: () => { throw new Error("dataset refused the point"); } });
    expect((await callWithEnv(throwing, `/m-${run}/throwing`)).status).toBe(402);
    const metrics = await (await metricsOf(throwing)).text();
    expect(metrics).toContain(`l402_decisions_total{service="${SERVICE}",outcome="challenged",reason="missing"} 1`);
  });
});
