import { describe, expect, it } from "vitest";
import { compileServices } from "../../src/config/index.ts";
import { ALL_FEATURES, serviceOf } from "./support/usage-services.ts";

/**
 * A service's usage settings compiled (config/usage-config.ts): what the
 * paywall runs on, in msat, with names and values in the case it compares.
 */
describe("price rules, compiled", () => {
  it("in msat, header names lower case, lengths open-ended where not bounded", () => {
    const { rules } = serviceOf({
      name: "s",
      price_sats: 1,
      price_rules: [
        { methods: ["POST"], path: "/v1/images/:size", params: { size: "Large" }, query: { Quality: "HD" }, headers: { "X-Model": "Big" }, content_length: { min: 10 }, price_sats: 50 },
        { price_msat: "1500", content_length: { max: 20 } },
      ],
    }).pricing;
    expect(rules.map(({ path, ...rule }) => ({ ...rule, path: path?.pathname }))).toEqual([
      { methods: ["POST"], path: "/v1/images/:size", params: new Map([["size", "large"]]), query: new Map([["Quality", "HD"]]), headers: new Map([["x-model", "Big"]]), contentLength: { min: 10, max: Number.POSITIVE_INFINITY }, priceMsat: 50_000n },
      { methods: undefined, path: undefined, params: new Map(), query: new Map(), headers: new Map(), contentLength: { min: 0, max: 20 }, priceMsat: 1500n },
    ]);
  });

  it("parameter values keep their case where the service matches case", () => {
    const { rules } = serviceOf({ name: "s", price_sats: 1, match_case: true, price_rules: [{ path: "/a/:size", params: { size: "Large" }, price_sats: 1 }] }).pricing;
    expect(rules[0]?.params).toEqual(new Map([["size", "Large"]]));
  });
});

describe("the pricer, compiled", () => {
  it("over HTTPS: asked headers lower case, answers not kept by default", () => {
    const pricer = serviceOf({ name: "s", pricer: { url: "https://pricer.example/price?key=k", headers: ["X-Model"] } }).pricing.pricer;
    expect(pricer).toMatchObject({ headers: ["x-model"], cacheSeconds: 0 });
    expect(pricer?.url.href).toBe("https://pricer.example/price?key=k");
  });

  it("through a Service Binding: the binding's own fetch, called as its method", async () => {
    const seen: string[] = [];
    const binding = {
      name: "PRICER",
      async fetch(this: { name: string }, request: Request) {
        seen.push(`${this.name} ${request.method}`);
        return new Response('{"price_msat":"5"}');
      },
    };
    const pricer = serviceOf({ name: "s", pricer: { binding: "PRICER", cache_seconds: 30 } }, { PRICER: binding }).pricing.pricer;
    expect(pricer).toMatchObject({ cacheSeconds: 30 });
    await pricer?.fetch(new Request(pricer.url, { method: "POST", body: "{}" }));
    expect(seen).toEqual(["PRICER POST"]);
  });

  it("compiled to be described, a binding not bound here is never called: asking it fails", async () => {
    const compiled = compileServices([{ name: "s", pricer: { binding: "PRICER" } }], { field: "services", secrets: {}, matchRequired: false, describing: true, features: ALL_FEATURES });
    if (!compiled.ok) throw new Error(compiled.detail);
    await expect(compiled.value[0]?.pricing.pricer?.fetch(new Request("https://x.example/"))).rejects.toThrow();
  });

  it("bind_request is off unless asked", () => {
    expect(serviceOf({ name: "s", price_sats: 1 }).pricing.bindRequest).toBe(false);
    expect(serviceOf({ name: "s", price_sats: 1, bind_request: "true" }).pricing.bindRequest).toBe(true);
  });
});

describe("the balance, compiled", () => {
  it("its offers in msat, each amount with its bonus; its cost header, reservation, charge_on and meter", () => {
    const { balance } = serviceOf({
      name: "chat",
      price_sats: 1,
      balance: { amounts_sats: [1000, "5000"], bonus_sats: { "5000": 250 } },
      cost_header: "X-L402-Cost",
      max_cost_sats: 100,
      charge_on: "success",
    });
    expect(balance).toEqual({
      offers: [
        { amountMsat: 1_000_000n, creditMsat: 1_000_000n },
        { amountMsat: 5_000_000n, creditMsat: 5_250_000n },
      ],
      costHeader: "X-L402-Cost",
      maxCostMsat: 100_000n,
      chargeOn: "success",
      meter: undefined,
    });
  });

  it("charge_on defaults to below_500; a meter names only the prices given", () => {
    const { balance } = serviceOf({ name: "chat", price_sats: 1, balance: { amounts_sats: [10] }, meter: { per_1k_output_tokens_msat: 15000 } });
    expect(balance).toMatchObject({ chargeOn: "below_500", maxCostMsat: undefined, costHeader: undefined, meter: { perThousandOutputTokensMsat: 15_000n } });
    expect(Object.keys(balance?.meter ?? {})).toEqual(["perThousandOutputTokensMsat"]);
  });

  it("none without balance", () => {
    expect(serviceOf({ name: "s", price_sats: 1 }).balance).toBeUndefined();
  });
});
