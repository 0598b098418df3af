import { describe, expect, it } from "vitest";
import { adminApp } from "../../src/admin/app.ts";
import { memoryPorts } from "../../src/paywall/memory-ports.ts";

/** The admin API (src/admin/app.ts) over in-memory ports; test/workerd/worker-ledger.test.ts runs it over D1. */
const TOKEN = "admin-token-0123456789abcdef0123456789";
const ID = "ab".repeat(32);

function admin(options: { ledger?: boolean } = {}) {
  const ports = memoryPorts();
  const app = adminApp({
    token: TOKEN,
    services: [],
    ledger: options.ledger === false ? undefined : ports.ledger,
    revocations: options.ledger === false ? undefined : ports.revocations,
    revocationStalenessSeconds: 30,
  });
  const call = (path: string, init: RequestInit = {}, token: string | null = TOKEN) =>
    app.request(path, { ...init, headers: { ...(token === null ? {} : { Authorization: `Bearer ${token}` }), ...(init.headers as Record<string, string> | undefined) } });
  return { ports, call };
}

describe("adminApp", () => {
  it.each([
    ["no token", null],
    ["a wrong token", "admin-token-0123456789abcdef0123456788"],
    ["a token of another length", "short"],
  ])("refuses %s with a JSON 401 and a Bearer challenge", async (_name, token) => {
    const response = await admin().call("/services", {}, token);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await response.json()).toEqual({ reason: "unauthorized", detail: "a valid admin bearer token is required" });
  });

  it("reports revenue per service and day from the ledger", async () => {
    const { ports, call } = admin();
    const now = Math.floor(Date.now() / 1000);
    await ports.ledger.recordMint({ paymentHash: "00".repeat(32), tokenId: ID, service: "api", priceMsat: 5000n, createdAt: now });
    await ports.ledger.recordSettlement({ tokenId: ID, paymentHash: "00".repeat(32), service: "api", priceMsat: 9999n, usedAt: now });
    const response = await call("/revenue?days=1");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const { days } = (await response.json()) as { days: unknown[] };
    expect(days).toEqual([{ service: "api", day: new Date(now * 1000).toISOString().slice(0, 10), challenges: 1, settlements: 1, revenueMsat: 5000 }]);
    expect((await call("/revenue?days=0")).status).toBe(400);
  });

  it("looks a token up and revokes it", async () => {
    const { ports, call } = admin();
    expect(await (await call(`/tokens/${ID}`)).json()).toEqual({ tokenId: ID, challenge: null, settlement: null, revocation: null });
    const revoked = await call(`/tokens/${ID.toUpperCase()}/revoke`, { method: "POST", body: JSON.stringify({ reason: "leaked" }) });
    expect(await revoked.json()).toEqual({ tokenId: ID, revoked: true, reason: "leaked", staleForAtMostSeconds: 30 });
    expect(await ports.revocations.isRevoked(ID, () => undefined)).toBe(true);
    expect(await (await call(`/tokens/${ID}`)).json()).toMatchObject({ revocation: { reason: "leaked" } });
    expect((await call("/tokens/not-hex")).status).toBe(400);
  });

  it("says so when there is no ledger, and 404s what it does not know", async () => {
    const { call } = admin({ ledger: false });
    expect(await (await call("/revenue")).json()).toMatchObject({ reason: "ledger_not_configured" });
    expect((await call("/services")).status).toBe(200);
    const unknown = await call("/nope");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ reason: "not_found", detail: "no such admin endpoint" });
  });
});
