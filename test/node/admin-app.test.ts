import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { adminApp } from "../../src/admin/app.ts";
import { compileServices } from "../../src/config/index.ts";
import { memoryPorts } from "../../src/paywall/memory-ports.ts";

/** The admin API (src/admin/app.ts) over in-memory ports; test/workerd/worker-ledger.test.ts runs it over D1. */
const TOKEN = "admin-token-0123456789abcdef0123456789";
const ID = "ab".repeat(32);

/** Two services: one that checks revocations, one that does not. */
function services() {
  const compiled = compileServices(
    [
      { name: "api", price_sats: 1, revocable: true },
      { name: "open", price_sats: 1 },
    ],
    { field: "services", secrets: {}, matchRequired: false, features: { meter: true, freebies: true, ledger: true, revocations: true, lookups: true, spent: true, balances: true, describe: () => "" } },
  );
  if (!compiled.ok) throw new Error(compiled.detail);
  return compiled.value;
}

function admin(options: { ledger?: boolean } = {}) {
  const ports = memoryPorts();
  const app = adminApp({
    token: TOKEN,
    services: services(),
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

  it("refuses to revoke a token of a service that does not check revocations (409): the revocation would change nothing", async () => {
    const { ports, call } = admin();
    const now = Math.floor(Date.now() / 1000);
    await ports.ledger.recordMint({ paymentHash: "00".repeat(32), tokenId: ID, service: "open", priceMsat: 1000n, createdAt: now });
    const refused = await call(`/tokens/${ID}/revoke`, { method: "POST" });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ reason: "service_not_revocable", detail: expect.stringContaining("revocable = true") });
    expect(await ports.revocations.isRevoked(ID, () => undefined)).toBe(false);
    const other = "cd".repeat(32);
    await ports.ledger.recordMint({ paymentHash: "11".repeat(32), tokenId: other, service: "api", priceMsat: 1000n, createdAt: now });
    expect((await call(`/tokens/${other}/revoke`, { method: "POST" })).status).toBe(200);
    expect(await ports.revocations.isRevoked(other, () => undefined)).toBe(true);
  });

  it("says so when there is no ledger, and 404s what it does not know", async () => {
    const { call } = admin({ ledger: false });
    expect(await (await call("/revenue")).json()).toMatchObject({ reason: "ledger_not_configured" });
    expect((await call("/services")).status).toBe(200);
    const unknown = await call("/nope");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ reason: "not_found", detail: "no such admin endpoint" });
  });

  it.each([
    ["days that are not a number", "/revenue?days=week", "days: must be an integer from 1 to 366"],
    ["days in exponent notation", "/revenue?days=1e2", "days: must be an integer from 1 to 366"],
    ["days out of range", "/revenue?days=367", "days: must be an integer from 1 to 366"],
    ["a token id that is not hex", "/tokens/not-hex", "id: a token id is 64 hex characters"],
    ["a token id one character short", `/tokens/${ID.slice(1)}`, "id: a token id is 64 hex characters"],
  ])("refuses %s with a 400 naming the parameter", async (_name, path, detail) => {
    const response = await admin().call(path);
    expect(response.status).toBe(400);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({ reason: "bad_request", detail });
  });

  it.each([
    ["a body that is not JSON", "reason=leaked", "the body must be JSON: {\"reason\": \"why\"} (reason optional), or empty"],
    ["a reason that is not text", JSON.stringify({ reason: 5 }), "reason: must be text of at most 200 characters"],
    ["a reason over 200 characters", JSON.stringify({ reason: "x".repeat(201) }), "reason: must be text of at most 200 characters"],
    ["a misspelt field", JSON.stringify({ reasn: "leaked" }), "the body must be JSON: {\"reason\": \"why\"} (reason optional), or empty"],
  ])("refuses a revocation with %s, revoking nothing", async (_name, body, detail) => {
    const { ports, call } = admin();
    const response = await call(`/tokens/${ID}/revoke`, { method: "POST", body });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ reason: "bad_request", detail });
    expect(await ports.revocations.isRevoked(ID, () => undefined)).toBe(false);
  });

  it("revokes with an empty body, giving no reason", async () => {
    const { ports, call } = admin();
    expect(await (await call(`/tokens/${ID}/revoke`, { method: "POST" })).json()).toEqual({ tokenId: ID, revoked: true, reason: "", staleForAtMostSeconds: 30 });
    expect(await ports.revocations.isRevoked(ID, () => undefined)).toBe(true);
  });

  it("mounted with app.route, owns every path below its own: what it does not know is its 404, never the app's next route", async () => {
    const ports = memoryPorts();
    const app = new Hono();
    app.route("/admin", adminApp({ token: TOKEN, services: [], ledger: ports.ledger, revocations: ports.revocations, revocationStalenessSeconds: 30 }));
    app.all("*", (c) => c.text("the origin", 200));
    const headers = { Authorization: `Bearer ${TOKEN}` };
    for (const path of ["/admin", "/admin/", "/admin/nope", "/admin/services/x"]) {
      const response = await app.request(path, { headers });
      expect(response.status, path).toBe(404);
      expect(await response.json(), path).toEqual({ reason: "not_found", detail: "no such admin endpoint" });
    }
    expect((await app.request("/admin/nope")).status).toBe(401);
    expect(await (await app.request("/administrator", { headers })).text()).toBe("the origin");
  });
});
