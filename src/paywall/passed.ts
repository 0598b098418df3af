import { isPaywallCookieName } from "./browser/cookie-names.ts";
import { setCookie } from "./browser/cookies.ts";
import type { Pass } from "./decision.ts";
import type { HeaderReader } from "./request.ts";

/** A change to the answer's headers: set (or, `undefined`, delete), or append. */
export interface HeaderChange {
  readonly name: string;
  readonly value: string | undefined;
  readonly append?: true;
}

/** An answer's headers, with every `Set-Cookie` one by one (a Web `Headers` is one). */
export interface AnswerHeaders extends HeaderReader {
  getSetCookie(): string[];
}

/**
 * What the paywall adds to an answer it let through, once the app (or the
 * origin) has answered: the decision's headers (uses left, free requests left;
 * a scheme's receipt on success only), its cookies, and, on a paid or
 * free-allowance answer, what keeps it out of shared caches. The paywall's
 * cookies are the paywall's to set: an answer setting one (an origin that lets
 * a visitor choose a header, a tenant's page on a shared origin) would plant
 * what a sibling host cannot (browser/cookies.ts), so it is taken out. So are
 * the paywall's own headers on what a token has left: a client believes
 * them (one whose top-up's answer reports a balance takes it as credited),
 * so only the paywall says them (a scheme's receipt too: a client takes it as
 * the paywall's), and the origin's cost header on a balance service. A
 * WebSocket upgrade's answer (101) is told them too, and a scheme's receipt;
 * no cookie of the paywall's is set on it.
 */
export function passedChanges(decision: Pass, answered: { readonly status: number; readonly headers: AnswerHeaders }): HeaderChange[] {
  // A WebSocket upgrade's answer (101) is a success, and no cache stores it: its cache headers stay as they are.
  const upgrade = answered.status === 101;
  const ok = upgrade || (answered.status >= 200 && answered.status < 300);
  const changes: HeaderChange[] = withoutPaywallCookies(answered.headers);
  for (const name of PAYWALL_HEADERS) if (answered.headers.get(name) !== null) changes.push({ name, value: undefined });
  // On an answer the paywall paid or gave free (a free request): elsewhere (a route no service sells, a free path, shadow) the origin may be selling on its own.
  if (decision.route.access === "paid" || decision.route.access === "freebie") changes.push(...withoutOriginOffers(answered.headers));
  // The origin's cost report is the paywall's to read (settle.ts), on every pass: a free, freebie or shadow one charges nothing, and the client never sees it.
  const costHeader = decision.route.service?.balance?.costHeader;
  if (costHeader !== undefined && answered.headers.get(costHeader) !== null) changes.push({ name: costHeader, value: undefined });
  if (decision.private !== undefined && !upgrade) changes.push(...privateAnswer(answered.headers, decision.private.byCookie));
  for (const [name, value] of Object.entries(decision.headers.always)) changes.push({ name, value });
  if (ok) for (const [name, value] of Object.entries(decision.headers.onSuccess)) changes.push({ name, value });
  if (upgrade) return changes;
  // Only browser payments set cookies (a template Worker built without them has none: src/worker/build.ts).
  if (globalThis.L402_BUILD_BROWSER !== false) for (const cookie of decision.cookies) changes.push({ name: "Set-Cookie", value: setCookie(cookie), append: true });
  return changes;
}

/**
 * An answer the paywall let through, paid or free, is the origin's, and so is
 * any offer in it: a client that took an origin's 402 (its own macaroon and
 * invoice, even a top-up naming the token just sent) for the paywall's would
 * drop a token still good and pay the origin. So a challenge in a scheme the
 * paywall speaks goes (the whole `WWW-Authenticate`, as its challenges cannot
 * be told apart safely), and x402's requirements and every scheme's receipt.
 */
function withoutOriginOffers(headers: HeaderReader): HeaderChange[] {
  const changes: HeaderChange[] = [];
  for (const name of [...RECEIPT_HEADERS, "PAYMENT-REQUIRED"]) if (headers.get(name) !== null) changes.push({ name, value: undefined });
  if (offersPayment(headers.get("www-authenticate"))) changes.push({ name: "WWW-Authenticate", value: undefined });
  return changes;
}

