import { fromHex, toBase64Url, toHex } from "../../bytes.ts";
import { readCredential, type VerifiedToken } from "../../l402/index.ts";
import { LightningError } from "../../lightning/index.ts";
import { fail, succeed, type Result } from "../../result.ts";
import { pricedByRequest } from "../../config/index.ts";
import { onlyMethod } from "../claimed-methods.ts";
import type { CookieChange, Reply } from "../decision.ts";
import { requiredCapabilities } from "../match.ts";
import { digestOnce, tokenCovers } from "../token-price.ts";
import type { BrowserContext } from "./browser-context.ts";
import { clearCookie, cookie, LONGEST_COOKIE_SECONDS, readCookie } from "./cookies.ts";
import { forgetPageInvoice, mintedOffer } from "./open-page-invoice.ts";
import { openPending, PENDING_GRACE_SECONDS, type PendingChallenge } from "./pending-challenge.ts";
import { requestSite } from "./request-site.ts";

/**
 * Browser payments: a person pays on the 402 page and lands on the content.
 *
 * The page's script speaks to the page's own URL, marked by this header:
 * - `poll`: has the invoice of this browser's pending challenge been paid? The
 *   node is asked (at most once a second per invoice, for all pollers: the
 *   lookup limiter); once it is settled, the preimage it reports completes the
 *   credential, which goes into the credential cookie and nowhere else.
 * - `complete`: a browser wallet (WebLN) paid and gave the page the preimage;
 *   the page sends the credential as `Authorization: L402`, which is verified
 *   like any other and answered with the credential cookie.
 * Without script, reloading the page does what `poll` does (browser-step.ts).
 */
export const BROWSER_HEADER = "X-L402-Browser";

/** What asking the node about a pending challenge found; `cookies`: what the answer sets (the credential, once paid). */
export type Collected = (
  | { readonly state: "paid" }
  | { readonly state: "pending" }
  | { readonly state: "expired" }
  | { readonly state: "refused"; readonly reason: string; readonly detail: string }
  | { readonly state: "unavailable"; readonly retryAfterSeconds: number }
) & { readonly cookies: readonly CookieChange[] };

const reply = (bc: BrowserContext, status: Reply["status"], body: Record<string, unknown>, outcome: Omit<Reply["outcome"], "service">, extra: { headers?: Record<string, string>; cookies?: readonly CookieChange[] } = {}): Reply => ({
  kind: "reply",
  status,
  body,
  headers: extra.headers ?? {},
  cookies: extra.cookies ?? [],
  outcome: { ...outcome, service: bc.service.name },
});

/** A `poll` or `complete` request from the page's script. */
export async function answerBrowserRequest(bc: BrowserContext, kind: string): Promise<Reply> {
  const { request } = bc;
  if (request.method !== "GET" || (kind !== "poll" && kind !== "complete")) {
    return reply(bc, 400, { status: "refused", reason: "bad_browser_request", detail: `${BROWSER_HEADER} is "poll" or "complete", on a GET` }, { outcome: "refused", reason: "bad_browser_request" });
  }
  // Only the page itself: another site's script must not collect, nor plant, a credential.
  if (requestSite(request.headers, request.url.origin) === "cross-origin") {
    return reply(bc, 403, { status: "refused", reason: "cross_origin", detail: "browser payments are completed by the page's own origin only" }, { outcome: "refused", reason: "cross_origin" });
  }
  return kind === "poll" ? poll(bc) : await complete(bc);
}

