import { describe, expect, it } from "vitest";
import { parseConfig, type Config } from "../../src/config/index.ts";
import { literalPath } from "../../src/config/schema.ts";

const base = { L402_MASTER_KEYS: "44".repeat(32), LND_REST_URL: "https://node.example:8080/", LND_MACAROON: "0201ab" };
const configOf = (services: unknown[], extra: Record<string, unknown> = {}): Config => {
  const result = parseConfig({ ...base, L402_SERVICES: services, ...extra });
  if (!result.ok) throw new Error(result.problems.join("; "));
  return result.value;
};
const errorsOf = (services: unknown, extra: Record<string, unknown> = {}): readonly string[] => {
  const result = parseConfig({ ...base, L402_SERVICES: services, ...extra });
  return result.ok ? [] : result.problems;
};

describe("configuration", () => {
  it("defaults: mainnet, 404 for unmatched, 10-minute invoices, 5 s node timeout", () => {
    const config = configOf([{ name: "a", match: ["/a/*"], price_sats: 1 }]);
    expect(config).toMatchObject({ network: "mainnet", unmatched: "404", invoiceExpirySeconds: 600, memo: "{service} API access", location: "l402", originAuthHeader: "X-L402-Origin-Auth" });
    expect(config.node).toEqual({ backend: "lnd", url: "https://node.example:8080", macaroonHex: "0201ab", timeoutMs: 5000 });
    expect(config.services[0]?.priceMsat).toBe(1000n);
  });

  it("accepts the services as JSON text too (a var set from the command line)", () => {
    expect(configOf(JSON.stringify([{ name: "a", match: ["/a"], price_msat: "1500" }]) as never).services[0]?.priceMsat).toBe(1500n);
  });

  it.each([
    [[{ name: "a", match: ["/a"] }], "L402_SERVICES[0]: needs exactly one of price_sats or price_msat"],
    [[{ name: "a", match: ["/a"], price_sats: 1, price_msat: 1000 }], "L402_SERVICES[0]: needs exactly one of price_sats or price_msat"],
    [[{ name: "a", match: ["/a"], price_sats: 1.5 }], "L402_SERVICES[0].price_sats: must be a positive integer"],
    [[{ name: "a", match: [], price_sats: 1 }], "L402_SERVICES[0].match: must list at least one pattern"],
    [[{ name: "a", match: ["a"], price_sats: 1 }], "L402_SERVICES[0].match[0]: must be /path or host/path"],
    [[{ name: "a b", match: ["/a"], price_sats: 1 }], "L402_SERVICES[0].name: must be letters"],
    [[{ name: "a", match: ["/a"], price_sats: 1 }, { name: "a", match: ["/b"], price_sats: 1 }], 'service name "a" is used twice'],
    [[{ name: "a", match: ["/a"], price_sats: 1, prize: 2 }], 'L402_SERVICES[0]: has an unknown setting "prize"'],
    [[{ name: "a", match: ["/a"], price_sats: 1, capabilities: ["r"], capability_rules: [{ path: "/a", capability: "w" }] }], "capability_rules[0].capability: is not one of the service's capabilities"],
    [[{ name: "a", match: ["/a"], price_sats: 1, origin: { headers: { "X-L402-Token-Id": "x" } } }], 'origin.headers: "X-L402-Token-Id" is not a header name the paywall lets a service set'],
    [[{ name: "a", match: ["/a"], price_sats: 1, origin: { url: "https://u:p@x.example" } }], "origin.url: must not carry credentials"],
    [[{ name: "a", match: ["/a"], price_sats: 1, origin: { strip_prefix: "/a" } }], "origin.strip_prefix: needs origin.url"],
    [[{ name: "a", match: ["/a"], price_sats: 1, timeout: 0 }], "L402_SERVICES[0].timeout: must be an integer from 1"],
    [[{ name: "a", match: ["/a"], price_sats: 1, browser: true }], "L402_SERVICES[0].browser: needs the L402_LOOKUPS Durable Object binding (see wrangler.toml)"],
    [[{ name: "a", match: ["/a"], price_sats: 1, browser: "yes" }], "L402_SERVICES[0].browser: must be true or false"],
    // The cookies are __Host- cookies now (Path=/): a config still naming cookie_path is told so, whatever its value.
    [[{ name: "a", match: ["/a"], price_sats: 1, cookie_path: "/a" }], "L402_SERVICES[0].cookie_path: is no longer a setting: the cookies are host-wide __Host- cookies named per service (__Host-l402-token-<name>, Path=/); remove it"],
    [[{ name: "a", match: ["/a"], price_sats: 1, browser: true, cookie_path: "/a; Domain=evil" }], "L402_SERVICES[0].cookie_path: is no longer a setting"],
    [[{ name: "a", match: ["/a"], price_sats: 1, title: "" }], "L402_SERVICES[0].title: must be 1 to 80 characters, without control characters"],
    [[{ name: "a", match: ["/a"], price_sats: 1, title: "x".repeat(81) }], "L402_SERVICES[0].title: must be 1 to 80 characters"],
    [[{ name: "a", match: ["/a"], price_sats: 1, title: "two\nlines" }], "L402_SERVICES[0].title: must be 1 to 80 characters"],
    [[], "L402_SERVICES: must be a non-empty array"],
    ["{", "L402_SERVICES: is not valid JSON"],
  ])("refuses %j", (services, message) => {
    expect(errorsOf(services).join("\n")).toContain(message);
  });

  it("never quotes a value it refuses: any of them may be a secret", () => {
    const secret = "s3cr3t-VALUE-42";
    const errors = errorsOf([{ name: "a", match: ["/a"], price_sats: secret, timeout: secret, origin: { url: secret, headers: { "X-Key": 7 } } }], {
      LND_MACAROON: secret, L402_ADMIN_TOKEN: secret, L402_MASTER_KEYS: secret, LND_REST_URL: secret, L402_NETWORK: secret, L402_INVOICE_EXPIRY: secret, L402_MEMO: `${secret}\n`,
    });
    expect(errors.length).toBeGreaterThanOrEqual(10);
    expect(errors.join("\n")).not.toContain(secret);
  });

  it("refuses bad globals, naming each", () => {
    const errors = errorsOf([{ name: "a", match: ["/a"], price_sats: 1 }], {
      L402_NETWORK: "moon", L402_UNMATCHED: "maybe", LND_REST_URL: "node", LND_MACAROON: "xyz", L402_INVOICE_EXPIRY: "5", L402_MASTER_KEYS: "00", LND_TIMEOUT_MS: "1",
    }).join("\n");
    for (const field of ["L402_NETWORK", "L402_UNMATCHED", "LND_REST_URL", "LND_MACAROON", "L402_INVOICE_EXPIRY", "L402_MASTER_KEYS", "LND_TIMEOUT_MS"]) expect(errors).toContain(field);
  });
});

