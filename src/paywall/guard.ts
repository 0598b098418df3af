import { hex } from "@scure/base";
import type { Context, ExecutionContext, Next } from "hono";
import type { ServiceConfig } from "../config/index.ts";
import { fail, MAX_CREDENTIAL_HEADER_CHARS, toHex, type CredentialHeaders, type Failure, type FailureReason, type Verifier, type VerifiedToken } from "../l402/index.ts";
import { formatReceipt, isPaymentAuthorization, LIGHTNING, RECEIPT_HEADER } from "../payment/index.ts";
import { admit } from "./admit.ts";
import { answer } from "./answer.ts";
import type { BrowserContext } from "./browser/browser-context.ts";
import { answerBrowserRequest, BROWSER_HEADER, cookieCredential } from "./browser/browser-payments.ts";
import { clearCookie } from "./browser/cookies.ts";
import { pageChallenge, type PageIssued } from "./browser/page-challenge.ts";
import { challengeAnswer, wantsPage } from "./challenge-answer.ts";
import { clientKey } from "./challenge-cache.ts";
import { claimedMethods, type ClaimedMethods } from "./claimed-methods.ts";
import { takeFreebie } from "./free-allowance.ts";
import { issueChallenge } from "./issue-challenge.ts";
import { isFreePath, requiredCapabilities } from "./match.ts";
import type { ResolvedPaywall } from "./options.ts";
import { keepPrivate } from "./private-answer.ts";
import { verifyPaymentCredential, type PaymentProof } from "./payment-scheme.ts";
import type { L402Outcome, PaywallEnv } from "./types.ts";

/** Refusals that say nothing against a credential cookie in general: it may still serve other requests. */
const KEEPS_COOKIE: ReadonlySet<string> = new Set<FailureReason>(["capability_denied", "service_mismatch"]);

export function record(c: Context<PaywallEnv>, outcome: L402Outcome): void {
  c.set("l402Outcome", outcome);
}

/** What a request presented, checked: a token (L402, or a Payment charge naming one), or why not. */
type Presented =
  | { readonly ok: true; readonly verified: VerifiedToken; readonly proof: PaymentProof | undefined; readonly paidHash: Uint8Array | undefined }
  | { readonly ok: false; readonly failure: Failure<string>; readonly paidHash: Uint8Array | undefined };