async function poll(bc: BrowserContext): Promise<Reply> {
  // Paid in another tab, or arriving from another site with a metered token's cookie (browser-step.ts): this page goes on to the content too.
  if (await holdsCredential(bc)) return reply(bc, 200, { status: "paid", elsewhere: true }, { outcome: "polled", reason: "paid_elsewhere" });
  const { pending, cookies: opened } = pendingOf(bc);
  if (pending === undefined) {
    const detail = "this browser holds no unpaid challenge for this service; reload the page";
    return reply(bc, 400, { status: "no_challenge", reason: "no_pending_challenge", detail }, { outcome: "polled", reason: "no_pending_challenge" }, { cookies: opened });
  }
  const collected = await collect(bc, pending);
  const outcome = collected.state === "paid" ? { outcome: "collected" as const, reason: "poll" } : { outcome: "polled" as const, reason: collected.state };
  const { cookies } = collected;
  switch (collected.state) {
    case "paid":
      return reply(bc, 200, { status: "paid" }, outcome, { cookies });
    case "pending":
      // The page compares the hash with its own: a tab showing an older challenge than this browser's reloads.
      return reply(bc, 202, { status: "pending", payment_hash: pending.paymentHash, expires_at: pending.expiresAt }, outcome, { headers: { "Retry-After": "1" } });
    case "expired":
      return reply(bc, 200, { status: "expired" }, outcome, { cookies });
    case "refused":
      return reply(bc, 403, { status: "refused", reason: collected.reason, detail: collected.detail }, outcome, { cookies });
    case "unavailable":
      return reply(bc, 503, { status: "unavailable", reason: "node_unavailable", detail: "cannot ask the Lightning node right now; retry shortly" }, outcome, { headers: { "Retry-After": String(collected.retryAfterSeconds) } });
  }
}

async function complete(bc: BrowserContext): Promise<Reply> {
  const authorization = bc.request.headers.get("authorization");
  const parsed = readCredential({ authorization, macaroon: null, grpcMetadataMacaroon: null });
  // The credential as the page sent it (`<macaroon>:<preimage>`, the first of identical values): what the cookie keeps.
  const text = (authorization ?? "").split(",")[0]?.trim().replace(/^(?:L402|LSAT)\s+/i, "") ?? "";
  const granted = parsed.ok ? grant(bc, text) : parsed;
  if (!granted.ok) return reply(bc, 403, { status: "refused", reason: granted.reason, detail: granted.detail }, { outcome: "refused", reason: granted.reason });
  const { priceMsat, request } = granted.value.token.grant;
  await forgetPageInvoice(bc, toHex(granted.value.token.paymentHash), { ...(priceMsat === undefined ? {} : { priceMsat }), ...(request === undefined ? {} : { request }) });
  return reply(bc, 200, { status: "paid" }, { outcome: "collected", reason: "complete" }, { cookies: granted.value.cookies });
}

/** The browser's pending challenge, opened; a cookie that does not open is cleared. */
export function pendingOf(bc: BrowserContext): { readonly pending: PendingChallenge | undefined; readonly cookies: readonly CookieChange[] } {
  const sealed = readCookie(bc.request, "pending", bc.service.name);
  if (sealed === undefined) return { pending: undefined, cookies: [] };
  const pending = openPending(bc.paywall.settings.keyring, bc.service.name, sealed);
  return { pending, cookies: pending === undefined ? [clearCookie(bc.request, "pending", bc.service.name)] : [] };
}

/**
 * Whether the browser's credential cookie passes for a GET of this URL (the
 * paywall's own check, but metering): on a request-priced service, only a
 * token that paid what this page costs (and, bound, was bought for it): one
 * from a cheaper page is kept for those, and this page shows its own invoice.
 */
async function holdsCredential(bc: BrowserContext): Promise<boolean> {
  const text = readCookie(bc.request, "token", bc.service.name);
  if (text === undefined) return false;
  const verified = verifyForPage(bc, text);
  if (!verified.ok) return false;
  if (!pricedByRequest(bc.service)) return true;
  const claimed = onlyMethod("GET");
  const covered = await tokenCovers(bc.service, verified.value.grant, () => bc.paywall.pricer.priceOf(bc.service, bc.request, claimed), digestOnce(bc.request, claimed));
  return covered.ok;
}

/** Whether a credential cookie's text passes for a GET of this URL (metering and revocation are the request's). */
export const holdsValidCookie = (bc: BrowserContext, text: string): boolean => verifyForPage(bc, text).ok;

