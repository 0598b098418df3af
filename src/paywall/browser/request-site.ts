/**
 * Where a browser says a request comes from, for deciding what a cookie may do.
 * Modern browsers send `Sec-Fetch-Site` on every request; older ones send
 * `Origin` on cross-origin and unsafe ones. A request with neither comes from a
 * program (which holds only the cookies it was given) or an old browser's
 * same-origin GET. The same reading as Go's CrossOriginProtection.
 */
export type RequestSite = "same-origin" | "cross-origin" | "unknown";

export function requestSite(headers: { get(name: string): string | null }, requestOrigin: string): RequestSite {
  const fetchSite = headers.get("sec-fetch-site");
  // "none": the person typed the address, or opened a bookmark.
  if (fetchSite === "same-origin" || fetchSite === "none") return "same-origin";
  if (fetchSite !== null) return "cross-origin";
  const origin = headers.get("origin");
  if (origin === null) return "unknown";
  return origin === requestOrigin ? "same-origin" : "cross-origin";
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

const isSafeMethod = (method: string): boolean => SAFE_METHODS.has(method);

/** A top-level (or frame) navigation: following a link is how a person reaches a paid page from elsewhere. */
const isNavigation = (headers: { get(name: string): string | null }): boolean => headers.get("sec-fetch-mode") === "navigate";

/**
 * What a request may do with the credential cookie alone:
 * - `use`: same origin, or a navigation by a safe method (a link from elsewhere);
 * - `ignore`: another origin's script reading with it (it must send the header
 *   instead; the cookie must not spend a metered token for someone else's page);
 * - `refuse`: another origin's unsafe request (cross-site request forgery).
 */
export function cookieUse(method: string, headers: { get(name: string): string | null }, requestOrigin: string): "use" | "ignore" | "refuse" {
  if (requestSite(headers, requestOrigin) !== "cross-origin") return "use";
  if (!isSafeMethod(method)) return "refuse";
  return isNavigation(headers) ? "use" : "ignore";
}
