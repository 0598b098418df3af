import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/worker/load-config.ts";

/**
 * The template Worker's whole-sat check (worker/load-config.ts) over the
 * prices selling by usage adds: a backend that invoices whole sats cannot
 * sell a rule's msat price, so the config says so at once rather than at
 * the first challenge (or by rounding the price up unannounced).
 */
const phoenixd = { L402_MASTER_KEYS: "44".repeat(32), L402_BACKEND: "phoenixd", PHOENIXD_URL: "https://x.example", PHOENIXD_PASSWORD: "correct-horse" };
const problemsOf = (services: unknown[], env: Record<string, unknown> = phoenixd): readonly string[] => {
  const result = parseConfig({ ...env, L402_SERVICES: services });
  return result.ok ? [] : result.problems;
};

describe("prices on a whole-sat backend", () => {
  it("a price rule's msat price that is not whole sats is refused, naming the rule", () => {
    const rules = [{ path: "/a/big", price_msat: 2000 }, { path: "/a/odd", price_msat: 1500 }, { path: "/a/sats", price_sats: 3 }];
    expect(problemsOf([{ name: "a", match: ["/a/*"], price_sats: 1, price_rules: rules }])).toEqual(['L402_SERVICES "a".price_rules[1].price_msat: phoenixd invoices are in whole sats (L402_BACKEND)']);
  });

  it("a balance service's prices are debits, never invoiced (its credit offers are whole sats): taken in msat", () => {
    expect(problemsOf([{ name: "a", match: ["/a/*"], price_msat: 500, price_rules: [{ path: "/a/odd", price_msat: 1500 }], balance: { amounts_sats: [10] } }], { ...phoenixd, L402_BALANCES: {} })).toEqual([]);
  });

  it("a free service's rules are not invoiced; LND takes msat", () => {
    const rules = [{ path: "/a/odd", price_msat: 1500 }];
    expect(problemsOf([{ name: "a", match: ["/a/*"], auth: false, price_rules: rules }])).toEqual([]);
    const lnd = { L402_MASTER_KEYS: "44".repeat(32), LND_REST_URL: "https://node.example:8080/", LND_MACAROON: "0201ab" };
    expect(problemsOf([{ name: "a", match: ["/a/*"], price_sats: 1, price_rules: rules }], lnd)).toEqual([]);
  });
});

describe("run-time overrides' settings", () => {
  const service = [{ name: "a", match: ["/a/*"], price_sats: 1 }];
  it("are checked as every setting is: a bad value, or overrides without their D1 binding, is named", () => {
    expect(problemsOf(service, { ...phoenixd, L402_OVERRIDES: "yes", L402_OVERRIDES_TTL: "0" })).toEqual(['L402_OVERRIDES: must be "on" or "off"', "L402_OVERRIDES_TTL: must be an integer from 1 to 3600"]);
    expect(problemsOf(service, { ...phoenixd, L402_OVERRIDES: "on" })).toEqual(['L402_OVERRIDES: "on" needs the L402_LEDGER D1 binding (see wrangler.toml)']);
    const on = parseConfig({ ...phoenixd, L402_OVERRIDES: "on", L402_LEDGER: {}, L402_SERVICES: service });
    expect(on.ok && on.value.overridesTtlSeconds).toBe(10);
  });

  it("the effective services are compiled as the config's: an msat price on a whole-sat backend is refused there too", () => {
    const loaded = parseConfig({ ...phoenixd, L402_SERVICES: service });
    if (!loaded.ok) throw new Error(loaded.detail);
    expect(loaded.value.compileServices([{ ...service[0], price_sats: undefined, price_msat: 1500 }])).toMatchObject({ ok: false, problems: ['L402_SERVICES "a".price_msat: phoenixd invoices are in whole sats (L402_BACKEND)'] });
  });
});

describe("the admin token", () => {
  const service = [{ name: "a", match: ["/a/*"], price_sats: 1 }];
  const problem = "L402_ADMIN_TOKEN: must be 32 characters or more of a bearer token's: letters, digits, - . _ ~ + / and trailing = (e.g. npx l402-edge keygen)";
  it("is what a Bearer credential can carry (RFC 6750's token68): a token with another character could never be presented, so the admin API would answer 401 to every call", () => {
    for (const token of ["a".repeat(31), `${"a".repeat(32)} b`, `${"a".repeat(32)},`, `"${"a".repeat(32)}"`, `${"a".repeat(32)}é`, `${"a".repeat(32)}=x`]) {
      expect(problemsOf(service, { ...phoenixd, L402_ADMIN_TOKEN: token }), token).toEqual([problem]);
    }
    for (const token of ["ab".repeat(32), "a-rotated-admin-token-0123456789abcdef", `${"A/+_~.".repeat(6)}==`]) {
      expect(problemsOf(service, { ...phoenixd, L402_ADMIN_TOKEN: token }), token).toEqual([]);
    }
  });
});
