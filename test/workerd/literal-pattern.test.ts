import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { URLPattern } from "#url-pattern";
import { withLiteralTest } from "../../src/config/literal-pattern.ts";
import { canonicalUrl } from "../../src/canonical-url.ts";

/** Pieces of patterns and paths: letters of both cases, path punctuation, escapes of either case. */
const piece = fc.oneof(
  fc.constantFrom("a", "A", "b", "B", "z", "Z", "0", "9", "-", ".", "_", "~", "!", "$", "&", "'", "=", ",", "@", ";", " ", "é", "É", "ſ", "K"),
  fc.constantFrom("%61", "%41", "%2f", "%2F", "%c3%a9", "%C3%A9", "%25", "%20", "..", "/", "//"),
);
const literalText = fc.array(piece, { maxLength: 8 }).map((pieces) => pieces.join(""));
/** What URLPattern gives a meaning to, at most once per pattern (several groups in a row make its regular expression backtrack for seconds). */
const syntax = fc.constantFrom("", "", "", ":id", "*", "(\\d+)", "{x}?", "?", "+", "\\*", "\\:");
const tail = fc.constantFrom("", "/*", "*", "/", "/:rest*", "/*?");
const host = fc.constantFrom("*", "api.example.com", "other.example", "*.example.com", "127.0.0.1");
/** Flips the case of some ASCII letters: a path spelt otherwise than its pattern. */
const recased = (text: string, flips: readonly boolean[]) =>
  [...text].map((char, i) => (flips[i % Math.max(flips.length, 1)] === true ? (char === char.toLowerCase() ? char.toUpperCase() : char.toLowerCase()) : char)).join("");

describe("withLiteralTest", () => {
  it("answers as URLPattern does, for generated patterns and every path form the paywall asks about", () => {
    fc.assert(
      fc.property(
        host,
        literalText,
        syntax,
        literalText,
        tail,
        fc.boolean(),
        fc.array(fc.boolean(), { maxLength: 12 }),
        literalText,
        fc.constantFrom("api.example.com", "API.Example.com", "other.example", "x.example.com", "127.0.0.1"),
        (patternHost, literal, special, after, patternTail, ignoreCase, flips, suffix, requestHost) => {
          let pattern;
          try {
            pattern = new URLPattern({ hostname: patternHost, pathname: `/${literal}${special}${after}${patternTail}` }, { ignoreCase });
          } catch {
            return;
          }
          const fast = withLiteralTest(pattern, ignoreCase);
          // Paths that start as the pattern does (recased), so that hits are as common as misses.
          const url = new URL(`https://${requestHost}/${recased(literal, flips)}${suffix}`);
          const canonical = canonicalUrl(url);
          const paths = [url.pathname, ...(canonical.ok ? [canonical.value.pathname] : [])];
          for (const pathname of paths) {
            for (const form of [pathname, pathname.endsWith("/") ? pathname.slice(0, -1) : `${pathname}/`]) {
              const input = { hostname: url.hostname, pathname: form };
              expect(fast.test(input), `${patternHost} ${pattern.pathname} ${ignoreCase ? "i" : ""} ← ${input.hostname} ${form}`).toBe(pattern.test(input));
            }
          }
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it("takes the string comparison for literal patterns only, and keeps URLPattern's exec and canonical strings", () => {
    const literal = withLiteralTest(new URLPattern({ hostname: "*", pathname: "/API/*" }, { ignoreCase: true }), true);
    expect(literal.test).not.toBe(URLPattern.prototype.test);
    expect(literal.pathname).toBe("/API/*");
    expect(literal.exec({ hostname: "h", pathname: "/api/x" })).not.toBeNull();
    const grouped = new URLPattern({ hostname: "*", pathname: "/items/:id" }, { ignoreCase: true });
    expect(withLiteralTest(grouped, true)).toBe(grouped);
    const wildHost = new URLPattern({ hostname: "*.example.com", pathname: "/a" }, { ignoreCase: true });
    expect(withLiteralTest(wildHost, true)).toBe(wildHost);
  });
});
