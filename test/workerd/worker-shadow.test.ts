import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseMasterKeys, toHex } from "../../src/l402/index.ts";
import { paidToken } from "../fixtures/tokens.ts";
import { READ_WAIT_MS } from "../../src/worker/overrides-cache.ts";
import { ADMIN_TOKEN, TEST_MASTER_KEY } from "../fixtures/worker-env.ts";
import { callWithEnv, invoicesWithMemo, originHits, originUrl } from "./support/paywall-client.ts";

/**
 * Shadow mode through the template Worker in workerd: a table of requests a
 * paywall would refuse, challenge or let through, sent with `L402_MODE=shadow`
 * (none blocked, each would-be decision in its log line and the counters, no
 * invoice), then the same requests with enforcement on (the same tokens and
 * prices; the counts shadow kept are not enforcing's).
 */
const keys = parseMasterKeys(TEST_MASTER_KEY);
if (!keys.ok) throw new Error("the test master key does not parse");
const keyring = keys.value;
const now = () => Math.floor(Date.now() / 1000);
const run = crypto.randomUUID().slice(0, 8);
const MEMO = `shadow-${run}`;
const NOTICE = "This API will require a Lightning payment (L402) from 2027-01-01";

const services = () => [
  { name: `sh-api-${run}`, match: [`/sh-${run}/api/*`], price_sats: 10, timeout: 3600, free_paths: [`/sh-${run}/api/free/*`], origin: { url: originUrl() } },
  { name: `sh-other-${run}`, match: [`/sh-${run}/other/*`], price_sats: 3, origin: { url: originUrl() } },
  { name: `sh-rules-${run}`, match: [`/sh-${run}/rules/*`], price_sats: 5, price_rules: [{ path: `/sh-${run}/rules/big/*`, price_sats: 50 }], origin: { url: originUrl() } },
  { name: `sh-once-${run}`, match: [`/sh-${run}/once/*`], price_sats: 2, uses: 1, origin: { url: originUrl() } },
  { name: `sh-vault-${run}`, match: [`/sh-${run}/vault/*`], price_sats: 4, revocable: true, origin: { url: originUrl() } },
  { name: `sh-trial-${run}`, match: [`/sh-${run}/trial/*`], price_sats: 1, freebies: 1, origin: { url: originUrl() } },
];
const svc = (kind: string) => `sh-${kind}-${run}`;
const path = (kind: string, rest: string) => `/sh-${run}/${kind}/${rest}`;

const workerEnv = (mode: "shadow" | "enforce") => ({ ...env, L402_SERVICES: JSON.stringify(services()), L402_MODE: mode, L402_SHADOW_NOTICE: NOTICE, L402_MEMO: MEMO, L402_UNMATCHED: "pass" });
const shadowEnv = workerEnv("shadow");
const enforceEnv = workerEnv("enforce");

const token = (service: string, extra: { validUntil?: number; uses?: number; priceMsat?: bigint } = {}) => paidToken({ keyring, service, validUntil: extra.validUntil ?? now() + 3600, ...extra });
const tokens = {
  valid: token(svc("api")),
  expired: token(svc("api"), { validUntil: now() - 10 }),
  otherService: token(svc("other")),
  small: token(svc("rules"), { priceMsat: 5000n }),
  once: token(svc("once"), { uses: 1 }),
  revoked: token(svc("vault")),
};
const auth = (minted: { authorization: string }) => ({ Authorization: minted.authorization });

interface Case {
  readonly name: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** The would-be decision: outcome, reason, price asked (msat), token id. */
  readonly would: { readonly outcome: string; readonly reason?: string; readonly priceMsat?: string; readonly tokenId?: string };
  /** What enforcing answers the same request. */
  readonly enforced: number;
}

