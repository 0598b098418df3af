import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { configWarnings } from "../../src/worker/config-warnings.ts";
import { isFreePath, matchService } from "../../src/paywall/match.ts";
import { contextKey } from "../fixtures/context-keys.ts";
import { configOf, errorsOf } from "./support/config-of.ts";

/**
 * The configuration's warnings (config-warnings.ts), as `check-config` and the
 * Worker's health say them: a node reached in clear, entries that never apply,
 * patterns taking in paths the Worker answers itself.
 */

describe("a node reached in clear", () => {
  const warningsFor = (extra: Record<string, unknown>) => {
    const config = configOf([{ name: "a", match: ["/a"], price_sats: 1 }], extra);
    return configWarnings(config, { mintLimiter: true }).filter((warning) => warning.includes("in clear"));
  };
  const clear = (setting: string, credential: string) => [`${setting} is plain http:// to a host that is not this machine: ${credential} would cross the network in clear on every call; use https://`];

  it.each([
    [{ LND_REST_URL: "http://lnd.example:8080" }, clear("LND_REST_URL", "the macaroon")],
    [{ LND_REST_URL: "http://10.0.0.5:8080" }, clear("LND_REST_URL", "the macaroon")],
    [{ LND_REST_URL: "http://192.168.1.2" }, clear("LND_REST_URL", "the macaroon")],
    [{ LND_REST_URL: "http://[fe80::1]:8080" }, clear("LND_REST_URL", "the macaroon")],
    [{ LND_REST_URL: "HTTP://LND.Example" }, clear("LND_REST_URL", "the macaroon")],
    [{ LND_REST_URL: "http://localhost.example.com" }, clear("LND_REST_URL", "the macaroon")],
    [{ LND_REST_URL: "http://127.0.0.1.nip.io" }, clear("LND_REST_URL", "the macaroon")],
    [{ L402_BACKEND: "cln", CLN_REST_URL: "http://cln.example:3010", CLN_RUNE: "abcdefgh12345678" }, clear("CLN_REST_URL", "the rune")],
    [{ L402_BACKEND: "phoenixd", PHOENIXD_URL: "http://phoenixd.example:9740", PHOENIXD_PASSWORD: "correct-horse" }, clear("PHOENIXD_URL", "the http password")],
    [{ L402_BACKEND: "lnbits", LNBITS_URL: "http://lnbits.example", LNBITS_INVOICE_KEY: "a1b2c3d4e5f60718293a4b5c6d7e8f90" }, clear("LNBITS_URL", "the invoice key")],
    [{ LND_REST_URL: "http://127.0.0.1:8080" }, []],
    [{ LND_REST_URL: "http://127.8.9.10" }, []],
    [{ LND_REST_URL: "http://localhost:8080" }, []],
    [{ LND_REST_URL: "http://LOCALHOST." }, []],
    // Another *.localhost name is one a resolver may ask the network for (src/this-machine.ts).
    [{ LND_REST_URL: "http://node.localhost" }, clear("LND_REST_URL", "the macaroon")],
    [{ LND_REST_URL: "http://[::1]:8080" }, []],
    [{ LND_REST_URL: "https://lnd.example:8080" }, []],
    [{ L402_BACKEND: "cln", CLN_REST_URL: "https://cln.example:3010", CLN_RUNE: "abcdefgh12345678" }, []],
  ])("%j", (extra, expected) => {
    expect(warningsFor(extra)).toEqual(expected);
  });
});