describe("the 402 page's words", () => {
  it("a service's title and description; the price's estimate from L402_FIAT_RATE", () => {
    const config = configOf([{ name: "a", match: ["/a"], price_sats: 1, title: "Lightning articles", description: "Essays, 3 sats each" }], { L402_FIAT_RATE: "EUR:88000.5" });
    expect(config.services[0]).toMatchObject({ title: "Lightning articles", description: "Essays, 3 sats each", browser: false });
    expect(config.fiatRate).toEqual({ currency: "EUR", perBitcoin: 88000.5 });
    expect(configOf([{ name: "a", match: ["/a"], price_sats: 1 }]).fiatRate).toBeUndefined();
  });

  it.each(["USD", "USD:", "usd:95000", "USD:-1", "USD:0", "USD:1e5", "USD:95,000", "US:95000", "USD 95000", "USD:95000:1"])("refuses L402_FIAT_RATE %j, without quoting it", (rate) => {
    const errors = errorsOf([{ name: "a", match: ["/a"], price_sats: 1 }], { L402_FIAT_RATE: rate });
    expect(errors).toEqual(['L402_FIAT_RATE: must be a currency code and what one bitcoin costs in it, e.g. "USD:95000"']);
  });
});

describe("a pattern's literal start (where a page typed in another case is sent)", () => {
  it.each([
    ["/articles/*", "/articles"],
    ["/articles/", "/articles"],
    ["/exact", "/exact"],
    ["/a/:id/b", "/a"],
    ["/api*", "/"],
    ["/*", "/"],
    ["/", "/"],
    ["/a/(\\d+)", "/a"],
    ["/a/b{/c}?", "/a"],
    ["host.example/x/y/*", "/x/y"],
  ])("literalPath(%s) = %s", (pattern, expected) => {
    expect(literalPath(pattern)).toBe(expected);
  });

});

