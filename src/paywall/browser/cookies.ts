import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { literalPath, type ServiceConfig } from "../../config/index.ts";

/**
 * The two cookies of browser payments, per service:
 * - `l402-token-<service>`: the credential (`<macaroon, base64url>:<preimage hex>`,
 *   what `Authorization: L402` carries), HttpOnly, SameSite=Lax, for as long as
 *   the token is valid;
 * - `l402-pending-<service>`: the challenge the browser was shown
 *   (pending-challenge.ts), HttpOnly, SameSite=Strict, until its invoice expires.
 * Both are Secure except over plain http to this machine (development), and
 * scoped to the service's routes. Neither reaches an origin (proxy/forward.ts).
 */
export const COOKIE_PREFIXES = ["l402-token-", "l402-pending-"] as const;
const credentialName = (service: ServiceConfig) => `${COOKIE_PREFIXES[0]}${service.name}`;
const pendingName = (service: ServiceConfig) => `${COOKIE_PREFIXES[1]}${service.name}`;

/** Browsers refuse a longer Max-Age (RFC 6265bis: 400 days). */
const MAX_AGE_LIMIT = 400 * 86_400;
/** A pending cookie outlives its invoice by this much, so a payment made in the last seconds can still be collected. */
const PENDING_GRACE_SECONDS = 120;

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Where the cookies apply: the service's `cookie_path`, its patterns' shared literal path, else the route the middleware is mounted on. */
function cookiePath(c: Context, service: ServiceConfig): string {
  const configured = service.browser?.cookiePath;
  if (configured !== undefined) return configured;
  const mounted = c.req.routePath;
  return mounted.startsWith("/") ? literalPath(mounted) : "/";
}

function attributes(c: Context, service: ServiceConfig, sameSite: "Lax" | "Strict", maxAge: number) {
  const url = new URL(c.req.url);
  const development = url.protocol === "http:" && LOOPBACK.has(url.hostname);
  return { path: cookiePath(c, service), httpOnly: true, secure: !development, sameSite, maxAge: Math.max(0, Math.min(MAX_AGE_LIMIT, Math.floor(maxAge))) };
}

export const readCredentialCookie = (c: Context, service: ServiceConfig): string | undefined => getCookie(c, credentialName(service));
export const readPendingCookie = (c: Context, service: ServiceConfig): string | undefined => getCookie(c, pendingName(service));

/** `validUntil` (unix s) undefined: the token never expires, and the cookie lives as long as browsers allow. */
export function setCredentialCookie(c: Context, service: ServiceConfig, text: string, now: number, validUntil: number | undefined): void {
  setCookie(c, credentialName(service), text, attributes(c, service, "Lax", validUntil === undefined ? MAX_AGE_LIMIT : validUntil - now));
  clearPendingCookie(c, service);
}

export function setPendingCookie(c: Context, service: ServiceConfig, sealed: string, now: number, expiresAt: number): void {
  setCookie(c, pendingName(service), sealed, attributes(c, service, "Strict", expiresAt - now + PENDING_GRACE_SECONDS));
}

export const clearCredentialCookie = (c: Context, service: ServiceConfig): void => void deleteCookie(c, credentialName(service), attributes(c, service, "Lax", 0));
export const clearPendingCookie = (c: Context, service: ServiceConfig): void => void deleteCookie(c, pendingName(service), attributes(c, service, "Strict", 0));
