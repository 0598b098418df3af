// Apart from cookies.ts, which the forwarder needs none of: a template Worker built without
// browser payments (src/worker/build.ts) keeps this check and leaves the cookie library out.

/**
 * Whether a name a client sent is (a spelling of) one of the paywall's cookies
 * (a browser payment's, the dashboard's session), for keeping them from an origin: any case, with or without a `__Host-` or
 * `__Secure-` prefix, percent-encoded or padded, since an origin's cookie
 * parser might read any of those as the name the paywall set.
 */
export function isPaywallCookieName(name: string): boolean {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    // Not percent-encoding: the name as sent.
  }
  return /^(?:__host-|__secure-)?l402-(?:(?:token|pending|probe)-|dashboard$)/.test(decoded.trim().toLowerCase());
}
