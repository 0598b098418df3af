import { base64urlnopad, hex } from "@scure/base";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createVerifier } from "../../src/l402/index.ts";
import { isPaywallCookieName } from "../../src/paywall/browser/cookie-names.ts";
import { cookieFrom, cookieName } from "../../src/paywall/browser/cookies.ts";
import { keyring, NOW, paidToken } from "../fixtures/tokens.ts";

const SECURE = new URL("https://shop.example/articles/a");
const DEVELOPMENT = new URL("http://127.0.0.1:8787/articles/a");

describe("the paywall's cookie names", () => {
  it("are __Host- cookies named per service, except over plain http to this machine (development)", () => {
    expect(cookieName("token", "articles", SECURE)).toBe("__Host-l402-token-articles");
    expect(cookieName("pending", "articles", SECURE)).toBe("__Host-l402-pending-articles");
    expect(cookieName("probe", "articles", SECURE)).toBe("__Host-l402-probe-articles");
    expect(cookieName("pending", "articles", DEVELOPMENT)).toBe("l402-pending-articles");
    for (const url of ["http://localhost:8787/", "http://127.0.0.1/", "http://[::1]:8787/"]) expect(cookieName("token", "articles", new URL(url))).toBe("l402-token-articles");
    // Plain http anywhere else is no development: the names stay prefixed (browsers then keep none, as Secure requires https).
    expect(cookieName("token", "articles", new URL("http://shop.example/"))).toBe("__Host-l402-token-articles");
    expect(cookieName("token", "articles", new URL("https://localhost/"))).toBe("__Host-l402-token-articles");
  });

  it.each([
    ["__Host-l402-token-articles", true],
    ["__Host-l402-pending-articles", true],
    ["__Host-l402-probe-articles", true],
    ["l402-token-articles", true],
    ["l402-pending-a.b_c", true],
    // Spellings an origin's cookie parser might read as ours: any case, a __Secure- prefix, percent-encoded, padded.
    ["__host-l402-token-articles", true],
    ["__HOST-L402-TOKEN-ARTICLES", true],
    ["L402-Pending-articles", true],
    ["__Secure-l402-token-articles", true],
    ["%5F%5FHost-l402-token-articles", true],
    ["%5f%5fhost-l402%2Dtoken-articles", true],
    ["l402%2dpending-x", true],
    [" __Host-l402-token-articles ", true],
    ["\t__Host-l402-token-articles", true],
    ["__Host-l402-dashboard", true],
    ["L402-Dashboard", true],
    ["__Host-l402-dashboards", false],
    ["theme", false],
    ["__Host-session", false],
    ["l402-tokens", false],
    ["xl402-token-articles", false],
    ["__Host-xl402-token-articles", false],
    ["%zz-l402-token-a", false],
    ["", false],
  ])("%j is the paywall's: %s", (name, expected) => {
    expect(isPaywallCookieName(name)).toBe(expected);
  });
});

describe("reading a cookie as the paywall does", () => {
  const name = cookieName("token", "articles", SECURE);
  it("takes the exact name, and the first of two", () => {
    expect(cookieFrom(`theme=dark; ${name}=one; ${name}=two`, name)).toBe("one");
    expect(cookieFrom(`${name.toLowerCase()}=planted`, name)).toBeUndefined();
    expect(cookieFrom(`l402-token-articles=planted`, name)).toBeUndefined();
    expect(cookieFrom(`__Secure-l402-token-articles=planted`, name)).toBeUndefined();
    expect(cookieFrom(`x${name}=planted`, name)).toBeUndefined();
    expect(cookieFrom(null, name)).toBeUndefined();
    expect(cookieFrom("", name)).toBeUndefined();
  });

  it("100,000 generated Cookie headers: the credential cookie as read is absent, or a credential the verifier answers with a defined reason; never a planted name", { timeout: 180_000 }, () => {
    const REASONS = new Set(["missing", "malformed", "invalid_identifier", "unknown_key", "wrong_preimage", "bad_signature", "third_party_caveat", "invalid_caveat", "caveat_widened", "service_mismatch", "capability_denied", "expired"]);
    const verifier = createVerifier(keyring);
    const token = paidToken({ service: "articles" });
    const valid = `${base64urlnopad.encode(token.bytes)}:${hex.encode(token.preimage)}`;
    const names = fc.constantFrom(name, name.toLowerCase(), name.toUpperCase(), "l402-token-articles", "__Secure-l402-token-articles", `${name} `, ` ${name}`, `${name}x`, "theme", "__Host-l402-token-other");
    const values = fc.oneof(
      fc.constant(valid),
      fc.constant(encodeURIComponent(valid)),
      fc.constant(`"${valid}"`),
      fc.string({ maxLength: 80 }),
      fc.string({ maxLength: 40, unit: "binary" }),
      fc.tuple(fc.nat(valid.length), fc.string({ maxLength: 3 })).map(([at, insert]) => valid.slice(0, at) + insert + valid.slice(at + 1)),
    );
    const header = fc.oneof(
      fc.array(fc.tuple(names, values), { maxLength: 4 }).chain((pairs) => fc.constantFrom("; ", ";", ", ").map((separator) => pairs.map(([n, v]) => `${n}=${v}`).join(separator))),
      fc.string({ maxLength: 200 }),
      fc.string({ maxLength: 200, unit: "binary" }),
    );
    let runs = 0;
    fc.assert(
      fc.property(header, (cookie) => {
        runs++;
        const text = cookieFrom(cookie, name);
        if (text === undefined) return true;
        // Only the exact name, as a whole cookie name, is ever read.
        if (!cookie.split(";").some((pair) => pair.slice(0, pair.indexOf("=")).trim() === name)) return false;
        const verified = verifier.verify({ authorization: `L402 ${text}`, macaroon: null, grpcMetadataMacaroon: null }, { service: "articles", now: NOW, capabilities: [] });
        // Only the paid token can pass (its credential in any spelling the parser accepts, e.g. the preimage's hex in capitals).
        return verified.ok ? hex.encode(verified.value.tokenId) === hex.encode(token.tokenId) : REASONS.has(verified.reason) && verified.detail.length > 0;
      }),
      { numRuns: 100_000 },
    );
    expect(runs).toBeGreaterThanOrEqual(100_000);
  });
});