/** The paywall proper, for a request that matched `service`. */
export async function guard(paywall: ResolvedPaywall, verifier: Verifier, c: Context<PaywallEnv>, next: Next, url: URL, service: ServiceConfig): Promise<Response | void> {
  const respond = (response: Response) => (c.res = response);
  const log = (entry: Omit<L402Outcome, "service">) => record(c, { service: service.name, ...entry });
  if (!service.auth || isFreePath(service, url)) {
    c.set("l402Route", { url, service, access: "free" });
    log({ outcome: "free" });
    return next();
  }
  let credentialHeaders: CredentialHeaders = { authorization: c.req.header("authorization") ?? null, macaroon: c.req.header("macaroon") ?? null, grpcMetadataMacaroon: c.req.header("grpc-metadata-macaroon") ?? null };
  // Oversized credentials are refused before any decoding, and without an invoice.
  if (Object.values(credentialHeaders).some((value) => value !== null && value.length > MAX_CREDENTIAL_HEADER_CHARS)) {
    log({ outcome: "refused", reason: "header_too_large" });
    return respond(answer(c, 431, { reason: "header_too_large", detail: `credential headers are limited to ${MAX_CREDENTIAL_HEADER_CHARS} characters` }));
  }

  const now = Math.floor(Date.now() / 1000);
  const browser: BrowserContext | undefined = service.browser ? { c, paywall, verifier, service, url, now, log } : undefined;
  const browserRequest = c.req.header(BROWSER_HEADER);
  if (browserRequest !== undefined) {
    if (browser !== undefined) return respond(await answerBrowserRequest(browser, browserRequest));
    log({ outcome: "refused", reason: "browser_payments_off" });
    return respond(answer(c, 400, { reason: "browser_payments_off", detail: `this service takes no browser payments (${BROWSER_HEADER})` }));
  }
  const cookie = browser === undefined ? undefined : cookieCredential(c, service, credentialHeaders);
  if (cookie?.use === "refuse") {
    log({ outcome: "refused", reason: "cross_origin_cookie" });
    return respond(answer(c, 403, { reason: "cross_origin_cookie", detail: "a request from another origin cannot change anything with the paywall's cookie; send the credential in the Authorization header" }));
  }
  if (cookie !== undefined) credentialHeaders = { ...credentialHeaders, authorization: cookie.authorization };

  const waitUntil = deferrer(c);
  const address = paywall.clientAddress(c);
  const cacheKey = () => clientKey({ address, userAgent: c.req.header("user-agent") ?? null }, service.name, service.priceMsat);
  const presented = present(paywall, verifier, service, credentialHeaders, { methods: claimedMethods(c.req.method, c.req.raw.headers, url), url, now });
  let failure: Failure<string>;
  if (!presented.ok) {
    failure = presented.failure;
  } else {
    const { verified, proof } = presented;
    const tokenId = toHex(verified.tokenId);
    const admitted = await admit({ paywall, service, verified, tokenId, cacheKey, now, waitUntil });
    // A Payment charge is spent last, so a credential refused for anything else is not burnt.
    const spent = admitted.ok && proof !== undefined && service.uses === undefined ? await spend(paywall, proof) : "first";
    if (admitted.ok && spent === "first") {
      const { remaining } = admitted.value;
      const scheme = proof === undefined ? "l402" : "payment";
      c.set("l402", { tokenId, service: service.name, grant: verified.grant, scheme, ...(remaining === undefined ? {} : { remaining }) });
      c.set("l402Route", { url, service, access: "paid" });
      log({ outcome: "paid", tokenId, scheme });
      await next();
      if (c.res.status === 101) return;
      keepPrivate(c, cookie !== undefined);
      if (remaining !== undefined) c.header("X-L402-Remaining", String(remaining));
      // A receipt on success only (draft-httpauth-payment §5.3); the charge is spent either way.
      if (proof !== undefined && c.res.ok) {
        c.header(RECEIPT_HEADER, formatReceipt({ status: "success", method: LIGHTNING, timestamp: new Date(now * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"), reference: hex.encode(verified.paymentHash), challengeId: proof.challengeId }));
      }
      return;
    }
    const unavailable = !admitted.ok && (admitted.reason === "revocation_unavailable" || admitted.reason === "meter_unavailable") ? admitted : spent === "unavailable" ? fail("spent_unavailable", "cannot record this Payment credential's use right now; retry shortly") : undefined;
    if (unavailable !== undefined) {
      log({ outcome: "error", reason: unavailable.reason, tokenId });
      return respond(answer(c, 503, { reason: unavailable.reason, detail: unavailable.detail }, { "Retry-After": "1" }));
    }
    failure = !admitted.ok ? fail(admitted.reason, admitted.detail) : fail("spent", "this Payment credential was already used: a charge buys one request; pay a fresh challenge");
  }

  if (failure.reason === "missing") {
    const remaining = await takeFreebie(paywall.ports.freebies, service, address, now);
    if (remaining !== undefined) {
      c.set("l402Route", { url, service, access: "freebie" });
      log({ outcome: "freebie" });
      await next();
      if (c.res.status === 101) return;
      keepPrivate(c, false);
      c.header("X-L402-Freebies-Remaining", String(remaining));
      return;
    }
  }
  // A cookie that can never be accepted again goes; one refused for this request alone stays.
  if (cookie !== undefined && !KEEPS_COOKIE.has(failure.reason)) clearCookie(c, "token", service.name);
  const answerWith = ({ parts, probe }: PageIssued) =>
    challengeAnswer(c, { service, failure, parts, probe, keyring: paywall.keyring, url, now, invoiceExpirySeconds: paywall.invoiceExpirySeconds, fiatRate: paywall.fiatRate });
  // A refused credential's preimage proves its invoice paid, whatever else is wrong with it.
  const paidHash = presented.paidHash === undefined ? undefined : toHex(presented.paidHash);
  const issue = (unshared: boolean) => issueChallenge({ paywall, service, address, cacheKey: cacheKey(), now, paidHash, unshared, waitUntil });
  // A browser page: its own pending challenge, collected once paid, or one only it may collect (browser/page-challenge.ts).
  const issued = browser !== undefined && wantsPage(c) ? await pageChallenge(browser, issue) : await issue(false);
  if ("answered" in issued) return respond(issued.answered);
  if (issued.ok) {
    log({ outcome: issued.value.reused ? "challenged_again" : "challenged", reason: failure.reason });
    return respond(answerWith(issued.value));
  }
  if (issued.reason === "rate_limited") {
    log({ outcome: "rate_limited", reason: failure.reason });
    return respond(answer(c, 429, { reason: issued.reason, detail: issued.detail }, { "Retry-After": String(issued.retryAfterSeconds) }));
  }
  log({ outcome: "node_unavailable", reason: failure.reason, detail: issued.detail });
  const body = { reason: "node_unavailable", detail: "the Lightning node cannot issue an invoice right now; retry shortly" };
  return respond(answer(c, 503, body, { "Retry-After": String(issued.retryAfterSeconds) }));
}

/** The credential a request presents, in the scheme it chose, checked against what the service offers. */
function present(
  paywall: ResolvedPaywall,
  verifier: Verifier,
  service: ServiceConfig,
  headers: CredentialHeaders,
  request: { readonly methods: ClaimedMethods; readonly url: URL; readonly now: number },
): Presented {
  const { authorization } = headers;
  if (authorization !== null && isPaymentAuthorization(authorization)) {
    if (!service.schemes.payment) return { ok: false, failure: fail("scheme_not_offered", "this service does not take the Payment scheme: pay its L402 challenge"), paidHash: undefined };
    const checked = verifyPaymentCredential(paywall.keyring, service, authorization, { host: request.url.hostname, now: request.now });
    return checked.ok ? { ok: true, verified: checked.value.verified, proof: checked.value, paidHash: checked.paidHash } : { ok: false, failure: checked, paidHash: checked.paidHash };
  }
  const { result, paidHash } = verifier.verify(headers, { service: service.name, now: request.now, capabilities: requiredCapabilities(service, request.methods, request.url) });
  if (!result.ok) return { ok: false, failure: result, paidHash };
  if (!service.schemes.l402) return { ok: false, failure: fail("scheme_not_offered", "this service takes the Payment scheme only: pay its Payment challenge"), paidHash };
  return { ok: true, verified: result.value, proof: undefined, paidHash };
}

/** Spends a Payment charge: "first" once, "spent" ever after, "unavailable" when the spent set cannot answer (fail closed). */
async function spend(paywall: ResolvedPaywall, proof: PaymentProof): Promise<"first" | "spent" | "unavailable"> {
  const spentCharges = paywall.ports.spentCharges;
  if (spentCharges === undefined) return "unavailable";
  try {
    return (await spentCharges.spend(hex.encode(proof.verified.paymentHash), proof.expiresAt)) ? "first" : "spent";
  } catch {
    return "unavailable";
  }
}

/** Work to finish after the response: the Workers execution context's waitUntil, or (elsewhere) just let it run. */
function deferrer(c: Context): (promise: Promise<unknown>) => void {
  return (promise) => {
    let context: ExecutionContext | undefined;
    try {
      context = c.executionCtx;
    } catch {
      // No execution context (Node): the promise runs on by itself; ports log their own failures.
      context = undefined;
    }
    if (context === undefined) void promise.catch(() => undefined);
    else context.waitUntil(promise);
  };
}
