import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ADMIN_TOKEN } from "../fixtures/worker-env.ts";
import { callWithEnv, uniquePath } from "./support/paywall-client.ts";

/**
 * Decision counts kept across isolates (L402_DECISION_FLUSH_SECONDS): each
 * isolate adds its counts to D1's `decision_counts` in a batch, at most once
 * per period, after the answer (waitUntil), and /metrics and the dashboard
 * read the sum. Each env object is an isolate of its own (its app and its
 * counters); callWithEnv waits for the request's waitUntil work, so a count
 * is in D1 once the call returns.
 */
const db = () => env.L402_LEDGER as D1Database;
const isolate = (extra: Record<string, unknown> = {}): object => ({ ...env, L402_DECISION_FLUSH_SECONDS: "1", ...extra });
const BAD_CREDENTIAL = { Authorization: "L402 bm90IGEgbWFjYXJvb24=:00" };
const metricsOf = async (through: object) => (await callWithEnv(through, "/.well-known/l402/admin/metrics", { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
const sample = (text: string, name: string, outcome: string, reason: string) => Number(new RegExp(`^${name}\\{service="plain",outcome="${outcome}",reason="${reason}"\\} (\\d+)$`, "m").exec(text)?.[1] ?? 0);

afterEach(async () => {
  vi.restoreAllMocks();
  await db().prepare("DELETE FROM decision_counts").run();
});

describe("decision counts across isolates", () => {
  it("what two isolates decided is counted once each in D1, and /metrics and the dashboard of either read the sum", async () => {
    const [one, two] = [isolate(), isolate()];
    for (const through of [one, one, two]) await (await callWithEnv(through, uniquePath("/plain"))).body?.cancel();
    await (await callWithEnv(two, uniquePath("/plain"), { headers: BAD_CREDENTIAL })).body?.cancel();

    const rows = await db().prepare("SELECT service, outcome, reason, SUM(count) AS count, SUM(asked_msat) AS asked FROM decision_counts WHERE service = 'plain' GROUP BY service, outcome, reason ORDER BY reason").all<{ outcome: string; reason: string; count: number; asked: number }>();
    expect(rows.results.map(({ outcome, reason, count, asked }) => [outcome, reason, count, asked])).toEqual([
      ["challenged", "malformed", 1, 1000],
      ["challenged", "missing", 3, 3000],
    ]);
    for (const through of [one, two]) {
      const text = await metricsOf(through);
      expect([sample(text, "l402_decisions_total", "challenged", "missing"), sample(text, "l402_decisions_total", "challenged", "malformed"), sample(text, "l402_asked_msat_total", "challenged", "missing")]).toEqual([3, 1, 3000]);
      expect(text).toContain("every isolate's");
    }
    const signedIn = await callWithEnv(one, "/.well-known/l402/admin/dashboard/sign-in", { method: "POST", redirect: "manual", headers: { Origin: "https://paywall.test", "Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Mode": "navigate" }, body: new URLSearchParams({ token: ADMIN_TOKEN }).toString() });
    const cookie = (signedIn.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const page = await (await callWithEnv(one, "/.well-known/l402/admin/dashboard", { headers: { Cookie: cookie, "Sec-Fetch-Mode": "navigate" } })).text();
    expect(page).toContain('<tr data-service="plain" data-reason="malformed"><td>plain</td><td>malformed</td><td>challenged</td><td class="n">1</td></tr>');
    expect(page).toContain("every isolate");
  });

  it("a write that fails loses no request and no count: the counts are added at the next flush", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const state = { down: true };
    const flaky = new Proxy(db(), {
      get(target, property) {
        const value = Reflect.get(target, property) as unknown;
        if (property !== "batch" || typeof value !== "function") return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        return (...args: unknown[]) => (state.down ? Promise.reject(new Error("D1 is down")) : (value as (...a: unknown[]) => unknown).apply(target, args));
      },
    });
    const through = isolate({ L402_LEDGER: flaky });
    expect((await callWithEnv(through, uniquePath("/plain"))).status).toBe(402);
    expect(errors.mock.calls.some(([line]) => String(line).includes("decision counts"))).toBe(true);
    state.down = false;
    expect((await callWithEnv(through, uniquePath("/plain"))).status).toBe(402);
    const row = await db().prepare("SELECT SUM(count) AS count FROM decision_counts WHERE service = 'plain' AND reason = 'missing'").first<{ count: number }>();
    expect(row?.count).toBe(2);
  });

  it("without L402_DECISION_FLUSH_SECONDS nothing is written: the counts are the isolate's own", async () => {
    const through = { ...env };
    await (await callWithEnv(through, uniquePath("/plain"))).body?.cancel();
    expect((await db().prepare("SELECT COUNT(*) AS n FROM decision_counts").first<{ n: number }>())?.n).toBe(0);
    expect(await metricsOf(through)).toContain("this isolate's");
  });

  it("a bad period is a configuration error", async () => {
    for (const bad of ["0", "31", "x"]) {
      const answer = await callWithEnv(isolate({ L402_DECISION_FLUSH_SECONDS: bad }), uniquePath("/plain"));
      expect([bad, answer.status]).toEqual([bad, 500]);
      await answer.body?.cancel();
    }
  });
});
