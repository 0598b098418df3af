import { describe, expect, it } from "vitest";
import { compileServices } from "../../src/config/index.ts";
import { ALL_FEATURES, problemsOf, serviceOf } from "./support/usage-services.ts";

/**
 * What selling by usage needs of the rest of a service (config/schema.ts):
 * settings that cannot work together are refused, each problem naming its
 * field.
 */
const chat = (extra: Record<string, unknown>) => ({ name: "chat", price_sats: 1, balance: { amounts_sats: [10] }, ...extra });

describe("a balance service", () => {
  it("compiles alone, and with a cost header, a reservation, charge_on, or a meter", () => {
    expect(problemsOf([chat({}), chat({ name: "b", cost_header: "X-L402-Cost", max_cost_sats: 5, charge_on: "always" }), chat({ name: "c", meter: { per_kib_msat: 1 } })])).toEqual([]);
  });

  it.each([
    [{ schemes: ["l402", "mpp"] }, 'services "chat".balance: needs the schemes to be ["l402"] (a Payment charge or an x402 payment buys one request, not a balance)'],
    [{ schemes: ["mpp"] }, 'services "chat".balance: needs the schemes to be ["l402"]'],
    [{ uses: 5 }, 'services "chat".balance: cannot be given with uses: a balance is debited by cost, not counted'],
    [{ bind_request: true }, 'services "chat".balance: cannot be given with bind_request: a balance token makes many requests'],
    [{ cost_header: "X-L402-Cost", meter: { per_kib_msat: 1 } }, 'services "chat".cost_header: cannot be given with meter: the stream\'s cost is counted as it passes'],
  ])("%j → %s", (extra, problem) => {
    expect(problemsOf([chat(extra)]).join("\n")).toContain(problem);
  });

  it("needs the balances feature, named as the host names it", () => {
    expect(problemsOf([chat({})], { features: { balances: false } })).toEqual(['services "chat".balance: needs a balances port']);
  });

  // A browser's payment page sells access and keeps the credential in a cookie: it neither offers
  // credit nor pays a top-up, so a person paying there would buy a balance they cannot top up.
  it("is not sold to browsers", () => {
    expect(problemsOf([chat({ browser: true })])).toEqual(['services "chat".browser: cannot be given with balance: the 402 page sells access, not credit or its top-ups']);
  });
});

describe("what only a balance has", () => {
  it.each([
    [{ cost_header: "X-L402-Cost" }, 'services "s".cost_header: needs balance (a cost is debited from a prepaid balance)'],
    [{ max_cost_sats: 5 }, 'services "s".max_cost_sats: needs balance (a cost is debited from a prepaid balance)'],
    [{ charge_on: "success" }, 'services "s".charge_on: needs balance or uses (which answers are charged: a cost debited, a use kept)'],
    [{ meter: { per_kib_msat: 1 } }, 'services "s".meter: needs balance (a cost is debited from a prepaid balance)'],
  ])("%j without one → %s", (extra, problem) => {
    expect(problemsOf([{ name: "s", price_sats: 1, ...extra }])).toEqual([problem]);
  });

  it("charge_on is a uses service's too: which answers keep the use they took", () => {
    expect(problemsOf([{ name: "s", price_sats: 1, uses: 5, charge_on: "success" }], { features: { meter: true } })).toEqual([]);
    expect(problemsOf([{ name: "s", price_sats: 1, uses: 5, charge_on: "sometimes" }], { features: { meter: true } }).join("\n")).toContain('must be "below_500", "success" or "always"');
  });

  it("a meter that cannot give a use back keeps one for every answer: charge_on then defaults to always, and any other is refused", () => {
    const features = { meter: true, meterGivesBack: false };
    expect(problemsOf([{ name: "s", price_sats: 1, uses: 5, charge_on: "always" }], { features })).toEqual([]);
    for (const chargeOn of ["success", "below_500"]) {
      expect(problemsOf([{ name: "s", price_sats: 1, uses: 5, charge_on: chargeOn }], { features })).toEqual([
        'services "s".charge_on: needs a meter port that gives a use back (giveBack), to keep none for an answer it does not charge: add it, or set "always"',
      ]);
    }
    const compiled = compileServices([{ name: "s", price_sats: 1, uses: 5 }], { field: "services", secrets: {}, matchRequired: false, features: { ...ALL_FEATURES, ...features } });
    expect(compiled.ok && compiled.value[0]?.usesChargeOn).toBe("always");
    expect(serviceOf({ name: "s", price_sats: 1, uses: 5 }).usesChargeOn).toBe("below_500");
  });
});

describe("how a request is priced", () => {
  const price = () => 1000;
  it("a pricer and a price function are one too many", () => {
    expect(problemsOf([{ name: "s", pricer: { url: "https://p.example" }, price }])).toEqual(['services "s".pricer: cannot be given with a price function: which one prices a request?']);
    expect(problemsOf([{ name: "s", price }])).toEqual([]);
    expect(problemsOf([{ name: "s", price: 1000 }]).join("\n")).toContain('services "s".price: must be a function of the request');
  });

  it("a pricer's binding must be a Service Binding of this host (anything with a fetch)", () => {
    const pricer = { binding: "PRICER" };
    expect(problemsOf([{ name: "s", pricer }])).toEqual(['services "s".pricer.binding: is not a Service Binding of this Worker']);
    expect(problemsOf([{ name: "s", pricer }], { secrets: { PRICER: "https://p.example" } })).toEqual(['services "s".pricer.binding: is not a Service Binding of this Worker']);
    expect(problemsOf([{ name: "s", pricer }], { secrets: { PRICER: { fetch: async () => new Response("{}") } } })).toEqual([]);
  });

  it("msat rule prices on a Payment-scheme service are whole sats", () => {
    const rules = [{ path: "/a", price_msat: 1000 }, { path: "/b", price_msat: 1500 }];
    expect(problemsOf([{ name: "s", price_sats: 1, schemes: ["l402", "mpp"], price_rules: rules }])).toEqual(['services "s".price_rules[1].price_msat: must be whole sats for the "mpp" scheme (its lightning charge prices in sats)']);
  });
});

describe("names a schema's records would leave out unsaid", () => {
  it.each(["constructor", "prototype", "__proto__"])("a price rule's query or header, or an origin header, named %s is refused, never a rule with no condition", (name) => {
    // Parsed from JSON, as the template reads its vars: the name is the object's own.
    const rules = JSON.parse(`[{ "query": { "${name}": "lite" }, "price_sats": 1 }, { "headers": { "${name}": "x" }, "price_sats": 1 }]`) as unknown[];
    const problems = problemsOf([{ name: "s", match: ["/s/*"], price_sats: 100, price_rules: rules }]).join("\n");
    expect(problems).toContain('services "s".price_rules[0].query: may not name "__proto__", "constructor", "prototype"');
    expect(problems).toContain('services "s".price_rules[1].headers: may not name');
    const origin = JSON.parse(`{ "url": "https://o.example", "headers": { "${name}": "x" } }`) as unknown;
    expect(problemsOf([{ name: "s", match: ["/s/*"], price_sats: 1, origin }]).join("\n")).toContain('services "s".origin.headers: may not name');
  });
});
