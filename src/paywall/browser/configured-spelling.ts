import { literalPath, type ServiceConfig } from "../../config/index.ts";
import { canonicalUrl } from "../../canonical-url.ts";

/**
 * The path as the service's patterns spell it, when a request typed it in
 * another case: `/Articles/x` for a service matching `/articles/*` (patterns
 * ignore case unless `match_case`) → `/articles/x`. Undefined when it is typed
 * as configured, or no pattern the request matches has a literal start.
 *
 * A page is sent there before any invoice (page-challenge.ts): origins that
 * compare paths case-sensitively serve the configured spelling, and the person
 * lands on the URL the site links to. Only the literal start of a pattern is
 * respelled; the rest is the request's own. A spelling the paywall would not
 * keep as it is (a pattern's escapes in lower case: requests' are put in upper
 * case) is no place to send anyone: it would come back respelled, forever.
 */
export function configuredSpelling(service: ServiceConfig, url: URL): string | undefined {
  if (service.matchCase) return undefined;
  const { hostname, pathname } = url;
  // Both forms of a trailing slash, as the paywall matches them (match.ts).
  const forms = pathname === "/" ? [pathname] : [pathname, pathname.endsWith("/") ? pathname.slice(0, -1) : `${pathname}/`];
  let respelled: string | undefined;
  for (const pattern of service.patterns) {
    if (!forms.some((form) => pattern.test({ hostname, pathname: form }))) continue;
    const literal = literalPath(pattern.pathname);
    const typed = pathname.slice(0, literal.length);
    const atBoundary = pathname.length === literal.length || pathname[literal.length] === "/";
    if (literal === "/" || !atBoundary || typed.toLowerCase() !== literal.toLowerCase()) continue;
    // A pattern the request matches as typed: nothing to respell.
    if (typed === literal) return undefined;
    respelled ??= `${literal}${pathname.slice(literal.length)}`;
  }
  if (respelled === undefined) return undefined;
  const kept = canonicalUrl(new URL(respelled, url));
  return kept.ok && kept.value.pathname === respelled ? respelled : undefined;
}
