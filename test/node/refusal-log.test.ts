import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { payInvoice } from "../../dev/lnd-sim/payer.ts";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { createKeyring, parseChallenge, toBase64 } from "../../src/l402/index.ts";
import { lndRestBackend } from "../../src/lightning/index.ts";
import { l402Paywall, memoryPorts, type L402Outcome, type L402Variables, type PaywallOptions } from "../../src/index.ts";

/**
 * Every refusal the paywall answers on its own side is one JSON line with its
 * cause (the node's error, the fields misconfigured, …) and nothing a client
 * sent; 402s and requests let through are not the paywall's to log.
 */
let sim: Simulator;
const keyring = createKeyring(new Uint8Array(32).fill(8));
type AppEnv = { Variables: L402Variables & { requestId: string } };

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());
afterEach(() => vi.restoreAllMocks());

/** The console, watched: what the default logger writes. */
function consoleLines() {
  const errors = vi.spyOn(console, "error").mockImplementation(() => {});
  const warnings = vi.spyOn(console, "warn").mockImplementation(() => {});
  return {
    errors: () => errors.mock.calls.map((call) => JSON.parse(String(call[0])) as Record<string, unknown>),
    warnings: () => warnings.mock.calls.map((call) => JSON.parse(String(call[0])) as Record<string, unknown>),
  };
}

function appWith(options: Partial<PaywallOptions> & { network?: "mainnet" | "regtest" } = {}) {
  const { network = "regtest", ...rest } = options;
  const outcomes: L402Outcome[] = [];
  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.use(async (c, next) => {
    await next();
    outcomes.push(c.var.l402Outcome);
  });
  const backend = lndRestBackend({ url: sim.url, macaroonHex: sim.paywallMacaroonHex, network, timeoutMs: 2000 });
  // A client address as a server would give it: a runtime giving none is said on the console too (middleware-client-address.test.ts).
  app.use("/premium/*", l402Paywall<AppEnv>({ service: { name: "premium", price_sats: 3 }, keyring, backend, clientAddress: () => "192.0.2.1", ...rest }));
  app.get("/premium/report", (c) => c.json({ report: "the good stuff" }));
  return { app, outcomes };
}

describe("the paywall's log line for each refusal", () => {
  it("a node on another network than the one given: a 503 and one error line with the cause, as c.var.l402Outcome has it", async () => {
    const lines = consoleLines();
    const { app, outcomes } = appWith({ network: "mainnet" });
    const answer = await app.request("/premium/report?key=do-not-log");
    expect(answer.status).toBe(503);
    expect(outcomes[0]).toMatchObject({ outcome: "node_unavailable", detail: expect.stringContaining("network regtest, expected mainnet") });
    expect(lines.errors()).toEqual([{ ...outcomes[0], status: 503, method: "GET", path: "/premium/report", requestId: expect.stringMatching(/\S/) }]);
    expect(lines.warnings()).toEqual([]);
  });

  it("goes to the log option instead of the console, or nowhere with log: false", async () => {
    const lines = consoleLines();
    const entries: unknown[] = [];
    expect((await appWith({ network: "mainnet", log: (entry) => entries.push(entry) }).app.request("/premium/report")).status).toBe(503);
    expect(entries).toEqual([expect.objectContaining({ outcome: "node_unavailable" })]);
    expect((await appWith({ network: "mainnet", log: false }).app.request("/premium/report")).status).toBe(503);
    expect(lines.errors()).toEqual([]);
  });

  it("a client refused (a credential too large) is a warning that quotes nothing it sent", async () => {
    const lines = consoleLines();
    const secret = "s3cr3t".repeat(2000);
    const answer = await appWith().app.request("/premium/report", { headers: { Authorization: `L402 ${secret}:00` } });
    expect(answer.status).toBe(431);
    expect(lines.warnings()).toEqual([expect.objectContaining({ outcome: "refused", reason: "header_too_large", status: 431 })]);
    expect(JSON.stringify(lines.warnings())).not.toContain("s3cr3t");
  });

  it("a client over the mint limit is a warning", async () => {
    const lines = consoleLines();
    // One minute's limit, on a clock that stays in that minute.
    const { app } = appWith({ ports: memoryPorts({ mintsPerClient: 1, now: () => 1_800_000_000 }), challengeCacheSeconds: 0 });
    const from = { headers: { "CF-Connecting-IP": "203.0.113.9" } };
    expect((await app.request("/premium/report", from)).status).toBe(402);
    expect((await app.request("/premium/report", from)).status).toBe(429);
    expect(lines.warnings()).toEqual([expect.objectContaining({ outcome: "rate_limited", status: 429 })]);
  });

  it("a port that cannot answer is an error line", async () => {
    const lines = consoleLines();
    const ports = { ...memoryPorts(), meter: { consume: () => Promise.reject(new Error("meter down")) } };
    const { app } = appWith({ service: { name: "premium", price_sats: 3, uses: 2 }, ports });
    const unpaid = await app.request("/premium/report");
    const challenge = parseChallenge(unpaid.headers.get("www-authenticate") ?? "");
    if (!challenge.ok) throw new Error(challenge.detail);
    const paid = await payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, challenge.value.invoice);
    const answer = await app.request("/premium/report", { headers: { Authorization: `L402 ${toBase64(challenge.value.macaroon)}:${paid.preimageHex}` } });
    expect(answer.status).toBe(503);
    expect(lines.errors()).toEqual([expect.objectContaining({ outcome: "error", reason: "meter_unavailable", status: 503 })]);
    expect(JSON.stringify(lines.errors())).not.toContain(String(paid.preimageHex));
  });

  it("402s, paid and free requests are not logged; nor, by this paywall, what another one after it refused", async () => {
    const lines = consoleLines();
    const app = new Hono<AppEnv>();
    const backend = (network: "mainnet" | "regtest") => lndRestBackend({ url: sim.url, macaroonHex: sim.paywallMacaroonHex, network, timeoutMs: 2000 });
    const clientAddress = () => "192.0.2.1";
    app.use("/api/*", l402Paywall<AppEnv>({ service: { name: "open", price_sats: 1, auth: false }, keyring, backend: backend("regtest"), clientAddress }));
    app.use("/api/paid/*", l402Paywall<AppEnv>({ service: { name: "paid", price_sats: 1 }, keyring, backend: backend("mainnet"), clientAddress }));
    app.use("/premium/*", l402Paywall<AppEnv>({ service: { name: "premium", price_sats: 1 }, keyring, backend: backend("regtest"), clientAddress }));
    app.all("*", (c) => c.text("app"));
    expect((await app.request("/api/x")).status).toBe(200);
    expect((await app.request("/premium/x")).status).toBe(402);
    expect((await app.request("/api/paid/x")).status).toBe(503);
    expect(lines.errors()).toEqual([expect.objectContaining({ outcome: "node_unavailable", service: "paid" })]);
    expect(lines.warnings()).toEqual([]);
  });
});
