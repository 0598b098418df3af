import type { Context, ExecutionContext, MiddlewareHandler, Next } from "hono";
import { cors } from "hono/cors";
import type { ServiceConfig } from "../config/index.ts";
import { createVerifier, fail, MAX_CREDENTIAL_HEADER_CHARS, toHex, type CredentialHeaders, type Failure, type FailureReason, type Verifier } from "../l402/index.ts";
import { admit } from "./admit.ts";
import { answer } from "./answer.ts";
import { canonicalUrl } from "./canonical-url.ts";
import { answerBrowserRequest, BROWSER_HEADER, cookieCredential, rememberPending, resumePending, type BrowserContext } from "./browser/browser-payments.ts";
import { clearCredentialCookie } from "./browser/cookies.ts";
import { challengeAnswer, wantsPage } from "./challenge-answer.ts";
import { clientKey } from "./challenge-cache.ts";
import { takeFreebie } from "./free-allowance.ts";
import { issueChallenge } from "./issue-challenge.ts";
import { isFreePath, matchService, requiredCapabilities } from "./match.ts";
import { resolvePaywall, type PaywallOptions, type ResolvedPaywall } from "./options.ts";
import type { L402Outcome, PaywallEnv } from "./types.ts";

/** Refusals that say nothing against a credential cookie in general: it may still serve other requests. */
const KEEPS_COOKIE: ReadonlySet<string> = new Set<FailureReason>(["capability_denied", "service_mismatch"]);

/** Headers of the paywall's answers a browser script may read, whatever else the CORS options expose. */
const EXPOSED_HEADERS = ["WWW-Authenticate", "Retry-After", "X-L402-Remaining", "X-L402-Freebies-Remaining"];

/**
 * The paywall as Hono middleware: `app.use("/api/*", l402Paywall({ service, keyring, backend }))`.
 *
 * A request with a valid credential reaches the next handler with `c.var.l402`
 * set (token id, service, grant, uses left); one without gets a 402 with a fresh
 * (or its recent) challenge, or a 429 / 503 when none can be made. Requests
 * matching no service pass on untouched but for `c.var.l402Route`.
 *
 * Options are checked when the middleware is made (a `PaywallConfigError` names
 * every problem). Given as a function of the context, they are built and checked
 * on the first request for each env (the way to read a Worker's secrets).
 */
export function l402Paywall<E extends PaywallEnv = PaywallEnv>(options: PaywallOptions | ((c: Context<E>) => PaywallOptions)): MiddlewareHandler<E> {
  if (typeof options !== "function") return paywallMiddleware(resolvePaywall(options));
  const byEnv = new WeakMap<object, MiddlewareHandler<E>>();
  let withoutEnv: MiddlewareHandler<E> | undefined;
  return async (c, next) => {
    const env = typeof c.env === "object" && c.env !== null ? (c.env as object) : undefined;
    let handler = env === undefined ? withoutEnv : byEnv.get(env);
    if (handler === undefined) {
      handler = paywallMiddleware(resolvePaywall(options(c)));
      if (env === undefined) withoutEnv = handler;
      else byEnv.set(env, handler);
    }
    return handler(c, next);
  };
}

/**
 * The middleware for options already resolved (the template Worker resolves its
 * own from its env). Any app env whose variables include `L402Variables` fits:
 * Hono's Context is invariant in its env, hence the one cast below.
 */
export function paywallMiddleware<E extends PaywallEnv = PaywallEnv>(paywall: ResolvedPaywall): MiddlewareHandler<E> {
  const handle = paywallHandler(paywall);
  return (c, next) => handle(c as unknown as Context<PaywallEnv>, next);
}

function paywallHandler(paywall: ResolvedPaywall): (c: Context<PaywallEnv>, next: Next) => Promise<Response | void> {
  // Per isolate, per keyring: credentials proven once are not proven again (l402/verifier.ts).
  const verifier = createVerifier(paywall.keyring);
  const withCors = paywall.cors === undefined ? undefined : cors({ ...paywall.cors, exposeHeaders: [...EXPOSED_HEADERS, ...(paywall.cors.exposeHeaders ?? [])] });
  /** Runs `handle` inside the CORS middleware for a browser's request (it sends Origin; WebSocket upgrades are not subject to CORS). */
  const forBrowsers = (c: Context<PaywallEnv>, handle: () => Promise<Response | void>) =>
    withCors === undefined || c.req.header("origin") === undefined || c.req.header("upgrade") !== undefined ? handle() : withCors(c, async () => void (await handle()));
  return async (c, next) => {
    // Answers are set on the context too, so a wrapping middleware (CORS) adds to them.
    const refuse = (reason: string, detail: string) =>
      forBrowsers(c, async () => {
        record(c, { outcome: "refused", reason });
        c.res = answer(c, 400, { reason, detail });
      });
    const canonical = canonicalUrl(new URL(c.req.url));
    if (!canonical.ok) return refuse(canonical.reason, canonical.detail);
    const url = canonical.value;
    // fetch() cannot send a GET or HEAD with a body, so no origin could receive one.
    if ((c.req.method === "GET" || c.req.method === "HEAD") && c.req.raw.body !== null && c.req.header("content-length") !== "0") {
      return refuse("body_not_allowed", `a ${c.req.method} request cannot carry a body`);
    }
    const service = matchService(paywall.services, url);
    if (service === undefined) {
      c.set("l402Route", { url, service: undefined, access: "unmatched" });
      record(c, { outcome: "unmatched" });
      return next();
    }
    // A preflight is answered by the CORS middleware. Without one it is a request like
    // any other: passing it on unpaid would hand it to any handler that takes OPTIONS.
    const isPreflight = c.req.method === "OPTIONS" && c.req.header("access-control-request-method") !== undefined && c.req.header("origin") !== undefined;
    if (isPreflight && withCors !== undefined) {
      record(c, { outcome: "preflight", service: service.name });
      return withCors(c, next);
    }
    return forBrowsers(c, () => guard(paywall, verifier, c, next, url, service));
  };
}

