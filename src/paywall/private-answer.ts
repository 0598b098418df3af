import type { Context } from "hono";

/**
 * A paid answer is for its payer alone: a shared cache (a CDN or proxy in
 * front) that stored one would hand it to the next visitor unpaid. So every
 * answer the paywall lets through for a credential or a free allowance leaves
 * with `Cache-Control: private`, whatever the origin said:
 * - `public` and `s-maxage` go: either lets a shared cache store an answer to
 *   a request with `Authorization` (RFC 9111 §3.5), and `private` overrides
 *   neither's meaning for every cache;
 * - a `private="field"` form (private only for some fields) becomes plain `private`;
 * - cache-control headers aimed at shared caches alone (`CDN-Cache-Control`,
 *   RFC 9213, and its vendor forms, `Surrogate-Control`, nginx's
 *   `X-Accel-Expires`, which its cache obeys over `private`) go;
 * - a credential sent in a cookie adds `Vary: Cookie`, so a browser's own
 *   cache does not serve the paid answer once the cookie is gone.
 * The origin's other directives (`max-age`, `no-store`, …) stay: the payer's
 * own browser may cache what it paid for.
 */
const SHARED_ONLY = /^(?:public|s-maxage(?:=.*)?|private(?:=.*)?)$/i;
const SHARED_CACHE_HEADERS = ["CDN-Cache-Control", "Cloudflare-CDN-Cache-Control", "Surrogate-Control", "X-Accel-Expires"];

export function keepPrivate(c: Context, paidByCookie: boolean): void {
  const directives = (c.res.headers.get("cache-control") ?? "")
    .split(",")
    .map((directive) => directive.trim())
    .filter((directive) => directive !== "" && !SHARED_ONLY.test(directive));
  c.header("Cache-Control", ["private", ...directives].join(", "));
  for (const name of SHARED_CACHE_HEADERS) if (c.res.headers.has(name)) c.header(name, undefined);
  if (paidByCookie && !/(?:^|,)\s*(?:cookie|\*)\s*(?:,|$)/i.test(c.res.headers.get("vary") ?? "")) c.header("Vary", "Cookie", { append: true });
}
