import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalUrl } from "../../src/canonical-url.ts";

/** The canonical path of a request target, as the Worker sees it after the runtime's URL parser. */
const canonical = (target: string): string => {
  const result = canonicalUrl(new URL(`https://edge.example${target}`));
  return result.ok ? result.value.pathname : `refused: ${result.detail}`;
};

describe("canonicalUrl", () => {
  it.each([
    ["/api/x", "/api/x"],
    ["/", "/"],
    ["//api///x", "/api/x"],
    ["/api/x/", "/api/x/"],
    ["/api//", "/api/"],
    ["/%61pi/x", "/api/x"],
    ["/%41%50%49/x", "/API/x"],
    ["/api/x%2Ejson", "/api/x.json"],
    ["/api/%7euser", "/api/~user"],
    ["/api/%c3%a9t%c3%a9", "/api/%C3%A9t%C3%A9"],
    // Neither is an ASCII letter in any case a single character maps to (ß's uppercase is two: "SS").
    ["/stra%C3%9Fe/%C3%84rger", "/stra%C3%9Fe/%C3%84rger"],
    ["/api/a%20b", "/api/a%20b"],
    ["/api/a%3Fb", "/api/a%3Fb"],
    ["/api/a%23b", "/api/a%23b"],
    ["/api/100%25off", "/api/100%25off"],
    ["/api/x?q=/../y", "/api/x"],
    // The URL parser has already resolved these before the Worker sees them.
    ["/api/../secret", "/secret"],
    ["/api/%2e%2e/secret", "/secret"],
    ["/api\\x", "/api/x"],
  ])("%s → %s", (target, expected) => {
    expect(canonical(target)).toBe(expected);
  });

  it.each([
    ["/api%2Fx", "encoded '/'"],
    ["/api/public/..%2Fsecret", "encoded '/'"],
    ["/api%5Cx", "encoded '/' or '\\'"],
    ["/api;/x", "';'"],
    ["/api;jsessionid=1/x", "';'"],
    ["/api%3B/x", "';'"],
    ["/api/x%00", "control"],
    ["/api%09/x", "control"],
    ["/%2561pi/x", "double"],
    ["/api/public/%252e%252e/secret", "double"],
    // The escape a double decoding reads is itself spelled with escapes: decoded once, `%2e%2e`.
    ["/free/%25%32%65%25%32%65/paid", "double"],
    ["/free/%25%32%46paid", "double"],
    ["/free/%25%34%31", "double"],
    ["/%C0%AE%C0%AE/api/x", "UTF-8"],
    ["/api/%C0%AF", "UTF-8"],
    ["/%E0%80%AE%E0%80%AE/x", "UTF-8"],
    ["/api/%ff/x", "UTF-8"],
    ["/api/%zz", "not a percent-escape"],
    ["/api/x%", "not a percent-escape"],
    ["/api./x", "end with '.'"],
    ["/api/x.", "end with '.'"],
    ["/api%20/x", "end with '.' or a space"],
    ["/api/x%2E", "end with '.'"],
    ["/%EF%BC%A1PI/x", "folding"],
    ["/api%EF%BC%8Fx", "folding"],
    // Java's equalsIgnoreCase and Python's re.IGNORECASE take these for /admin.
    ["/adm%C4%B1n/x", "case"],
    ["/adm%C4%B0n/x", "case"],
    ["/%C5%BFecret", "folding"],
  ])("refuses %s (%s)", (target, why) => {
    expect(canonical(target)).toMatch(/^refused: /);
    expect(canonical(target)).toContain(why);
  });

  it("drops a trailing dot from the host and keeps the query", () => {
    const result = canonicalUrl(new URL("https://LOCALHOST./%61pi?x=%2F"));
    expect(result.ok && result.value.href).toBe("https://localhost/api?x=%2F");
  });

  it("drops every trailing dot: a host ending in two is the same host, and must match a service naming it", () => {
    for (const href of ["https://api.example.com../premium/x", "https://api.example.com.../premium/x"]) {
      const result = canonicalUrl(new URL(href));
      expect(result.ok && result.value.href, href).toBe("https://api.example.com/premium/x");
    }
  });

  it("is a fixpoint: the canonical form of a canonical URL is itself, for any path", () => {
    const plain = fc.stringMatching(/^(?:[A-Za-z0-9._~;\\/-]|%[0-9A-Fa-f]{2})*$/, { maxLength: 24 });
    // Escapes of `%` and of hex digits, which a double decoding would join into another escape.
    const pieces = fc.array(fc.constantFrom("%25", "%32", "%34", "%35", "%36", "%65", "%45", "%46", "%43", "2", "e", "f", "a", "%2e", "."), { maxLength: 8 }).map((parts) => parts.join(""));
    const segment = fc.oneof(plain, pieces);
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), (segments) => {
        const first = canonicalUrl(new URL(`https://edge.example/${segments.join("/")}`));
        if (!first.ok) return;
        const again = canonicalUrl(first.value);
        expect(again.ok && again.value.href).toBe(first.value.href);
        // Nothing ambiguous survives.
        expect(first.value.pathname).not.toMatch(/\/\/|%2F|%5C|;|\\|%25[0-9A-F]{2}|\/\.\.?(\/|$)/i);
      }),
      { numRuns: 20_000 },
    );
  });
});
