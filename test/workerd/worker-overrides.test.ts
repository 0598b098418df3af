import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sha256 } from "@noble/hashes/sha2.js";
import { hex } from "@scure/base";
import { parseChallenge } from "../../src/l402/index.ts";
import { readInvoice } from "../../src/lightning/index.ts";
import { d1Overrides } from "../../src/worker/d1-overrides.ts";
import { READ_WAIT_MS } from "../../src/worker/overrides-cache.ts";
import { ADMIN_TOKEN } from "../fixtures/worker-env.ts";
import { buyToken, callWithEnv, uniquePath } from "./support/paywall-client.ts";

/**
 * Prices, modes and free paths changed at run time through the admin API
 * (README, "Changing prices at run time"), through the Worker in workerd over
 * D1. Each env object below is an isolate of its own as far as the Worker is
 * concerned (its app and its overrides cache are per env object), so a change
 * made through one and seen by another crossed the TTL-bound path.
 */
const TTL_SECONDS = 1;
const db = () => env.L402_LEDGER as D1Database;
/** A fresh "isolate" with run-time overrides on. */
const isolate = (extra: Record<string, unknown> = {}): object => ({ ...env, L402_OVERRIDES: "on", L402_OVERRIDES_TTL: String(TTL_SECONDS), ...extra });
const ADMIN_ID = hex.encode(sha256(new TextEncoder().encode(ADMIN_TOKEN))).slice(0, 8);

const admin = (through: object, method: string, path: string, body?: unknown) =>
  callWithEnv(through, `/.well-known/l402/admin${path}`, { method, headers: { Authorization: `Bearer ${ADMIN_TOKEN}` }, ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }) });

/** The amount of the BOLT 11 invoice a 402 sells, decoded from the invoice itself. */
async function invoiceMsat(response: Response): Promise<bigint> {
  expect(response.status).toBe(402);
  await response.body?.cancel();
  const challenge = parseChallenge(response.headers.get("www-authenticate") ?? "");
  if (!challenge.ok) throw new Error(challenge.detail);
  const invoice = readInvoice(challenge.value.invoice);
  if (!invoice.ok || invoice.value.amountMsat === undefined) throw new Error("no amount in the invoice");
  return invoice.value.amountMsat;
}

