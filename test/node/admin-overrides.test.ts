import { describe, expect, it } from "vitest";
import { adminApp } from "../../src/admin/app.ts";
import { changeService, credentialId } from "../../src/admin/service-routes.ts";
import { compileServices, type OverrideChange, type OverridesStore, type ServiceOverride } from "../../src/config/index.ts";

/** The admin API's run-time service endpoints (src/admin/service-routes.ts) over an in-memory store; over D1 through the Worker: test/workerd/worker-overrides.test.ts. */
const TOKEN = "admin-token-0123456789abcdef0123456789";
const ALL = { meter: true, freebies: true, ledger: true, revocations: true, lookups: true, spent: true, balances: true, describe: () => "a port" };
const compile = (definitions: unknown) => compileServices(definitions, { field: "L402_SERVICES", secrets: {}, features: ALL, matchRequired: true });
const BASE = [
  { name: "flat", match: ["/flat/*"], price_sats: 5 },
  { name: "ruled", match: ["/ruled/*"], price_sats: 5, price_rules: [{ path: "/ruled/big/*", price_sats: 50 }] },
];

function memoryStore(): OverridesStore & { rows: Map<string, ServiceOverride> } {
  const rows = new Map<string, ServiceOverride>();
  const trail: OverrideChange[] = [];
  return {
    rows,
    read: async () => ({ version: trail.length, overrides: new Map(rows) }),
    async write({ service, override, admin, at, over }) {
      if (over !== trail.length) return undefined;
      trail.push({ id: trail.length + 1, at, admin, service, action: override === null ? "delete" : "set", old: rows.get(service) ?? null, new: override });
      if (override === null) rows.delete(service);
      else rows.set(service, override);
      return trail.length;
    },
    changes: async (limit) => trail.slice(-limit).reverse(),
  };
}

