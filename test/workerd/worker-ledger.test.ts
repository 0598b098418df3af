import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/worker/index.ts";
import { describe, expect, it, vi } from "vitest";
import { decodeMacaroon } from "../../src/macaroon/index.ts";
import { toHex } from "../../src/l402/index.ts";
import { d1Ledger } from "../../src/worker/d1-ledger.ts";
import { d1Revocations } from "../../src/worker/d1-revocations.ts";
import { ADMIN_TOKEN } from "../fixtures/worker-env.ts";
import { buyToken, callWith, callWithEnv, originHits, originUrl, payChallenge, uniquePath } from "./support/paywall-client.ts";

const db = () => env.L402_LEDGER as D1Database;
const tokenIdOf = (macaroon: Uint8Array) => toHex(decodeMacaroon(macaroon).identifier.slice(34));
const admin = (path: string, init: RequestInit = {}) =>
  callWith({}, `/.well-known/l402/admin${path}`, { ...init, headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, ...(init.headers ?? {}) } });

/** A D1 binding that counts every call made through it. */
function counting(database: D1Database) {
  let calls = 0;
  const proxy = new Proxy(database, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { proxy, calls: () => calls };
}
const broken = { prepare: () => { throw new Error("D1 is down"); }, batch: () => Promise.reject(new Error("D1 is down")) } as unknown as D1Database;

describe("the ledger in D1", () => {
  it("a row per minted challenge, and one settlement at first use (none for later uses)", async () => {
    const unpaid = await callWith({}, uniquePath("/vault/ledger"));
    const { payment_hash: paymentHash } = (await unpaid.clone().json()) as { payment_hash: string };
    const challenge = await db().prepare("SELECT token_id, service, price_msat FROM challenges WHERE payment_hash = ?").bind(paymentHash).first<{ token_id: string; service: string; price_msat: number }>();
    expect(challenge).toMatchObject({ service: "vault", price_msat: 2000 });
    const token = await payChallenge(unpaid);
    expect(challenge?.token_id).toBe(tokenIdOf(token.macaroon));

    for (let i = 0; i < 3; i++) expect((await callWith({}, "/vault/x", { headers: { Authorization: token.authorization } })).status).toBe(200);
    const settlements = await db().prepare("SELECT amount_msat, first_used_at, payment_hash FROM settlements WHERE token_id = ?").bind(challenge?.token_id).all();
    expect(settlements.results).toHaveLength(1);
    expect(settlements.results[0]).toMatchObject({ amount_msat: 2000, payment_hash: paymentHash });
  });

  it("counts each challenge once, per service and day, as it is minted: a challenge recorded again is not counted again", async () => {
    const service = `count-${crypto.randomUUID().slice(0, 8)}`;
    const hex = () => crypto.randomUUID().replaceAll("-", "").padEnd(64, "0");
    const ledger = d1Ledger(db());
    const createdAt = Math.floor(Date.UTC(2026, 0, 2, 12) / 1000);
    const mint = { paymentHash: hex(), tokenId: hex(), service, priceMsat: 1000n, createdAt };
    await ledger.recordMint(mint);
    await ledger.recordMint(mint);
    await ledger.recordMint({ ...mint, paymentHash: hex(), tokenId: hex(), createdAt: createdAt + 86_400 });
    const counts = await db().prepare("SELECT day, challenges FROM challenge_counts WHERE service = ? ORDER BY day").bind(service).all();
    expect(counts.results).toEqual([{ day: "2026-01-02", challenges: 1 }, { day: "2026-01-03", challenges: 1 }]);
    expect((await ledger.revenueByDay(createdAt - 86_400)).filter((row) => row.service === service).map((row) => [row.day, row.challenges])).toEqual([["2026-01-02", 1], ["2026-01-03", 1]]);
  });

  it("counts each settlement once, per service and day, with its revenue; revenue per day (and the metrics) read those counts", async () => {
    const service = `paid-${crypto.randomUUID().slice(0, 8)}`;
    const hex = () => crypto.randomUUID().replaceAll("-", "").padEnd(64, "0");
    const ledger = d1Ledger(db());
    const usedAt = Math.floor(Date.UTC(2026, 0, 2, 12) / 1000);
    const minted = { paymentHash: hex(), tokenId: hex(), service, priceMsat: 3000n, createdAt: usedAt - 60 };
    await ledger.recordMint(minted);
    const settlement = { tokenId: minted.tokenId, paymentHash: minted.paymentHash, service, priceMsat: 1n, usedAt };
    // Recorded again by another isolate: counted once. One whose challenge row is gone: at the price it gives.
    await ledger.recordSettlement(settlement);
    await ledger.recordSettlement(settlement);
    await ledger.recordSettlement({ ...settlement, tokenId: hex(), paymentHash: hex(), priceMsat: 5000n });
    await ledger.recordSettlement({ ...settlement, tokenId: hex(), paymentHash: hex(), priceMsat: 7000n, usedAt: usedAt + 86_400 });
    const counts = await db().prepare("SELECT day, settlements, revenue_msat FROM settlement_counts WHERE service = ? ORDER BY day").bind(service).all();
    expect(counts.results).toEqual([
      { day: "2026-01-02", settlements: 2, revenue_msat: 8000 },
      { day: "2026-01-03", settlements: 1, revenue_msat: 7000 },
    ]);
    const days = (await ledger.revenueByDay(usedAt - 86_400)).filter((row) => row.service === service);
    expect(days.map((row) => [row.day, row.challenges, row.settlements, row.revenueMsat])).toEqual([
      ["2026-01-02", 1, 2, 8000],
      ["2026-01-03", 0, 1, 7000],
    ]);
  });

  it("a failing D1 does not fail the request: challenges and paid requests go on", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const token = await buyToken(uniquePath("/api/d1down"));
    expect((await callWith({ L402_LEDGER: broken } as never, "/api/d1down")).status).toBe(402);
    expect((await callWith({ L402_LEDGER: broken } as never, "/api/d1down", { headers: { Authorization: token.authorization } })).status).toBe(200);
    expect(errors.mock.calls.some(([line]) => String(line).includes("D1 is down"))).toBe(true);
    errors.mockRestore();
  });

  it("a reusable token on a service using none of the stateful features makes no D1 or Durable Object call", async () => {
    const token = await buyToken(uniquePath("/plain/x"));
    const d1 = counting(db());
    let durableObjectCalls = 0;
    const meterNamespace = env.L402_METER as NonNullable<typeof env.L402_METER>;
    const countingMeter = { idFromName: (name: string) => meterNamespace.idFromName(name), get: (id: DurableObjectId) => (durableObjectCalls++, meterNamespace.get(id)) };
    const workerEnv = { ...env, L402_LEDGER: d1.proxy, L402_METER: countingMeter };
    const fetches = vi.spyOn(globalThis, "fetch");
    for (let i = 0; i < 2; i++) expect((await callWithEnv(workerEnv, "/plain/y", { headers: { Authorization: token.authorization } })).status).toBe(200);
    expect([d1.calls(), durableObjectCalls, fetches.mock.calls.length]).toEqual([0, 0, 2]);
    expect(fetches.mock.calls.every(([url]) => String(url).endsWith("/plain/y"))).toBe(true);
    fetches.mockRestore();
    const vaultToken = await buyToken(uniquePath("/vault/counted"));
    await callWithEnv(workerEnv, "/vault/counted", { headers: { Authorization: vaultToken.authorization } });
    expect(d1.calls()).toBeGreaterThan(0);
  });
});

