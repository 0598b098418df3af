import { base64urlnopad, hex } from "@scure/base";
import type { Context } from "hono";
import type { ServiceConfig } from "../../config/index.ts";
import { credentialSource, readCredential, type CredentialHeaders, type Result, type VerifiedToken } from "../../l402/index.ts";
import { LightningError } from "../../lightning/index.ts";
import { encodeMacaroon } from "../../macaroon/index.ts";
import type { ChallengeParts } from "../challenge-parts.ts";
import { onlyMethod } from "../claimed-methods.ts";
import { requiredCapabilities } from "../match.ts";
import type { BrowserContext } from "./browser-context.ts";
import { clearCookie, LONGEST_COOKIE_SECONDS, readCookie, writeCookie } from "./cookies.ts";
import { forgetPageInvoice } from "./open-page-invoice.ts";
import { openPending, sealPending, type PendingChallenge } from "./pending-challenge.ts";
import { cookieUse, requestSite } from "./request-site.ts";

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
 * Without script, reloading the page does what `poll` does.
 */
export const BROWSER_HEADER = "X-L402-Browser";

/** A pending cookie outlives its invoice by this much, so a payment made in the last seconds can still be collected. */
const PENDING_GRACE_SECONDS = 120;

type Collected =
  | { readonly state: "paid" }
  | { readonly state: "pending" }
  | { readonly state: "expired" }
  | { readonly state: "refused"; readonly reason: string; readonly detail: string }
  | { readonly state: "unavailable"; readonly retryAfterSeconds: number };

/** The credential cookie as the paywall reads credentials, or what a cross-origin request may not do with it. */
export function cookieCredential(c: Context, service: ServiceConfig, headers: CredentialHeaders): { readonly use: "use"; readonly authorization: string } | { readonly use: "refuse" } | undefined {
  // A header credential wins; the cookie is not even read.
  if (credentialSource(headers) !== undefined) return undefined;
  const text = readCookie(c, "token", service.name);
  if (text === undefined || text === "") return undefined;
  const use = cookieUse(c.req.method, c.req.raw.headers, new URL(c.req.url).origin);
  if (use === "ignore") return undefined;
  return use === "refuse" ? { use } : { use, authorization: `L402 ${text}` };
}

/** A `poll` or `complete` request from the page's script. */
export async function answerBrowserRequest(bc: BrowserContext, kind: string): Promise<Response> {
  const { c } = bc;
  if (c.req.method !== "GET" || (kind !== "poll" && kind !== "complete")) {
    bc.log({ outcome: "refused", reason: "bad_browser_request" });
    return protocolAnswer(c, 400, { status: "refused", reason: "bad_browser_request", detail: `${BROWSER_HEADER} is "poll" or "complete", on a GET` });
  }
  // Only the page itself: another site's script must not collect, nor plant, a credential.
  if (requestSite(c.req.raw.headers, new URL(c.req.url).origin) === "cross-origin") {
    bc.log({ outcome: "refused", reason: "cross_origin" });
    return protocolAnswer(c, 403, { status: "refused", reason: "cross_origin", detail: "browser payments are completed by the page's own origin only" });
  }
  return kind === "poll" ? poll(bc) : await complete(bc);
}

async function poll(bc: BrowserContext): Promise<Response> {
  const { c, service } = bc;
  const pending = pendingOf(bc);
  if (pending === undefined) {
    // Paid in another tab: this one's page reloads into the content too.
    if (holdsCredential(bc)) {
      bc.log({ outcome: "polled", reason: "paid_elsewhere" });
      return protocolAnswer(c, 200, { status: "paid" });
    }
    bc.log({ outcome: "polled", reason: "no_pending_challenge" });
    return protocolAnswer(c, 400, { status: "no_challenge", reason: "no_pending_challenge", detail: "this browser holds no unpaid challenge for this service; reload the page" });
  }
  const collected = await collect(bc, pending);
  bc.log(collected.state === "paid" ? { outcome: "collected", reason: "poll" } : { outcome: "polled", reason: collected.state });
  switch (collected.state) {
    case "paid":
      return protocolAnswer(c, 200, { status: "paid" });
    case "pending":
      // The page compares the hash with its own: a tab showing an older challenge than this browser's reloads.
      return protocolAnswer(c, 202, { status: "pending", payment_hash: pending.paymentHash, expires_at: pending.expiresAt }, { "Retry-After": "1" });
    case "expired":
      clearCookie(c, "pending", service.name);
      return protocolAnswer(c, 200, { status: "expired" });
    case "refused":
      clearCookie(c, "pending", service.name);
      return protocolAnswer(c, 403, { status: "refused", reason: collected.reason, detail: collected.detail });
    case "unavailable":
      return protocolAnswer(c, 503, { status: "unavailable", reason: "node_unavailable", detail: "cannot ask the Lightning node right now; retry shortly" }, { "Retry-After": String(collected.retryAfterSeconds) });
  }
}

async function complete(bc: BrowserContext): Promise<Response> {
  const { c } = bc;
  const parsed = readCredential({ authorization: c.req.header("authorization") ?? null, macaroon: null, grpcMetadataMacaroon: null });
  const granted = parsed.ok ? grant(bc, `${base64urlnopad.encode(encodeMacaroon(parsed.value.macaroon))}:${hex.encode(parsed.value.preimage)}`) : parsed;
  if (!granted.ok) {
    bc.log({ outcome: "refused", reason: granted.reason });
    return protocolAnswer(c, 403, { status: "refused", reason: granted.reason, detail: granted.detail });
  }
  await forgetPageInvoice(bc, hex.encode(granted.value.paymentHash));
  bc.log({ outcome: "collected", reason: "complete" });
  return protocolAnswer(c, 200, { status: "paid" });
}

