import type { Context, MiddlewareHandler, Next } from "hono";
import { cors } from "hono/cors";
import { createVerifier } from "../l402/index.ts";
import { answer } from "./answer.ts";
import { canonicalUrl } from "./canonical-url.ts";
import { guard, record } from "./guard.ts";
import { matchService } from "./match.ts";
import { resolvePaywall, type PaywallOptions, type ResolvedPaywall } from "./options.ts";
import type { PaywallEnv } from "./types.ts";

/** Headers of the paywall's answers a browser script may read, whatever else the CORS options expose. */
const EXPOSED_HEADERS = ["WWW-Authenticate", "Retry-After", "X-L402-Remaining", "X-L402-Freebies-Remaining", "Payment-Receipt"];

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