const CASES: Case[] = [
  { name: "no credential", path: path("api", "a"), would: { outcome: "challenged", reason: "missing", priceMsat: "10000" }, enforced: 402 },
  { name: "a valid token", path: path("api", "b"), headers: auth(tokens.valid), would: { outcome: "paid", tokenId: toHex(tokens.valid.tokenId) }, enforced: 200 },
  { name: "an expired token", path: path("api", "c"), headers: auth(tokens.expired), would: { outcome: "challenged", reason: "expired", priceMsat: "10000" }, enforced: 402 },
  { name: "another service's token", path: path("api", "d"), headers: auth(tokens.otherService), would: { outcome: "challenged", reason: "service_mismatch", priceMsat: "10000" }, enforced: 402 },
  { name: "a token for a smaller price", path: path("rules", "big/x"), headers: auth(tokens.small), would: { outcome: "challenged", reason: "price_exceeds_token", priceMsat: "50000" }, enforced: 402 },
  { name: "a bad credential", path: path("api", "e"), headers: { Authorization: "L402 bm90IGEgbWFjYXJvb24=:00" }, would: { outcome: "challenged", reason: "malformed", priceMsat: "10000" }, enforced: 402 },
  { name: "a revoked token", path: path("vault", "a"), headers: auth(tokens.revoked), would: { outcome: "challenged", reason: "revoked", priceMsat: "4000" }, enforced: 402 },
  { name: "a free path", path: path("api", "free/x"), would: { outcome: "free" }, enforced: 200 },
];

const logLines = (spy: { mock: { calls: unknown[][] } }) => spy.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);

afterEach(() => vi.restoreAllMocks());

