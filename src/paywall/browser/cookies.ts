import { parse, serialize } from "cookie";
import type { CookieChange } from "../decision.ts";
import type { PaywallRequest } from "../request.ts";

/**
 * The paywall's cookies, per service:
 * - `token`: the credential (`<macaroon, base64url>:<preimage hex>`, what
 *   `Authorization: L402` carries), SameSite=Lax, for as long as the token is valid;
 * - `pending`: the challenge the browser was shown (pending-challenge.ts),
 *   SameSite=Lax, until its invoice expires and a grace after
 *   (PENDING_GRACE_SECONDS): a page reached from another
 *   site (a link, another site's window.open) must find it, or it would sell
 *   a new invoice and replace it while the first is being paid;
 * - `probe`: proof that a browser keeps cookies (page-probe.ts), SameSite=Lax,
 *   for the page-invoice window.
 *
 * On https they are `__Host-` cookies (`__Host-l402-token-<service>`): Secure,
 * `Path=/`, no Domain, so only this host can have set them. Without the prefix a
 * sibling host (blog.shop.example) could plant its own pending cookie for the
 * whole site and collect what the visitor then pays. Over plain http to this
 * machine (development) browsers refuse `__Host-` cookies, so there the names
 * are unprefixed and not Secure; a loopback address has no sibling hosts.
 * All are HttpOnly, and none reaches an origin (proxy/forward.ts).
 */
export type CookieKind = "token" | "pending" | "probe";

const SAME_SITE = { token: "Lax", pending: "Lax", probe: "Lax" } as const;
/** Browsers refuse a longer Max-Age (RFC 6265bis: 400 days). */
const MAX_AGE_LIMIT = 400 * 86_400;
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

const isDevelopment = (url: URL): boolean => url.protocol === "http:" && LOOPBACK.has(url.hostname);

/** The name a cookie of this kind has for this service, on a request to `url`. */
export function cookieName(kind: CookieKind, service: string, url: URL): string {
  return `${isDevelopment(url) ? "" : "__Host-"}l402-${kind}-${service}`;
}

/** A cookie's value from a Cookie header, as the paywall reads its own: the exact name, its first occurrence. */
export function cookieFrom(header: string | null | undefined, name: string): string | undefined {
  if (header === null || header === undefined || header === "") return undefined;
  return parse(header)[name];
}

/** The request's cookie of this kind for this service; empty reads as absent. */
export function readCookie(request: PaywallRequest, kind: CookieKind, service: string): string | undefined {
  const value = cookieFrom(request.headers.get("cookie"), cookieName(kind, service, request.url));
  return value === "" ? undefined : value;
}

/** Sets (or, with `maxAgeSeconds` 0, clears) a cookie of this kind for this service. */
export function cookie(request: PaywallRequest, kind: CookieKind, service: string, value: string, maxAgeSeconds: number): CookieChange {
  const maxAge = Math.max(0, Math.min(MAX_AGE_LIMIT, Math.floor(maxAgeSeconds)));
  return { name: cookieName(kind, service, request.url), value, maxAgeSeconds: maxAge, sameSite: SAME_SITE[kind], secure: !isDevelopment(request.url) };
}

export const clearCookie = (request: PaywallRequest, kind: CookieKind, service: string): CookieChange => cookie(request, kind, service, "", 0);

/** Browsers keep a cookie at most this long: a token without expiry gets it. */
export const LONGEST_COOKIE_SECONDS = MAX_AGE_LIMIT;

/** A cookie change as a `Set-Cookie` value: HttpOnly, `Path=/`, no Domain (the top of this module says why). */
export const setCookie = (cookie: CookieChange): string =>
  serialize(cookie.name, cookie.value, { maxAge: cookie.maxAgeSeconds, path: "/", httpOnly: true, secure: cookie.secure, sameSite: cookie.sameSite === "Lax" ? "lax" : "strict" });