/**
 * Whether a `WWW-Authenticate` value holds a challenge in a scheme the paywall
 * speaks (L402, its older name LSAT, Payment): a challenge starts the value or
 * follows a comma, outside quoted text, and its scheme is followed by its
 * parameters, a comma or the end, never by `=` (then it is another
 * challenge's parameter, `payment=…`).
 */
export function offersPayment(value: string | null): boolean {
  if (value === null) return false;
  const unquoted = value.replace(/"(?:[^"\\]|\\.)*"?/g, '""');
  return /(?:^|,)\s*(?:L402|LSAT|Payment)(?=\s*$|\s*,|\s+[^\s=,])/i.test(unquoted);
}

/** What the paywall tells a client of its token on a pass (decide.ts, settle.ts), set after these are taken out. */
const PAYWALL_HEADERS = ["X-L402-Balance", "X-L402-Remaining", "X-L402-Freebies-Remaining"];
/** A scheme's receipt (the `Payment` scheme's, x402's), set on success after these are taken out. */
const RECEIPT_HEADERS = ["Payment-Receipt", "PAYMENT-RESPONSE"];

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
 *   RFC 9213, and its vendor forms, `Surrogate-Control`; nginx's
 *   `X-Accel-Expires`, which its proxy_cache obeys over `Cache-Control`) go;
 * - a credential sent in a cookie adds `Vary: Cookie`, so a browser's own
 *   cache does not serve the paid answer once the cookie is gone.
 * The origin's other directives (`max-age`, `no-store`, …) stay: the payer's
 * own browser may cache what it paid for.
 */
const SHARED_ONLY = /^(?:public|s-maxage(?:=.*)?|private(?:=.*)?)$/i;
const SHARED_CACHE_HEADERS = ["CDN-Cache-Control", "Cloudflare-CDN-Cache-Control", "Surrogate-Control", "X-Accel-Expires"];

function privateAnswer(headers: HeaderReader, byCookie: boolean): HeaderChange[] {
  // Split at commas outside quotes: `private="a, b"` is one directive.
  const directives = ((headers.get("cache-control") ?? "").match(/(?:[^,"]|"(?:[^"\\]|\\.)*"?)+/g) ?? [])
    .map((directive) => directive.trim())
    .filter((directive) => directive !== "" && !SHARED_ONLY.test(directive));
  const changes: HeaderChange[] = [{ name: "Cache-Control", value: ["private", ...directives].join(", ") }];
  for (const name of SHARED_CACHE_HEADERS) if (headers.get(name) !== null) changes.push({ name, value: undefined });
  if (byCookie && !/(?:^|,)\s*(?:cookie|\*)\s*(?:,|$)/i.test(headers.get("vary") ?? "")) changes.push({ name: "Vary", value: "Cookie", append: true });
  return changes;
}

/**
 * The name a browser stores a Set-Cookie under, as far as the paywall's are
 * concerned: a nameless one (`=__Host-l402-token-api=…`, or no `=` at all) is
 * sent back as its value alone, which then reads as that name.
 */
function storedName(cookie: string): string {
  const pair = cookie.split(";", 1)[0] ?? "";
  const eq = pair.indexOf("=");
  const name = eq === -1 ? "" : pair.slice(0, eq);
  return name.trim() === "" ? (pair.slice(eq + 1).split("=", 1)[0] ?? "") : name;
}

function withoutPaywallCookies(headers: AnswerHeaders): HeaderChange[] {
  const cookies = headers.getSetCookie();
  const kept = cookies.filter((cookie) => !isPaywallCookieName(storedName(cookie)));
  if (kept.length === cookies.length) return [];
  return [{ name: "Set-Cookie", value: undefined }, ...kept.map((cookie): HeaderChange => ({ name: "Set-Cookie", value: cookie, append: true }))];
}

/** The changes applied to a Web Response (a copy: a fetched answer's headers cannot be changed). */
export function applyChanges(response: Response, changes: readonly HeaderChange[]): Response {
  if (changes.length === 0) return response;
  const copy = new Response(response.body, response);
  changeHeaders(copy.headers, changes);
  return copy;
}

/** The changes made to headers that can be changed. */
export function changeHeaders(headers: Headers, changes: readonly HeaderChange[]): void {
  for (const { name, value, append } of changes) {
    if (value === undefined) headers.delete(name);
    else if (append === true) headers.append(name, value);
    else headers.set(name, value);
  }
}
