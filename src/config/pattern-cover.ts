import { literalPath, pathCovers } from "./schema.ts";
import type { ServiceConfig, UrlPattern } from "./types.ts";

/** A pattern, and whether its service matches case. */
export type Matcher = { readonly pattern: UrlPattern; readonly matchCase: boolean };

/** A pathname with nothing that varies: no wildcard, parameter, group or escape. */
const LITERAL = /^[^*:({?+\\]*$/;

/**
 * Whether `outer` matches every path `inner` does, judged only where that is
 * certain: `outer` is the same pattern (a literal one with or without its
 * trailing slash), or a literal directory with everything below it (`/*`,
 * `/api/*`), on any host or on inner's own; a case-sensitive outer never covers
 * a case-blind inner.
 */
export function covers(outer: Matcher, inner: Matcher): boolean {
  if (outer.pattern.hostname !== "*" && outer.pattern.hostname !== inner.pattern.hostname) return false;
  if (outer.matchCase && !inner.matchCase) return false;
  const fold = (path: string) => (outer.matchCase ? path : path.toLowerCase());
  // Both forms of a path are asked about (match.ts): a literal `/a/` matches what `/a` does.
  const bare = (path: string) => (LITERAL.test(path) ? path.replace(/(.)\/$/, "$1") : path);
  if (fold(bare(outer.pattern.pathname)) === fold(bare(inner.pattern.pathname))) return true;
  const directory = outer.pattern.pathname.endsWith("/*") ? outer.pattern.pathname.slice(0, -2) : undefined;
  return directory !== undefined && LITERAL.test(directory) && pathCovers(fold(directory) || "/", fold(literalPath(inner.pattern.pathname)));
}

/**
 * The earlier service's pattern that takes every path `pattern` (of
 * `services[index]`) matches, where that is certain (`covers`): the first
 * service that matches a request wins, so such a pattern never applies.
 */
export function coveringPattern(services: readonly ServiceConfig[], index: number, pattern: UrlPattern): { readonly service: ServiceConfig; readonly pattern: UrlPattern } | undefined {
  const inner = { pattern, matchCase: services[index]?.matchCase ?? false };
  for (const before of services.slice(0, index)) {
    const claimed = before.patterns.find((candidate) => covers({ pattern: candidate, matchCase: before.matchCase }, inner));
    if (claimed !== undefined) return { service: before, pattern: claimed };
  }
  return undefined;
}
