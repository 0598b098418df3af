import type { ServiceConfig, UrlPattern } from "../config/index.ts";

/**
 * The paths services name that lie outside `base`, the path an app mounting
 * the middleware was itself mounted under (Hono's `app.route(base, sub)` or
 * `basePath(base)`). The paywall matches the request's whole path, what the
 * app's handlers are given: a pattern written relative to the mount matches
 * nothing there, and its service, free path, capability or price rule never
 * applies (a paid path passes unpaid, a dear one sells at the service's price).
 * A pattern covering every path (`/*`) lies under any base.
 */
export function pathsOutsideMount(services: readonly ServiceConfig[], base: string): string[] {
  const outside: string[] = [];
  for (const service of services) {
    const under = (pattern: UrlPattern) => liesUnder(service.matchCase ? pattern.pathname : pattern.pathname.toLowerCase(), service.matchCase ? base : base.toLowerCase());
    const paths = [
      ...service.patterns,
      ...service.freePaths,
      ...service.capabilityRules.map((rule) => rule.path),
      ...service.pricing.rules.flatMap((rule) => (rule.path === undefined ? [] : [rule.path])),
    ];
    for (const pattern of paths) if (!under(pattern)) outside.push(`${service.name}: ${pattern.pathname}`);
  }
  return [...new Set(outside)];
}

function liesUnder(path: string, base: string): boolean {
  if (path === "*" || path === "/*") return true;
  const rest = path.slice(base.length);
  return path.startsWith(base) && (rest === "" || rest.startsWith("/") || rest.startsWith("{"));
}
