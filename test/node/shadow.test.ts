import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { InvoiceBackend, InvoiceRequest } from "../../src/lightning/index.ts";
import { withPaywall } from "../../src/paywall/fetch-adapter.ts";
import { l402Paywall, memoryPorts, type L402Outcome, type L402Variables } from "../../src/index.ts";
import { keyring, paidToken } from "../fixtures/tokens.ts";
import { toHex } from "../../src/l402/index.ts";

/** A node that must never be asked: shadow mode withholds every 402. */
function untouchedNode(): InvoiceBackend & { calls: number } {
  const node = {
    calls: 0,
    createInvoice(_request: InvoiceRequest): never {
      node.calls++;
      throw new Error("shadow mode asked the node for an invoice");
    },
    lookupInvoice(): never {
      node.calls++;
      throw new Error("shadow mode asked the node about an invoice");
    },
  };
  return node as unknown as InvoiceBackend & { calls: number };
}

describe("shadow mode in the adapters (mode: \"shadow\")", () => {
  it("l402Paywall lets every request through to the handler, its would-be decision in c.var.l402Outcome, the notice on the answer", async () => {
    const backend = untouchedNode();
    const outcomes: L402Outcome[] = [];
    const app = new Hono<{ Variables: L402Variables }>();
    app.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 5, uses: 1 }, keyring, backend, ports: memoryPorts(), mode: "shadow", shadowNotice: "paid from March", log: false }));
    app.get("/api/data", (c) => {
      outcomes.push(c.var.l402Outcome);
      return c.json({ paid: c.var.l402 !== undefined });
    });
    const token = paidToken({ service: "api", validUntil: Math.floor(Date.now() / 1000) + 60, uses: 1 });
    const answers = [await app.request("/api/data"), await app.request("/api/data", { headers: { Authorization: token.authorization } }), await app.request("/api/data", { headers: { Authorization: token.authorization } })];
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(await Promise.all(answers.map((answer) => answer.json()))).toEqual([{ paid: false }, { paid: false }, { paid: false }]);
    expect(answers.map((answer) => answer.headers.get("x-l402-notice"))).toEqual(["paid from March", "paid from March", "paid from March"]);
    expect(outcomes.map((outcome) => [outcome.outcome, outcome.would, outcome.reason, outcome.priceMsat])).toEqual([
      ["shadow", "challenged", "missing", "5000"],
      ["shadow", "paid", undefined, undefined],
      ["shadow", "challenged", "exhausted", "5000"],
    ]);
    expect(backend.calls).toBe(0);
  });

  it("a use a 5xx took from shadow's count is given back there, as enforcing would: shadow foresees no exhausted token enforcing would not refuse", async () => {
    const outcomes: L402Outcome[] = [];
    const ports = memoryPorts();
    const app = new Hono<{ Variables: L402Variables }>();
    app.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 5, uses: 1 }, keyring, backend: untouchedNode(), ports, mode: "shadow", log: false }));
    app.get("/api/data", (c) => {
      outcomes.push(c.var.l402Outcome);
      return c.text("answer", Number(c.req.query("status") ?? 200) as 200);
    });
    const token = paidToken({ service: "api", validUntil: Math.floor(Date.now() / 1000) + 60, uses: 1 });
    for (const status of [503, 200, 200]) {
      expect((await app.request(`/api/data?status=${status}`, { headers: { Authorization: token.authorization } })).status).toBe(status);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    expect(outcomes.map((outcome) => [outcome.would, outcome.reason])).toEqual([
      ["paid", undefined],
      ["paid", undefined],
      ["challenged", "exhausted"],
    ]);
    // A meter that throws at once as it gives back fails that, not the answer.
    const throwing = new Hono<{ Variables: L402Variables }>();
    const meter = {
      consume: ports.meter.consume,
      giveBack: (): Promise<void> => {
        throw new Error("meter gone");
      },
    };
    throwing.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 5, uses: 1 }, keyring, backend: untouchedNode(), ports: { ...ports, meter }, mode: "shadow", log: false }));
    throwing.get("/api/data", (c) => c.text("answer", 503));
    const fresh = paidToken({ service: "api", validUntil: Math.floor(Date.now() / 1000) + 60, uses: 1 });
    expect((await throwing.request("/api/data", { headers: { Authorization: fresh.authorization } })).status).toBe(503);
    // Enforcing's own count was never touched.
    expect(await ports.meter.consume(toHex(token.tokenId), 1, undefined)).toEqual({ allowed: true, remaining: 0 });
    expect(await ports.meter.consume(`${toHex(token.tokenId)}#shadow`, 1, undefined)).toEqual({ allowed: false, remaining: 0 });
  });

  it("withPaywall: the handler gets every request, told it is shadow's", async () => {
    const backend = untouchedNode();
    const handle = withPaywall({ service: { name: "api", price_sats: 2 }, keyring, backend, mode: "shadow", log: false }, (_request, paid) => Response.json(paid.outcome));
    const answer = await handle(new Request("https://api.example/x"));
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ outcome: "shadow", service: "api", would: "challenged", reason: "missing", priceMsat: "2000" });
    expect(answer.headers.get("x-l402-notice")).toBeNull();
    expect(backend.calls).toBe(0);
  });

  it("mode: shadow leaves a service paused by its own mode paused: 503, the handler never reached", async () => {
    const app = new Hono<{ Variables: L402Variables }>();
    app.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 5, mode: "paused" }, keyring, backend: untouchedNode(), ports: memoryPorts(), mode: "shadow", log: false }));
    app.get("/api/data", (c) => c.text("reached"));
    const answer = await app.request("/api/data");
    expect([answer.status, await answer.json()]).toEqual([503, expect.objectContaining({ reason: "service_paused" })]);
  });

  it("a balance's would-be charge is settled on shadow's balance by the cost the origin reports (not kept at its reservation), no balance told", async () => {
    const outcomes: L402Outcome[] = [];
    const app = new Hono<{ Variables: L402Variables }>();
    // 100 sats of credit, 50 reserved per request, each costing 10 by the origin's header: six fit (the sixth finds 50 left), the seventh would be short; kept at their reservations, the third would be.
    const service = { name: "api", price_sats: 1, timeout: 3600, balance: { amounts_sats: [100] }, max_cost_sats: 50, cost_header: "X-Cost" };
    app.use("/api/*", l402Paywall({ service, keyring, backend: untouchedNode(), ports: memoryPorts(), mode: "shadow", log: false }));
    app.get("/api/data", (c) => {
      outcomes.push(c.var.l402Outcome);
      return c.text("data", 200, { "X-Cost": "10000" });
    });
    const token = paidToken({ service: "api", validUntil: Math.floor(Date.now() / 1000) + 3600, creditMsat: 100_000n });
    const answers: Response[] = [];
    for (let i = 0; i < 7; i++) {
      answers.push(await app.request("/api/data", { headers: { Authorization: token.authorization } }));
      // The settlement runs after the answer.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(answers.map((answer) => answer.status)).toEqual(Array(7).fill(200));
    // The cost header is the operator's, taken off as enforcing does; no balance is told (the client's real one is untouched).
    expect(answers.map((answer) => [answer.headers.get("x-cost"), answer.headers.get("x-l402-balance")])).toEqual(Array(7).fill([null, null]));
    expect(outcomes.map((outcome) => [outcome.would, outcome.reason])).toEqual([...Array(6).fill(["paid", undefined]), ["challenged", "balance_short"]]);
  });

  it("a bad mode or notice is a configuration error", () => {
    expect(() => l402Paywall({ service: { name: "api", price_sats: 1 }, keyring, backend: untouchedNode(), mode: "dry" as never })).toThrow(/mode/);
    expect(() => l402Paywall({ service: { name: "api", price_sats: 1 }, keyring, backend: untouchedNode(), shadowNotice: "é" })).toThrow(/shadowNotice/);
  });
});