/**
 * Asks the node about a pending challenge's invoice (within the lookup limit)
 * and, once paid, grants its credential. An invoice paid or past paying no
 * longer holds its client's page-invoice slot (open-page-invoice.ts), nor its
 * pending cookie.
 */
export async function collect(bc: BrowserContext, pending: PendingChallenge): Promise<Collected> {
  const collected = await ask(bc, pending);
  if (collected.state === "paid" || collected.state === "expired" || collected.state === "refused") {
    await forgetPageInvoice(bc, pending.paymentHash, mintedOffer(bc.service.name, pending.macaroon));
    if (collected.state !== "paid") return { ...collected, cookies: [clearCookie(bc.request, "pending", bc.service.name)] };
  }
  return collected;
}

async function ask(bc: BrowserContext, pending: PendingChallenge): Promise<Collected> {
  const { ports, backend } = bc.paywall.settings;
  // Past its cookie's life: a sealed cookie sent again later (it is never refused by its seal) does not make the node asked.
  if (bc.request.now >= pending.expiresAt + PENDING_GRACE_SECONDS) return { state: "expired", cookies: [] };
  // A client replaying many pending cookies at once has a few of them asked about each second: poll-lookups.ts.
  if (!bc.paywall.polls(bc.request.client.address, bc.request.now)) return { state: "pending", cookies: [] };
  try {
    if (ports.lookupLimiter === undefined || !(await ports.lookupLimiter.allow(pending.paymentHash))) return { state: "pending", cookies: [] };
  } catch {
    return { state: "unavailable", retryAfterSeconds: 1, cookies: [] };
  }
  let status;
  try {
    status = await backend.lookupInvoice(fromHex(pending.paymentHash) ?? new Uint8Array(32));
  } catch (error) {
    if (!(error instanceof LightningError)) throw error;
    // A healthy node that no longer knows the invoice: it can never be paid.
    if (error.reason === "not_found") return { state: "expired", cookies: [] };
    return { state: "unavailable", retryAfterSeconds: error.retryAfterSeconds ?? 2, cookies: [] };
  }
  if (status.state === "settled" && status.preimage !== undefined) {
    const granted = grant(bc, `${toBase64Url(pending.macaroon)}:${toHex(status.preimage)}`);
    return granted.ok ? { state: "paid", cookies: granted.value.cookies } : { state: "refused", reason: granted.reason, detail: granted.detail, cookies: [] };
  }
  if (status.state === "canceled" || (status.state === "open" && bc.request.now >= pending.expiresAt)) return { state: "expired", cookies: [] };
  return { state: "pending", cookies: [] };
}

/**
 * Verifies a credential as the paywall would for a GET of this URL and, if it
 * holds, sets it as the credential cookie, for as long as the token is valid
 * (as long as browsers keep a cookie, for a token without expiry).
 */
function grant(bc: BrowserContext, text: string): Result<{ readonly token: VerifiedToken; readonly cookies: readonly CookieChange[] }> {
  const verified = verifyForPage(bc, text);
  if (!verified.ok) return verified;
  const { validUntil } = verified.value.grant;
  const maxAge = validUntil === undefined ? LONGEST_COOKIE_SECONDS : validUntil - bc.request.now;
  const cookies = [cookie(bc.request, "token", bc.service.name, text, maxAge), clearCookie(bc.request, "pending", bc.service.name)];
  return succeed({ token: verified.value, cookies });
}

/** `<macaroon>:<preimage>` checked as a GET of the page's URL would check it (metering and revocation are the request's). */
function verifyForPage(bc: BrowserContext, text: string): Result<VerifiedToken> {
  const { service, request } = bc;
  const verified = bc.paywall.verifier.verify(
    { authorization: `L402 ${text}`, macaroon: null, grpcMetadataMacaroon: null },
    { service: service.name, now: request.now, capabilities: requiredCapabilities(service, onlyMethod("GET"), request.url) },
  );
  return verified.ok ? succeed(verified.value) : fail(verified.reason, verified.detail);
}