function admin(base: readonly Record<string, unknown>[] = BASE) {
  const store = memoryStore();
  let changed = 0;
  const compiled = compile(base);
  if (!compiled.ok) throw new Error(compiled.detail);
  const app = adminApp({ token: TOKEN, services: compiled.value, ledger: undefined, revocations: undefined, revocationStalenessSeconds: 30, overrides: { base, compile, store, changed: async () => void changed++, visibleWithinSeconds: 10 } });
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.request(path, { method, headers: { Authorization: `Bearer ${TOKEN}`, ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const overrides = { base, compile, store, changed: async () => void changed++, visibleWithinSeconds: 10 };
  return { store, call, changes: () => changed, overrides };
}

describe("run-time service overrides in the admin API", () => {
  it("PATCH changes the fields given and keeps the rest; a price replaces the other unit's; null gives a field back to the config", async () => {
    const { store, call, changes } = admin();
    expect((await call("PUT", "/services/flat", { price_sats: 6, free_paths: ["/flat/free/*"] })).status).toBe(200);
    expect((await call("PATCH", "/services/flat", { price_msat: 6500 })).status).toBe(200);
    expect(store.rows.get("flat")).toEqual({ price_msat: 6500, free_paths: ["/flat/free/*"] });
    expect((await call("PATCH", "/services/flat", { free_paths: null })).status).toBe(200);
    expect(store.rows.get("flat")).toEqual({ price_msat: 6500 });
    // Nothing left: the service is back on its config.
    expect((await call("PATCH", "/services/flat", { price_msat: null })).status).toBe(200);
    expect(store.rows.has("flat")).toBe(false);
    expect(changes()).toBe(4);
  });

  it("refuses a price override on a service priced by request: its tokens carry the price they paid", async () => {
    const { store, call } = admin();
    const response = await call("PUT", "/services/ruled", { price_sats: 9 });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ reason: "bad_request", detail: expect.stringContaining("depends on the request") });
    expect(store.rows.size).toBe(0);
    // Its mode may change all the same.
    expect((await call("PUT", "/services/ruled", { mode: "paused" })).status).toBe(200);
  });

  it("an override the config no longer takes is set aside and named in GET /services; a pause it holds still holds", async () => {
    const { store, call } = admin([{ name: "flat", match: ["/flat/*"], price_sats: 5, schemes: ["mpp"] }]);
    // Stored when the service took msat prices; the config has since made it an "mpp" service (whole sats only).
    store.rows.set("flat", { price_msat: 5500, mode: "paused" });
    const listed = (await (await call("GET", "/services")).json()) as { services: Record<string, unknown>[] };
    expect(listed.services[0]).toMatchObject({ name: "flat", mode: "paused", price_msat: "5000", override: { price_msat: 5500, mode: "paused" }, effective: { price_sats: 5, mode: "paused" } });
    expect(String(listed.services[0]?.["override_problems"])).toMatch(/price_msat: must be whole sats/);
  });

  it("a price override stored before the config priced its service by request is set aside, as the admin API would refuse it now", async () => {
    const { store, call } = admin();
    store.rows.set("ruled", { price_sats: 9 });
    const listed = (await (await call("GET", "/services")).json()) as { services: Record<string, unknown>[] };
    expect(listed.services[1]).toMatchObject({ name: "ruled", price_msat: "5000", override: { price_sats: 9 }, effective: { price_sats: 5 } });
    expect(String(listed.services[1]?.["override_problems"])).toMatch(/depends on the request .* its price override is set aside/);
  });

  it("changeService(), the port a dashboard switches a service with: checked, recorded under the credential's id, nothing recorded for a change of nothing", async () => {
    const { store, overrides } = admin();
    const by = credentialId(TOKEN);
    expect(await changeService(overrides, "flat", { kind: "patch", fields: { mode: "shadow" } }, by)).toMatchObject({ ok: true, override: { mode: "shadow" } });
    expect(await changeService(overrides, "flat", { kind: "patch", fields: { mode: "enforce" } }, by)).toMatchObject({ ok: true, override: { mode: "enforce" } });
    expect(await changeService(overrides, "flat", { kind: "patch", fields: { mode: "off" } }, by)).toMatchObject({ ok: false, status: 400, reason: "invalid_override" });
    expect(await changeService(overrides, "gone", { kind: "patch", fields: { mode: "shadow" } }, by)).toMatchObject({ ok: false, status: 404 });
    expect(await changeService(overrides, "ruled", { kind: "delete" }, by)).toMatchObject({ ok: true, override: null, version: 2 });
    expect((await store.changes(10)).map((change) => [change.admin, change.new])).toEqual([[by, { mode: "enforce" }], [by, { mode: "shadow" }]]);
    expect(by).toMatch(/^[0-9a-f]{8}$/);
  });

  it("writes only over the overrides it read: a change landing in between (a pause) is not overwritten, the later one refused 409", async () => {
    const { store, overrides } = admin();
    const by = credentialId(TOKEN);
    // A pause lands between this change's read of the store and its write.
    const racing = { ...overrides, store: { ...store, read: async () => { const read = await store.read(); await store.write({ service: "flat", override: { mode: "paused" }, admin: "other", at: 1, over: read.version }); return read; } } };
    expect(await changeService(racing, "flat", { kind: "patch", fields: { mode: "shadow" } }, by)).toMatchObject({ ok: false, status: 409, reason: "changed_meanwhile" });
    expect(store.rows.get("flat")).toEqual({ mode: "paused" });
    // Read again, a switch that must not unpause is refused; one that may, is made.
    expect(await changeService(overrides, "flat", { kind: "patch", fields: { mode: "shadow" }, unlessPaused: true }, by)).toMatchObject({ ok: false, status: 409, reason: "service_paused" });
    expect(await changeService(overrides, "flat", { kind: "patch", fields: { mode: "enforce" } }, by)).toMatchObject({ ok: true, override: { mode: "enforce" } });
  });

  it("If-Match: a change made from a version since overtaken (another admin's pause) is a 412, not an overwrite; the version read (ETag) is taken; a bad one is a 400", async () => {
    const { store, call } = admin();
    const listed = await call("GET", "/services");
    const { version } = (await listed.json()) as { version: number };
    expect(listed.headers.get("etag")).toBe(`"${version}"`);
    // Another admin pauses the service after this one read the list.
    expect((await call("PATCH", "/services/flat", { mode: "paused" })).status).toBe(200);
    for (const [method, path, body] of [["PUT", "/services/flat", { price_sats: 30 }], ["PATCH", "/services/flat", { price_sats: 30 }], ["DELETE", "/services/flat/override", undefined]] as const) {
      const late = await call(method, path, body, { "If-Match": `"${version}"` });
      expect([method, late.status, ((await late.json()) as { reason: string }).reason]).toEqual([method, 412, "changed_meanwhile"]);
    }
    expect(store.rows.get("flat")).toEqual({ mode: "paused" });
    // A weak tag never matches (412); something that is no tag at all is a 400.
    expect((await call("PUT", "/services/flat", { price_sats: 30 }, { "If-Match": `W/"${version + 1}"` })).status).toBe(412);
    expect((await call("PUT", "/services/flat", { price_sats: 30 }, { "If-Match": "seven" })).status).toBe(400);
    // Made from the version now in effect: taken.
    const fresh = (await (await call("GET", "/services")).json()) as { version: number };
    expect((await call("PATCH", "/services/flat", { price_sats: 30 }, { "If-Match": `"${version}", ${fresh.version}` })).status).toBe(200);
    expect(store.rows.get("flat")).toEqual({ mode: "paused", price_sats: 30 });
    // * matches whatever is there.
    expect((await call("PATCH", "/services/flat", { price_sats: 31 }, { "If-Match": "*" })).status).toBe(200);
  });

  it("a change to a service since priced by request takes effect without the price kept from before (which set the whole override aside): a pause pauses", async () => {
    const { store, call } = admin();
    store.rows.set("ruled", { price_sats: 9, free_paths: ["/ruled/free/*"] });
    const paused = await call("PATCH", "/services/ruled", { mode: "paused" });
    expect([paused.status, ((await paused.json()) as { override: unknown }).override]).toEqual([200, { mode: "paused", free_paths: ["/ruled/free/*"] }]);
    expect(store.rows.get("ruled")).toEqual({ mode: "paused", free_paths: ["/ruled/free/*"] });
    const listed = (await (await call("GET", "/services")).json()) as { services: Record<string, unknown>[] };
    expect(listed.services[1]).toMatchObject({ name: "ruled", mode: "paused" });
    expect(listed.services[1]?.["override_problems"]).toBeUndefined();
    // A price named by the change itself is still refused.
    expect((await call("PATCH", "/services/ruled", { mode: "enforce", price_sats: 9 })).status).toBe(400);
  });

  it("an override set aside keeps its mode where that gives less away: enforce over a shadow config, a pause; never shadow over enforce", async () => {
    const base = [
      { name: "a", match: ["/a/*"], price_sats: 5, mode: "shadow", schemes: ["mpp"] },
      { name: "b", match: ["/b/*"], price_sats: 5, schemes: ["mpp"] },
      { name: "c", match: ["/c/*"], price_sats: 5, mode: "paused", schemes: ["mpp"] },
    ];
    const { store, call } = admin(base);
    // Each stored with an msat price the config (now "mpp": whole sats) no longer takes.
    store.rows.set("a", { price_msat: 5500, mode: "enforce" });
    store.rows.set("b", { price_msat: 5500, mode: "shadow" });
    store.rows.set("c", { price_msat: 5500, mode: "enforce" });
    const listed = (await (await call("GET", "/services")).json()) as { services: { name: string; mode: string; override_problems?: unknown }[] };
    expect(listed.services.map((service) => [service.name, service.mode, service.override_problems !== undefined])).toEqual([
      ["a", "enforce", true],
      ["b", "enforce", true],
      ["c", "paused", true],
    ]);
  });
});
