import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/worker/load-config.ts";
import { literalPath, pathCovers } from "../../src/config/schema.ts";
import { configWarnings } from "../../src/worker/config-warnings.ts";
import { matchService } from "../../src/paywall/match.ts";
import { base, configOf, errorsOf } from "./support/config-of.ts";

describe("configuration", () => {
  it("defaults: mainnet, 404 for unmatched, 10-minute invoices, 5 s node timeout", () => {
    const config = configOf([{ name: "a", match: ["/a/*"], price_sats: 1 }]);
    expect(config).toMatchObject({ network: "mainnet", unmatched: "404", invoiceExpirySeconds: 600, memo: "{service} API access", location: "l402", originAuthHeader: "X-L402-Origin-Auth" });
    expect(config.node).toEqual({ backend: "lnd", url: "https://node.example:8080", macaroonHex: "0201ab", timeoutMs: 5000 });
    expect(config.services[0]?.priceMsat).toBe(1000n);
  });

  it("a free service (auth: false) needs no price; a priced one needs exactly one", () => {
    const services = configOf([
      { name: "open", match: ["/open/*"], auth: false },
      { name: "open-text", match: ["/text/*"], auth: "false" },
      { name: "open-priced", match: ["/priced/*"], auth: false, price_sats: 3 },
    ]).services;
    expect(services.map((s) => [s.name, s.auth, s.priceMsat])).toEqual([["open", false, 0n], ["open-text", false, 0n], ["open-priced", false, 3000n]]);
    expect(errorsOf([{ name: "a", match: ["/a"], auth: true }])).toEqual(['L402_SERVICES "a": needs exactly one of price_sats or price_msat']);
    expect(errorsOf([{ name: "a", match: ["/a"], auth: false, price_sats: 1, price_msat: 1000 }])).toEqual(['L402_SERVICES "a": needs exactly one of price_sats or price_msat']);
  });

  it("an origin's headers timeout in seconds (a number, or its text), as the forwarder takes it; none: the forwarder's default", () => {
    const [timed, untimed, written] = configOf([
      { name: "a", match: ["/a"], price_sats: 1, origin: { headers_timeout_seconds: 300 } },
      { name: "b", match: ["/b"], price_sats: 1 },
      { name: "c", match: ["/c"], price_sats: 1, origin: { headers_timeout_seconds: "90" } },
    ]).services;
    expect([timed?.origin.headersTimeoutMs, untimed?.origin.headersTimeoutMs, written?.origin.headersTimeoutMs]).toEqual([300_000, undefined, 90_000]);
  });

  it("accepts the services as JSON text too (a var set from the command line)", () => {
    expect(configOf(JSON.stringify([{ name: "a", match: ["/a"], price_msat: "1500" }]) as never).services[0]?.priceMsat).toBe(1500n);
  });

  it.each([
    [[{ name: "a", match: ["/a"] }], 'L402_SERVICES "a": needs exactly one of price_sats or price_msat'],
    [[{ name: "a", match: ["/a"], price_sats: 1, price_msat: 1000 }], 'L402_SERVICES "a": needs exactly one of price_sats or price_msat'],
    [[{ name: "a", match: ["/a"], price_sats: 1.5 }], 'L402_SERVICES "a".price_sats: must be a positive integer'],
    [[{ name: "a", match: [], price_sats: 1 }], 'L402_SERVICES "a".match: must list at least one pattern'],
    [[{ name: "a", match: ["a"], price_sats: 1 }], 'L402_SERVICES "a".match[0]: must be /path or host/path'],
    [[{ name: "a b", match: ["/a"], price_sats: 1 }], "L402_SERVICES[0].name: must be letters"],
    [[{ name: "a", match: ["/a"], price_sats: 1 }, { name: "a", match: ["/b"], price_sats: 1 }], 'service name "a" is used twice'],
    [[{ name: "a", match: ["/a"], price_sats: 1, prize: 2 }], 'L402_SERVICES "a": has an unknown setting "prize"'],
    [[{ name: "a", match: ["/a"], price_sats: 1, capabilities: ["r"], capability_rules: [{ path: "/a", capability: "w" }] }], "capability_rules[0].capability: is not one of the service's capabilities"],
    [[{ name: "a", match: ["/a"], price_sats: 1, origin: { headers: { "X-L402-Token-Id": "x" } } }], 'origin.headers: "X-L402-Token-Id" is not a header name the paywall lets a service set'],
    [[{ name: "a", match: ["/a"], price_sats: 1, origin: { url: "https://u:p@x.example" } }], "origin.url: must not carry credentials"],
    [[{ name: "a", match: ["/a"], price_sats: 1, origin: { strip_prefix: "/a" } }], "origin.strip_prefix: needs origin.url"],
    [[{ name: "a", match: ["/a"], price_sats: 1, origin: { headers_timeout_seconds: 0 } }], 'L402_SERVICES "a".origin.headers_timeout_seconds: must be an integer from 1 to 3600'],
    [[{ name: "a", match: ["/a"], price_sats: 1, origin: { headers_timeout_seconds: 2.5 } }], 'L402_SERVICES "a".origin.headers_timeout_seconds: must be an integer from 1 to 3600'],
    [[{ name: "a", match: ["/a"], price_sats: 1, origin: { headers_timeout_seconds: 3601 } }], 'L402_SERVICES "a".origin.headers_timeout_seconds: must be an integer from 1 to 3600'],
    [[{ name: "a", match: ["/a"], price_sats: 1, timeout: 0 }], 'L402_SERVICES "a".timeout: must be an integer from 1'],
    [[{ name: "a", match: ["/a"], price_sats: 1, browser: true }], 'L402_SERVICES "a".browser: needs the L402_LOOKUPS Durable Object binding (see wrangler.toml)'],
    [[{ name: "a", match: ["/a"], price_sats: 1, browser: "yes" }], 'L402_SERVICES "a".browser: must be true or false'],
    // The cookies are __Host- cookies now (Path=/): a config still naming cookie_path is told so, whatever its value.
    [[{ name: "a", match: ["/a"], price_sats: 1, cookie_path: "/a" }], 'L402_SERVICES "a".cookie_path: is no longer a setting: the cookies are host-wide __Host- cookies named per service (__Host-l402-token-<name>, Path=/); remove it'],
    [[{ name: "a", match: ["/a"], price_sats: 1, browser: true, cookie_path: "/a; Domain=evil" }], 'L402_SERVICES "a".cookie_path: is no longer a setting'],
    [[{ name: "a", match: ["/a"], price_sats: 1, title: "" }], 'L402_SERVICES "a".title: must be 1 to 80 characters, without control characters'],
    [[{ name: "a", match: ["/a"], price_sats: 1, title: "x".repeat(81) }], 'L402_SERVICES "a".title: must be 1 to 80 characters'],
    [[{ name: "a", match: ["/a"], price_sats: 1, title: "two\nlines" }], 'L402_SERVICES "a".title: must be 1 to 80 characters'],
    // Patterns whose literal parts no canonical request path has would never match, leaving the route free under L402_UNMATCHED=pass.
    [[{ name: "a", match: ["//api.example/v1/*"], price_sats: 1 }], 'L402_SERVICES "a".match[0]: never matches: requests are matched with single slashes, no "." or ".." segments, and letters, digits and -._~!$&\'()*+,=:@ unescaped (a host is written "host/path", without "//")'],
    [[{ name: "a", match: ["/%7Ebob/*"], price_sats: 1 }], 'L402_SERVICES "a".match[0]: never matches'],
    [[{ name: "a", match: ["/v2//x/*"], price_sats: 1 }], 'L402_SERVICES "a".match[0]: never matches'],
    [[{ name: "a", match: ["/v2/:id./x"], price_sats: 1 }], 'L402_SERVICES "a".match[0]: never matches'],
    [[{ name: "a", match: ["/a/*"], price_sats: 1, price_rules: [{ path: "/a/%7e*", price_sats: 2 }] }], 'L402_SERVICES "a".price_rules[0].path: never matches'],
    [[{ name: "a", match: ["/a/*"], price_sats: 1, free_paths: ["/a//free"] }], 'L402_SERVICES "a".free_paths[0]: never matches'],
    // A pattern whose test a crafted path could make take seconds of CPU, unpaid.
    [[{ name: "a", match: ["/files/:name.:ext"], price_sats: 1 }], 'L402_SERVICES "a".match[0]: holds two variable parts in one segment'],
    [[{ name: "a", match: ["/a/*"], price_sats: 1, price_rules: [{ path: "/a/*/b/*/c", price_sats: 2 }] }], 'L402_SERVICES "a".price_rules[0].path: holds two parts that may span segments'],
    [[{ name: "a", match: ["/a/*"], price_sats: 1, free_paths: ["/a/:id((?:x+)+)"] }], 'L402_SERVICES "a".free_paths[0]: holds a regular expression with a group inside'],
    // A header value Headers refuses would throw at every forward.
    [[{ name: "a", match: ["/a"], price_sats: 1, origin: { headers: { "X-Key": "a\r\nX-Evil: 1" } } }], 'origin.headers: "X-Key": must be printable ASCII (a header\'s value), at most 8192 characters'],
    [[{ name: "a", match: ["/a"], price_sats: 1, origin: { headers: { "X-Key": "caf\u00e9\u2603" } } }], 'origin.headers: "X-Key": must be printable ASCII'],
    [[{ name: "a", match: ["/a"], price_sats: 1, origin: { headers: { "X-Key": { secret: "ODD" } } } }], 'origin.headers: "X-Key": secret "ODD" must be printable ASCII', { ODD: "a\u0000b" }],
    // Discovery annotates every operation of the operator's document: one that is not an object would fail every request.
    [[{ name: "a", match: ["/a"], price_sats: 1 }], 'L402_OPENAPI: paths "/a" must be an object', { L402_OPENAPI: { openapi: "3.1.0", info: {}, paths: { "/a": null } } }],
    [[{ name: "a", match: ["/a"], price_sats: 1 }], 'L402_OPENAPI: paths "/a".post must be an object (its responses too)', { L402_OPENAPI: JSON.stringify({ openapi: "3.1.0", info: {}, paths: { "/a": { get: {}, post: null } } }) }],
    [[{ name: "a", match: ["/a"], price_sats: 1 }], 'L402_OPENAPI: paths "/a".get must be an object (its responses too)', { L402_OPENAPI: { openapi: "3.1.0", info: {}, paths: { "/a": { get: { responses: 7 } } } } }],
    [[], "L402_SERVICES: must be a non-empty array"],
    ["{", "L402_SERVICES: is not valid JSON"],
  ])("refuses %j", (services, message, extra?: Record<string, unknown>) => {
    expect(errorsOf(services, extra).join("\n")).toContain(message);
  });

  it("takes patterns in the canonical form requests are matched in, and matches those requests", () => {
    const config = configOf([
      { name: "a", match: ["/~bob/*", "api.example/v1/:id.json", "/caf\u00e9/*", "/a b/*"], price_sats: 1 },
    ]);
    const service = (url: string) => matchService(config.services, new URL(url))?.name;
    expect([service("https://x.example/~bob/1"), service("https://api.example/v1/7.json"), service("https://x.example/caf%C3%A9/x"), service("https://x.example/a%20b/c")]).toEqual(["a", "a", "a", "a"]);
    // An escape written in lower case matches the canonical upper case, even matched case-sensitively.
    const cased = configOf([{ name: "b", match: ["/caf%c3%a9/*"], match_case: true, price_sats: 1 }]);
    expect(matchService(cased.services, new URL("https://x.example/caf%C3%A9/x"))?.name).toBe("b");
  });

  it("keeps a header value as Headers would send it (trimmed: a secret stored with its newline)", () => {
    const config = configOf([{ name: "a", match: ["/a"], price_sats: 1, origin: { headers: { "X-Key": { secret: "KEY" } } } }], { KEY: "s3cret\n" });
    expect(config.services[0]?.origin?.headers.get("X-Key")).toBe("s3cret");
  });

  it("names a service by its name, by its index where the name is missing, invalid or used twice", () => {
    const problems = errorsOf([
      { name: "quotes", match: ["/q"], price_sats: 0 },
      { match: ["/n"], price_sats: 0 },
      { name: 7, match: ["/s"], price_sats: 0 },
      { name: "twice", match: ["/t"], price_sats: 0 },
      { name: "twice", match: ["/u"], price_sats: 1 },
      "not a service",
    ]);
    expect(problems).toEqual(expect.arrayContaining([
      'L402_SERVICES "quotes".price_sats: must be a positive integer (use auth: false for free services)',
      "L402_SERVICES[1].name: is required",
      "L402_SERVICES[1].price_sats: must be a positive integer (use auth: false for free services)",
      "L402_SERVICES[2].name: is required",
      "L402_SERVICES[3].price_sats: must be a positive integer (use auth: false for free services)",
      "L402_SERVICES[5]: must be an object",
    ]));
    expect(problems.join("\n")).not.toMatch(/"twice"\.|\[0\]/);
  });

  it("never quotes a value it refuses: any of them may be a secret", () => {
    const secret = "s3cr3t-VALUE-42";
    const errors = errorsOf([{ name: "a", match: ["/a"], price_sats: secret, timeout: secret, origin: { url: secret, headers: { "X-Key": 7 } } }], {
      LND_MACAROON: secret, L402_ADMIN_TOKEN: secret, L402_MASTER_KEYS: secret, LND_REST_URL: secret, L402_NETWORK: secret, L402_INVOICE_EXPIRY: secret, L402_MEMO: `${secret}\n`,
    });
    expect(errors.length).toBeGreaterThanOrEqual(10);
    expect(errors.join("\n")).not.toContain(secret);
  });

  it("an invoice memo must fit BOLT 11's description (639 bytes of UTF-8) with the longest service name in place of each {service}", () => {
    const memoOf = (memo: string) => parseConfig({ ...base, L402_SERVICES: [{ name: "a", match: ["/a"], price_sats: 1 }], L402_MEMO: memo });
    expect(memoOf(`${"\u00e9".repeat(319)}x`).ok).toBe(true);
    expect(memoOf(`{service} ${"x".repeat(639 - 65)}`).ok).toBe(true);
    for (const memo of ["\u00e9".repeat(320), `{service} ${"x".repeat(639 - 64)}`, "{service} ".repeat(10), "tab\there", "del\u007f"]) {
      const result = memoOf(memo);
      expect(result.ok ? [] : result.problems.join("\n"), memo.slice(0, 20)).toMatch(/^L402_MEMO: must (fit an invoice's description: at most 639 bytes|not hold control characters)/);
    }
  });

  it("refuses bad globals, naming each", () => {
    const errors = errorsOf([{ name: "a", match: ["/a"], price_sats: 1 }], {
      L402_NETWORK: "moon", L402_UNMATCHED: "maybe", LND_REST_URL: "node", LND_MACAROON: "xyz", L402_INVOICE_EXPIRY: "5", L402_MASTER_KEYS: "00", LND_TIMEOUT_MS: "1",
    }).join("\n");
    for (const field of ["L402_NETWORK", "L402_UNMATCHED", "LND_REST_URL", "LND_MACAROON", "L402_INVOICE_EXPIRY", "L402_MASTER_KEYS", "LND_TIMEOUT_MS"]) expect(errors).toContain(field);
  });
});

describe("the origin secret", () => {
  it.each(["too-short", "has a space in it, 1234", "line-break-123456\r\nX-Evil: 1", "tab\there-1234567890"])("refuses %j, without quoting it", (secret) => {
    const errors = errorsOf([{ name: "a", match: ["/a"], price_sats: 1 }], { L402_ORIGIN_SECRET: secret }).join("\n");
    expect(errors).toContain("L402_ORIGIN_SECRET: must be 16 characters or more");
    expect(errors).not.toContain(secret);
  });

  it("takes 16 printable characters or more; empty is none", () => {
    expect(configOf([{ name: "a", match: ["/a"], price_sats: 1 }], { L402_ORIGIN_SECRET: "a".repeat(64) }).originSecret).toBe("a".repeat(64));
    expect(configOf([{ name: "a", match: ["/a"], price_sats: 1 }], { L402_ORIGIN_SECRET: "" }).originSecret).toBeUndefined();
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

  it("pathCovers: a path is covered by itself and by each ancestor, segment by segment", () => {
    expect(pathCovers("/a", "/a")).toBe(true);
    expect(pathCovers("/a", "/a/b")).toBe(true);
    expect(pathCovers("/a/", "/a/b")).toBe(true);
    expect(pathCovers("/a", "/ab")).toBe(false);
    expect(pathCovers("/", "/anything")).toBe(true);
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
      'L402_SERVICES "b".price_msat: phoenixd invoices are in whole sats (L402_BACKEND)',
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

describe("the invoice pool's settings", () => {
  const lnd = { L402_MASTER_KEYS: "44".repeat(32), LND_REST_URL: "https://node.example:8080", LND_MACAROON: "0201ab", L402_SERVICES: [{ name: "a", match: ["/a"], price_sats: 1 }] };
  const read = (extra: Record<string, unknown>) => parseConfig({ ...lnd, ...extra });

  it("is off unless sized, and reads its size and rate", () => {
    const off = read({});
    const on = read({ L402_INVOICE_POOL_SIZE: "20", L402_INVOICE_POOL_RATE: "5", L402_INVOICE_POOL: {} });
    expect([off.ok && off.value.invoicePool, on.ok && on.value.invoicePool]).toEqual([
      { size: 0, refillPerSecond: 10 },
      { size: 20, refillPerSecond: 5 },
    ]);
  });

  it.each([
    [{ L402_INVOICE_POOL_SIZE: "20" }, "L402_INVOICE_POOL_SIZE: a pool needs the L402_INVOICE_POOL Durable Object binding"],
    [{ L402_INVOICE_POOL_SIZE: "1001", L402_INVOICE_POOL: {} }, "L402_INVOICE_POOL_SIZE: must be an integer from 0 to 1000"],
    [{ L402_INVOICE_POOL_SIZE: "-1", L402_INVOICE_POOL: {} }, "L402_INVOICE_POOL_SIZE: must be an integer from 0 to 1000"],
    [{ L402_INVOICE_POOL_RATE: "0" }, "L402_INVOICE_POOL_RATE: must be an integer from 1 to 1000"],
    [{ L402_INVOICE_POOL_RATE: "fast" }, "L402_INVOICE_POOL_RATE: must be an integer from 1 to 1000"],
  ])("%j → %s", (extra, message) => {
    const result = read(extra);
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.problems.join("\n")).toContain(message);
  });
});

describe("uses sold through the Payment scheme or x402", () => {
  const usesWarnings = (schemes: string[]) =>
    configWarnings(configOf([{ name: "a", match: ["/a"], price_sats: 1, uses: 100, schemes }], { L402_INVOICE_EXPIRY: "900", L402_LOOKUPS: {}, L402_METER: {} }), { mintLimiter: true }).filter((warning) => warning.includes("uses are spent"));

  it("are said to last only until the invoice expires; L402's are not", () => {
    expect(usesWarnings(["l402", "mpp", "x402"])).toEqual([
      'a: its uses are spent through "mpp" and "x402" only until the invoice expires (L402_INVOICE_EXPIRY, 900 s): a Payment charge or an x402 payment is refused a minute past it, however many uses are left; an L402 token keeps them for its timeout',
    ]);
    expect(usesWarnings(["x402"])).toHaveLength(1);
    expect(usesWarnings(["l402"])).toEqual([]);
  });
});
