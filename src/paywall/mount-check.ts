import type { ServiceConfig, UrlPattern } from "../config/index.ts";

/**
 * The paths services name that lie outside `base`, the path the middleware
 * is mounted under (Hono's `app.route(base, sub)` or `basePath(base)`; or,
 * with `sellingOnly`, its own route's path). The paywall matches the
 * request's whole path, what the app's handlers are given: a pattern
 * written relative to the mount matches
 * nothing there. So when no service's pattern lies under the mount (every
 * request there would pass unpaid), all are named; and for the services that
 * do sell under it, their free paths and capability and price rules outside
 * it (they would never apply: a dear path sells at the service's price) —
 * unless `sellingOnly` (a route's path, which routes beside it share: its
 * rules may be theirs). A paywall shared by several mounts may name services
 * of the others: those are not this mount's.
 */
export function pathsOutsideMount(services: readonly ServiceConfig[], base: string, { sellingOnly = false } = {}): string[] {
  const baseSegments = segments(base);
  const under = (service: ServiceConfig) => (pattern: UrlPattern) => liesUnder(segments(pattern.pathname), baseSegments, !service.matchCase);
  const named = (service: ServiceConfig, patterns: readonly UrlPattern[]) => patterns.map((pattern) => `${service.name}: ${pattern.pathname}`);
  const selling = services.filter((service) => service.patterns.some(under(service)));
  if (selling.length === 0) return services.flatMap((service) => named(service, service.patterns));
  if (sellingOnly) return [];
  return selling.flatMap((service) => {
    const rules = [...service.freePaths, ...service.capabilityRules.map((rule) => rule.path), ...service.pricing.rules.flatMap((rule) => (rule.path === undefined ? [] : [rule.path]))];
    return named(service, rules.filter((pattern) => !under(service)(pattern)));
  });
}

/** A path's segments, without its leading and trailing `/` or an optional trailing slash (`{/}?`). */
const segments = (path: string): string[] => path.replace(/\{\/\}\?$/, "").replace(/^\/+|\/+$/g, "").split("/").filter((segment) => segment !== "");

/** Whether a path pattern may match paths under the base: segment by segment, a parameter or a wildcard on either side matching any. */
function liesUnder(pattern: readonly string[], base: readonly string[], ignoreCase: boolean): boolean {
  const wild = (segment: string) => segment.startsWith(":") || /[*({]/.test(segment);
  for (const [i, segment] of base.entries()) {
    const theirs = pattern[i];
    // A pattern that ends before the base does lie under it only through a wildcard that spans segments.
    if (theirs === undefined) return pattern.at(-1) === "*";
    if (wild(segment) || wild(theirs)) continue;
    // The base as Hono has it (raw); the pattern's path as URLPattern writes it (percent-encoded).
    const ours = encodeURI(decodeURIComponentOr(segment));
    if (ignoreCase ? ours.toLowerCase() !== theirs.toLowerCase() : ours !== theirs) return false;
  }
  return true;
}

function decodeURIComponentOr(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
