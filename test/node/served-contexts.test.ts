import * as v from "valibot";
import { beforeAll, describe, expect, it } from "vitest";
import type { PaymentContextClaims } from "../../src/context/claims.ts";
import { contextKeysSetting, importContextKeys, signPaymentContext, type ContextKeys } from "../../src/context/index.ts";
import { memoryServedContexts, verifyPaymentContext, type ServedContexts } from "../../src/origin/index.ts";
import { contextKey } from "../fixtures/context-keys.ts";

const AUDIENCE = "https://origin.example";
let keys: ContextKeys;

beforeAll(async () => {
  keys = await importContextKeys(v.parse(contextKeysSetting, JSON.stringify([await contextKey("2026-12")])));
});

/** A context the paywall would sign for GET /item, good for 120 s from now. */
async function context(jti: string, change: Partial<PaymentContextClaims> = {}): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  const claims: PaymentContextClaims = { iss: "https://paywall.example", aud: AUDIENCE, sub: "ab".repeat(32), iat, exp: iat + 120, jti, svc: "item", scheme: "l402", amount_msat: "1000", method: "GET", path: "/item", query: "", ...change };
  return signPaymentContext(keys.signer, claims);
}

const request = (jws: string, path = "/item") => ({ method: "GET", url: path, headers: { "payment-context": jws } });
const verifyOnce = (jws: string, once: ServedContexts, path?: string) => verifyPaymentContext(request(jws, path), { jwks: { keys: [...keys.jwks.keys] }, audience: AUDIENCE, once });

describe("a payment context served once (verifyPaymentContext's once)", () => {
  it("the first request is served, the same context again is refused as replayed; another context is served", async () => {
    const once = memoryServedContexts();
    const first = await context("jti-1");
    expect(await verifyOnce(first, once)).toMatchObject({ ok: true, claims: { jti: "jti-1" } });
    expect(await verifyOnce(first, once)).toEqual({ ok: false, reason: "replayed", detail: "this payment context was served before" });
    expect(await verifyOnce(await context("jti-2"), once)).toMatchObject({ ok: true });
    // Without once, a context is good until its exp, as many times as it comes.
    expect(await verifyPaymentContext(request(first), { jwks: { keys: [...keys.jwks.keys] }, audience: AUDIENCE })).toMatchObject({ ok: true });
  });

  it("a context refused for another reason (another request's) keeps its jti for its own request", async () => {
    const once = memoryServedContexts();
    const jws = await context("jti-3");
    expect(await verifyOnce(jws, once, "/other")).toMatchObject({ ok: false, reason: "request_mismatch" });
    expect(await verifyOnce(jws, once)).toMatchObject({ ok: true });
  });

  it("a jti is kept until its exp and the clock tolerance, then swept out to make room", () => {
    let now = 1_000;
    const once = memoryServedContexts({ maxEntries: 1, now: () => now });
    expect(once.add("a", 1_005)).toBe("added");
    now = 1_005;
    expect([once.add("a", 1_005), once.add("b", 1_050)]).toEqual(["seen", "full"]);
    // Within seconds of the last sweep: a full store sweeps once a kept jti may go.
    now = 1_006;
    expect([once.add("b", 1_050), once.add("b", 1_050)]).toEqual(["added", "seen"]);
    expect(() => once.add("c", Number.NaN)).toThrow(RangeError);
  });

  it("full: a new context is refused until kept ones expire, never served unrecorded", async () => {
    let now = 1_000;
    const once = memoryServedContexts({ maxEntries: 2, now: () => now });
    expect([once.add("a", 1_100), once.add("b", 1_200), once.add("c", 1_200)]).toEqual(["added", "added", "full"]);
    expect(once.add("a", 1_100)).toBe("seen");
    now = 1_101;
    // "a" expired: swept out to make room.
    expect(once.add("c", 1_200)).toBe("added");
    expect(once.add("b", 1_200)).toBe("seen");
    const full = memoryServedContexts({ maxEntries: 1 });
    expect(await verifyOnce(await context("jti-4"), full)).toMatchObject({ ok: true });
    expect(await verifyOnce(await context("jti-5"), full)).toMatchObject({ ok: false, reason: "replay_cache_full" });
  });

  it("a store of the origin's own (shared by its instances) is asked with the jti and its exp plus the tolerance and a minute (its clock may be ahead), and may answer later", async () => {
    const asked: [string, number][] = [];
    const shared: ServedContexts = {
      add: async (jti, keepUntil) => {
        asked.push([jti, keepUntil]);
        return asked.filter(([seen]) => seen === jti).length > 1 ? "seen" : "added";
      },
    };
    const jws = await context("jti-6", { exp: 4_000_000_000 });
    const options = { jwks: { keys: [...keys.jwks.keys] }, audience: AUDIENCE, once: shared, clockTolerance: 30.5 };
    expect(await verifyPaymentContext(request(jws), options)).toMatchObject({ ok: true });
    expect(await verifyPaymentContext(request(jws), options)).toMatchObject({ ok: false, reason: "replayed" });
    // Whole seconds, as Redis's EXAT takes them.
    expect(asked).toEqual([["jti-6", 4_000_000_091], ["jti-6", 4_000_000_091]]);
  });

  it("a store that fails (a shared store down) refuses the context, as unavailable, without throwing", async () => {
    const failing: ServedContexts = { add: () => Promise.reject(new Error("connection refused")) };
    expect(await verifyOnce(await context("jti-7"), failing)).toEqual({ ok: false, reason: "replay_store_unavailable", detail: "the record of contexts served could not be read or written" });
    const throwing: ServedContexts = {
      add: () => {
        throw new Error("no");
      },
    };
    expect(await verifyOnce(await context("jti-8"), throwing)).toMatchObject({ ok: false, reason: "replay_store_unavailable" });
  });

  it("a clock tolerance that is not a number of seconds is a TypeError (jose's \"30s\" would make exp + tolerance a string)", async () => {
    const jws = await context("jti-9");
    for (const clockTolerance of ["30s", -1, Number.POSITIVE_INFINITY]) {
      await expect(verifyPaymentContext(request(jws), { jwks: { keys: [...keys.jwks.keys] }, audience: AUDIENCE, once: memoryServedContexts(), clockTolerance: clockTolerance as number })).rejects.toThrow(TypeError);
    }
  });

  it("a bad bound is a RangeError", () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN]) expect(() => memoryServedContexts({ maxEntries })).toThrow(RangeError);
  });
});
