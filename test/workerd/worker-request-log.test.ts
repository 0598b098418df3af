import { afterEach, describe, expect, it, vi } from "vitest";
import { buyToken, callWith, uniquePath } from "./support/paywall-client.ts";

afterEach(() => vi.restoreAllMocks());

/** The request log's lines (JSON objects with a requestId) among what the Worker printed. */
const lines = (logs: { readonly mock: { readonly calls: unknown[][] } }): Record<string, unknown>[] =>
  logs.mock.calls.map((call) => JSON.parse(String(call[0])) as Record<string, unknown>).filter((line) => typeof line["requestId"] === "string");

describe("the request log line", () => {
  it("names the host and the path as the paywall read it (its canonical form: what it matched and the origin got; escapes of other than unreserved characters kept, no query), at most 512 characters", async () => {
    const logs = vi.spyOn(console, "log");
    await callWith({}, "https://Paywall.TEST:8443/public/caf%C3%A9/%7Ex?secret=1");
    await callWith({}, `/public/${"a".repeat(600)}?q`);
    const [escaped, long] = lines(logs);
    expect(escaped).toMatchObject({ method: "GET", host: "paywall.test:8443", path: "/public/caf%C3%A9/~x", outcome: "free", status: 200 });
    expect(JSON.stringify(escaped)).not.toContain("secret");
    expect(long?.["path"]).toBe(`/public/${"a".repeat(504)}`);
  });
});

describe("L402_LOG_PASSES", () => {
  it("none: requests let through leave no line; every other answer still does", async () => {
    const token = await buyToken(uniquePath("/api/quiet"));
    const logs = vi.spyOn(console, "log");
    const quiet = { L402_LOG_PASSES: "none" };
    expect((await callWith(quiet, "/api/quiet/x", { headers: { Authorization: token.authorization } })).status).toBe(200);
    expect((await callWith(quiet, "/public/x")).status).toBe(200);
    expect(lines(logs)).toEqual([]);
    expect((await callWith(quiet, uniquePath("/api/unpaid"))).status).toBe(402);
    expect((await callWith(quiet, "/.well-known/l402/health")).status).toBe(200);
    expect(lines(logs).map((line) => line["outcome"])).toEqual(["challenged", "health"]);
  });

  it("sample:1 and all log every pass", async () => {
    const logs = vi.spyOn(console, "log");
    await callWith({ L402_LOG_PASSES: "sample:1" }, "/public/a");
    await callWith({ L402_LOG_PASSES: "all" }, "/public/b");
    expect(lines(logs).map((line) => line["path"])).toEqual(["/public/a", "/public/b"]);
  });

  it.each(["some", "sample:0", "sample:0.000", "sample:1.5", "sample:", "sample:.5", "sample:-0.1"])("%s is a misconfiguration that names the setting", async (value) => {
    const errors = vi.spyOn(console, "error");
    const response = await callWith({ L402_LOG_PASSES: value }, "/public/x");
    expect(response.status).toBe(500);
    expect(String(errors.mock.calls.at(-1)?.[0])).toContain("L402_LOG_PASSES");
  });
});
