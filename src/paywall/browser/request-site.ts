/**
 * Where a browser says a request comes from, for deciding what a cookie may do.
 * Modern browsers send `Sec-Fetch-Site` on every request; older ones send
 * `Origin` on cross-origin and unsafe ones. A request with neither comes from a
 * program (which holds only the cookies it was given) or an old browser's
 * same-origin GET. The same reading as Go's CrossOriginProtection. Only the
 * exact values browsers send count: anything else reads as another origin.
 */
export type RequestSite = "same-origin" | "cross-origin" | "unknown";

type HeaderReader = { get(name: string): string | null };

export function requestSite(headers: HeaderReader, requestOrigin: string): RequestSite {
  const fetchSite = headers.get("sec-fetch-site");
  // "none": the person typed the address, or opened a bookmark.
  if (fetchSite === "same-origin" || fetchSite === "none") return "same-origin";
  if (fetchSite !== null) return "cross-origin";
  const origin = headers.get("origin");
  if (origin === null) return "unknown";
  return origin === requestOrigin ? "same-origin" : "cross-origin";
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * A person following a link from elsewhere: a top-level navigation (not a
 * frame's: a sibling site's hidden iframe is not a visit) that the person
 * activated (`Sec-Fetch-User`, which a script re-navigating a window it
 * opened does not get).
 */
const isLinkFollowed = (method: string, headers: HeaderReader): boolean =>
  method === "GET" && headers.get("sec-fetch-mode") === "navigate" && headers.get("sec-fetch-dest") === "document" && headers.get("sec-fetch-user") === "?1";

/**
 * What a request may do with the credential cookie alone:
 * - `use`: same origin, or (`links`) a link a person followed from elsewhere;
 * - `ignore`: anything else another origin makes a browser fetch by a safe
 *   method (a script's read, a frame, a script's navigation): answered as if
 *   the cookie were absent, so no other site spends a visitor's metered token;
 * - `refuse`: another origin's unsafe request (cross-site request forgery).
 */
export function cookieUse(method: string, headers: HeaderReader, requestOrigin: string, links = true): "use" | "ignore" | "refuse" {
  if (requestSite(headers, requestOrigin) !== "cross-origin") return "use";
  if (!SAFE_METHODS.has(method)) return "refuse";
  return links && isLinkFollowed(method, headers) ? "use" : "ignore";
}
