import { constantTimeEqual, fromBase64UrlStrict, hmacSha256, randomBytes, sha256, toBase64Url, utf8 } from "../../bytes.ts";

/**
 * The dashboard's sign-in, without storage: a session is a value the Worker
 * signed (HMAC-SHA256), `<expires>.<nonce>.<mac>`, under a key derived from
 * the admin token. So a session cannot be made without the admin token, never
 * carries it, ends by itself after SESSION_SECONDS, and every session ends at
 * once when the admin token is rotated (the only way to end one early: there
 * is no list to strike it from; signing out clears the browser's cookie).
 *
 * Each session has its CSRF token, the HMAC of the session under another
 * label: the forms carry it, a cross-site page cannot read it, and it dies
 * with its session.
 */
export const SESSION_SECONDS = 12 * 3600;

const KEY_LABEL = "l402-edge dashboard session key v1";
const SESSION = /^(\d{1,12})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

export interface Sessions {
  /** Whether `presented` is the admin token (compared in constant time). */
  isAdminToken(presented: string): boolean;
  /** A new session, valid until `now + SESSION_SECONDS` (unix s). */
  open(now: number): string;
  /** Whether a cookie's value is a session signed under this admin token and still valid at `now`. */
  isValid(session: string | undefined, now: number): session is string;
  /** The CSRF token the forms of this session carry. */
  csrfToken(session: string): string;
  isCsrfToken(session: string, presented: string): boolean;
}

export function sessions(adminToken: string): Sessions {
  const key = hmacSha256(utf8(adminToken), utf8(KEY_LABEL));
  const mac = (label: string, text: string): Uint8Array => hmacSha256(key, utf8(`${label}\n${text}`));
  const matches = (expected: Uint8Array, presented: string): boolean => {
    const bytes = fromBase64UrlStrict(presented);
    return bytes !== undefined && constantTimeEqual(expected, bytes);
  };
  const adminDigest = sha256(utf8(adminToken));
  return {
    // Digests compared, so neither the length nor a prefix of the token shows in the time taken.
    isAdminToken: (presented) => constantTimeEqual(adminDigest, sha256(utf8(presented))),
    open(now) {
      const signed = `${now + SESSION_SECONDS}.${toBase64Url(randomBytes(16))}`;
      return `${signed}.${toBase64Url(mac("session", signed))}`;
    },
    isValid(session, now): session is string {
      const parts = SESSION.exec(session ?? "");
      if (parts === null) return false;
      const expires = Number(parts[1]);
      const signed = `${parts[1]}.${parts[2]}`;
      return matches(mac("session", signed), parts[3] ?? "") && now < expires && expires <= now + SESSION_SECONDS;
    },
    csrfToken: (session) => toBase64Url(mac("csrf", session)),
    isCsrfToken: (session, presented) => matches(mac("csrf", session), presented),
  };
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * The session cookie's name: `__Host-` (Secure, Path=/, no Domain: no sibling
 * host can plant or read one) everywhere but plain http to this machine, where
 * browsers refuse the prefix (as the paywall's own cookies: paywall/browser/cookies.ts).
 */
export function sessionCookie(url: URL): { readonly name: string; readonly secure: boolean } {
  const development = url.protocol === "http:" && LOOPBACK.has(url.hostname);
  return development ? { name: "l402-dashboard", secure: false } : { name: "__Host-l402-dashboard", secure: true };
}