describe("warnings about entries that never apply", () => {
  // Small alphabets, so that generated patterns and paths often meet.
  const segment = fc.constantFrom("a", "b", "A", "ab");
  const literal = fc.array(segment, { maxLength: 2 }).map((parts) => `/${parts.join("/")}`);
  const pattern = fc.oneof(
    literal,
    literal.map((path) => `${path.replace(/\/$/, "")}/*`),
    literal.map((path) => `${path.replace(/\/$/, "")}/:id`),
    literal.map((path) => `${path}*`),
    literal.map((path) => (path === "/" ? "/" : `${path}/`)),
  );
  const service = fc.record({ match: fc.array(pattern, { minLength: 1, maxLength: 2 }), free_paths: fc.array(pattern, { maxLength: 2 }), match_case: fc.boolean() });
  const path = fc.tuple(fc.array(segment, { maxLength: 3 }), fc.boolean()).map(([parts, slash]) => `/${parts.join("/")}${slash && parts.length > 0 ? "/" : ""}`);
  const forms = (text: string) => (text === "/" ? [text] : [text, text.endsWith("/") ? text.slice(0, -1) : `${text}/`]);

  it("each is true: no path reaches a free path called outside, a pattern called covered, or a charge where free_paths cover all", () => {
    const seen = { outside: 0, covered: 0, allFree: 0 };
    fc.assert(
      fc.property(fc.array(service, { minLength: 1, maxLength: 3 }), fc.array(path, { minLength: 20, maxLength: 20 }), (definitions, paths) => {
        const config = configOf(definitions.map((definition, index) => ({ name: `s${index}`, price_sats: 1, ...definition })));
        const urls = paths.map((p) => new URL(`https://x.example${p}`));
        for (const warning of configWarnings(config, { mintLimiter: true })) {
          const outside = /^(s\d): the free path (\S+) lies outside/.exec(warning);
          const covered = /^(s\d): the pattern (\S+) is covered by (s\d)'s (\S+), listed earlier/.exec(warning);
          const allFree = /^(s\d): its free_paths cover every match pattern/.exec(warning);
          const byName = (name: string | undefined) => config.services.find((s) => s.name === name) ?? expect.fail(`no service ${name}`);
          if (outside !== null) {
            seen.outside++;
            const owner = byName(outside[1]);
            const alone = { ...owner, freePaths: owner.freePaths.filter((entry) => entry.pathname === outside[2]) };
            for (const url of urls) expect(matchService([owner], url) !== undefined && isFreePath(alone, url), `${warning}: ${url.pathname}`).toBe(false);
          } else if (covered !== null) {
            seen.covered++;
            const later = byName(covered[1]);
            const earlier = byName(covered[3]);
            const claimed = later.patterns.filter((p) => p.pathname === covered[2]);
            const claimant = { ...earlier, patterns: earlier.patterns.filter((p) => p.pathname === covered[4]) };
            for (const url of urls) {
              const reached = claimed.some((p) => forms(url.pathname).some((pathname) => p.test({ hostname: url.hostname, pathname })));
              if (reached) expect(matchService([claimant], url), `${warning}: ${url.pathname}`).toBeDefined();
            }
          } else if (allFree !== null) {
            seen.allFree++;
            const owner = byName(allFree[1]);
            for (const url of urls) if (matchService([owner], url) !== undefined) expect(isFreePath(owner, url), `${warning}: ${url.pathname}`).toBe(true);
          }
        }
      }),
      { numRuns: 2000 },
    );
    // Each kind of warning was judged, many times over.
    for (const count of Object.values(seen)) expect(count).toBeGreaterThan(50);
  });
});

