import { foldsToAscii } from "./ascii-folding.ts";
import { fail, succeed, type Result } from "./result.ts";

/**
 * The one form of a request's URL that the paywall matches and forwards.
 *
 * Origins read paths differently: nginx merges slashes, most servers decode
 * percent-escapes, Tomcat drops `;` parameters, IIS strips trailing dots and
 * ignores case. If the paywall matched the raw path and forwarded it, a path the
 * paywall sees as unpaid could be one the origin serves as paid. So the path is
 * put in one canonical form before matching, and that form is what the origin
 * receives; what cannot be put in one form unambiguously is refused.
 *
 * Canonical form:
 * - percent-escapes of characters that are safe in a path (unreserved, sub-delims
 *   but `;`, `:` and `@`) are decoded; every other escape is kept, in upper case;
 * - repeated slashes are merged; `.` and `..` segments are resolved;
 * - the host loses a trailing dot (the URL parser already lower-cases it and
 *   applies IDNA).
 * Refused (400): encoded `/`, `\` or `%` forming another escape (double encoding),
 * `\` itself, `;` (path parameters, encoded or not), encoded control characters
 * and NUL, escapes that are not valid UTF-8 (overlong forms included), characters
 * an origin may read as ASCII, as sent or composed (ascii-folding.ts: fullwidth `／`, `ａ`, Turkish `ı`),
 * dot segments spelled with escapes, and segments ending in `.` or a space
 * (Windows servers strip them).
 */
export type CanonicalUrl = Result<URL, "ambiguous_path">;

/** Paths made only of these characters, in segments not ending with '.', need no work: the common case. */
const ALREADY_CANONICAL = /^(?:\/[A-Za-z0-9\-_~!$&'()*+,=:@.]*[A-Za-z0-9\-_~!$&'()*+,=:@])*\/?$/;
/** Characters decoded from escapes; the others stay escaped. */
const DECODED = /^[A-Za-z0-9\-._~!$&'()*+,=:@]$/;
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

const refuse = (detail: string): CanonicalUrl => fail("ambiguous_path", detail);

/** The canonical form of `url`: `url` itself when it already is one (most requests: no copy, ~3 µs in workerd), else a new URL. */
export function canonicalUrl(url: URL): CanonicalUrl {
  if (!url.hostname.endsWith(".") && ALREADY_CANONICAL.test(url.pathname)) return succeed(url);
  const out = new URL(url.href);
  // Every trailing dot: `example.com..` is the host `example.com` to whoever resolves it, and must match as it.
  if (out.hostname.endsWith(".")) out.hostname = out.hostname.replace(/\.+$/, "");
  if (ALREADY_CANONICAL.test(url.pathname)) return succeed(out);
  const path = canonicalPath(url.pathname);
  if (typeof path !== "string") return path;
  out.pathname = path;
  // The URL serializer must leave the form alone, or the origin would receive another path.
  if (out.pathname !== path) return refuse("the path has no single form");
  return succeed(out);
}

function canonicalPath(raw: string): string | CanonicalUrl {
  if (raw.includes("\\")) return refuse("backslashes are not allowed in paths");
  const segments: string[] = [];
  for (const rawSegment of raw.split("/")) {
    const segment = canonicalSegment(rawSegment);
    if (typeof segment !== "string") return segment;
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  const trailingSlash = /\/\.{0,2}$/.test(raw) && segments.length > 0;
  return `/${segments.join("/")}${trailingSlash ? "/" : ""}`;
}

function canonicalSegment(raw: string): string | CanonicalUrl {
  if (raw.includes(";")) return refuse("path parameters (';') are not allowed");
  if (!raw.includes("%")) {
    if (raw !== "." && raw !== ".." && /[. ]$/.test(raw)) return refuse("a path segment may not end with '.'");
    return raw;
  }
  // Decode every escape to check the bytes; keep the decoded text only where it is unambiguous.
  const bytes: number[] = [];
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c !== "%") {
      bytes.push(...encoder.encode(c));
      out += c;
      continue;
    }
    const pair = raw.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(pair)) return refuse("a '%' that is not a percent-escape");
    const byte = Number.parseInt(pair, 16);
    i += 2;
    if (byte === 0x2f || byte === 0x5c) return refuse("encoded '/' or '\\' in the path");
    if (byte === 0x3b) return refuse("path parameters (';') are not allowed");
    if (byte < 0x20 || byte === 0x7f) return refuse("control characters are not allowed in paths");
    bytes.push(byte);
    const char = String.fromCharCode(byte);
    out += byte < 0x80 && DECODED.test(char) ? char : `%${pair.toUpperCase()}`;
  }
  let text: string;
  try {
    text = utf8.decode(new Uint8Array(bytes));
  } catch {
    return refuse("the path's escapes are not valid UTF-8");
  }
  // Checked once decoded: `%25%32%65` hides its `%2e` from any look at the raw text.
  if (/%[0-9A-Fa-f]{2}/.test(text)) return refuse("double percent-encoding");
  if (text === "." || text === "..") return refuse("dot segments may not be percent-encoded");
  if (/[. ]$/.test(text)) return refuse("a path segment may not end with '.' or a space");
  // Composed too: `I` and a combining dot above are `İ`, which Java, ignoring case, reads as `i`.
  if (foldsToAscii(text) || foldsToAscii(text.normalize("NFC"))) return refuse("characters that folding or case turns into ASCII");
  return out;
}