/** Polls until `check` holds; fails past the deadline. */
async function eventually(check: () => Promise<boolean>, deadline: number): Promise<void> {
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("not within the bound");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

afterEach(async () => {
  await db().prepare("DELETE FROM service_overrides").run();
});

describe("prices changed at run time", () => {
  it("a price change made through one isolate reaches another's next challenges within L402_OVERRIDES_TTL", async () => {
    const [writer, reader] = [isolate(), isolate()];
    expect(await invoiceMsat(await callWithEnv(reader, uniquePath("/plain")))).toBe(1000n);
    const changed = await admin(writer, "PUT", "/services/plain", { price_sats: 7 });
    expect(changed.status).toBe(200);
    expect(await changed.json()).toMatchObject({ service: "plain", override: { price_sats: 7 }, visible_within_seconds: TTL_SECONDS });
    // The writer reads its own change at once; the reader within the TTL (and one read's wait).
    expect(await invoiceMsat(await callWithEnv(writer, uniquePath("/plain")))).toBe(7000n);
    const bound = Date.now() + TTL_SECONDS * 1000 + READ_WAIT_MS + 1000;
    await eventually(async () => (await invoiceMsat(await callWithEnv(reader, uniquePath("/plain")))) === 7000n, bound);
    // Discovery describes the price in effect, and is cached no longer than the TTL.
    const listed = await callWithEnv(reader, "/.well-known/l402-services");
    expect(listed.headers.get("cache-control")).toBe(`public, max-age=${TTL_SECONDS}`);
    const routes = ((await listed.json()) as { routes: { service: string; price: { amount_msat: number } }[] }).routes;
    expect(routes.find((route) => route.service === "plain")?.price.amount_msat).toBe(7000);
    const openapi = (await (await callWithEnv(reader, "/openapi.json")).json()) as { paths: Record<string, { get?: { "x-l402"?: { price_msat?: number } } }> };
    expect(openapi.paths["/plain/{rest}"]?.get?.["x-l402"]?.price_msat).toBe(7000);
    const manifest = JSON.stringify(await (await callWithEnv(reader, "/.well-known/l402.json")).json());
    expect(manifest).toContain('"name":"plain"');
    expect(manifest).toMatch(/"path":"\/plain\/\{rest\}","method":"GET","pricing":\{"model":"fixed","price_msat":7000\}/);
  });

  it("a burst of 50 challenges during a change: every invoice is at the old price or the new one, and the new one arrives", async () => {
    const [writer, reader] = [isolate(), isolate()];
    expect(await invoiceMsat(await callWithEnv(reader, uniquePath("/other")))).toBe(1500n);
    const burst = Array.from({ length: 50 }, async (_, index) => {
      if (index === 10) await admin(writer, "PATCH", "/services/other", { price_msat: 2500 });
      return invoiceMsat(await callWithEnv(reader, uniquePath("/other")));
    });
    const amounts = await Promise.all(burst);
    expect(amounts.filter((amount) => amount !== 1500n && amount !== 2500n)).toEqual([]);
    await eventually(async () => (await invoiceMsat(await callWithEnv(reader, uniquePath("/other")))) === 2500n, Date.now() + TTL_SECONDS * 1000 + READ_WAIT_MS + 1000);
  });

  it("an invalid change is refused with its problems, and the override in effect is kept", async () => {
    const through = isolate();
    expect((await admin(through, "PUT", "/services/other", { price_sats: 2 })).status).toBe(200);
    const refused: [string, unknown, RegExp][] = [
      ["PUT", { price_sats: 0 }, /^price_sats: must be a positive integer/],
      ["PUT", { price_sats: 1, price_msat: 5 }, /^service: needs exactly one of price_sats or price_msat$/],
      ["PATCH", { mode: "sleeping" }, /^mode: must be "enforce", "shadow" or "paused"$/],
      ["PATCH", { free_paths: ["no-slash"] }, /^free_paths\[0\]: must be a path starting with \//],
      ["PATCH", { colour: "red" }, /unknown field "colour"/],
      ["PATCH", "not json", /must be a JSON object/],
      ["PUT", {}, /names none of/],
      ["PUT", [1], /must be a JSON object/],
    ];
    for (const [method, body, problem] of refused) {
      const response = await admin(through, method, "/services/other", body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const answer = (await response.json()) as { detail: string; problems?: string[] };
      expect(answer.problems?.join("; ") ?? answer.detail).toMatch(problem);
    }
    expect((await admin(through, "PUT", "/services/nope", { price_sats: 1 })).status).toBe(404);
    expect((await admin(through, "PUT", "/services/bad%20name", { price_sats: 1 })).status).toBe(400);
    const listed = (await (await admin(through, "GET", "/services")).json()) as { services: { name: string; price_msat: string; base: object; override: object | null; effective: object }[] };
    expect(listed.services.find((service) => service.name === "other")).toMatchObject({ price_msat: "2000", base: { price_msat: 1500 }, override: { price_sats: 2 }, effective: { price_sats: 2 } });
    expect(listed.services.find((service) => service.name === "api")).toMatchObject({ base: { price_sats: 10, free_paths: ["/api/free/*"] }, override: null, effective: { price_sats: 10 } });
    expect(await invoiceMsat(await callWithEnv(isolate(), uniquePath("/other")))).toBe(2000n);
  });

  it("the audit trail lists each change: old and new value, when, and the admin credential's id (never the credential)", async () => {
    const through = isolate();
    const before = Math.floor(Date.now() / 1000);
    await admin(through, "PUT", "/services/short", { price_sats: 3 });
    await admin(through, "PATCH", "/services/short", { mode: "paused" });
    await admin(through, "DELETE", "/services/short/override");
    const response = await admin(through, "GET", "/audit?limit=3");
    const text = await response.text();
    expect(text).not.toContain(ADMIN_TOKEN);
    const { changes } = JSON.parse(text) as { changes: { service: string; action: string; admin: string; at: number; old: unknown; new: unknown }[] };
    expect(changes.map(({ service, action, admin: by, old, new: next }) => ({ service, action, by, old, next }))).toEqual([
      { service: "short", action: "delete", by: ADMIN_ID, old: { price_sats: 3, mode: "paused" }, next: null },
      { service: "short", action: "set", by: ADMIN_ID, old: { price_sats: 3 }, next: { price_sats: 3, mode: "paused" } },
      { service: "short", action: "set", by: ADMIN_ID, old: null, next: { price_sats: 3 } },
    ]);
    expect(changes.every((change) => change.at >= before)).toBe(true);
    for (const query of ["?limit=0", "?limit=501", "?limit=x"]) expect((await admin(through, "GET", `/audit${query}`)).status).toBe(400);
  });

  it("D1 writes a change only over the version it was read at: a stale one writes neither the row nor the trail", async () => {
    const store = d1Overrides(db());
    const { version } = await store.read();
    const written = await store.write({ service: "short", override: { mode: "paused" }, admin: "a", at: 1, over: version });
    expect(written).toBe(version + 1);
    for (const override of [{ mode: "shadow" as const }, null]) expect(await store.write({ service: "short", override, admin: "b", at: 2, over: version })).toBeUndefined();
    const after = await store.read();
    expect([after.version, after.overrides.get("short")]).toEqual([version + 1, { mode: "paused" }]);
    expect(await store.write({ service: "short", override: null, admin: "a", at: 3, over: after.version })).toBe(version + 2);
    expect((await store.read()).overrides.has("short")).toBe(false);
  });
});

describe("a paused service", () => {
  it("sells nothing new (503 service_paused, Retry-After; no quote); tokens already sold pass; discovery says so; DELETE restores it", async () => {
    const token = await buyToken(uniquePath("/vault/before-pause"));
    const through = isolate();
    expect((await admin(through, "PATCH", "/services/vault", { mode: "paused" })).status).toBe(200);
    const unpaid = await callWithEnv(through, uniquePath("/vault"));
    expect(unpaid.status).toBe(503);
    expect(unpaid.headers.get("retry-after")).toBe("60");
    expect(unpaid.headers.get("www-authenticate")).toBeNull();
    expect(await unpaid.json()).toMatchObject({ reason: "service_paused" });
    expect((await callWithEnv(through, "/vault/x", { headers: { Authorization: token.authorization } })).status).toBe(200);
    const quote = await callWithEnv(through, "/l402/quote", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ service: "vault" }) });
    expect(quote.status).toBe(503);
    const routes = ((await (await callWithEnv(through, "/.well-known/l402-services")).json()) as { routes: { service: string; mode?: string }[] }).routes;
    expect(routes.find((route) => route.service === "vault")?.mode).toBe("paused");
    expect(routes.find((route) => route.service === "api")?.mode).toBeUndefined();
    expect((await admin(through, "DELETE", "/services/vault/override")).status).toBe(200);
    expect((await callWithEnv(through, uniquePath("/vault"))).status).toBe(402);
  });

  it("a paused service's free requests stop too: a free allowance is new access", async () => {
    const through = isolate();
    await admin(through, "PUT", "/services/trial", { mode: "paused" });
    expect((await callWithEnv(through, uniquePath("/trial"), { headers: { "CF-Connecting-IP": "198.51.100.77" } })).status).toBe(503);
  });
});