describe("a pattern taking in a path the Worker answers itself", () => {
  const hiddenFor = (match: string[], extra: Record<string, unknown> = {}) =>
    configWarnings(configOf([{ name: "site", match, price_sats: 1 }], extra), { mintLimiter: true }).filter((warning) => warning.includes("answers itself"));

  it("names the paths an origin may serve too, on the pattern's host", () => {
    const said = ["site: its match takes in GET /openapi.json, GET /llms.txt, which the Worker answers itself: the origin's own there is never reached"];
    expect(hiddenFor(["/*"])).toEqual(said);
    expect(hiddenFor(["shop.example/*"])).toEqual(said);
    expect(hiddenFor(["/:name.json"])).toEqual(["site: its match takes in GET /openapi.json, which the Worker answers itself: the origin's own there is never reached"]);
  });

  it("an admin path moved out of the paywall's namespace is named; its own paths and discovery turned off are not", () => {
    expect(hiddenFor(["/*"], { L402_ADMIN_PATH: "/admin", L402_DISCOVERY: "off" })).toEqual(["site: its match takes in /admin/*, which the Worker answers itself: the origin's own there is never reached"]);
    expect(hiddenFor(["/*"], { L402_DISCOVERY: "off" })).toEqual([]);
    expect(hiddenFor(["/.well-known/*", "/l402/*"])).toEqual([]);
    expect(hiddenFor(["/api/*"], { L402_ADMIN_PATH: "/admin" })).toEqual([]);
  });

  it("an admin path is hidden by a pattern matching it bare or lying below it; one under /l402 is named too", () => {
    const admin = (shown: string) => [`site: its match takes in ${shown}, which the Worker answers itself: the origin's own there is never reached`];
    expect(hiddenFor(["/admin"], { L402_ADMIN_PATH: "/admin" })).toEqual(admin("/admin/*"));
    expect(hiddenFor(["/admin/reports/*"], { L402_ADMIN_PATH: "/admin" })).toEqual(admin("/admin/*"));
    // A service matches ignoring case unless match_case says otherwise.
    expect(hiddenFor(["/ADMIN/reports/*"], { L402_ADMIN_PATH: "/admin" })).toEqual(admin("/admin/*"));
    expect(configWarnings(configOf([{ name: "site", match: ["/ADMIN/reports/*"], match_case: true, price_sats: 1 }], { L402_ADMIN_PATH: "/admin" }), { mintLimiter: true }).filter((warning) => warning.includes("answers itself"))).toEqual([]);
    expect(hiddenFor(["/administration/*"], { L402_ADMIN_PATH: "/admin" })).toEqual([]);
    expect(hiddenFor(["/l402/*"], { L402_ADMIN_PATH: "/l402/admin" })).toEqual(admin("/l402/admin/*"));
  });

  it("L402_ADMIN_PATH names a path below the root: one that would take the whole site, or never arrive as written, is refused", () => {
    const problem = "L402_ADMIN_PATH: must be a path below / (e.g. /admin): segments of letters, digits, _ . -, none empty, . or ..";
    for (const path of ["/", "//", "/admin//x", "/./admin", "/a/../admin", "/admin/..", "admin", "/ad min"]) expect(errorsOf([{ name: "site", match: ["/*"], price_sats: 1 }], { L402_ADMIN_PATH: path }), path).toEqual([problem]);
    for (const [path, kept] of [["/admin/", "/admin"], ["/ops/l402.admin", "/ops/l402.admin"], ["/.well-known/l402/admin", "/.well-known/l402/admin"]]) expect(configOf([{ name: "site", match: ["/*"], price_sats: 1 }], { L402_ADMIN_PATH: path }).adminPath).toBe(kept);
  });

  it("a pattern on a wildcard host is checked on a host it matches", () => {
    const said = ["site: its match takes in GET /openapi.json, GET /llms.txt, which the Worker answers itself: the origin's own there is never reached"];
    expect(hiddenFor(["*.shop.example/*"])).toEqual(said);
    expect(hiddenFor(["{api.}?shop.example/*"])).toEqual(said);
    expect(hiddenFor([":tenant.shop.example/*"])).toEqual(said);
  });

  it("the keys of the payment context and the MCP endpoint, where those are on", async () => {
    const keys = JSON.stringify([await contextKey("k1")]);
    expect(hiddenFor(["/.well-known/*"], { L402_CONTEXT_KEYS: keys })).toEqual(["site: its match takes in GET /.well-known/jwks.json, which the Worker answers itself: the origin's own there is never reached"]);
    expect(hiddenFor(["/.well-known/*"])).toEqual([]);
    const tool = configWarnings(configOf([{ name: "site", match: ["/*"], price_sats: 1, description: "Quotes", mcp: { tool: "quote", path: "/quote" } }], { L402_DISCOVERY: "off" }), { mintLimiter: true });
    expect(tool.filter((warning) => warning.includes("answers itself"))).toEqual(["site: its match takes in /mcp, which the Worker answers itself: the origin's own there is never reached"]);
  });
});