/** The paywall proper, for a request that matched `service`. */
async function guard(paywall: ResolvedPaywall, verifier: Verifier, c: Context<PaywallEnv>, next: Next, url: URL, service: ServiceConfig): Promise<Response | void> {
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
  const browser: BrowserContext | undefined = service.browser === undefined ? undefined : { c, paywall, verifier, service, url, now, log };
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
  const { result: verified, paidHash } = verifier.verify(credentialHeaders, { service: service.name, now, capabilities: requiredCapabilities(service, c.req.method, url) });
  let failure: Failure;
  if (!verified.ok) {
    failure = verified;
  } else {
    const tokenId = toHex(verified.value.tokenId);
    const admitted = await admit({ paywall, service, verified: verified.value, tokenId, cacheKey, now, waitUntil });
    if (admitted.ok) {
      const { remaining } = admitted.value;
      c.set("l402", { tokenId, service: service.name, grant: verified.value.grant, ...(remaining === undefined ? {} : { remaining }) });
      c.set("l402Route", { url, service, access: "paid" });
      log({ outcome: "paid", tokenId });
      await next();
      if (remaining !== undefined && c.res.status !== 101) c.header("X-L402-Remaining", String(remaining));
      return;
    }
    if (admitted.reason === "revocation_unavailable" || admitted.reason === "meter_unavailable") {
      log({ outcome: "error", reason: admitted.reason, tokenId });
      return respond(answer(c, 503, { reason: admitted.reason, detail: admitted.detail }, { "Retry-After": "1" }));
    }
    failure = fail(admitted.reason, admitted.detail);
  }

  if (failure.reason === "missing") {
    const remaining = await takeFreebie(paywall.ports.freebies, service, address, now);
    if (remaining !== undefined) {
      c.set("l402Route", { url, service, access: "freebie" });
      log({ outcome: "freebie" });
      await next();
      if (c.res.status !== 101) c.header("X-L402-Freebies-Remaining", String(remaining));
      return;
    }
  }
  // A cookie that can never be accepted again goes; one refused for this request alone stays.
  if (cookie !== undefined && !KEEPS_COOKIE.has(failure.reason)) clearCredentialCookie(c, service);
  // A browser page: its own pending challenge, collected once paid, or a fresh one only it may collect.
  const page = browser !== undefined && wantsPage(c);
  if (page) {
    const resumed = await resumePending(browser);
    if (resumed !== undefined && "paid" in resumed) return respond(resumed.paid);
    if (resumed !== undefined) {
      log({ outcome: "challenged_again", reason: failure.reason });
      return respond(challengeAnswer(c, service, failure, resumed.show, { now, invoiceExpirySeconds: paywall.invoiceExpirySeconds }));
    }
  }
  // A refused credential's preimage proves its invoice paid, whatever else is wrong with it.
  const issued = await issueChallenge({ paywall, service, address, cacheKey: cacheKey(), now, paidHash: paidHash === undefined ? undefined : toHex(paidHash), unshared: page, waitUntil });
  if (issued.ok) {
    log({ outcome: issued.value.reused ? "challenged_again" : "challenged", reason: failure.reason });
    if (page) rememberPending(browser, issued.value.parts);
    return respond(challengeAnswer(c, service, failure, issued.value.parts, { now, invoiceExpirySeconds: paywall.invoiceExpirySeconds }));
  }
  if (issued.reason === "rate_limited") {
    log({ outcome: "rate_limited", reason: failure.reason });
    return respond(answer(c, 429, { reason: issued.reason, detail: issued.detail }, { "Retry-After": String(issued.retryAfterSeconds) }));
  }
  log({ outcome: "node_unavailable", reason: failure.reason, detail: issued.detail });
  const body = { reason: "node_unavailable", detail: "the Lightning node cannot issue an invoice right now; retry shortly" };
  return respond(answer(c, 503, body, { "Retry-After": String(issued.retryAfterSeconds) }));
}

function record(c: Context<PaywallEnv>, outcome: L402Outcome): void {
  c.set("l402Outcome", outcome);
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
