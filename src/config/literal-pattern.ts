import type { UrlPattern } from "./types.ts";

/**
 * A URL pattern whose `test` is a string comparison when the pattern is one:
 * a literal path (`/docs`), or a literal prefix and a trailing wildcard
 * (`/api/*`, `/api*`), on any host (`*`) or one literal host. That is most
 * services' `match`, and the paywall tests it several times per request, where
 * URLPattern's `test` costs some 5 µs in workerd (`npm run bench`). Any other
 * pattern (named groups, regular expressions, optional parts, wildcard hosts)
 * is tested by URLPattern itself; `exec` always is.
 *
 * The literals are URLPattern's own canonical strings (its `hostname` and
 * `pathname`), so a pattern means the same whichever way it was written. The
 * inputs are what the paywall passes: a URL's own hostname and pathname (already
 * canonical, ASCII), for which the comparison answers as URLPattern does
 * (literal-pattern.test.ts checks both on generated patterns and paths).
 */
export function withLiteralTest(pattern: UrlPattern, ignoreCase: boolean): UrlPattern {
  const test = literalTest(pattern.hostname, pattern.pathname, ignoreCase);
  if (test === undefined) return pattern;
  return {
    hostname: pattern.hostname,
    pathname: pattern.pathname,
    test: (input) => test(input.hostname ?? "", input.pathname ?? ""),
    exec: (input) => pattern.exec(input),
  };
}

/** Characters with a meaning in URLPattern syntax (groups, modifiers, escapes): a pattern holding one is not a literal. */
const SYNTAX = /[:*(){}?+\\]/;
/** Non-ASCII could fold under a case-insensitive match in ways an ASCII comparison does not; URLPattern decides those. */
const NON_ASCII = /[^\x20-\x7e]/;

function literalTest(hostname: string, pathname: string, ignoreCase: boolean): ((hostname: string, pathname: string) => boolean) | undefined {
  const anyHost = hostname === "*";
  if (!anyHost && (SYNTAX.test(hostname) || NON_ASCII.test(hostname))) return undefined;
  const wildcard = pathname.endsWith("*") && !pathname.endsWith("\\*");
  const literal = wildcard ? pathname.slice(0, -1) : pathname;
  if (SYNTAX.test(literal) || NON_ASCII.test(literal) || !literal.startsWith("/")) return undefined;
  const fold = (text: string) => (ignoreCase ? text.toLowerCase() : text);
  const host = fold(hostname);
  const path = fold(literal);
  return (inputHost, inputPath) => {
    if (!anyHost && fold(inputHost) !== host) return false;
    const folded = fold(inputPath);
    return wildcard ? folded.startsWith(path) : folded === path;
  };
}