describe("shadow mode through the Worker", () => {
  it("blocks nothing, logs and counts each would-be decision, issues no invoice; enforcing then blocks with the same tokens and prices", async () => {
    const revoke = await callWithEnv(shadowEnv, `/.well-known/l402/admin/tokens/${toHex(tokens.revoked.tokenId)}/revoke`, { method: "POST", headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(revoke.status).toBe(200);
    const logs = vi.spyOn(console, "log");

    for (const test of CASES) {
      const answer = await callWithEnv(shadowEnv, test.path, { headers: { ...test.headers, "cf-connecting-ip": "198.51.100.7" } });
      expect([test.name, answer.status]).toEqual([test.name, 200]);
      const echoed = (await answer.json()) as { headers: Record<string, string> };
      // As if auth were off: the client's credential and no token id reach the origin.
      expect([test.name, echoed.headers["authorization"], echoed.headers["x-l402-token-id"]]).toEqual([test.name, undefined, undefined]);
      expect(answer.headers.get("x-l402-notice")).toBe(NOTICE);
      expect(await originHits(test.path)).toBe(1);
      const line = logLines(logs).at(-1);
      expect([test.name, line]).toEqual([test.name, expect.objectContaining({ outcome: "shadow", would: test.would.outcome, status: 200 })]);
      expect([test.name, line?.["reason"], line?.["priceMsat"], line?.["tokenId"]]).toEqual([test.name, test.would.reason, test.would.priceMsat, test.would.tokenId]);
    }
    // No invoice for any of them: the node was never asked.
    expect(await invoicesWithMemo(MEMO)).toBe(0);

    // Uses and free allowances are counted apart in shadow: the one-use token's second use would be refused, the client's second request would pay.
    const onceFirst = await callWithEnv(shadowEnv, path("once", "1"), { headers: auth(tokens.once) });
    const onceAgain = await callWithEnv(shadowEnv, path("once", "2"), { headers: auth(tokens.once) });
    const trial = [await callWithEnv(shadowEnv, path("trial", "1"), { headers: { "cf-connecting-ip": "203.0.113.9" } }), await callWithEnv(shadowEnv, path("trial", "2"), { headers: { "cf-connecting-ip": "203.0.113.9" } })];
    expect([onceFirst.status, onceAgain.status, ...trial.map((answer) => answer.status)]).toEqual([200, 200, 200, 200]);
    expect(logLines(logs).slice(-4).map((line) => [line["would"], line["reason"]])).toEqual([["paid", undefined], ["challenged", "exhausted"], ["freebie", undefined], ["challenged", "missing"]]);
    logs.mockRestore();

    // Counted as logged: /metrics of the same isolate.
    const metrics = await callWithEnv(shadowEnv, "/.well-known/l402/admin/metrics", { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    const text = await metrics.text();
    const decisions = (service: string, outcome: string, reason: string) => Number(new RegExp(`^l402_decisions_total\\{service="${service}",outcome="${outcome}",reason="${reason}"\\} (\\d+)$`, "m").exec(text)?.[1] ?? 0);
    expect([
      decisions(svc("api"), "shadow_would_challenged", "missing"),
      decisions(svc("api"), "shadow_would_paid", ""),
      decisions(svc("api"), "shadow_would_challenged", "expired"),
      decisions(svc("api"), "shadow_would_challenged", "service_mismatch"),
      decisions(svc("rules"), "shadow_would_challenged", "price_exceeds_token"),
      decisions(svc("api"), "shadow_would_challenged", "malformed"),
      decisions(svc("vault"), "shadow_would_challenged", "revoked"),
      decisions(svc("api"), "shadow_would_free", ""),
      decisions(svc("once"), "shadow_would_challenged", "exhausted"),
      decisions(svc("trial"), "shadow_would_freebie", ""),
    ]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    // What the withheld 402s would have asked: four on sh-api at 10 sats (missing, expired, service_mismatch, malformed).
    const asked = [...text.matchAll(new RegExp(`^l402_asked_msat_total\\{service="${svc("api")}",outcome="shadow_would_challenged",reason="[a-z_]+"\\} (\\d+)$`, "gm"))].map((match) => Number(match[1]));
    expect(asked.reduce((sum, msat) => sum + msat, 0)).toBe(40_000);

    // Enforcing: the same requests blocked or passed as the table says, the same tokens valid.
    for (const test of CASES) {
      const answer = await callWithEnv(enforceEnv, test.path, { headers: { ...test.headers, "cf-connecting-ip": "198.51.100.7" } });
      expect([test.name, answer.status]).toEqual([test.name, test.enforced]);
      if (test.enforced === 402) expect([test.name, ((await answer.json()) as { reason: string; price_msat: string }).reason]).toEqual([test.name, test.would.reason]);
      else await answer.body?.cancel();
      expect([test.name, answer.headers.get("x-l402-notice")]).toEqual([test.name, null]);
    }
    expect(await originHits(path("api", "a"))).toBe(1);
    // The one-use token and the client's free request were not spent in shadow.
    expect((await callWithEnv(enforceEnv, path("once", "3"), { headers: auth(tokens.once) })).status).toBe(200);
    expect((await callWithEnv(enforceEnv, path("once", "4"), { headers: auth(tokens.once) })).status).toBe(402);
    expect((await callWithEnv(enforceEnv, path("trial", "3"), { headers: { "cf-connecting-ip": "203.0.113.9" } })).status).toBe(200);
    expect((await callWithEnv(enforceEnv, path("trial", "4"), { headers: { "cf-connecting-ip": "203.0.113.9" } })).status).toBe(402);
    expect(await invoicesWithMemo(MEMO)).toBeGreaterThan(0);
  });

  it("a service's own mode: shadow for one, the others enforce", async () => {
    const own = { ...env, L402_SERVICES: JSON.stringify([{ ...services()[0], mode: "shadow" }, services()[1]]), L402_MEMO: MEMO };
    const shadowed = await callWithEnv(own, path("api", "own"));
    expect(shadowed.status).toBe(200);
    expect(shadowed.headers.get("x-l402-notice")).toBeNull();
    await shadowed.body?.cancel();
    expect((await callWithEnv(own, path("other", "own"))).status).toBe(402);
    // Nothing is sold in shadow, not even asked for: a quote mints no invoice or token.
    const quote = (name: string) => callWithEnv(own, "/l402/quote", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ service: name }) });
    const refused = await quote(svc("api"));
    expect([refused.status, await refused.json()]).toEqual([503, { error: expect.objectContaining({ code: "service_in_shadow" }) }]);
    expect((await quote(svc("other"))).status).toBe(200);
    const listed = (await (await callWithEnv(own, "/.well-known/l402/admin/services", { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { services: { name: string; mode: string }[] };
    expect(listed.services.map((service) => [service.name, service.mode])).toEqual([[svc("api"), "shadow"], [svc("other"), "enforce"]]);
  });

  it("L402_MODE = shadow leaves a paused service paused: 503, nothing reaches the origin free", async () => {
    const paused = { ...shadowEnv, L402_SERVICES: JSON.stringify([{ ...services()[0], mode: "paused" }, services()[1]]) };
    const answer = await callWithEnv(paused, path("api", "paused"));
    expect([answer.status, await answer.json()]).toEqual([503, expect.objectContaining({ reason: "service_paused" })]);
    expect(await originHits(path("api", "paused"))).toBe(0);
    const other = await callWithEnv(paused, path("other", "paused"));
    await other.body?.cancel();
    expect(other.status).toBe(200);
  });

  it("a bad mode or notice is a configuration error (500), never a silent default", async () => {
    for (const bad of [{ L402_MODE: "dry-run" }, { L402_SHADOW_NOTICE: "two\nlines" }, { L402_SERVICES: JSON.stringify([{ ...services()[0], mode: "dry-run" }]) }]) {
      const answer = await callWithEnv({ ...env, ...bad }, path("api", "bad"));
      expect(answer.status).toBe(500);
      expect(await answer.json()).toMatchObject({ reason: "misconfigured" });
    }
    expect(await originHits(path("api", "bad"))).toBe(0);
  });
});

describe("shadow switched to enforcing at run time from the admin API", () => {
  it("a service in shadow through the override store lets every request through; PATCH mode enforce, and within the bound the same requests get 402 or 200 as enforcing does, the same tokens valid; and back", async () => {
    const TTL_SECONDS = 1;
    const bound = () => Date.now() + TTL_SECONDS * 1000 + READ_WAIT_MS + 1000;
    // Two isolates: the change is made through one, seen by the other through the store within the TTL.
    const isolate = (): object => ({ ...env, L402_SERVICES: JSON.stringify(services()), L402_MEMO: MEMO, L402_UNMATCHED: "pass", L402_OVERRIDES: "on", L402_OVERRIDES_TTL: String(TTL_SECONDS) });
    const [writer, reader] = [isolate(), isolate()];
    const admin = (body: unknown) => callWithEnv(writer, `/.well-known/l402/admin/services/${svc("api")}`, { method: "PATCH", headers: { Authorization: `Bearer ${ADMIN_TOKEN}` }, body: JSON.stringify(body) });
    const table = CASES.filter((test) => !test.path.includes("/vault/") && !test.path.includes("/rules/"));
    const statuses = async (marker: string) => {
      const seen: [string, number][] = [];
      for (const test of table) {
        const answer = await callWithEnv(reader, `${test.path}-${marker}`, { headers: { ...test.headers } });
        await answer.body?.cancel();
        seen.push([test.name, answer.status]);
      }
      return seen;
    };
    const allPass = table.map((test): [string, number] => [test.name, 200]);
    const enforced = table.map((test): [string, number] => [test.name, test.enforced]);
    const eventually = async (want: [string, number][], marker: string) => {
      const deadline = bound();
      for (let round = 0; ; round++) {
        const seen = await statuses(`${marker}${round}`);
        if (JSON.stringify(seen) === JSON.stringify(want)) return;
        if (Date.now() > deadline) expect(seen).toEqual(want);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    expect((await admin({ mode: "shadow" })).status).toBe(200);
    await eventually(allPass, "shadow");
    expect(await statuses("shadow-again")).toEqual(allPass);
    expect(await originHits(path("api", "a-shadow-again"))).toBe(1);

    const enforce = await admin({ mode: "enforce" });
    expect([enforce.status, await enforce.json()]).toEqual([200, expect.objectContaining({ service: svc("api"), visible_within_seconds: TTL_SECONDS })]);
    await eventually(enforced, "enforce");
    expect(await statuses("enforce-again")).toEqual(enforced);
    expect(await originHits(path("api", "a-enforce-again"))).toBe(0);
    // Only sh-api was switched: the other services enforce as the config says, throughout.
    expect((await callWithEnv(reader, path("other", "x"))).status).toBe(402);

    expect((await admin({ mode: "shadow" })).status).toBe(200);
    await eventually(allPass, "back");

    // The reader's counters kept through each rebuild of its app: shadow's would-be decisions and enforcing's are both there.
    const text = await (await callWithEnv(reader, "/.well-known/l402/admin/metrics", { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    const count = (outcome: string, reason: string) => Number(new RegExp(`^l402_decisions_total\\{service="${svc("api")}",outcome="${outcome}",reason="${reason}"\\} (\\d+)$`, "m").exec(text)?.[1] ?? 0);
    expect(count("shadow_would_challenged", "missing")).toBeGreaterThanOrEqual(3);
    expect(count("challenged", "missing")).toBeGreaterThanOrEqual(2);
    expect(count("paid", "")).toBeGreaterThanOrEqual(2);
  });
});

describe("L402_MODE = shadow with run-time overrides on", () => {
  it("every service but a paused one is in shadow as without overrides, and an override switches one to enforce while the others stay in shadow", async () => {
    const TTL_SECONDS = 1;
    const [one, two] = [`sh-global-${run}`, `sh-global2-${run}`];
    const definitions = [
      { name: one, match: [`/sh-${run}/global/*`], price_sats: 10, origin: { url: originUrl() } },
      { name: two, match: [`/sh-${run}/global2/*`], price_sats: 10, origin: { url: originUrl() } },
      // Paused stays paused: shadow would let every request in free.
      { name: `sh-global3-${run}`, match: [`/sh-${run}/global3/*`], price_sats: 10, mode: "paused", origin: { url: originUrl() } },
    ];
    const isolate = { ...env, L402_SERVICES: JSON.stringify(definitions), L402_MODE: "shadow", L402_MEMO: MEMO, L402_OVERRIDES: "on", L402_OVERRIDES_TTL: String(TTL_SECONDS) };
    const status = async (path: string) => {
      const answer = await callWithEnv(isolate, path);
      await answer.body?.cancel();
      return answer.status;
    };
    expect([await status(`/sh-${run}/global/a`), await status(`/sh-${run}/global2/a`), await status(`/sh-${run}/global3/a`)]).toEqual([200, 200, 503]);
    expect(await originHits(`/sh-${run}/global/a`)).toBe(1);

    const patch = await callWithEnv(isolate, `/.well-known/l402/admin/services/${one}`, { method: "PATCH", headers: { Authorization: `Bearer ${ADMIN_TOKEN}` }, body: JSON.stringify({ mode: "enforce" }) });
    expect(patch.status).toBe(200);
    const deadline = Date.now() + TTL_SECONDS * 1000 + READ_WAIT_MS + 1000;
    for (let round = 0; (await status(`/sh-${run}/global/b${round}`)) !== 402; round++) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await status(`/sh-${run}/global2/b`)).toBe(200);
  });
});

describe("an origin that fails in shadow", () => {
  it("is counted as origin_error, with neither the would-be decision's reason nor its price (what 402s would have asked)", async () => {
    const name = `sh-down-${run}`;
    const shadow = { ...env, L402_SERVICES: JSON.stringify([{ name, match: [`/sh-${run}/down/*`], price_sats: 7, origin: { url: "http://127.0.0.1:9" } }]), L402_MODE: "shadow", L402_MEMO: MEMO };
    const logs = vi.spyOn(console, "log");
    const response = await callWithEnv(shadow, `/sh-${run}/down/x`);
    expect([response.status, await response.json()]).toEqual([502, expect.objectContaining({ reason: "origin_unreachable" })]);
    const line = logLines(logs).find((entry) => entry["service"] === name);
    expect(line).toMatchObject({ outcome: "origin_error", reason: "origin_unreachable" });
    expect(line).not.toHaveProperty("priceMsat");
    expect(line).not.toHaveProperty("would");
    const text = await (await callWithEnv(shadow, "/.well-known/l402/admin/metrics", { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    expect(text).toMatch(new RegExp(`^l402_decisions_total\\{service="${name}",outcome="origin_error",reason="origin_unreachable"\\} 1$`, "m"));
    expect(text).not.toContain(`l402_asked_msat_total{service="${name}"`);
  });
});