/**
 * A page request from a browser holding a pending challenge: collected when
 * paid (a redirect to the same URL, now with the credential cookie), shown
 * again while it may still be paid, or nothing (expired, or no pending cookie:
 * the caller mints a fresh one).
 */
export async function resumePending(bc: BrowserContext): Promise<{ readonly paid: Response } | { readonly show: ChallengeParts } | undefined> {
  const pending = pendingOf(bc);
  if (pending === undefined) return undefined;
  const collected = await collect(bc, pending);
  if (collected.state === "paid") {
    bc.log({ outcome: "collected", reason: "reload" });
    return { paid: bc.c.body(null, 303, { Location: `${bc.url.pathname}${bc.url.search}`, "Cache-Control": "no-store" }) };
  }
  // Pending, or the node cannot say right now: the same invoice is still the one to pay.
  if (collected.state === "pending" || collected.state === "unavailable") return { show: pending };
  clearCookie(bc.c, "pending", bc.service.name);
  return undefined;
}

/** Remembers the fresh challenge a page shows, so this browser (and only it) can collect it once paid. */
export function rememberPending(bc: BrowserContext, parts: ChallengeParts): void {
  const sealed = sealPending(bc.paywall.keyring, { ...parts, service: bc.service.name });
  writeCookie(bc.c, "pending", bc.service.name, sealed, parts.expiresAt - bc.now + PENDING_GRACE_SECONDS);
}

function pendingOf(bc: BrowserContext): PendingChallenge | undefined {
  const sealed = readCookie(bc.c, "pending", bc.service.name);
  if (sealed === undefined || sealed === "") return undefined;
  const pending = openPending(bc.paywall.keyring, bc.service.name, sealed);
  if (pending === undefined) clearCookie(bc.c, "pending", bc.service.name);
  return pending;
}

/** Whether the browser's credential cookie passes for a GET of this URL (the paywall's own check, but metering). */
function holdsCredential(bc: BrowserContext): boolean {
  const text = readCookie(bc.c, "token", bc.service.name);
  return text !== undefined && text !== "" && verifyForPage(bc, text).ok;
}

/**
 * Asks the node about a pending challenge's invoice (within the lookup limit)
 * and, once paid, grants its credential. An invoice paid or past paying no
 * longer holds its client's page-invoice slot (open-page-invoice.ts).
 */
async function collect(bc: BrowserContext, pending: PendingChallenge): Promise<Collected> {
  const collected = await ask(bc, pending);
  if (collected.state === "paid" || collected.state === "expired" || collected.state === "refused") await forgetPageInvoice(bc, pending.paymentHash);
  return collected;
}

async function ask(bc: BrowserContext, pending: PendingChallenge): Promise<Collected> {
  const { paywall } = bc;
  try {
    if (paywall.ports.lookupLimiter === undefined || !(await paywall.ports.lookupLimiter.allow(pending.paymentHash))) return { state: "pending" };
  } catch {
    return { state: "unavailable", retryAfterSeconds: 1 };
  }
  let status;
  try {
    status = await paywall.backend.lookupInvoice(hex.decode(pending.paymentHash));
  } catch (error) {
    if (!(error instanceof LightningError)) throw error;
    // A healthy node that no longer knows the invoice: it can never be paid.
    if (error.kind === "not_found") return { state: "expired" };
    return { state: "unavailable", retryAfterSeconds: error.retryAfterSeconds ?? 2 };
  }
  if (status.state === "settled" && status.preimage !== undefined) {
    const granted = grant(bc, `${base64urlnopad.encode(pending.macaroon)}:${hex.encode(status.preimage)}`);
    return granted.ok ? { state: "paid" } : { state: "refused", reason: granted.reason, detail: granted.detail };
  }
  if (status.state === "canceled" || (status.state === "open" && bc.now >= pending.expiresAt)) return { state: "expired" };
  return { state: "pending" };
}

/**
 * Verifies a credential as the paywall would for a GET of this URL and, if it
 * holds, sets it as the credential cookie, for as long as the token is valid
 * (as long as browsers keep a cookie, for a token without expiry).
 */
function grant(bc: BrowserContext, text: string): Result<VerifiedToken> {
  const verified = verifyForPage(bc, text);
  if (!verified.ok) return verified;
  const { validUntil } = verified.value.grant;
  writeCookie(bc.c, "token", bc.service.name, text, validUntil === undefined ? LONGEST_COOKIE_SECONDS : validUntil - bc.now);
  clearCookie(bc.c, "pending", bc.service.name);
  return verified;
}

/** `<macaroon>:<preimage>` checked as a GET of the page's URL would check it (metering and revocation are the request's). */
function verifyForPage(bc: BrowserContext, text: string): Result<VerifiedToken> {
  const { service, now } = bc;
  return bc.verifier.verify(
    { authorization: `L402 ${text}`, macaroon: null, grpcMetadataMacaroon: null },
    { service: service.name, now, capabilities: requiredCapabilities(service, onlyMethod("GET"), bc.url) },
  ).result;
}

function protocolAnswer(c: Context, status: 200 | 202 | 400 | 403 | 503, body: Record<string, unknown>, headers: Record<string, string> = {}): Response {
  return c.json(body, status, { ...headers, "Cache-Control": "no-store" });
}
