import type { OriginConfig } from "../config/index.ts";

/**
 * An origin's `Location` as the client must see it (nginx's `proxy_redirect
 * default`): the origin is asked at its own host (`origin.url`), so its
 * redirects name that host, and often its path base; followed as they are, the
 * client would leave the paywall for the origin itself. A Location at the
 * origin's host and under its path base (absolute, or a path from the root) is
 * moved back to the URL the client asked: the request's scheme and host, the
 * service's `strip_prefix` put back. Any other (another host, a relative path,
 * no `origin.url`) is left as it is.
 */
export function publicLocation(location: string, incoming: URL, origin: OriginConfig | undefined): string {
  if (origin?.url === undefined) return location;
  const prefix = origin.stripPrefix.replace(/\/$/, "");
  const fromRoot = location.startsWith("/") && !location.startsWith("//");
  if (!fromRoot && !/^https?:\/\//i.test(location)) return location;
  let target: URL;
  let upstream: URL;
  try {
    upstream = new URL(origin.url);
    target = new URL(location, upstream);
  } catch {
    return location;
  }
  if (target.origin !== upstream.origin) return location;
  const base = upstream.pathname.replace(/\/$/, "");
  // A path the client and the origin share: as it is (not rewritten in URL's normal form).
  if (fromRoot && base === "" && prefix === "") return location;
  if (base !== "" && target.pathname !== base && !target.pathname.startsWith(`${base}/`)) return location;
  const path = `${prefix}${target.pathname.slice(base.length) || "/"}`;
  // A path that begins `//` once the base is off (`/base//evil.example`, `/base/\evil.example`) would read as another host: written whole.
  const relative = fromRoot && !path.startsWith("//");
  return `${relative ? "" : incoming.origin}${path}${target.search}${target.hash}`;
}