describe("a token already sold keeps what it bought", () => {
  it("a price raise leaves older tokens working, their uses counted as before; new challenges sell at the new price", async () => {
    const token = await buyToken(uniquePath("/metered/before-raise"));
    const through = isolate();
    expect((await admin(through, "PUT", "/services/metered", { price_sats: 9 })).status).toBe(200);
    const first = await callWithEnv(through, "/metered/a", { headers: { Authorization: token.authorization } });
    expect([first.status, first.headers.get("x-l402-remaining")]).toEqual([200, "2"]);
    expect((await callWithEnv(through, "/metered/b", { headers: { Authorization: token.authorization } })).headers.get("x-l402-remaining")).toBe("1");
    expect(await invoiceMsat(await callWithEnv(through, uniquePath("/metered")))).toBe(9000n);
  });
});

describe("when D1 cannot be read", () => {
  it("an isolate that never read the overrides sells nothing and gives no free path away; tokens and free services pass", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const token = await buyToken(uniquePath("/plain/d1-down"));
    const broken = { prepare: () => { throw new Error("D1 is down"); }, batch: () => Promise.reject(new Error("D1 is down")) };
    const down = isolate({ L402_LEDGER: broken });
    const unpaid = await callWithEnv(down, uniquePath("/plain"));
    expect([unpaid.status, ((await unpaid.json()) as { reason: string }).reason]).toEqual([503, "service_paused"]);
    expect((await callWithEnv(down, "/api/free/x")).status).toBe(503);
    expect((await callWithEnv(down, "/plain/x", { headers: { Authorization: token.authorization } })).status).toBe(200);
    expect((await callWithEnv(down, "/public/x")).status).toBe(200);
    expect(errors.mock.calls.some(([line]) => String(line).includes("could not be read"))).toBe(true);
    errors.mockRestore();
  });

  it("an isolate that has read them keeps the last it read: a pause or a price holds while D1 fails", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const state = { down: false };
    const flaky = new Proxy(db(), {
      get(target, property) {
        const value = Reflect.get(target, property) as unknown;
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (state.down) throw new Error("D1 is down");
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const through = isolate({ L402_LEDGER: flaky });
    await admin(isolate(), "PUT", "/services/plain", { price_sats: 4 });
    await admin(isolate(), "PUT", "/services/short", { mode: "paused" });
    expect(await invoiceMsat(await callWithEnv(through, uniquePath("/plain")))).toBe(4000n);
    state.down = true;
    // Past the TTL: the overrides are read again, and fail.
    await new Promise((resolve) => setTimeout(resolve, TTL_SECONDS * 1000 + 100));
    expect(await invoiceMsat(await callWithEnv(through, uniquePath("/plain")))).toBe(4000n);
    expect((await callWithEnv(through, uniquePath("/short"))).status).toBe(503);
    errors.mockRestore();
  });
});

describe("with run-time overrides off (the default)", () => {
  it("the admin API lists the config's services and says the overrides are off", async () => {
    const off = { ...env };
    expect((await admin(off, "PUT", "/services/plain", { price_sats: 2 })).status).toBe(503);
    expect((await admin(off, "GET", "/audit")).status).toBe(503);
    const listed = (await (await admin(off, "GET", "/services")).json()) as { services: { name: string; mode: string }[] };
    expect(listed.services.find((service) => service.name === "plain")).toMatchObject({ mode: "enforce" });
  });
});