describe("the backend's settings", () => {
  const only = { L402_MASTER_KEYS: "44".repeat(32), L402_SERVICES: [{ name: "a", match: ["/a"], price_sats: 1 }] };
  const read = (extra: Record<string, unknown>) => parseConfig({ ...only, ...extra });
  const uri = `nostr+walletconnect://${"ab".repeat(32)}?relay=wss%3A%2F%2Frelay.example&secret=${"cd".repeat(32)}`;

  it("reads each backend's own settings, and only those", () => {
    const configs = [
      read({ L402_BACKEND: "lnbits", LNBITS_URL: "https://lnbits.example/", LNBITS_INVOICE_KEY: "a1b2c3d4e5f60718293a4b5c6d7e8f90" }),
      read({ L402_BACKEND: "phoenixd", PHOENIXD_URL: "https://phoenixd.example", PHOENIXD_PASSWORD: "correct-horse-battery", L402_NODE_TIMEOUT_MS: "2000" }),
      read({ L402_BACKEND: "cln", CLN_REST_URL: "https://cln.example:3010", CLN_RUNE: "T4Rg0Hu5bGVfZ3Jvd3RoLXJ1bmU" }),
      read({ L402_BACKEND: "nwc", L402_NWC_URI: uri }),
      read({ L402_BACKEND: "nwc", L402_NWC_URI: uri, L402_NWC_CONNECTION: "held", L402_NWC: {} }),
    ];
    expect(configs.map((c) => c.ok && c.value.node)).toEqual([
      { backend: "lnbits", url: "https://lnbits.example", invoiceKey: "a1b2c3d4e5f60718293a4b5c6d7e8f90", timeoutMs: 5000 },
      { backend: "phoenixd", url: "https://phoenixd.example", password: "correct-horse-battery", timeoutMs: 2000 },
      { backend: "cln", url: "https://cln.example:3010", rune: "T4Rg0Hu5bGVfZ3Jvd3RoLXJ1bmU", timeoutMs: 5000 },
      { backend: "nwc", connection: { walletPubkey: "ab".repeat(32), relay: "wss://relay.example", secret: expect.any(Uint8Array) }, relayConnection: "per-call", timeoutMs: 5000 },
      { backend: "nwc", connection: expect.objectContaining({ walletPubkey: "ab".repeat(32) }), relayConnection: "held", timeoutMs: 5000 },
    ]);
  });

  it.each([
    [{ L402_BACKEND: "eclair" }, "L402_BACKEND: must be one of lnd, nwc, lnbits, phoenixd, cln"],
    [{ L402_BACKEND: "lnbits" }, "LNBITS_URL: is required"],
    [{ L402_BACKEND: "lnbits", LNBITS_URL: "https://x.example" }, "LNBITS_INVOICE_KEY: is required"],
    [{ L402_BACKEND: "phoenixd", PHOENIXD_URL: "ftp://x" }, "PHOENIXD_URL: must be an http or https URL"],
    [{ L402_BACKEND: "cln", CLN_REST_URL: "https://x.example", CLN_RUNE: "no spaces allowed" }, "CLN_RUNE: must be a rune"],
    [{ L402_BACKEND: "nwc" }, "L402_NWC_URI: is required"],
    [{ L402_BACKEND: "nwc", L402_NWC_URI: uri.replace(/secret=\w+/, "secret=zz") }, "L402_NWC_URI: needs a secret=<64 hex characters> parameter"],
    [{ L402_BACKEND: "nwc", L402_NWC_URI: uri.replace(/relay=[^&]+/, "relay=https%3A%2F%2Fx") }, "L402_NWC_URI: needs at least one relay=ws(s)://… parameter"],
    [{ L402_BACKEND: "nwc", L402_NWC_URI: uri, L402_NWC_CONNECTION: "pooled" }, 'L402_NWC_CONNECTION: must be "per-call" or "held"'],
    [{ L402_BACKEND: "nwc", L402_NWC_URI: uri, L402_NWC_CONNECTION: "held" }, 'L402_NWC_CONNECTION: "held" needs the L402_NWC Durable Object binding'],
    [{}, "LND_REST_URL: is required"],
    [
      { L402_BACKEND: "phoenixd", PHOENIXD_URL: "https://x.example", PHOENIXD_PASSWORD: "correct-horse", L402_SERVICES: [{ name: "a", match: ["/a"], price_sats: 1 }, { name: "b", match: ["/b"], price_msat: 1500 }] },
      "L402_SERVICES[1].price_msat: phoenixd invoices are in whole sats (L402_BACKEND)",
    ],
  ])("%j → %s", (extra, message) => {
    const result = read(extra);
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.problems.join("\n")).toContain(message);
  });

  it("never quotes a credential it refuses", () => {
    const secretish = "zz-secret-value-zz";
    const result = read({ L402_BACKEND: "nwc", L402_NWC_URI: `nostr+walletconnect://${secretish}` });
    const other = read({ L402_BACKEND: "lnbits", LNBITS_URL: "https://x.example", LNBITS_INVOICE_KEY: `${secretish}!` });
    expect(JSON.stringify([result, other])).not.toContain(secretish);
  });
});