describe("unpaid challenges' retention", () => {
  it("the hourly run forgets unpaid challenges over 30 days old, in chunks, keeping paid ones and every count", async () => {
    const service = `old-${crypto.randomUUID().slice(0, 8)}`;
    const now = Date.now();
    const daysAgo = (days: number) => Math.floor(now / 1000) - days * 86_400;
    const hex = () => crypto.randomUUID().replaceAll("-", "").padEnd(64, "0");
    const mint = (createdAt: number) => {
      const row = { paymentHash: hex(), tokenId: hex() };
      return { row, statement: db().prepare("INSERT INTO challenges (payment_hash, token_id, service, price_msat, created_at) VALUES (?, ?, ?, 1000, ?)").bind(row.paymentHash, row.tokenId, service, createdAt) };
    };
    // 4,500 unpaid 40 days ago (more than two of the run's chunks), one paid among them, one unpaid 10 days ago.
    const old = Array.from({ length: 4500 }, () => mint(daysAgo(40)));
    const paid = mint(daysAgo(40));
    const recent = mint(daysAgo(10));
    for (let i = 0; i < old.length; i += 500) await db().batch(old.slice(i, i + 500).map((m) => m.statement));
    // Each counted by the table's trigger, whoever writes it.
    await db().batch([
      paid.statement,
      recent.statement,
      db().prepare("INSERT INTO settlements (token_id, payment_hash, service, amount_msat, first_used_at) VALUES (?, ?, ?, 1000, ?)").bind(paid.row.tokenId, paid.row.paymentHash, service, daysAgo(39)),
    ]);
    type Day = { service: string; day: string; challenges: number; settlements: number; revenueMsat: number };
    const revenue = async () => ((await (await admin("/revenue?days=60")).json()) as { days: Day[] }).days.filter((d) => d.service === service);
    const issued = async () => (await (await admin("/metrics")).text()).split("\n").find((line) => line.startsWith(`l402_invoices_issued_total{service="${service}"}`));
    const [revenueBefore, issuedBefore] = [await revenue(), await issued()];
    expect(revenueBefore.map((d) => [d.challenges, d.settlements])).toEqual([[4501, 0], [0, 1], [1, 0]]);

    const ctx = createExecutionContext();
    worker.scheduled(createScheduledController({ scheduledTime: now, cron: "17 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);

    const kept = await db().prepare("SELECT token_id FROM challenges WHERE service = ? ORDER BY created_at").bind(service).all<{ token_id: string }>();
    expect(kept.results.map((r) => r.token_id)).toEqual([paid.row.tokenId, recent.row.tokenId]);
    expect(await revenue()).toEqual(revenueBefore);
    expect(await issued()).toBe(issuedBefore);
    expect(await (await admin(`/tokens/${paid.row.tokenId}`)).json()).toMatchObject({ challenge: { price_msat: 1000 }, settlement: { amount_msat: 1000 } });
    // A second run finds nothing more, and counts nothing twice.
    const again = createExecutionContext();
    worker.scheduled(createScheduledController({ scheduledTime: now, cron: "17 * * * *" }), env, again);
    await waitOnExecutionContext(again);
    expect(await revenue()).toEqual(revenueBefore);
  });
});

describe("revocation", () => {
  it("a request that read \"valid\" just before a revocation and caches it after does not keep the token working in the revoking colo", async () => {
    const cache = await caches.open(`revocations-${crypto.randomUUID()}`);
    const revocations = d1Revocations(db(), cache, 30);
    const tokenId = crypto.randomUUID().replaceAll("-", "").padEnd(64, "0");
    const cached: Promise<unknown>[] = [];
    // Its D1 read answered "valid"; its answer is cached only once the revocation has begun.
    expect(await revocations.isRevoked(tokenId, (work) => void cached.push(work))).toBe(false);
    const revoking = revocations.revoke(tokenId, "leaked", Math.floor(Date.now() / 1000));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await cache.put(`https://revocations.l402-edge.invalid/${tokenId}`, new Response("valid", { headers: { "Cache-Control": "max-age=30" } }));
    await Promise.all(cached);
    await revoking;
    expect(await revocations.isRevoked(tokenId, () => undefined)).toBe(true);
  });

  it("a revoked token is refused (at once in the revoking colo); other tokens are unaffected", async () => {
    const [victim, bystander] = [await buyToken(uniquePath("/vault/r1")), await buyToken(uniquePath("/vault/r2"))];
    expect((await callWith({}, "/vault/a", { headers: { Authorization: victim.authorization } })).status).toBe(200);
    const revoked = await admin(`/tokens/${tokenIdOf(victim.macaroon)}/revoke`, { method: "POST", body: JSON.stringify({ reason: "leaked" }) });
    expect(await revoked.json()).toMatchObject({ revoked: true, reason: "leaked", staleForAtMostSeconds: 30 });
    const refused = await callWith({}, "/vault/a", { headers: { Authorization: victim.authorization } });
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({ reason: "revoked" });
    expect((await callWith({}, "/vault/a", { headers: { Authorization: bystander.authorization } })).status).toBe(200);
  });

  it("elsewhere, within the documented bound: a colo that cached 'not revoked' stops accepting after L402_REVOCATION_TTL", { timeout: 20_000 }, async () => {
    const ttl = { L402_REVOCATION_TTL: "5" };
    const token = await buyToken(uniquePath("/vault/elsewhere"));
    const use = () => callWith(ttl, "/vault/elsewhere", { headers: { Authorization: token.authorization } });
    expect((await use()).status).toBe(200);
    const cachedAt = Date.now();
    // Revoked through another colo: the row is written, this colo's cache is not purged.
    await db().prepare("INSERT INTO revocations (token_id, revoked_at, reason) VALUES (?, ?, 'elsewhere')").bind(tokenIdOf(token.macaroon), Math.floor(Date.now() / 1000)).run();
    expect((await use()).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 5000 - (Date.now() - cachedAt) + 300));
    const after = await use();
    expect(after.status).toBe(402);
    expect(await after.json()).toMatchObject({ reason: "revoked" });
  });

  it("a revocable service fails closed when the revocation list cannot be read", async () => {
    const token = await buyToken(uniquePath("/vault/closed"));
    const response = await callWith({ L402_LEDGER: broken } as never, `/vault/closed-${crypto.randomUUID()}`, { headers: { Authorization: token.authorization } });
    // This token's answer was never cached, so it must be read; D1 is down, so no access.
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(await response.json()).toMatchObject({ reason: "revocation_unavailable" });
  });
});

describe("the admin API", () => {
  it("refuses a missing or wrong bearer token with 401", async () => {
    expect((await callWith({}, "/.well-known/l402/admin/services")).status).toBe(401);
    expect((await callWith({}, "/.well-known/l402/admin/services", { headers: { Authorization: "Bearer nope" } })).status).toBe(401);
  });

  it("lists services with prices, reports revenue per service and day, looks up a token", async () => {
    const services = (await (await admin("/services")).json()) as { services: { name: string; price_msat: string }[] };
    expect(services.services.find((s) => s.name === "vault")).toMatchObject({ price_msat: "2000", revocable: true, ledger: true });
    const token = await buyToken(uniquePath("/vault/revenue"));
    await callWith({}, "/vault/revenue", { headers: { Authorization: token.authorization } });
    const revenue = (await (await admin("/revenue?days=1")).json()) as { days: { service: string; day: string; challenges: number; settlements: number; revenueMsat: number }[] };
    const today = revenue.days.find((d) => d.service === "vault" && d.day === new Date().toISOString().slice(0, 10));
    expect(today?.settlements).toBeGreaterThanOrEqual(1);
    expect(today?.revenueMsat).toBe((today?.settlements ?? 0) * 2000);
    expect(today?.challenges).toBeGreaterThanOrEqual(today?.settlements ?? 0);
    const lookup = await (await admin(`/tokens/${tokenIdOf(token.macaroon)}`)).json();
    expect(lookup).toMatchObject({ challenge: { service: "vault", price_msat: 2000 }, settlement: { amount_msat: 2000 }, revocation: null });
  });

  it("answers bad requests clearly", async () => {
    expect((await admin("/tokens/xyz")).status).toBe(400);
    expect((await admin("/revenue?days=0")).status).toBe(400);
    expect((await admin("/nothing")).status).toBe(404);
    expect((await callWith({ L402_ADMIN_TOKEN: undefined } as never, "/.well-known/l402/admin/services")).status).toBe(404);
  });

  it("owns every path below its own, with or without a token: none reaches the paywall or the origin, and the log line says admin", async () => {
    const logs = vi.spyOn(console, "log");
    const unknown = `/.well-known/l402/admin/nothing-${crypto.randomUUID()}`;
    const passing = { L402_UNMATCHED: "pass" };
    const bearer = { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } };
    for (const [name, overrides, path, init] of [
      ["an unknown endpoint", passing, unknown, bearer],
      ["the admin path itself", passing, "/.well-known/l402/admin", bearer],
      ["the admin API turned off", { ...passing, L402_ADMIN_TOKEN: undefined }, unknown, {}],
    ] as const) {
      const response = await callWith(overrides as Record<string, string>, `${originUrl()}${path}`, init);
      expect(response.status, name).toBe(404);
      expect(await response.json(), name).toMatchObject({ reason: "not_found" });
      expect(JSON.parse(String(logs.mock.calls.at(-1)?.[0])), name).toMatchObject({ outcome: "admin", status: 404 });
    }
    expect(await originHits(unknown)).toBe(0);
    logs.mockRestore();
  });
});
